/**
 * One client connection over `ws`, with the browser WebSocket API's states and
 * rules, plus what a workbench needs beyond the browser: headers, origin, TLS
 * options, the handshake response, ping/pong, heartbeat and auto-reconnect.
 * Every frame and event is appended to the connection's MessageLog.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ClientRequest } from 'node:http';
import WebSocket from 'ws';
import type {
  ConnectOptions,
  ConnectionInfo,
  HandshakeInfo,
  HandshakeRequest,
  Payload,
} from '../contract.js';
import { DuplexError, ErrorCodes, toErrorInfo, type ErrorInfo } from '../errors.js';
import { listenerFlags } from '../log/listener-flags.js';
import { MessageLog, type LogEntry, type AppendExtra } from '../log/message-log.js';
import { utf8Encode } from '../payload/codecs.js';
import { protocolFailure } from './protocol-errors.js';
import {
  ReadyState,
  checkCloseArgs,
  checkWellFormed,
  parseWebSocketUrl,
  NO_STATUS_CODE,
  type CloseCodeRule,
  READY_STATE_NAMES,
} from '../websocket-rules.js';

const DEFAULT_HANDSHAKE_TIMEOUT = 10_000;
const MAX_BODY = 64 * 1024;
/** Largest message accepted; a larger one fails the connection with 1009 as soon as its header arrives. */
export const MAX_MESSAGE_BYTES = 100 * 1024 * 1024;

/**
 * The options of `ws` that decide what a received frame becomes, set here
 * rather than left to its defaults, so that a new version of ws cannot change
 * them unseen (client-connection-options.test.ts holds them).
 */
/** Automatic pongs that may wait to be written before ws gives up on the peer (RECEIVE_OPTIONS). */
export const MAX_PENDING_PONGS = 4096;
/** The note of a close caused by ws's ping-flood guard. */
export const PING_FLOOD_NOTE = `closed by Duplex: the server sent pings faster than they could be answered (over ${MAX_PENDING_PONGS} pongs waiting to be written)`;

export const RECEIVE_OPTIONS = {
  maxPayload: MAX_MESSAGE_BYTES,
  /** Text and close reasons that are not UTF-8 fail the connection (1007), as in browsers. */
  skipUTF8Validation: false,
  /** Every message of one socket read is delivered in the same task: the log emits once for them. */
  allowSynchronousEvents: true,
  /** ws answers pings itself; the 'ping' handler logs the reply. */
  autoPong: true,
  /**
   * ws cuts the connection (1006) when this many of its automatic pongs wait to be written: its
   * guard against ping floods. ws's own 60 trips on a busy server that pings between messages
   * (hundreds of pings in one socket read); the close is named in the log (PING_FLOOD_NOTE).
   */
  maxPendingAutoPongs: MAX_PENDING_PONGS,
  /** A message in more fragments, or more chunks waiting for the rest of a frame, fails with 1008. */
  maxFragments: 16 * 1024,
  maxBufferedChunks: 256 * 1024,
  // maxPendingAutoPongs is in ws's constructor options (ws 8.23, the oldest version package.json allows); @types/ws lags.
} as const satisfies WebSocket.ClientOptions & { maxPendingAutoPongs: number };

/** The options a connection hands to `new WebSocket(url, protocols, options)`. */
export function wsClientOptions(o: ConnectOptions): WebSocket.ClientOptions {
  const options: WebSocket.ClientOptions = {
    ...RECEIVE_OPTIONS,
    headers: { ...o.headers },
    handshakeTimeout: o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT,
    perMessageDeflate: o.perMessageDeflate ?? true,
    followRedirects: false,
    rejectUnauthorized: !(o.tls?.insecure ?? false),
  };
  if (o.origin) options.origin = o.origin;
  if (o.tls?.ca) options.ca = o.tls.ca;
  if (o.tls?.cert !== undefined) options.cert = o.tls.cert;
  if (o.tls?.key !== undefined) options.key = o.tls.key;
  if (o.tls?.pfx !== undefined) options.pfx = Buffer.from(o.tls.pfx, 'base64');
  if (o.tls?.passphrase !== undefined) options.passphrase = o.tls.passphrase;
  return options;
}

