/**
 * SocketReader: a ws:// ClientConnection reads its socket straight into its
 * log's memory and hands ws whole frames. Checked against real servers (ws, and
 * raw TCP servers that write exactly the bytes a test needs) with small log
 * budgets, so read slabs are released and reused all the time: every payload
 * must arrive intact and stay intact while its entry is held.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket, type ServerOptions } from 'ws';
import { ClientConnection, type CloseEventInfo } from '../../app/connections/client-connection.js';
import type { ErrorInfo } from '../../app/errors.js';
import { MessageLog, type LogEntry } from '../../app/log/message-log.js';
import { until as waitUntil } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function wsServer(onConnection: (ws: WebSocket) => void, options: ServerOptions = {}): Promise<string> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...options });
  await once(wss, 'listening');
  wss.on('connection', onConnection);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`;
}

/** A TCP server that answers the upgrade with the bytes `respond` writes (for frames ws would not send). */
async function rawServer(respond: (socket: Socket, key: string) => void): Promise<string> {
  const server = createServer((socket) => {
    let request = '';
    socket.on('error', () => undefined);
    const onRequest = (chunk: Buffer): void => {
      request += chunk.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      socket.off('data', onRequest);
      respond(socket, /sec-websocket-key: *(\S+)/i.exec(request)![1]!);
    };
    socket.on('data', onRequest);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
}

function upgradeResponse(key: string): string {
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
}

/** An unmasked server frame. */
function frame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const size = payload.byteLength;
  const header = size < 126 ? Buffer.alloc(2) : size < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (size < 126) header[1] = size;
  else if (size < 65536) {
    header[1] = 126;
    header.writeUInt16BE(size, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(size), 2);
  }
  return Buffer.concat([header, payload]);
}

function connect(url: string, budgetBytes: number, perMessageDeflate = false): ClientConnection {
  const conn = new ClientConnection('test', { url, perMessageDeflate, logBudgetBytes: budgetBytes });
  conn.on('error', () => undefined);
  cleanups.push(() => conn.terminate());
  return conn.connect();
}

/** Records the memory every takeReadSlab hands out. */
function watchReadSlabs(): Set<ArrayBufferLike> {
  const slabs = new Set<ArrayBufferLike>();
  const take = MessageLog.prototype.takeReadSlab;
  vi.spyOn(MessageLog.prototype, 'takeReadSlab').mockImplementation(function (this: MessageLog, min) {
    const memory = take.call(this, min);
    slabs.add(memory.buffer);
    return memory;
  });
  return slabs;
}

/** Message i of a test stream: its size and a byte pattern that tells messages apart (ASCII, so valid text too). */
function message(i: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let j = 0; j < size; j++) bytes[j] = 0x41 + ((i * 7 + j) % 26);
  return bytes;
}

/** Waits for `check`, 10,000 ms unless told otherwise. */
const until = (check: () => boolean, timeoutMs = 10000): Promise<void> => waitUntil(check, timeoutMs);

function received(conn: ClientConnection): LogEntry[] {
  return conn.log
    .read(0, Infinity)
    .filter((e) => e.dir === 'in' && (e.kind === 'text' || e.kind === 'binary'));
}

