/**
 * A local mock WebSocket server: listens on host/port (127.0.0.1 and a free
 * port by default), over ws:// or wss://, and runs one chain of behaviours
 * (behaviour.ts): rules from a mock file, a recording, echo, or manual answers.
 * The user can always answer, broadcast, close and terminate clients by hand.
 * Every frame of every client goes to the server's MessageLog, tagged with the
 * client id and, for a rule's answers, the rule.
 */
import { EventEmitter } from 'node:events';
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type ServerOptions as WsServerOptions } from 'ws';
import type { Payload, ServerClientInfo, ServerInfo, ServerOptions } from '../contract.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../connections/client-connection.js';
import { listenerFlags } from '../log/listener-flags.js';
import { MessageLog, type AppendExtra, type LogEntry } from '../log/message-log.js';
import { utf8Encode } from '../payload/codecs.js';
import { messageView, type MessageView } from '../payload/message-view.js';
import { checkCloseArgs, checkWellFormed } from '../websocket-rules.js';
import {
  echoBehaviour,
  manualBehaviour,
  type Answer,
  type ServerBehaviour,
  type UpgradeDecision,
} from './behaviour.js';
import { splitIntoFragments } from './mock-file.js';
import { loadServerCertificate, type ServerCertificate } from './mock-tls.js';

export interface MockClient {
  readonly info: ServerClientInfo;
  readonly socket: WebSocket;
  /** False while a rule has the server ignore this client's pings (a dead server). */
  answerPings: boolean;
}

/**
 * The `ws` options of every mock server, set explicitly rather than left to ws's
 * defaults: the same limits as a client connection's, our own pong (a rule can stop
 * answering pings), and no client set kept twice (the server keeps its own map).
 */
export const MOCK_SERVER_WS_OPTIONS = {
  noServer: true,
  maxPayload: MAX_MESSAGE_BYTES,
  skipUTF8Validation: false,
  autoPong: false,
  clientTracking: false,
  allowSynchronousEvents: true,
} as const satisfies WsServerOptions;

/** Options a front end cannot send as data: the chain itself. */
export interface MockServerSetup {
  behaviours?: ServerBehaviour[];
  /** The mock file a rules server runs, for info(). */
  mock?: { name?: string; file: string };
}

/** How a behaviour's send is logged and framed. */
export interface DeliverOptions {
  rule?: string | undefined;
  /** Split into this many frames (one message). */
  fragments?: number;
}

interface MockServerEvents {
  listening: [];
  stopped: [];
  clients: [];
  message: [MockClient, LogEntry];
  /** A behaviour's chain changed or a rule fired: info() / hits are worth reading again. */
  behaviour: [];
}

export class MockServer extends EventEmitter<MockServerEvents> {
  readonly id: string;
  readonly log: MessageLog;
  readonly host: string;
  readonly path: string;
  readonly protocols: string[];

  #options: ServerOptions;
  readonly #mock: MockServerSetup['mock'];
  #behaviours: ServerBehaviour[];
  /** A behaviour reads the message (rules, a custom one): make its view. */
  #needsView = false;
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  #certificate: ServerCertificate | undefined;
  #port = 0;
  #running = false;
  #clients = new Map<string, MockClient>();
  #nextClient = 1;
  /** The subprotocol a behaviour chose for a handshake under way. */
  readonly #chosenProtocol = new WeakMap<IncomingMessage, string | undefined>();
  readonly #listened = listenerFlags(this, ['message']);

  constructor(id: string, options: ServerOptions = {}, setup: MockServerSetup = {}) {
    super();
    this.id = id;
    this.#options = options;
    this.host = options.host ?? '127.0.0.1';
    this.path = options.path ?? '/';
    this.protocols = options.protocols ?? [];
    this.#mock = setup.mock;
    this.#behaviours = setup.behaviours ?? [options.echo === false ? manualBehaviour() : echoBehaviour()];
    this.#needsView = this.#readsMessages();
    this.log = new MessageLog({ budgetBytes: options.logBudgetBytes });
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `${this.#options.tls ? 'wss' : 'ws'}://${host}:${this.#port}${this.path}`;
  }

  /** The chain, first behaviour first. */
  get behaviours(): readonly ServerBehaviour[] {
    return this.#behaviours;
  }

