/**
 * MockServer with real `ws` clients on 127.0.0.1 and port 0.
 */
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect } from 'node:net';
import { MAX_MESSAGE_BYTES } from '../../app/connections/client-connection.js';
import { MockServer, MOCK_SERVER_WS_OPTIONS } from '../../app/server/mock-server.js';
import type { ServerOptions } from '../../app/contract.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';
import { until as waitUntil } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startServer(options: ServerOptions = {}): Promise<MockServer> {
  const server = new MockServer(`s${cleanups.length}`, options);
  cleanups.push(() => server.stop());
  await server.start();
  return server;
}

interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** A ws client that records what it receives and how it was closed. */
async function client(
  url: string,
  protocols: string[] = [],
  options: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; received: Received[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, protocols, options);
  cleanups.push(() => ws.terminate());
  const received: Received[] = [];
  ws.on('message', (data: Buffer, isBinary) => received.push({ data, isBinary }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, received, closed };
}

/** Connects and expects the upgrade to be refused; returns the HTTP status and body. */
function refused(url: string, protocols: string[] = []): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

/** Waits for `check`, 3,000 ms unless told otherwise. */
const until = (check: () => boolean, timeoutMs = 3000): Promise<void> => waitUntil(check, timeoutMs);

describe('MockServer: listening', () => {
  it('starts on 127.0.0.1, port 0, and reports the port it got', async () => {
    const server = await startServer();
    expect(server.port).toBeGreaterThan(0);
    expect(server.info()).toMatchObject({
      host: '127.0.0.1',
      port: server.port,
      url: `ws://127.0.0.1:${server.port}/`,
      running: true,
      clientCount: 0,
      echo: true,
    });
    const { ws } = await client(server.url);
    expect(ws.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses a port in use with PORT_IN_USE and a message that says what to do', async () => {
    const first = await startServer();
    const second = new MockServer('second', { port: first.port });
    const err = await second.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DuplexError);
    expect((err as DuplexError).code).toBe(ErrorCodes.PORT_IN_USE);
    expect((err as DuplexError).message).toContain(`Port ${first.port}`);
    expect((err as DuplexError).message).toMatch(/already in use.*port 0/);
    expect(second.running).toBe(false);
  });

  it('answers a plain HTTP request with 426 and the URL to use', async () => {
    const server = await startServer();
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.status).toBe(426);
    expect(await res.text()).toContain(server.url);
  });
});

describe('MockServer: path and subprotocols', () => {
  it('serves only its path; other paths get 404 with a message', async () => {
    const server = await startServer({ path: '/chat' });
    expect(server.url).toMatch(/\/chat$/);
    await client(server.url);
    await client(`${server.url}?room=1`);
    const { status, body } = await refused(`ws://127.0.0.1:${server.port}/other`);
    expect(status).toBe(404);
    expect(body).toContain('No WebSocket endpoint at /other');
    expect(body).toContain('/chat');
  });

  it('picks its preferred subprotocol among those offered and refuses others with 400', async () => {
    const server = await startServer({ protocols: ['v2', 'v1'] });
    const a = await client(server.url, ['v1', 'v2']);
    expect(a.ws.protocol).toBe('v2');
    const b = await client(server.url, ['other', 'v1']);
    expect(b.ws.protocol).toBe('v1');
    const r = await refused(server.url, ['v3']);
    expect(r.status).toBe(400);
    expect(r.body).toContain('v2, v1');
    expect(r.body).toContain('v3');
    expect((await refused(server.url)).body).toContain('offered none');
    expect(server.clients().map((c) => c.protocol)).toEqual(['v2', 'v1']);
  });

  it('without a list, accepts any client and takes its first subprotocol', async () => {
    const server = await startServer();
    expect((await client(server.url, ['x', 'y'])).ws.protocol).toBe('x');
    expect((await client(server.url)).ws.protocol).toBe('');
  });
});

