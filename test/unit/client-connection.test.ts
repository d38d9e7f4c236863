/**
 * ClientConnection against real servers on port 0: ws servers, a plain HTTP
 * server that refuses the upgrade, a TCP server that never answers, and a TLS
 * server with a certificate generated for this run.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket, type ServerOptions } from 'ws';
import { ClientConnection, type CloseEventInfo } from '../../app/connections/client-connection.js';
import type { ConnectOptions } from '../../app/contract.js';
import { DuplexError, ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { until as waitUntil } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface TestServer {
  wss: WebSocketServer;
  port: number;
  url: string;
  /** Server-side sockets with the upgrade request that made them, in connection order. */
  peers: { ws: WebSocket; req: IncomingMessage }[];
}

async function wsServer(options: ServerOptions = {}): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  await once(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const peers: TestServer['peers'] = [];
  wss.on('connection', (ws, req) => peers.push({ ws, req }));
  cleanups.push(() => closeWss(wss));
  return { wss, port, url: `ws://127.0.0.1:${port}/`, peers };
}

function closeWss(wss: WebSocketServer): Promise<void> {
  for (const c of wss.clients) c.terminate();
  return new Promise((resolve) => wss.close(() => resolve()));
}

function open(options: ConnectOptions): ClientConnection {
  const conn = new ClientConnection('test', options);
  conn.on('error', () => undefined); // asserted where it matters; an unhandled 'error' would throw
  cleanups.push(() => conn.terminate());
  return conn.connect();
}

// node:events `once` rejects when 'error' is emitted; a connection's error is followed by close.
function nextError(conn: ClientConnection): Promise<ErrorInfo> {
  return new Promise((resolve) => conn.once('error', resolve));
}

function nextClose(conn: ClientConnection): Promise<CloseEventInfo> {
  return new Promise((resolve) => conn.once('close', resolve));
}

async function opened(options: ConnectOptions): Promise<ClientConnection> {
  const conn = open(options);
  await once(conn, 'open');
  return conn;
}

function thrown(fn: () => unknown): DuplexError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DuplexError);
    return err as DuplexError;
  }
  throw new Error('expected a DuplexError, nothing was thrown');
}

/** Waits for `check`, 3,000 ms unless told otherwise. */
const until = (check: () => boolean, timeoutMs = 3000): Promise<void> => waitUntil(check, timeoutMs);

async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function logNotes(conn: ClientConnection, kind: string): string[] {
  return conn.log
    .read(conn.log.firstSeq, 10_000)
    .filter((e) => e.kind === kind)
    .map((e) => e.note ?? '');
}

