/**
 * Browser mode: one HTTP server on 127.0.0.1 that serves the built renderer
 * (out/renderer) and, at /bridge, a WebSocket speaking the contract — the
 * same commands and events as Electron IPC, bytes as binary frames (see
 * app/bridge-codec.ts). Access rules are in ./access.ts: loopback Host, own
 * Origin, per-run token; anything else gets 403 and nothing is done.
 *
 * The HTML page needs `?token=`; fetching it sets an HttpOnly SameSite=Strict
 * cookie so the page's scripts, styles and fonts load without the token in
 * their URLs. The bridge accepts the token from the query or the cookie.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import { commandNames } from '../api.js';
import { decodeBridgeMessage, encodeBridgeMessage, type BridgeMessage } from '../bridge-codec.js';
import type { Engine, EngineEvent } from '../engine.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import {
  isAllowedOrigin,
  isLoopbackHost,
  tokenCookie,
  tokenFromCookie,
  tokenFromQuery,
  tokenMatches,
} from './access.js';
import { securityHeaders } from './csp.js';
import { contentTypeOf, resolveStaticFile } from './static-files.js';

export interface BridgeServerOptions {
  engine: Engine;
  /** The built renderer (index.html and assets). */
  staticDir: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Per-run secret; random 32 bytes hex when omitted. */
  token?: string;
  /** Largest accepted bridge frame (default 80 MiB: a 64 MiB payload plus its header). */
  maxPayloadBytes?: number;
  /** Socket buffer above which log.appended events are skipped for a slow page (default 16 MiB). */
  maxBufferedBytes?: number;
}

const requestSchema = z.object({
  type: z.literal('request'),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  name: z.enum(commandNames),
  input: z.unknown(),
});

export const BRIDGE_PATH = '/bridge';

export class BridgeServer {
  readonly token: string;
  readonly #engine: Engine;
  readonly #staticDir: string;
  readonly #requestedPort: number;
  readonly #maxBuffered: number;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  #port = 0;

  constructor(options: BridgeServerOptions) {
    this.#engine = options.engine;
    this.#staticDir = options.staticDir;
    this.#requestedPort = options.port ?? 0;
    this.#maxBuffered = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.token = options.token ?? randomBytes(32).toString('hex');
    this.#http = createServer((req, res) => void this.#onRequest(req, res));
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes ?? 80 * 1024 * 1024,
    });
    this.#http.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#wss.on('connection', (ws) => this.#onBridge(ws));
  }

  get port(): number {
    return this.#port;
  }

  /** The address to open: `http://127.0.0.1:PORT/?token=TOKEN`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/?token=${this.token}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          err.code === 'EADDRINUSE'
            ? new DuplexError(
                ErrorCodes.PORT_IN_USE,
                `Port ${this.#requestedPort} on 127.0.0.1 is already in use; choose another with --port, or 0 for any free port.`,
              )
            : new DuplexError(ErrorCodes.LISTEN_FAILED, `Cannot listen on 127.0.0.1: ${err.message}.`),
        );
      };
      this.#http.once('error', onError);
      this.#http.listen(this.#requestedPort, '127.0.0.1', () => {
        this.#http.off('error', onError);
        resolve();
      });
    });
    this.#port = (this.#http.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  /** Host, Origin and token checks shared by pages and the bridge. */
  #allowed(req: IncomingMessage, url: URL, tokenPlaces: 'query' | 'query-or-cookie'): boolean {
    if (!isLoopbackHost(req.headers.host, this.#port)) return false;
    if (!isAllowedOrigin(req.headers.origin, this.#port)) return false;
    const presented =
      tokenFromQuery(url) ??
      (tokenPlaces === 'query-or-cookie' ? tokenFromCookie(req, this.#port) : undefined);
    return tokenMatches(presented, this.token);
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (!this.#allowed(req, url, isPage ? 'query' : 'query-or-cookie')) return forbidden(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, 'Only GET and HEAD are served here.', { Allow: 'GET, HEAD' });
    }
    if (url.pathname === BRIDGE_PATH) return plain(res, 426, 'The bridge is a WebSocket endpoint.');
    const file = await resolveStaticFile(this.#staticDir, url.pathname);
    if (!file) {
      return isPage
        ? plain(
            res,
            503,
            `The UI is not built: ${this.#staticDir}/index.html is missing. Run "npm run build".`,
          )
        : plain(res, 404, 'Not found.');
    }
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return plain(res, 404, 'Not found.');
    }
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypeOf(file),
      'Content-Length': body.length,
      'Cache-Control': isPage ? 'no-store' : 'no-cache',
      ...(isPage ? { 'Set-Cookie': tokenCookie(this.#port, this.token) } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== BRIDGE_PATH || !this.#allowed(req, url, 'query-or-cookie')) {
      const status = url.pathname !== BRIDGE_PATH ? '404 Not Found' : '403 Forbidden';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req));
  }

  #onBridge(ws: WebSocket): void {
    const send = (message: BridgeMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(encodeBridgeMessage(message));
    };
    const unsubscribe = this.#engine.subscribe((events: EngineEvent[]) => {
      // A page that cannot keep up skips log entries (it re-reads them with log.read), never state.
      const batch =
        ws.bufferedAmount > this.#maxBuffered ? events.filter((e) => e.name !== 'log.appended') : events;
      if (batch.length > 0) send({ type: 'events', events: batch });
    });
    ws.on('close', unsubscribe);
    ws.on('error', () => ws.terminate());
    ws.on('message', (data: RawData, isBinary: boolean) => {
      void this.#onBridgeMessage(data, isBinary).then((response) => {
        if (response) send(response);
        else ws.close(1008, 'malformed bridge message');
      });
    });
  }

  async #onBridgeMessage(data: RawData, isBinary: boolean): Promise<BridgeMessage | undefined> {
    let decoded: unknown;
    try {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      decoded = decodeBridgeMessage(isBinary ? bytes : bytes.toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = requestSchema.safeParse(decoded);
    if (!parsed.success) {
      const id = (decoded as { id?: unknown } | null)?.id;
      if (typeof id !== 'number') return undefined;
      const problem = parsed.error.issues[0];
      const error = new DuplexError(
        ErrorCodes.INVALID_INPUT,
        `Bridge request ${id} is malformed (${problem?.path.join('.') || 'message'}: ${problem?.message}); send {type:"request", id, name, input} with a contract command name.`,
      );
      return { type: 'response', id, result: { ok: false, error: error.toInfo() } };
    }
    const { id, name, input } = parsed.data;
    return { type: 'response', id, result: await this.#engine.invoke(name, input) };
  }
}

/** Starts a bridge server; resolves once it listens. */
export function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  return new BridgeServer(options).start();
}

function forbidden(res: ServerResponse): void {
  plain(res, 403, 'Forbidden: open the exact address that `duplex ui` printed (it carries the token).');
}

function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...securityHeaders,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(text + '\n');
}
