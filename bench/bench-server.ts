/**
 * The server side of the benchmarks, run in its own process (child_process.fork)
 * so that client and server never share an event loop. It starts three servers
 * on 127.0.0.1 and reports their ports to the parent over IPC:
 *
 * - flood:     a `ws` WebSocketServer that, once a client is open, writes a
 *              stream of pre-built frames (`?size=N&binary=0|1&count=N`) straight
 *              to the socket with backpressure. Pre-building the frames keeps the
 *              sender far cheaper than any receiver, so a receive-rate
 *              measurement is limited by the client, not by this server.
 *              Without `count` it floods until the client goes away; with it, it
 *              sends exactly `count` messages and then closes with 1000.
 * - floodTls:  the same flood over TLS (wss://), with a self-signed certificate
 *              made for this run by openssl in a temporary folder; absent when
 *              openssl is not there.
 * - wsEcho:    a bare `ws` echo server (the baseline).
 * - mockEcho:  the Duplex MockServer with echo on and its log on.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { MockServer } from '../app/server/mock-server.js';

export interface BenchServerPorts {
  flood: number;
  /** The flood over TLS; undefined when no certificate could be made. */
  floodTls: number | undefined;
  wsEcho: number;
  mockEcho: number;
}

/** Bytes of frames written per socket.write on the flood path. */
const FLOOD_BLOCK_BYTES = 256 * 1024;

async function startFloodServer(): Promise<number> {
  return listenFlood(createServer((_req, res) => res.writeHead(426).end()));
}

/** The flood on an HTTPS server whose self-signed certificate is made now (undefined without openssl). */
async function startTlsFloodServer(): Promise<number | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-bench-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    const https = createHttpsServer({
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
    });
    https.on('request', (_req, res) => res.writeHead(426).end());
    return await listenFlood(https);
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function listenFlood(http: Server): Promise<number> {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const size = Number(params.get('size') ?? 64);
    const binary = params.get('binary') === '1';
    const count = params.has('count') ? Number(params.get('count')) : Infinity;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => undefined);
      flood(socket as Socket, size, binary, count, () => ws.close(1000, 'flood done'));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return (http.address() as { port: number }).port;
}

/** Writes `count` frames of `size` bytes to the socket, honouring backpressure. */
function flood(socket: Socket, size: number, binary: boolean, count: number, done: () => void): void {
  const frame = buildFrame(size, binary);
  const perBlock = Math.max(1, Math.floor(FLOOD_BLOCK_BYTES / frame.length));
  const block = Buffer.concat(Array.from({ length: perBlock }, () => frame));
  let left = count;
  let stopped = false;
  socket.once('close', () => (stopped = true));
  const pump = (): void => {
    while (!stopped && left > 0) {
      const n = Math.min(perBlock, left);
      left -= n;
      const ok = socket.write(n === perBlock ? block : block.subarray(0, n * frame.length));
      if (left === 0) return done();
      if (!ok) return void socket.once('drain', pump);
    }
  };
  pump();
}

/** One unmasked server-to-client frame (FIN set), RFC 6455 §5.2. */
function buildFrame(size: number, binary: boolean): Buffer {
  const payload = Buffer.alloc(size, binary ? 0xa5 : 0x61); // 0x61 = 'a'
  const opcode = binary ? 0x2 : 0x1;
  let header: Buffer;
  if (size < 126) {
    header = Buffer.from([0x80 | opcode, size]);
  } else if (size < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(size, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(size), 2);
  }
  return Buffer.concat([header, payload]);
}

async function startWsEchoServer(): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  return (wss.address() as { port: number }).port;
}

async function startMockEchoServer(): Promise<number> {
  const server = new MockServer('bench-mock', { echo: true });
  const info = await server.start();
  return info.port;
}

const ports: BenchServerPorts = {
  flood: await startFloodServer(),
  floodTls: await startTlsFloodServer(),
  wsEcho: await startWsEchoServer(),
  mockEcho: await startMockEchoServer(),
};
process.send?.({ ports });
// The parent ends this process with a message or by disconnecting.
process.on('message', () => process.exit(0));
process.on('disconnect', () => process.exit(0));