describe('ClientConnection: the browser WebSocket API', () => {
  it('goes CONNECTING 0 → OPEN 1 → CLOSING 2 → CLOSED 3 with open, message and close events', async () => {
    const srv = await wsServer();
    srv.wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
    const conn = new ClientConnection('c', { url: srv.url });
    const states: number[] = [];
    const events: string[] = [];
    conn.on('state', () => {
      if (states.at(-1) !== conn.readyState) states.push(conn.readyState);
    });
    conn.on('open', () => events.push('open'));
    conn.on('message', (e) => events.push(`message:${e.kind}`));
    conn.on('close', (e) => events.push(`close:${e.code}`));
    conn.on('error', () => events.push('error'));
    cleanups.push(() => conn.terminate());
    expect(conn.readyState).toBe(0);
    conn.connect();
    await once(conn, 'open');
    expect(conn.readyState).toBe(1);
    conn.send({ type: 'text', text: 'hi' });
    const [msg] = await once(conn, 'message');
    expect(msg.kind).toBe('text');
    expect(Buffer.from(msg.payload).toString()).toBe('hi');
    conn.close(1000, 'bye');
    expect(conn.readyState).toBe(2);
    const closed = await nextClose(conn);
    expect(closed).toEqual({ code: 1000, reason: 'bye', wasClean: true });
    expect(conn.readyState).toBe(3);
    expect(states).toEqual([0, 1, 2, 3]);
    expect(events).toEqual(['open', 'message:text', 'close:1000']);
    expect(conn.info()).toMatchObject({ readyState: 3, closeCode: 1000, closeReason: 'bye', wasClean: true });
  });

  it('emits error then close when the connection fails', async () => {
    const conn = new ClientConnection('c', { url: `ws://127.0.0.1:${await freePort()}/` });
    const events: string[] = [];
    conn.on('error', (e) => events.push(`error:${e.code}`));
    conn.on('close', (e) => events.push(`close:${e.code}`));
    const closed = nextClose(conn);
    conn.connect();
    await closed;
    expect(events).toEqual([`error:${ErrorCodes.CONNECTION_FAILED}`, 'close:1006']);
    expect(conn.readyState).toBe(3);
    expect(conn.info().wasClean).toBe(false);
  });

  it('reports the subprotocol the server chose from the offered list', async () => {
    const srv = await wsServer({ handleProtocols: (offered) => (offered.has('v2') ? 'v2' : false) });
    const conn = await opened({ url: srv.url, protocols: ['v1', 'v2', 'v3'] });
    expect(conn.protocol).toBe('v2');
    expect(conn.info().protocol).toBe('v2');
    expect(srv.peers[0]!.req.headers['sec-websocket-protocol']).toBe('v1,v2,v3');
  });

  it('exposes bufferedAmount while a large send is in flight', async () => {
    const srv = await wsServer({ perMessageDeflate: false });
    const conn = await opened({ url: srv.url });
    expect(conn.bufferedAmount).toBe(0);
    conn.send({ type: 'binary', data: new Uint8Array(16 * 1024 * 1024) });
    expect(conn.bufferedAmount).toBeGreaterThan(0);
    expect(conn.info().bufferedAmount).toBe(conn.bufferedAmount);
    await until(() => conn.bufferedAmount === 0, 10_000);
  });

  it('bufferedAmount falls back to 0 as the socket drains, reported by state events', async () => {
    const srv = await wsServer({ perMessageDeflate: false });
    const conn = await opened({ url: srv.url });
    const reported: number[] = [];
    conn.on('state', () => reported.push(conn.info().bufferedAmount));
    conn.send({ type: 'binary', data: new Uint8Array(16 * 1024 * 1024) });
    await until(() => reported.at(-1) === 0, 10_000);
    expect(Math.max(...reported)).toBeGreaterThan(0);
    expect(conn.bufferedAmount).toBe(0);
  });

  it('records the upgrade request it sent: URL, headers as on the wire, offered protocols, origin', async () => {
    const srv = await wsServer({ handleProtocols: (p) => [...p][0] ?? false });
    const conn = await opened({
      url: srv.url + 'feed?x=1',
      headers: { 'X-Api-Key': 'k-123' },
      protocols: ['v2.json', 'v1.json'],
      origin: 'https://app.example',
    });
    const req = conn.info().request!;
    const seen = srv.peers[0]!.req;
    expect(req.method).toBe('GET');
    expect(req.url).toBe(srv.url + 'feed?x=1');
    expect(req.protocols).toEqual(['v2.json', 'v1.json']);
    expect(req.origin).toBe('https://app.example');
    expect(req.headers['X-Api-Key']).toBe('k-123');
    // The key the server received is the one recorded: the request object, not a rebuild of the options.
    expect(req.headers['Sec-WebSocket-Key']).toBe(seen.headers['sec-websocket-key']);
    expect(req.headers['Sec-WebSocket-Version']).toBe('13');
  });

  it('records the request of a rejected handshake next to the 401 response', async () => {
    const http = createHttpServer((_req, res) => res.writeHead(401).end('no token'));
    http.on('upgrade', (_req, socket: Socket) =>
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 8\r\n\r\nno token'),
    );
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => http.close(r)));
    const conn = open({
      url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/`,
      headers: { Authorization: 'Bearer x' },
    });
    await nextClose(conn);
    const hs = conn.info().handshake!;
    expect(hs.status).toBe(401);
    expect(conn.info().request?.headers['Authorization']).toBe('Bearer x');
    expect(conn.info().request?.headers['Upgrade']).toBe('websocket');
  });

  it('keeps the handshake response (status 101 and headers)', async () => {
    const srv = await wsServer();
    srv.wss.on('headers', (headers) => headers.push('X-Served-By: test-server'));
    const conn = await opened({ url: srv.url });
    const hs = conn.info().handshake!;
    expect(hs.status).toBe(101);
    expect(hs.headers['upgrade']).toBe('websocket');
    expect(hs.headers['x-served-by']).toBe('test-server');
    expect(hs.headers['sec-websocket-accept']).toBeTypeOf('string');
  });

  it('sends custom headers and the origin', async () => {
    const srv = await wsServer();
    await opened({
      url: srv.url,
      headers: { 'X-Api-Key': 'k-123', Authorization: 'Bearer abc' },
      origin: 'https://app.example',
    });
    const h = srv.peers[0]!.req.headers;
    expect(h['x-api-key']).toBe('k-123');
    expect(h['authorization']).toBe('Bearer abc');
    expect(h['origin']).toBe('https://app.example');
  });

  it('negotiates permessage-deflate when on, and not when off', async () => {
    const srv = await wsServer({ perMessageDeflate: true });
    const on = await opened({ url: srv.url });
    expect(on.extensions).toContain('permessage-deflate');
    const off = await opened({ url: srv.url, perMessageDeflate: false });
    expect(off.extensions).toBe('');
    expect(srv.peers[1]!.req.headers['sec-websocket-extensions']).toBeUndefined();
  });
});

describe('ClientConnection: close(code, reason) rules', () => {
  it('refuses codes other than 1000 and 3000–4999 with INVALID_ACCESS, and stays open', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url });
    for (const code of [999, 1001, 1005, 2999, 5000, 1000.5, NaN]) {
      expect(thrown(() => conn.close(code)).code, `code ${code}`).toBe(ErrorCodes.INVALID_ACCESS);
    }
    expect(conn.readyState).toBe(1);
    expect(() => conn.close(3000)).not.toThrow();
    expect((await nextClose(conn)).code).toBe(3000);
  });

  it('refuses a 124-byte reason with SYNTAX and accepts 123 bytes', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url });
    const e = thrown(() => conn.close(1000, 'x'.repeat(124)));
    expect(e.code).toBe(ErrorCodes.SYNTAX);
    expect(e.message).toContain('123');
    // Multi-byte: 62 × "é" is 124 bytes though only 62 characters.
    expect(thrown(() => conn.close(1000, 'é'.repeat(62))).code).toBe(ErrorCodes.SYNTAX);
    expect(conn.readyState).toBe(1);
    const serverSaw = once(srv.peers[0]!.ws, 'close');
    conn.close(4999, 'y'.repeat(123));
    const [code, reason] = await serverSaw;
    expect(code).toBe(4999);
    expect(reason.toString()).toBe('y'.repeat(123));
    expect(await nextClose(conn)).toMatchObject({ code: 4999, reason: 'y'.repeat(123), wasClean: true });
  });

  it('closes without a code: the peer and our close event both see 1005', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url });
    const serverSaw = once(srv.peers[0]!.ws, 'close');
    conn.close();
    const [code] = await serverSaw;
    expect(code).toBe(1005);
    expect(await nextClose(conn)).toMatchObject({ code: 1005, wasClean: true });
  });

  it('closes with a reason but no code: sent as 1000 with the reason, as browsers do', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url });
    const serverSaw = once(srv.peers[0]!.ws, 'close');
    conn.close(undefined, 'bye');
    const [code, reason] = await serverSaw;
    expect(code).toBe(1000);
    expect(reason.toString()).toBe('bye');
    expect(await nextClose(conn)).toMatchObject({ code: 1000, reason: 'bye', wasClean: true });
  });
});

describe('ClientConnection: send rules', () => {
  it('refuses text with an unpaired surrogate (SYNTAX) and sends nothing', async () => {
    const srv = await wsServer();
    const received: string[] = [];
    srv.wss.on('connection', (ws) => ws.on('message', (d) => received.push(d.toString())));
    const conn = await opened({ url: srv.url });
    const before = conn.log.lastSeq;
    for (const text of ['a\uD800b', 'end\uD83D', '\uDC00start']) {
      expect(thrown(() => conn.send({ type: 'text', text })).code).toBe(ErrorCodes.SYNTAX);
    }
    expect(conn.log.lastSeq).toBe(before);
    conn.send({ type: 'text', text: 'ok \uD83D\uDE00' });
    await until(() => received.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toEqual(['ok 😀']);
  });

  it('refuses send and ping while CONNECTING and after CLOSED with INVALID_STATE', async () => {
    const srv = await wsServer();
    const conn = open({ url: srv.url });
    expect(conn.readyState).toBe(0);
    expect(thrown(() => conn.send({ type: 'text', text: 'early' })).code).toBe(ErrorCodes.INVALID_STATE);
    expect(thrown(() => conn.ping()).code).toBe(ErrorCodes.INVALID_STATE);
    await once(conn, 'open');
    conn.close();
    await nextClose(conn);
    const e = thrown(() => conn.send({ type: 'binary', data: new Uint8Array([1]) }));
    expect(e.code).toBe(ErrorCodes.INVALID_STATE);
    expect(e.message).toContain('CLOSED');
  });

  it('sends a ping with a payload and logs the pong', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url });
    const serverPing = once(srv.peers[0]!.ws, 'ping');
    conn.ping({ type: 'text', text: 'are you there' });
    expect(((await serverPing)[0] as Buffer).toString()).toBe('are you there');
    await until(() => conn.log.read(1, 1000, { kinds: ['pong'], dir: 'in' }).length === 1);
    const pong = conn.log.read(1, 1000, { kinds: ['pong'] })[0]!;
    expect(Buffer.from(pong.payload).toString()).toBe('are you there');
    expect(conn.log.read(1, 1000, { kinds: ['ping'], dir: 'out' })).toHaveLength(1);
    expect(thrown(() => conn.ping({ type: 'binary', data: new Uint8Array(126) })).code).toBe(
      ErrorCodes.SYNTAX,
    );
  });
});

describe('ClientConnection: failures', () => {
  it('reports a 401 handshake with status and body (HANDSHAKE_REJECTED)', async () => {
    const body = 'token required: send Authorization: Bearer <token>';
    const http: Server = createHttpServer((_req, res) => res.end('not a websocket request'));
    http.on('upgrade', (_req, socket: Socket) => {
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nWWW-Authenticate: Bearer\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => http.close(r)));
    const port = (http.address() as { port: number }).port;
    const conn = open({ url: `ws://127.0.0.1:${port}/private` });
    const closing = nextClose(conn);
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.HANDSHAKE_REJECTED);
    expect(err.message).toContain('401');
    expect(err.details).toMatchObject({ status: 401, body });
    const closed = await closing;
    expect(closed.wasClean).toBe(false);
    const info = conn.info();
    expect(info.readyState).toBe(3);
    expect(info.handshake).toMatchObject({ status: 401, body });
    expect(info.handshake!.headers['www-authenticate']).toBe('Bearer');
    expect(info.error?.code).toBe(ErrorCodes.HANDSHAKE_REJECTED);
  });

  it('times out a server that accepts TCP but never answers the handshake (HANDSHAKE_TIMEOUT)', async () => {
    const sockets: Socket[] = [];
    const tcp = createNetServer((s) => sockets.push(s));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => tcp.close(r));
    });
    const port = (tcp.address() as { port: number }).port;
    const started = Date.now();
    const conn = open({ url: `ws://127.0.0.1:${port}/`, handshakeTimeoutMs: 200 });
    const closing = nextClose(conn);
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.HANDSHAKE_TIMEOUT);
    expect(err.message).toContain('200 ms');
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    await closing;
    expect(conn.readyState).toBe(3);
  });

  it('reports a refused connection as CONNECTION_FAILED with a hint', async () => {
    const conn = open({ url: `ws://127.0.0.1:${await freePort()}/` });
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/ECONNREFUSED|nothing is listening/);
    expect(conn.log.read(1, 100, { kinds: ['error'] })[0]!.note).toContain(ErrorCodes.CONNECTION_FAILED);
  });

  it('throws SYNTAX for a malformed URL before any socket exists, and rewrites http(s) to ws(s)', () => {
    expect(thrown(() => new ClientConnection('c', { url: 'not a url' })).code).toBe(ErrorCodes.SYNTAX);
    expect(thrown(() => new ClientConnection('c', { url: 'ftp://example.com/' })).code).toBe(
      ErrorCodes.SYNTAX,
    );
    expect(new ClientConnection('c', { url: 'http://127.0.0.1:1/a?b=1' }).url).toBe('ws://127.0.0.1:1/a?b=1');
    expect(new ClientConnection('c', { url: 'https://example.com/s' }).url).toBe('wss://example.com/s');
  });
});