describe('MockServer: clients', () => {
  it('lists clients with id, remote address, path, request headers and connectedAt', async () => {
    const server = await startServer({ path: '/feed' });
    const before = Date.now();
    await client(`${server.url}?token=1`, [], { headers: { 'X-Client-Name': 'unit-test' } });
    await client(server.url);
    const list = server.clients();
    expect(list).toHaveLength(2);
    const [first, second] = list;
    expect(first).toMatchObject({
      clientId: '1',
      remoteAddress: '127.0.0.1',
      path: '/feed?token=1',
      readyState: 1,
    });
    expect(first!.remotePort).toBeGreaterThan(0);
    expect(first!.headers['x-client-name']).toBe('unit-test');
    expect(first!.headers['host']).toBe(`127.0.0.1:${server.port}`);
    expect(first!.connectedAt).toBeGreaterThanOrEqual(before);
    expect(first!.connectedAt).toBeLessThanOrEqual(Date.now());
    expect(second!.clientId).toBe('2');
    expect(server.info().clientCount).toBe(2);
  });

  it('echoes with the same frame type: text stays text, binary stays binary', async () => {
    const server = await startServer();
    const c = await client(server.url);
    c.ws.send('héllo');
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    c.ws.send(Buffer.from('looks like text'), { binary: true });
    await until(() => c.received.length === 3);
    expect(c.received.map((r) => r.isBinary)).toEqual([false, true, true]);
    expect(c.received[0]!.data.toString()).toBe('héllo');
    expect([...c.received[1]!.data]).toEqual([0, 1, 2, 255]);
    expect(c.received[2]!.data.toString()).toBe('looks like text');
    const log = server.log.read(1, 100, { kinds: ['text', 'binary'] });
    expect(log.map((e) => `${e.dir}:${e.kind}:${e.clientId}`)).toEqual([
      'in:text:1',
      'out:text:1',
      'in:binary:1',
      'out:binary:1',
      'in:binary:1',
      'out:binary:1',
    ]);
  });

  it('does not echo when echo is off', async () => {
    const server = await startServer({ echo: false });
    const c = await client(server.url);
    c.ws.send('quiet');
    await until(() => server.log.read(1, 100, { kinds: ['text'] }).length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.received).toHaveLength(0);
  });

  it('sends to one client, and broadcasts to all', async () => {
    const server = await startServer({ echo: false });
    const a = await client(server.url);
    const b = await client(server.url);
    server.send('2', { type: 'text', text: 'only b' });
    server.send('1', { type: 'binary', data: new Uint8Array([9, 8]) });
    await until(() => a.received.length === 1 && b.received.length === 1);
    expect(b.received[0]).toMatchObject({ isBinary: false });
    expect(b.received[0]!.data.toString()).toBe('only b');
    expect(a.received[0]!.isBinary).toBe(true);
    expect(server.broadcast({ type: 'text', text: 'all' })).toBe(2);
    await until(() => a.received.length === 2 && b.received.length === 2);
    expect(a.received[1]!.data.toString()).toBe('all');
    expect(b.received[1]!.data.toString()).toBe('all');
    expect(() => server.send('99', { type: 'text', text: 'x' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.NOT_FOUND }),
    );
    expect(() => server.send('1', { type: 'text', text: '\uD800' })).toThrow(
      expect.objectContaining({ code: ErrorCodes.SYNTAX }),
    );
  });

  it('closes one client with a code and reason', async () => {
    const server = await startServer();
    const a = await client(server.url);
    const b = await client(server.url);
    server.closeClient('1', 4000, 'kicked by test');
    expect(await a.closed).toEqual({ code: 4000, reason: 'kicked by test' });
    expect(b.ws.readyState).toBe(WebSocket.OPEN);
    await until(() => server.clients().length === 1);
    expect(() => server.closeClient('2', 1005)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ACCESS }),
    );
    expect(() => server.closeClient('2', 1000, 'r'.repeat(124))).toThrow(
      expect.objectContaining({ code: ErrorCodes.SYNTAX }),
    );
  });

  it('closes with any code valid on the wire (1001, 1008, 1011) and checks the reason like a client', async () => {
    const server = await startServer();
    const a = await client(server.url);
    const b = await client(server.url);
    const c = await client(server.url);
    server.closeClient('1', 1001, 'going away');
    server.closeClient('2', 1008, 'policy');
    server.closeClient('3', 1011);
    expect(await a.closed).toEqual({ code: 1001, reason: 'going away' });
    expect(await b.closed).toEqual({ code: 1008, reason: 'policy' });
    expect((await c.closed).code).toBe(1011);
    const d = await client(server.url);
    // An unpaired surrogate would go out as U+FFFD: a different reason than the one asked for.
    expect(() => server.closeClient('4', 1011, 'bad \uD800')).toThrow(
      expect.objectContaining({ code: ErrorCodes.SYNTAX }),
    );
    for (const code of [1004, 1005, 1006, 1015]) {
      expect(() => server.closeClient('4', code), `code ${code}`).toThrow(
        expect.objectContaining({ code: ErrorCodes.INVALID_ACCESS }),
      );
    }
    expect(d.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('terminates a client without a closing handshake (the client sees 1006)', async () => {
    const server = await startServer();
    const a = await client(server.url);
    server.terminateClient('1');
    expect((await a.closed).code).toBe(1006);
    await until(() => server.clients().length === 0);
    expect(server.log.read(1, 100, { search: 'terminated' })).toHaveLength(1);
  });

  it('logs the close code and reason a client sends', async () => {
    const server = await startServer();
    const a = await client(server.url);
    a.ws.close(4001, 'client done');
    await a.closed;
    await until(() => server.log.read(1, 100, { kinds: ['close'] }).length === 1);
    expect(server.log.read(1, 100, { kinds: ['close'] })[0]).toMatchObject({
      dir: 'in',
      code: 4001,
      reason: 'client done',
      clientId: '1',
    });
  });

  it('stop closes every client with 1001 and stops listening', async () => {
    const server = await startServer();
    const a = await client(server.url);
    const b = await client(server.url);
    const info = await server.stop();
    expect(info.running).toBe(false);
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
    const refusedErr = await new Promise<Error>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/`);
      ws.on('error', resolve);
    });
    expect(refusedErr.message).toContain('ECONNREFUSED');
  });
});

describe('the ws options of a mock server', () => {
  it('are set explicitly: the same 100 MiB limit as a client, our own pongs, no second client set', () => {
    expect(MOCK_SERVER_WS_OPTIONS).toMatchObject({
      maxPayload: MAX_MESSAGE_BYTES,
      autoPong: false,
      clientTracking: false,
      skipUTF8Validation: false,
    });
    expect(MAX_MESSAGE_BYTES).toBe(100 * 1024 * 1024);
  });

  it('refuse a frame over maxPayload with 1009 as soon as its header arrives', async () => {
    const server = await startServer();
    const socket = connect(server.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await waitUntil(() => Buffer.concat(chunks).includes('\r\n\r\n'));
    // A masked text frame header that declares MAX_MESSAGE_BYTES + 1 bytes; no payload follows.
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(MAX_MESSAGE_BYTES + 1), 2);
    socket.write(header);
    const frameAfterHandshake = (): Buffer => {
      const all = Buffer.concat(chunks);
      return all.subarray(all.indexOf('\r\n\r\n') + 4);
    };
    await waitUntil(() => frameAfterHandshake().length >= 4);
    const frame = frameAfterHandshake();
    expect(frame[0]).toBe(0x88); // a close frame
    expect(frame.readUInt16BE(2)).toBe(1009);
  });
});