describe('SocketReader: ws:// frames read into the log', () => {
  it.each([
    [64 * 1024, '4 KiB'],
    [256 * 1024, '16 KiB'],
  ])(
    'keeps every byte of a flood of mixed sizes while its read slabs are reused (budget %i, slabs of %s)',
    async (budget) => {
      // Sizes around every header form and slab edge, then a deterministic mix up to 3 slabs.
      const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537, 16_384, 16_385];
      let x = 42;
      for (let i = 0; i < 400; i++)
        sizes.push((x = (x * 1103515245 + 12345) & 0x7fffffff) % (i % 10 === 0 ? 50_000 : 3000));
      const url = await wsServer((ws) => {
        sizes.forEach((size, i) => ws.send(message(i, size), { binary: i % 2 === 0 }));
      });
      const slabs = watchReadSlabs();
      const conn = connect(url, budget); // many slabs are reused during the stream
      let index = 0;
      const mismatches: number[] = [];
      conn.on('message', (entry) => {
        // Checked on arrival, while ws is still parsing the same read.
        const i = index++;
        if (
          entry.kind !== (i % 2 === 0 ? 'binary' : 'text') ||
          !Buffer.from(entry.payload).equals(message(i, sizes[i]!))
        )
          mismatches.push(i);
      });
      await until(() => index === sizes.length);
      expect(mismatches).toEqual([]);
      // The entries still held are still intact (no reused slab overwrote them).
      const held = received(conn);
      const first = sizes.length - held.length;
      held.forEach((entry, k) =>
        expect(Buffer.from(entry.payload).equals(message(first + k, sizes[first + k]!))).toBe(true),
      );
      expect(held.length).toBeGreaterThan(5);
      expect(conn.log.bytes).toBeLessThanOrEqual(conn.log.budgetBytes);
      // Payloads were not copied: they point into the memory the socket read into.
      expect(slabs.size).toBeGreaterThan(1);
      const inReadSlabs = held.filter((e) => e.size > 0 && slabs.has(e.payload.buffer)).length;
      expect(inReadSlabs).toBeGreaterThan(held.filter((e) => e.size > 0).length / 2);
    },
  );

  it('reassembles fragmented messages whose first fragments sit in slabs the log has let go', async () => {
    const filler = 40;
    const url = await wsServer((ws) => {
      for (let m = 0; m < 6; m++) {
        for (let i = 0; i < filler; i++) ws.send(message(i, 3000), { binary: true });
        // 150 fragments of 2,000 B (each within a slab): more than the whole log
        // budget, with pings between them.
        const whole = message(1000 + m, 300_000);
        for (let f = 0; f < 150; f++) {
          ws.send(whole.subarray(f * 2000, (f + 1) * 2000), { binary: m % 2 === 0, fin: f === 149 });
          if (f % 7 === 3) ws.ping(Buffer.from(`p${f}`));
        }
      }
    });
    const conn = connect(url, 128 * 1024);
    const big: Buffer[] = [];
    conn.on('message', (entry) => {
      if (entry.size === 300_000) big.push(Buffer.from(entry.payload));
    });
    await until(() => big.length === 6);
    big.forEach((payload, m) => expect(payload.equals(message(1000 + m, 300_000))).toBe(true));
    expect(conn.log.bytes).toBeLessThanOrEqual(conn.log.budgetBytes + 300_000);
    const pings = conn.log.read(0, Infinity).filter((e) => e.kind === 'ping');
    expect(pings.every((p) => /^p\d+$/.test(new TextDecoder().decode(p.payload)))).toBe(true);
  });

  it('reads frames sent in the same segment as the 101 response, and a response split inside its blank line', async () => {
    const url = await rawServer((socket, key) => {
      const response = Buffer.from(upgradeResponse(key), 'latin1');
      const frames = Buffer.concat([
        frame(1, Buffer.from('one')),
        frame(2, Buffer.alloc(300, 0xab)),
        frame(1, message(3, 70_000)),
      ]);
      socket.setNoDelay(true);
      // Split between "\r\n" and "\r\n": the reader must find the end across reads.
      socket.write(response.subarray(0, response.length - 2));
      setTimeout(() => socket.write(Buffer.concat([response.subarray(response.length - 2), frames])), 30);
    });
    const slabs = watchReadSlabs();
    const conn = connect(url, 1024 * 1024);
    await until(() => received(conn).length === 3);
    const [a, b, c] = received(conn);
    expect(new TextDecoder().decode(a!.payload)).toBe('one');
    expect(Buffer.from(b!.payload).equals(Buffer.alloc(300, 0xab))).toBe(true);
    expect(Buffer.from(c!.payload).equals(message(3, 70_000))).toBe(true);
    expect(slabs.has(c!.payload.buffer)).toBe(true);
  });

  it('hands a frame over ws’s size limit on at once, so ws fails the connection (1009) instead of waiting for it', async () => {
    let closeFrame: Buffer | undefined;
    const url = await rawServer((socket, key) => {
      socket.on('data', (chunk) => (closeFrame = chunk)); // the client's masked close frame
      const header = Buffer.from([0x82, 127, 0, 0, 1, 0, 0, 0, 0, 0]); // 2^40 bytes announced
      socket.write(Buffer.concat([Buffer.from(upgradeResponse(key), 'latin1'), header, Buffer.alloc(100)]));
      setTimeout(() => socket.end(), 200); // this server never answers the close
    });
    const conn = connect(url, 1024 * 1024);
    const error = new Promise<ErrorInfo>((resolve) => conn.once('error', resolve));
    const close = await new Promise<CloseEventInfo>((resolve) => conn.once('close', resolve));
    expect((await error).message).toMatch(/max payload size exceeded/i);
    expect(close.code).toBe(1006);
    expect(closeFrame![0]).toBe(0x88);
    const mask = closeFrame!.subarray(2, 6);
    expect(((closeFrame![6]! ^ mask[0]!) << 8) | (closeFrame![7]! ^ mask[1]!)).toBe(1009);
  });

  it('passes reads through (and the log copies) when permessage-deflate is negotiated', async () => {
    const url = await wsServer(
      (ws) => {
        for (let i = 0; i < 50; i++) ws.send(message(i, 2000 + i), { binary: true });
      },
      { perMessageDeflate: { threshold: 0 } },
    );
    const slabs = watchReadSlabs();
    const conn = connect(url, 1024 * 1024, true);
    await until(() => received(conn).length === 50);
    expect(conn.extensions).toContain('permessage-deflate');
    received(conn).forEach((e, i) => expect(Buffer.from(e.payload).equals(message(i, 2000 + i))).toBe(true));
    expect(slabs.size).toBe(0);
  });
});