describe('ClientConnection: heartbeat', () => {
  it('pings on the interval and stays open while pongs come back', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url, heartbeat: { intervalMs: 100, timeoutMs: 300 } });
    await new Promise((r) => setTimeout(r, 550));
    expect(conn.readyState).toBe(1);
    expect(conn.log.read(1, 1000, { kinds: ['ping'], dir: 'out' }).length).toBeGreaterThanOrEqual(2);
    expect(conn.log.read(1, 1000, { kinds: ['pong'], dir: 'in' }).length).toBeGreaterThanOrEqual(2);
  });

  it('drops the connection with HEARTBEAT_TIMEOUT when the server stops answering pongs', async () => {
    const srv = await wsServer({ autoPong: false });
    const conn = await opened({ url: srv.url, heartbeat: { intervalMs: 100, timeoutMs: 200 } });
    const started = Date.now();
    const closing = nextClose(conn);
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.HEARTBEAT_TIMEOUT);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const closed = await closing;
    expect(closed).toMatchObject({ code: 1006, wasClean: false });
    expect(conn.readyState).toBe(3);
  });
});

describe('ClientConnection: auto-reconnect', () => {
  it('reconnects with backoff after the server restarts, logging each attempt', async () => {
    const first = await wsServer();
    const port = first.port;
    const conn = await opened({ url: first.url, reconnect: { maxAttempts: 5, initialDelayMs: 50 } });
    const reconnecting: { attempt: number; delayMs: number }[] = [];
    conn.on('reconnecting', (r) => reconnecting.push(r));
    await closeWss(first.wss); // server goes away: attempts 1 and 2 are refused
    await until(() => reconnecting.length >= 2);
    const second = await wsServer({ port });
    await once(conn, 'open');
    expect(conn.readyState).toBe(1);
    expect(second.peers).toHaveLength(1);
    const delays = reconnecting.map((r) => r.delayMs);
    expect(delays.slice(0, 3)).toEqual([50, 100, 200].slice(0, delays.length));
    const notes = logNotes(conn, 'info');
    expect(notes.filter((n) => /^reconnect attempt \d\/5 in \d+ ms$/.test(n))).toHaveLength(
      reconnecting.length,
    );
    expect(notes.some((n) => n.startsWith('reconnecting to ws://127.0.0.1'))).toBe(true);
    expect(conn.info().attempt).toBe(0); // open again: the next drop starts the backoff over
  });

  it('counts maxAttempts per outage: a successful reconnect starts the count over', async () => {
    let srv = await wsServer();
    const port = srv.port;
    const conn = await opened({ url: srv.url, reconnect: { maxAttempts: 1, initialDelayMs: 300 } });
    const delays: number[] = [];
    conn.on('reconnecting', (r) => delays.push(r.delayMs));
    for (let outage = 1; outage <= 2; outage++) {
      const reopened = new Promise<void>((r) => conn.once('open', () => r()));
      await closeWss(srv.wss);
      await until(() => delays.length === outage || conn.readyState === 3);
      expect(conn.readyState, `outage ${outage}: reconnect scheduled`).toBe(0);
      srv = await wsServer({ port }); // back within the 300 ms delay
      await reopened;
      expect(conn.readyState).toBe(1);
    }
    expect(delays).toEqual([300, 300]);
  });

  it('respects maxAttempts, then stays CLOSED', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url, reconnect: { maxAttempts: 2, initialDelayMs: 20 } });
    let closes = 0;
    conn.on('close', () => closes++);
    await closeWss(srv.wss);
    await until(() => conn.readyState === 3 && closes === 3);
    await new Promise((r) => setTimeout(r, 150));
    expect(closes).toBe(3); // the drop, and the two refused attempts
    const notes = logNotes(conn, 'info').filter((n) => n.startsWith('reconnect attempt'));
    expect(notes).toEqual(['reconnect attempt 1/2 in 20 ms', 'reconnect attempt 2/2 in 40 ms']);
    expect(conn.readyState).toBe(3);
  });

  it('stops reconnecting when the user closes during the wait', async () => {
    const srv = await wsServer();
    const port = srv.port;
    const conn = await opened({ url: srv.url, reconnect: { maxAttempts: 10, initialDelayMs: 200 } });
    const waiting = once(conn, 'reconnecting');
    await closeWss(srv.wss);
    await waiting;
    conn.close();
    expect(conn.readyState).toBe(3);
    const again = await wsServer({ port });
    await new Promise((r) => setTimeout(r, 400));
    expect(again.peers).toHaveLength(0);
    expect(conn.readyState).toBe(3);
    expect(logNotes(conn, 'info').filter((n) => n.startsWith('reconnecting'))).toHaveLength(0);
  });

  it('does not reconnect after the user closes an open connection', async () => {
    const srv = await wsServer();
    const conn = await opened({ url: srv.url, reconnect: { maxAttempts: 3, initialDelayMs: 20 } });
    conn.close(1000);
    await nextClose(conn);
    await new Promise((r) => setTimeout(r, 100));
    expect(conn.readyState).toBe(3);
    expect(srv.peers).toHaveLength(1);
  });
});