/** How often a draining send buffer reports its bufferedAmount (ws has no drain event of its own). */
const BUFFERED_AMOUNT_POLL_MS = 50;

/** The upgrade request as sent: ws's ClientRequest, with the header names in the case they went out. */
export function describeRequest(req: ClientRequest, url: string): HandshakeRequest {
  const headers: Record<string, string | string[]> = {};
  for (const name of req.getRawHeaderNames()) {
    const value = req.getHeader(name);
    if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
  }
  const offered = req.getHeader('sec-websocket-protocol');
  const protocols =
    offered === undefined
      ? []
      : String(offered)
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
  const request: HandshakeRequest = { method: req.method, url, headers, protocols };
  const origin = req.getHeader('origin');
  if (origin !== undefined) request.origin = String(origin);
  return request;
}

export interface CloseEventInfo {
  code: number;
  reason: string;
  wasClean: boolean;
}

interface ClientConnectionEvents {
  open: [];
  message: [LogEntry];
  error: [ErrorInfo];
  close: [CloseEventInfo];
  /** Any change of readyState, bufferedAmount or handshake details. */
  state: [];
  /** A reconnect attempt was scheduled. */
  reconnecting: [{ attempt: number; delayMs: number }];
}

/**
 * Fresh options for each reconnect (the engine re-resolves `{{name}}` with the
 * environment as it is then). A throw fails that attempt like a refused
 * handshake: it is logged, and auto-reconnect tries again while attempts remain.
 */
export type RefreshOptions = () => Promise<ConnectOptions>;

export class ClientConnection extends EventEmitter<ClientConnectionEvents> {
  readonly id: string;
  readonly log: MessageLog;
  #url: string;
  #options: ConnectOptions;
  readonly #refresh: RefreshOptions | undefined;
  /** A RefreshOptions call is under way (readyState CONNECTING, no socket yet). */
  #refreshing = false;

  #ws: WebSocket | undefined;
  #readyState: ReadyState = ReadyState.CONNECTING;
  #handshake: HandshakeInfo | undefined;
  #request: HandshakeRequest | undefined;
  #failure: ErrorInfo | undefined;
  #closeInfo: CloseEventInfo | undefined;
  #userClosed = false;
  /** ws cut the connection for a ping flood (see the ping handler); named in the close entry. */
  #pingFlood = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #awaitingPongSince = 0;
  #drainTimer: NodeJS.Timeout | undefined;
  #reportedBufferedAmount = 0;
  readonly #listened = listenerFlags(this, ['message']);

  /**
   * Validates the options (a malformed URL throws a SYNTAX DuplexError at once,
   * before any socket exists). Call connect() to start.
   */
  constructor(id: string, options: ConnectOptions, refresh?: RefreshOptions) {
    super();
    this.id = id;
    this.#options = options;
    this.#url = parseWebSocketUrl(options.url).href;
    this.#refresh = refresh;
    this.log = new MessageLog({ budgetBytes: options.logBudgetBytes });
  }

  /** The URL of the current (or last) attempt. */
  get url(): string {
    return this.#url;
  }
  /** The options of the current (or last) attempt. */
  get options(): ConnectOptions {
    return this.#options;
  }