  /** Replaces the chain; the old behaviours stop (their timers end), the new ones attach. */
  setBehaviours(behaviours: ServerBehaviour[]): void {
    const old = this.#behaviours;
    this.#behaviours = behaviours;
    this.#needsView = this.#readsMessages();
    for (const b of old) if (!behaviours.includes(b)) b.detach?.();
    if (this.#running) for (const b of behaviours) if (!old.includes(b)) b.attach?.(this);
    this.emit('behaviour');
  }

  /** The certificate of a wss:// server (PEM), to export so clients can trust it. */
  get certificate(): ServerCertificate | undefined {
    return this.#certificate;
  }

  get running(): boolean {
    return this.#running;
  }

  info(): ServerInfo {
    return {
      serverId: this.id,
      url: this.url,
      host: this.host,
      port: this.#port,
      path: this.path,
      protocols: this.protocols,
      echo: this.#behaviours.some((b) => b.kind === 'echo'),
      behaviours: this.#behaviours.map((b) => b.kind),
      running: this.#running,
      clientCount: this.#clients.size,
      ...(this.#mock ? { mock: this.#mock } : {}),
      ...(this.#certificate
        ? { tls: { fingerprint: this.#certificate.fingerprint, selfSigned: this.#certificate.selfSigned } }
        : {}),
    };
  }

  /** The open clients as the chain sees them (for broadcasts and streams). */
  openClients(): MockClient[] {
    return [...this.#clients.values()].filter((c) => c.socket.readyState === WebSocket.OPEN);
  }

  clients(): ServerClientInfo[] {
    return [...this.#clients.values()].map((c) => ({ ...c.info, readyState: c.socket.readyState }));
  }

  client(clientId: string): MockClient {
    const c = this.#clients.get(clientId);
    if (!c) {
      throw new DuplexError(
        ErrorCodes.NOT_FOUND,
        `Server ${this.id} has no client "${clientId}"; it may have disconnected. List the clients again.`,
      );
    }
    return c;
  }

  /** Starts listening. A port in use rejects with PORT_IN_USE. */
  async start(): Promise<ServerInfo> {
    if (this.#running) return this.info();
    const answerHttp = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end(`Duplex mock server: connect with a WebSocket client to ${this.url}\n`);
    };
    if (this.#options.tls) this.#certificate = await loadServerCertificate(this.#options.tls, this.host);
    const http: Server = this.#certificate
      ? createTlsServer({ cert: this.#certificate.cert, key: this.#certificate.key }, answerHttp)
      : createServer(answerHttp);
    const wss = new WebSocketServer({
      ...MOCK_SERVER_WS_OPTIONS,
      perMessageDeflate: this.#options.perMessageDeflate ?? false,
      handleProtocols: (offered, req) =>
        this.#chosenProtocol.has(req)
          ? (this.#chosenProtocol.get(req) ?? false)
          : this.#chooseProtocol(offered),
    });
    http.on('upgrade', (req, socket, head) => this.#onUpgrade(wss, req, socket, head));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        http.close();
        reject(listenError(err, this.host, this.#options.port ?? 0));
      };
      http.once('error', onError);
      http.listen(this.#options.port ?? 0, this.host, () => {
        http.off('error', onError);
        resolve();
      });
    });
    const address = http.address();
    this.#port = typeof address === 'object' && address ? address.port : 0;
    this.#http = http;
    this.#wss = wss;
    this.#running = true;
    for (const b of this.#behaviours) b.attach?.(this);
    this.log.append('none', 'info', undefined, { note: `listening on ${this.url}` });
    this.emit('listening');
    return this.info();
  }

  /** Closes every client with 1001 (going away) and stops listening. */
  async stop(): Promise<ServerInfo> {
    if (!this.#running) return this.info();
    this.#running = false;
    for (const b of this.#behaviours) b.detach?.();
    const closing = [...this.#clients.values()].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.socket.readyState === WebSocket.CLOSED) return resolve();
          c.socket.once('close', () => resolve());
          c.socket.close(1001, 'server stopping');
          setTimeout(() => {
            c.socket.terminate();
            resolve();
          }, 2000).unref();
        }),
    );
    await Promise.all(closing);
    await new Promise<void>((resolve) => {
      this.#wss?.close();
      this.#http?.close(() => resolve());
      this.#http?.closeAllConnections();
    });
    this.log.append('none', 'info', undefined, { note: 'server stopped' });
    this.emit('stopped');
    return this.info();
  }

  send(clientId: string, payload: Payload): LogEntry {
    return this.#sendTo(this.client(clientId), payload);
  }

  /** Sends to every open client; returns how many got it. */
  broadcast(payload: Payload): number {
    let sent = 0;
    for (const c of this.#clients.values()) {
      if (c.socket.readyState !== WebSocket.OPEN) continue;
      this.#sendTo(c, payload);
      sent++;
    }
    return sent;
  }

  /** Closes one client with any code valid on the wire (1000–1003, 1007–1014, 3000–4999). */
  closeClient(clientId: string, code = 1000, reason = ''): void {
    const c = this.client(clientId);
    const bad = checkCloseArgs(code, reason, 'wire');
    if (bad) throw bad;
    this.log.append('out', 'close', reason ? utf8Encode(reason) : undefined, {
      clientId,
      code,
      reason,
    });
    c.socket.close(code, reason);
  }

  terminateClient(clientId: string): void {
    const c = this.client(clientId);
    this.log.append('none', 'info', undefined, { clientId, note: 'terminated without closing handshake' });
    c.socket.terminate();
  }

  /**
   * A behaviour's send: text or bytes, in one frame or `fragments` frames, logged as one
   * message with the rule that sent it. Returns the seq, or undefined when the client is gone.
   */
  deliver(
    c: MockClient,
    kind: 'text' | 'binary',
    bytes: Uint8Array,
    options: DeliverOptions = {},
  ): number | undefined {
    if (c.socket.readyState !== WebSocket.OPEN) return undefined;
    const binary = kind === 'binary';
    const fragments = options.fragments ?? 1;
    if (fragments <= 1) c.socket.send(bytes, { binary });
    else {
      const parts = splitIntoFragments({ kind: 'binary', bytes }, fragments);
      parts.forEach((part, i) => c.socket.send(part, { binary, fin: i === parts.length - 1 }));
    }
    const extra: AppendExtra = { clientId: c.info.clientId };
    if (options.rule !== undefined) extra.rule = options.rule;
    if (fragments > 1) extra.note = `sent in ${Math.min(fragments, Math.max(1, bytes.length))} frames`;
    return this.log.appendFrame('out', kind, bytes, extra);
  }

  /**
   * Sends `bytes`, the payload of the logged entry `ofSeq`, to a client, logged without
   * storing the bytes again (a broadcast's, an echo's); copied when that entry is gone.
   */
  deliverRepeat(
    c: MockClient,
    kind: 'text' | 'binary',
    bytes: Uint8Array,
    ofSeq: number,
    rule?: string,
  ): void {
    if (c.socket.readyState !== WebSocket.OPEN) return;
    c.socket.send(bytes, { binary: kind === 'binary' });
    const extra: AppendExtra = { clientId: c.info.clientId };
    if (rule !== undefined) extra.rule = rule;
    if (ofSeq >= this.log.firstSeq) this.log.appendRepeat('out', kind, ofSeq, extra);
    else this.log.appendFrame('out', kind, bytes, extra);
  }

  /** A note in the server's log (a rule that failed, a mock file that reloaded). */
  note(note: string, clientId?: string, kind: 'info' | 'error' = 'info'): void {
    this.log.append('none', kind, undefined, clientId === undefined ? { note } : { clientId, note });
  }

  #readsMessages(): boolean {
    return this.#behaviours.some((b) => b.message !== undefined && b.readsMessage !== false);
  }

  #sendTo(c: MockClient, payload: Payload): LogEntry {
    if (c.socket.readyState !== WebSocket.OPEN) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `Client ${c.info.clientId} is not open (readyState ${c.socket.readyState}); it cannot receive messages.`,
      );
    }
    let bytes: Uint8Array;
    if (payload.type === 'text') {
      const bad = checkWellFormed(payload.text);
      if (bad) throw bad;
      bytes = utf8Encode(payload.text);
    } else bytes = payload.data;
    c.socket.send(bytes, { binary: payload.type === 'binary' });
    return this.log.append('out', payload.type, bytes, { clientId: c.info.clientId });
  }

  #chooseProtocol(offered: Set<string>): string | false {
    if (this.protocols.length === 0) return offered.values().next().value ?? false;
    for (const p of this.protocols) if (offered.has(p)) return p;
    return false;
  }

  #onUpgrade(wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const offeredList = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    let decision: UpgradeDecision | undefined;
    for (const b of this.#behaviours) {
      decision = b.upgrade?.(req, path, offeredList);
      if (decision) break;
    }
    if (decision) {
      if (!decision.accept) {
        this.log.append('none', 'info', undefined, {
          note: `refused a handshake on ${path}: ${decision.status}${decision.body ? ` ${decision.body}` : ''}`,
        });
        return rejectUpgrade(socket, decision.status, decision.body, decision.headers);
      }
      this.#chosenProtocol.set(req, decision.protocol);
      return wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
    }
    if (this.path !== '/' && path !== this.path) {
      return rejectUpgrade(socket, 404, `No WebSocket endpoint at ${path}; this mock serves ${this.path}.`);
    }
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (this.protocols.length > 0 && !this.protocols.some((p) => offered.includes(p))) {
      return rejectUpgrade(
        socket,
        400,
        `This mock accepts subprotocols ${this.protocols.join(', ')}; the client offered ${offered.join(', ') || 'none'}.`,
      );
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws, req));
  }

  #onConnection(ws: WebSocket, req: IncomingMessage): void {
    const clientId = String(this.#nextClient++);
    const client: MockClient = {
      socket: ws,
      answerPings: true,
      info: {
        clientId,
        remoteAddress: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort ?? 0,
        path: req.url ?? '/',
        headers: { ...req.headers } as Record<string, string | string[]>,
        protocol: ws.protocol,
        connectedAt: Date.now(),
        readyState: 1,
      },
    };
    this.#clients.set(clientId, client);
    // An open is an event, as in a client's log (the peer sent no frame).
    this.log.append('none', 'open', undefined, {
      clientId,
      note: `open, client ${clientId} from ${client.info.remoteAddress}:${client.info.remotePort}${ws.protocol ? `, protocol ${ws.protocol}` : ''}`,
    });
    const tag = { clientId };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // The per-frame path: a message view only for a behaviour that reads it, an entry
      // object only for listeners.
      const kind = isBinary ? 'binary' : 'text';
      const view: MessageView | undefined = this.#needsView ? messageView(data, kind) : undefined;
      let answer: Answer | undefined;
      for (const b of this.#behaviours) {
        answer = b.message?.(client, view ?? LAZY_VIEW);
        if (answer) break;
      }
      const rule = answer?.rule;
      const seq = this.log.appendFrame('in', kind, data, rule === undefined ? tag : { clientId, rule });
      if (answer?.echo) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(data, { binary: isBinary });
          // The echo's bytes are the received ones: logged once for both directions.
          this.log.appendRepeat('out', kind, seq, tag);
        }
      } else answer?.run?.(seq);
      if (this.#listened.message) this.emit('message', client, this.log.get(seq)!);
    });
    ws.on('ping', (data: Buffer) => {
      this.log.append('in', 'ping', data, { clientId });
      if (!client.answerPings) return;
      if (ws.readyState === WebSocket.OPEN) ws.pong(data);
      this.log.append('out', 'pong', data, { clientId, note: 'automatic reply' });
    });
    ws.on('pong', (data: Buffer) => this.log.append('in', 'pong', data, { clientId }));
    ws.on('error', (err: Error) =>
      this.log.append('none', 'error', undefined, { clientId, note: err.message }),
    );
    ws.on('close', (code: number, reason: Buffer) => {
      const text = reason.toString('utf8');
      // 1006: no close frame came; the server noticed the connection end, the client sent nothing.
      this.log.append(code === 1006 ? 'none' : 'in', 'close', reason.length ? reason : undefined, {
        clientId,
        code,
        reason: text,
        note: `client ${clientId} disconnected`,
      });
      this.#clients.delete(clientId);
      for (const b of this.#behaviours) b.close?.(client);
      this.emit('clients');
    });
    this.emit('clients');
    for (const b of this.#behaviours) b.open?.(client);
  }
}

/** What echo and manual get: they never read the message, so none is made for them. */
const LAZY_VIEW = messageView(new Uint8Array(0), 'binary');

function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const text = STATUS_CODES[status] ?? 'Error';
  const extra = Object.entries(headers)
    .filter(([name, value]) => !/[\r\n]/.test(name + value))
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n${extra}Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): DuplexError {
  if (err.code === 'EADDRINUSE') {
    return new DuplexError(
      ErrorCodes.PORT_IN_USE,
      `Port ${port} on ${host} is already in use; stop the program that holds it or choose another port (port 0 picks a free one).`,
      { host, port },
    );
  }
  if (err.code === 'EACCES') {
    return new DuplexError(
      ErrorCodes.LISTEN_FAILED,
      `Not allowed to listen on port ${port} of ${host}; ports below 1024 need privileges — choose a higher port.`,
      { host, port },
    );
  }
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new DuplexError(
      ErrorCodes.LISTEN_FAILED,
      `Cannot listen on ${host}: this machine has no such address. Use 127.0.0.1 (local only) or 0.0.0.0 (all interfaces).`,
      { host, port },
    );
  }
  return new DuplexError(ErrorCodes.LISTEN_FAILED, `Cannot listen on ${host}:${port}: ${err.message}`, {
    host,
    port,
  });
}