describe('ClientConnection: TLS (wss) with a self-signed certificate', () => {
  let dir = '';
  let cert = '';
  let url = '';
  let https: ReturnType<typeof createHttpsServer> | undefined;
  let wss: WebSocketServer | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duplex-tls-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
        ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
    wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws) => ws.on('message', (d, bin) => ws.send(d, { binary: bin })));
    await new Promise<void>((r) => https!.listen(0, '127.0.0.1', r));
    url = `wss://127.0.0.1:${(https.address() as { port: number }).port}/`;
  });

  afterAll(async () => {
    if (wss) await closeWss(wss);
    if (https) await new Promise((r) => https!.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails by default with CONNECTION_FAILED naming the certificate problem', async () => {
    const conn = open({ url });
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/self[- ]signed|certificate/i);
  });

  it('connects with tls.insecure', async () => {
    const conn = await opened({ url, tls: { insecure: true } });
    conn.send({ type: 'text', text: 'secure hello' });
    const [msg] = await once(conn, 'message');
    expect(Buffer.from(msg.payload).toString()).toBe('secure hello');
  });

  it('connects when tls.ca is the certificate', async () => {
    const conn = await opened({ url, tls: { ca: cert } });
    expect(conn.readyState).toBe(1);
  });

  it('ws:// to this TLS server: the message suggests wss://', async () => {
    const conn = open({ url: url.replace('wss:', 'ws:') });
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/if it serves TLS.*use wss:\/\//);
  });
});

describe('ClientConnection: wss:// to a server that does not speak TLS', () => {
  it('says so and says to use ws://, with OpenSSL’s text only in the details', async () => {
    const plain = createHttpServer((_req, res) => res.end('plain HTTP'));
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => plain.close(r)));
    const conn = open({ url: `wss://127.0.0.1:${(plain.address() as { port: number }).port}/` });
    const [err, closed] = await Promise.all([nextError(conn), nextClose(conn)]);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/the server does not speak TLS/);
    expect(err.message).toMatch(/Use ws:\/\/ instead of wss:\/\//);
    expect(err.message).not.toMatch(/SSL routines|error:[0-9A-F]{8}/);
    expect(String(err.details?.tlsError)).toMatch(/wrong version number/);
    expect(closed.code).toBe(1006);
  });
});