  get readyState(): ReadyState {
    return this.#readyState;
  }
  get protocol(): string {
    return this.#ws?.protocol ?? '';
  }
  get extensions(): string {
    return this.#ws?.extensions ?? '';
  }
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }
  get handshake(): HandshakeInfo | undefined {
    return this.#handshake;
  }

  info(): ConnectionInfo {
    const info: ConnectionInfo = {
      connectionId: this.id,
      url: this.url,
      readyState: this.#readyState,
      protocol: this.protocol,
      extensions: this.extensions,
      bufferedAmount: this.bufferedAmount,
      attempt: this.#attempt,
    };
    if (this.#request) info.request = this.#request;
    if (this.#handshake) info.handshake = this.#handshake;
    if (this.#closeInfo) {
      info.closeCode = this.#closeInfo.code;
      info.closeReason = this.#closeInfo.reason;
      info.wasClean = this.#closeInfo.wasClean;
    }
    if (this.#failure) info.error = this.#failure;
    return info;
  }

  connect(): this {
    this.#open();
    return this;
  }

  /**
   * Connects again after the connection has CLOSED: same id, same MessageLog (the
   * history stays and continues), the attempt counter back at 0; the options are
   * the same, or what RefreshOptions gives now.
   * Throws INVALID_STATE while CONNECTING, OPEN or CLOSING.
   */
  reconnect(): this {
    if (this.#readyState !== ReadyState.CLOSED) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `Cannot reconnect: the connection is ${READY_STATE_NAMES[this.#readyState]}, not CLOSED. Disconnect first, or wait for the close.`,
      );
    }
    this.#userClosed = false;
    this.#attempt = 0;
    this.log.append('none', 'info', undefined, { note: 'reconnecting' });
    this.#reopen();
    return this;
  }

  /** Sends text or binary. Throws INVALID_STATE unless OPEN, SYNTAX on an unpaired surrogate. */
  /** `extra.note` says how the message was made (the template it was resolved from). */
  send(payload: Payload, extra?: AppendExtra): LogEntry {
    let bytes: Uint8Array;
    if (payload.type === 'text') {
      const bad = checkWellFormed(payload.text);
      if (bad) throw bad;
      bytes = utf8Encode(payload.text);
    } else {
      bytes = payload.data;
    }
    const ws = this.#requireOpen('send');
    ws.send(bytes, { binary: payload.type === 'binary' });
    const entry = this.log.append('out', payload.type, bytes, extra);
    this.emit('state');
    this.#watchDrain();
    return entry;
  }

  /** Sends a ping frame (payload at most 125 bytes). */
  ping(payload?: Payload): LogEntry {
    const bytes = payload
      ? payload.type === 'text'
        ? utf8Encode(payload.text)
        : payload.data
      : new Uint8Array(0);
    if (bytes.byteLength > 125) {
      throw new DuplexError(
        ErrorCodes.SYNTAX,
        `A ping payload is at most 125 bytes; this one is ${bytes.byteLength}. Shorten it.`,
      );
    }
    const ws = this.#requireOpen('ping');
    ws.ping(bytes);
    return this.log.append('out', 'ping', bytes);
  }

  /**
   * Closes like the browser: code 1000 or 3000–4999 (else INVALID_ACCESS) —
   * any code valid on the wire under the `wire` rule — and reason ≤ 123 UTF-8
   * bytes (else SYNTAX). Closing while CONNECTING fails the connection. Turns
   * auto-reconnect off.
   */
  close(code?: number, reason?: string, rule: CloseCodeRule = 'browser'): void {
    const bad = checkCloseArgs(code, reason, rule);
    if (bad) throw bad;
    // As in the browser: a reason without a code is sent with 1000, since a close frame cannot carry one alone.
    if (code === undefined && reason !== undefined) code = 1000;
    this.#userClosed = true;
    this.#stopTimers();
    // Waiting for a reconnect attempt (readyState CONNECTING, old socket closed): stop here.
    if (this.#reconnectTimer || this.#refreshing) return this.#finish();
    if (this.#readyState === ReadyState.CLOSING || this.#readyState === ReadyState.CLOSED) return;
    const ws = this.#ws;
    if (!ws) return;
    this.log.append('out', 'close', reason ? utf8Encode(reason) : undefined, {
      code: code ?? NO_STATUS_CODE,
      reason: reason ?? '',
      note: code === undefined ? 'close without status code' : undefined,
    });
    this.#setState(ReadyState.CLOSING);
    ws.close(code, reason);
  }

  /** Drops the TCP connection without a closing handshake. */
  terminate(): void {
    this.#userClosed = true;
    this.#stopTimers();
    if (this.#reconnectTimer || this.#refreshing) return this.#finish();
    this.#ws?.terminate();
  }

  /** While bytes wait in the send buffer, reports bufferedAmount as it changes, down to 0. */
  #watchDrain(): void {
    this.#reportedBufferedAmount = this.bufferedAmount;
    if (this.#drainTimer || this.#reportedBufferedAmount === 0) return;
    this.#drainTimer = setInterval(() => {
      const now = this.bufferedAmount;
      if (now !== this.#reportedBufferedAmount) {
        this.#reportedBufferedAmount = now;
        this.emit('state');
      }
      if (now === 0 || this.#readyState === ReadyState.CLOSED) this.#stopDrainWatch();
    }, BUFFERED_AMOUNT_POLL_MS);
    this.#drainTimer.unref?.();
  }

  #stopDrainWatch(): void {
    if (this.#drainTimer) clearInterval(this.#drainTimer);
    this.#drainTimer = undefined;
  }

  /** Opens again, with fresh options first when there is a RefreshOptions. */
  #reopen(): void {
    const refresh = this.#refresh;
    if (!refresh) return this.#open();
    this.#refreshing = true;
    this.#setState(ReadyState.CONNECTING);
    const settle = (apply: () => void): void => {
      this.#refreshing = false;
      if (this.#userClosed) return; // closed while refreshing: close() finished it
      apply();
    };
    refresh().then(
      (options) =>
        settle(() => {
          let url: string;
          try {
            url = parseWebSocketUrl(options.url).href;
          } catch (err) {
            return this.#failAttempt(toErrorInfo(err));
          }
          this.#options = options;
          this.#url = url;
          this.#open();
        }),
      (err: unknown) => settle(() => this.#failAttempt(toErrorInfo(err))),
    );
  }

  /** An attempt that failed before any socket: logged, then closed as 1006 (auto-reconnect may retry). */
  #failAttempt(info: ErrorInfo): void {
    this.#request = undefined;
    this.#handshake = undefined;
    this.#closeInfo = undefined;
    this.#fail(info);
    this.#onClose(1006, '');
  }

  #open(): void {
    const o = this.options;
    const wsOptions = wsClientOptions(o);
    // ws hands over the request before it is sent: what it holds then is what goes on the wire.
    wsOptions.finishRequest = (req) => {
      this.#request = describeRequest(req, this.url);
      req.end();
    };
    this.#request = undefined;
    this.#handshake = undefined;
    this.#failure = undefined;
    this.#closeInfo = undefined;
    this.#setState(ReadyState.CONNECTING);
    this.log.append('none', 'info', undefined, {
      note:
        this.#attempt === 0
          ? `connecting to ${this.url}`
          : `reconnecting to ${this.url} (attempt ${this.#attempt})`,
    });

    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url, o.protocols ?? [], wsOptions);
    } catch (err) {
      // ws throws synchronously on e.g. an invalid subprotocol list.
      this.#fail({ code: ErrorCodes.SYNTAX, message: (err as Error).message });
      this.#onClose(1006, '');
      return;
    }
    ws.binaryType = 'nodebuffer';
    this.#ws = ws;

    ws.on('upgrade', (res: IncomingMessage) => {
      this.#handshake = { status: res.statusCode ?? 101, headers: { ...res.headers } as never };
    });
    ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) =>
      this.#onRejected(ws, req, res),
    );
    ws.on('open', () => {
      // maxAttempts and the backoff count consecutive failures: a successful open starts over.
      this.#attempt = 0;
      this.#setState(ReadyState.OPEN);
      this.log.append('none', 'open', undefined, {
        note: `open${ws.protocol ? `, protocol ${ws.protocol}` : ''}${ws.extensions ? `, extensions ${ws.extensions}` : ''}`,
      });
      this.#startHeartbeat();
      this.emit('open');
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      // The per-frame path: an entry object is made only for 'message' listeners.
      // ws hands the payload over; the log keeps it or copies it (appendFrame).
      const seq = this.log.appendFrame('in', isBinary ? 'binary' : 'text', data);
      if (this.#listened.message) this.emit('message', this.log.get(seq)!);
    });
    ws.on('ping', (data: Buffer) => {
      // ws emits the ping after its flood guard has terminated the socket (readyState CLOSING).
      if (ws.readyState !== WebSocket.OPEN && !this.#userClosed) this.#pingFlood = true;
      this.log.append('in', 'ping', data);
      // ws answers pings itself (autoPong); the reply is logged so the log is complete.
      this.log.append('out', 'pong', data, { note: 'automatic reply' });
    });
    ws.on('pong', (data: Buffer) => {
      this.#awaitingPongSince = 0;
      this.log.append('in', 'pong', data);
    });
    ws.on('error', (err: Error & { code?: string }) => this.#onError(err));
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.#ws === ws) this.#onClose(code, reason.toString('utf8'));
    });
  }

  #onRejected(ws: WebSocket, req: ClientRequest, res: IncomingMessage): void {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = res.statusCode ?? 0;
      this.#handshake = { status, headers: { ...res.headers } as never, body };
      this.#fail(
        {
          code: ErrorCodes.HANDSHAKE_REJECTED,
          message:
            `The server answered the upgrade with HTTP ${status} ${res.statusMessage ?? ''}`.trim() +
            (body ? `: ${body.slice(0, 200)}` : '') +
            hintForStatus(status),
          details: { status, headers: res.headers, body },
        },
        ws,
      );
      req.destroy();
      ws.terminate();
    };
    res.on('data', (chunk: Buffer) => {
      if (size < MAX_BODY) chunks.push(chunk.subarray(0, MAX_BODY - size));
      size += chunk.length;
    });
    res.on('end', done);
    res.on('error', done);
  }

  #onError(err: Error & { code?: string }): void {
    if (this.#failure) return; // already reported (e.g. a rejected handshake)
    this.#fail(this.#describeError(err));
  }

  #describeError(err: Error & { code?: string }): ErrorInfo {
    if (/handshake has timed out/i.test(err.message)) {
      return {
        code: ErrorCodes.HANDSHAKE_TIMEOUT,
        message: `The server did not complete the WebSocket handshake within ${this.options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT} ms; check the URL and that a WebSocket server runs there, or raise the handshake timeout.`,
      };
    }
    // A protocol error comes as soon as ws sees it; ws then fails the connection with details.closeCode.
    const protocol = protocolFailure(err);
    if (protocol) return protocol;
    if (this.#readyState === ReadyState.CONNECTING) return connectFailure(this.url, err);
    return { code: ErrorCodes.CONNECTION_FAILED, message: err.message };
  }

  #fail(info: ErrorInfo, ws?: WebSocket): void {
    if (ws && ws !== this.#ws) return;
    this.#failure = info;
    this.log.append('none', 'error', undefined, { note: `${info.code}: ${info.message}` });
    this.emit('error', info);
  }

  #onClose(code: number, reason: string): void {
    this.#stopTimers();
    this.#stopDrainWatch();
    const wasClean = code !== 1006 && !this.#failure;
    this.#closeInfo = { code, reason, wasClean };
    // 1006 is detected here (no close frame came): an event of Duplex, not something the peer sent.
    this.log.append(code === 1006 ? 'none' : 'in', 'close', reason ? utf8Encode(reason) : undefined, {
      code,
      reason,
      note: wasClean ? 'closed cleanly' : this.#pingFlood ? PING_FLOOD_NOTE : 'closed abnormally',
    });
    this.#pingFlood = false;
    const r = this.options.reconnect;
    if (!this.#userClosed && r && this.#attempt < r.maxAttempts) {
      this.#attempt++;
      const base = r.initialDelayMs ?? 500;
      const delayMs = Math.min(r.maxDelayMs ?? 30_000, base * 2 ** (this.#attempt - 1));
      this.log.append('none', 'info', undefined, {
        note: `reconnect attempt ${this.#attempt}/${r.maxAttempts} in ${delayMs} ms`,
      });
      this.#setState(ReadyState.CONNECTING);
      this.emit('reconnecting', { attempt: this.#attempt, delayMs });
      this.emit('close', this.#closeInfo);
      this.#reconnectTimer = setTimeout(() => {
        this.#reconnectTimer = undefined;
        this.#reopen();
      }, delayMs);
      return;
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#reconnectTimer) {
      clearTimeout(this.#reconnectTimer);
      this.#reconnectTimer = undefined;
    }
    const wasClosed = this.#readyState === ReadyState.CLOSED;
    this.#setState(ReadyState.CLOSED);
    if (!wasClosed) this.emit('close', this.#closeInfo ?? { code: 1006, reason: '', wasClean: false });
  }

  #startHeartbeat(): void {
    const hb = this.options.heartbeat;
    if (!hb) return;
    const timeout = hb.timeoutMs ?? hb.intervalMs;
    this.#awaitingPongSince = 0;
    this.#heartbeatTimer = setInterval(() => {
      const ws = this.#ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      if (this.#awaitingPongSince && Date.now() - this.#awaitingPongSince >= timeout) {
        this.#fail({
          code: ErrorCodes.HEARTBEAT_TIMEOUT,
          message: `No pong within ${timeout} ms of a heartbeat ping; the connection was dropped.`,
        });
        ws.terminate();
        return;
      }
      if (!this.#awaitingPongSince) this.#awaitingPongSince = Date.now();
      ws.ping();
      this.log.append('out', 'ping', undefined, { note: 'heartbeat' });
    }, hb.intervalMs);
    this.#heartbeatTimer.unref?.();
  }

  #stopTimers(): void {
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = undefined;
  }

  #requireOpen(what: string): WebSocket {
    const ws = this.#ws;
    if (!ws || this.#readyState !== ReadyState.OPEN) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `Cannot ${what}: the connection is ${READY_STATE_NAMES[this.#readyState]}, not OPEN.${this.#readyState === ReadyState.CONNECTING ? ' Wait for the open event.' : ' Connect again first.'}`,
      );
    }
    return ws;
  }

  #setState(state: ReadyState): void {
    this.#readyState = state;
    this.emit('state');
  }
}

