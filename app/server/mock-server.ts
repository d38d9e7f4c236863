/**
 * A local mock WebSocket server: listens on host/port (127.0.0.1 and a free
 * port by default), accepts clients on an optional path and subprotocol list,
 * echoes by default, and lets the user answer, broadcast, close and terminate
 * clients. Every frame of every client goes to the server's MessageLog, tagged
 * with the client id.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { Payload, ServerClientInfo, ServerInfo, ServerOptions } from '../contract.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import { listenerFlags } from '../log/listener-flags.js';
import { MessageLog, type LogEntry } from '../log/message-log.js';
import { utf8Encode } from '../payload/codecs.js';
import { checkCloseArgs, checkWellFormed } from '../websocket-rules.js';

export interface MockClient {
  readonly info: ServerClientInfo;
  readonly socket: WebSocket;
}

/** What a custom behaviour (replay, rules) sees for each incoming message. */
export type MessageHandler = (client: MockClient, entry: LogEntry, server: MockServer) => void;

interface MockServerEvents {
  listening: [];
  stopped: [];
  clients: [];
  message: [MockClient, LogEntry];
}

export class MockServer extends EventEmitter<MockServerEvents> {
  readonly id: string;
  readonly log: MessageLog;
  readonly host: string;
  readonly path: string;
  readonly protocols: string[];
  echo: boolean;
  /** Replaces the echo when set (used by session replay). */
  onClientMessage: MessageHandler | undefined;
  /** Called for each new client after it is registered. */
  onClientOpen: ((client: MockClient, server: MockServer) => void) | undefined;

  #options: ServerOptions;
  #http: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;
  #running = false;
  #clients = new Map<string, MockClient>();
  #nextClient = 1;
  readonly #listened = listenerFlags(this, ['message']);

  constructor(id: string, options: ServerOptions = {}) {
    super();
    this.id = id;
    this.#options = options;
    this.host = options.host ?? '127.0.0.1';
    this.path = options.path ?? '/';
    this.protocols = options.protocols ?? [];
    this.echo = options.echo ?? true;
    this.log = new MessageLog({ budgetBytes: options.logBudgetBytes });
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `ws://${host}:${this.#port}${this.path}`;
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
      echo: this.echo,
      running: this.#running,
      clientCount: this.#clients.size,
    };
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
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end(`Duplex mock server: connect with a WebSocket client to ${this.url}\n`);
    });
    const wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: this.#options.perMessageDeflate ?? false,
      handleProtocols: (offered) => this.#chooseProtocol(offered),
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
    this.log.append('none', 'info', undefined, { note: `listening on ${this.url}` });
    this.emit('listening');
    return this.info();
  }

  /** Closes every client with 1001 (going away) and stops listening. */
  async stop(): Promise<ServerInfo> {
    if (!this.#running) return this.info();
    this.#running = false;
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
      // The per-frame path: an entry object is made only for a handler or listeners.
      const kind = isBinary ? 'binary' : 'text';
      const seq = this.log.appendFrame('in', kind, data, tag);
      const listened = this.#listened.message;
      const entry = this.onClientMessage || listened ? this.log.get(seq) : undefined;
      if (this.onClientMessage) this.onClientMessage(client, entry!, this);
      else if (this.echo && ws.readyState === WebSocket.OPEN) {
        ws.send(data, { binary: isBinary });
        // The echo's bytes are the received ones: logged once for both directions.
        this.log.appendRepeat('out', kind, seq, tag);
      }
      if (listened) this.emit('message', client, entry!);
    });
    ws.on('ping', (data: Buffer) => {
      this.log.append('in', 'ping', data, { clientId });
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
      this.emit('clients');
    });
    this.emit('clients');
    this.onClientOpen?.(client, this);
  }
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const text = status === 404 ? 'Not Found' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
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