function hintForStatus(status: number): string {
  if (status === 401 || status === 403)
    return ' — the server wants credentials: add an Authorization or Cookie header.';
  if (status === 404) return ' — check the path of the URL.';
  if (status >= 300 && status < 400) return ' — the server redirects; connect to the Location URL.';
  if (status === 426) return ' — the server wants a different protocol version.';
  return '';
}

/** A failure before the connection opened, with what it means and the fix where that is known. */
function connectFailure(url: string, err: Error & { code?: string }): ErrorInfo {
  const details: Record<string, unknown> | undefined = err.code ? { syscall: err.code } : undefined;
  if (url.startsWith('wss:') && isNotTls(err)) {
    return {
      code: ErrorCodes.CONNECTION_FAILED,
      message: `Could not connect to ${url}: the server does not speak TLS (it answered the TLS handshake with plain data). Use ws:// instead of wss:// for this server, or check the port.`,
      details: { ...details, tlsError: err.message },
    };
  }
  const credentials = clientCertificateProblem(err);
  if (url.startsWith('wss:') && credentials) {
    return {
      code: ErrorCodes.CONNECTION_FAILED,
      message: `Could not connect to ${url}: ${credentials}`,
      details: { ...details, tlsError: err.message },
    };
  }
  const hint =
    url.startsWith('ws:') && err.code === 'ECONNRESET'
      ? ' — the server closed the connection without an HTTP answer; if it serves TLS (https), use wss:// instead of ws://.'
      : hintForSocketError(err.code);
  return {
    code: ErrorCodes.CONNECTION_FAILED,
    message: `Could not connect to ${url}: ${err.message}${hint}`,
    details,
  };
}

/** What a TLS failure about the client's own certificate means, in words; undefined for other failures. */
function clientCertificateProblem(err: Error): string | undefined {
  const m = err.message;
  if (/mac verify failure|bad decrypt|bad password|unable to load (private key|pkcs12)/i.test(m))
    return 'the client certificate could not be unlocked: check the passphrase of the PFX or the private key.';
  if (/key values mismatch/i.test(m))
    return 'the private key does not belong to the client certificate; give the key the certificate was made with.';
  if (/alert certificate required/i.test(m))
    return 'the server requires a client certificate: add one (PEM certificate + key, or PFX) in the TLS options.';
  if (/alert (bad certificate|unknown ca|certificate unknown|unsupported certificate)/i.test(m))
    return 'the server did not accept the client certificate (it does not trust its issuer, or the certificate is not for client authentication).';
  return undefined;
}

/** OpenSSL's way of saying that the first bytes back were not a TLS record (e.g. "HTTP/1.1 400"). */
function isNotTls(err: Error & { code?: string }): boolean {
  return (
    (err.code === 'EPROTO' || err.code === 'ERR_SSL_WRONG_VERSION_NUMBER') &&
    /wrong version number|packet length too long|unknown protocol|record layer failure/i.test(err.message)
  );
}

function hintForSocketError(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return ' — nothing is listening there; start the server or check host and port.';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return ' — the host name does not resolve; check it.';
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return ' — the certificate is not trusted; add its CA, or allow self-signed certificates for this connection.';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return ' — the certificate is for another host name.';
    default:
      return '';
  }
}
