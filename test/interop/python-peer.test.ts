/**
 * Interop with python3-websockets (Debian's 10.4, run with /usr/bin/python3) — a
 * WebSocket implementation nobody here wrote — as a server for Duplex's
 * ClientConnection and as a client of Duplex's MockServer.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientConnection, type CloseEventInfo } from '../../app/connections/client-connection.js';
import type { ConnectOptions } from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import type { LogEntry } from '../../app/log/message-log.js';
import { MockServer } from '../../app/server/mock-server.js';
import { echoBehaviour } from '../../app/server/behaviour.js';
import { until } from '../support/until.js';

const PYTHON = '/usr/bin/python3';
const peer = (name: string): string => fileURLToPath(new URL(`./peers/${name}`, import.meta.url));

function missingPeer(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], {
    encoding: 'utf8',
  });
  if (r.error) return `${PYTHON} is missing (${r.error.message})`;
  if (r.status !== 0)
    return `python3-websockets is not installed for ${PYTHON} (apt-get install python3-websockets)`;
  return undefined;
}
const missing = missingPeer();
if (missing) console.warn(`Skipping python3-websockets interop: ${missing}`);
const skipNote = missing ? ` (skipped: ${missing})` : '';

/** The python echo server; `lines` yields each JSON line it prints. */
interface PythonServer {
  proc: ChildProcessWithoutNullStreams;
  port: number;
  nextLine: () => Promise<Record<string, unknown>>;
}

async function startPythonServer(): Promise<PythonServer> {
  const proc = spawn(PYTHON, [peer('echo_server.py')], { stdio: 'pipe' });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const queue: Record<string, unknown>[] = [];
  const waiters: ((line: Record<string, unknown>) => void)[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const obj = JSON.parse(line) as Record<string, unknown>;
    const w = waiters.shift();
    if (w) w(obj);
    else queue.push(obj);
  });
  const nextLine = (): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(
        () => reject(new Error(`python server printed nothing in 10 s; stderr: ${stderr}`)),
        10_000,
      );
      waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  const ready = await nextLine();
  return { proc, port: ready['port'] as number, nextLine };
}

function connect(options: ConnectOptions): ClientConnection {
  const conn = new ClientConnection('py', options);
  conn.on('error', () => undefined);
  return conn.connect();
}

const event = <T>(conn: ClientConnection, name: 'open' | 'close' | 'error' | 'message'): Promise<T> =>
  new Promise((resolve) => conn.once(name, ((arg: T) => resolve(arg)) as never));

describe.skipIf(missing)(
  `python3-websockets as a server, Duplex ClientConnection as the client${skipNote}`,
  () => {
    let py: PythonServer;
    beforeAll(async () => {
      py = await startPythonServer();
    });
    afterAll(() => {
      py?.proc.stdin.end();
      py?.proc.kill();
    });

    it('echoes text as text and binary as binary, with the negotiated subprotocol', async () => {
      const conn = connect({ url: `ws://127.0.0.1:${py.port}/echo`, protocols: ['x-unknown', 'chat.v1'] });
      await event(conn, 'open');
      expect(conn.protocol).toBe('chat.v1');
      expect(conn.info().handshake?.status).toBe(101);
      const got: LogEntry[] = [];
      conn.on('message', (e) => got.push(e));
      conn.send({ type: 'text', text: 'héllo from Duplex 😀' });
      conn.send({ type: 'binary', data: new Uint8Array([0, 1, 128, 255]) });
      const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
      conn.send({ type: 'binary', data: big });
      await until(() => got.length === 3);
      expect(got.map((e) => e.kind)).toEqual(['text', 'binary', 'binary']);
      expect(Buffer.from(got[0]!.payload).toString()).toBe('héllo from Duplex 😀');
      expect([...got[1]!.payload]).toEqual([0, 1, 128, 255]);
      expect(Buffer.from(got[2]!.payload).equals(big)).toBe(true);

      const closed = event<CloseEventInfo>(conn, 'close');
      conn.close(4000, 'done from Duplex');
      expect(await closed).toEqual({ code: 4000, reason: 'done from Duplex', wasClean: true });
      expect(await py.nextLine()).toMatchObject({
        closed: 4000,
        reason: 'done from Duplex',
        path: '/echo',
        subprotocol: 'chat.v1',
      });
    });

    it('receives a stream of varied and fragmented messages intact into a small log (frames read straight into it)', async () => {
      const conn = connect({
        url: `ws://127.0.0.1:${py.port}/echo`,
        perMessageDeflate: false,
        logBudgetBytes: 256 * 1024,
      });
      await event(conn, 'open');
      const wrong: number[] = [];
      let count = 0;
      conn.on('message', (entry) => {
        // The same pattern as stream_message() in peers/echo_server.py.
        const i = count++;
        const size = (i * 7919) % 70000;
        const expected = Buffer.alloc(size);
        for (let j = 0; j < size; j++) expected[j] = 0x41 + ((i * 7 + j) % 26);
        const kind = i % 2 === 0 ? 'binary' : 'text';
        if (entry.kind !== kind || !Buffer.from(entry.payload).equals(expected)) wrong.push(i);
      });
      conn.send({ type: 'text', text: 'stream' });
      await until(() => count === 120);
      expect(wrong).toEqual([]);
      expect(conn.log.bytes).toBeLessThanOrEqual(conn.log.budgetBytes);
      conn.close(1000);
      expect(await py.nextLine()).toMatchObject({ closed: 1000 });
    });

    it("reports the python server's own close code and reason", async () => {
      const conn = connect({ url: `ws://127.0.0.1:${py.port}/echo`, protocols: ['chat.v2'] });
      await event(conn, 'open');
      expect(conn.protocol).toBe('chat.v2');
      const closed = event<CloseEventInfo>(conn, 'close');
      conn.send({ type: 'text', text: 'close-me' });
      expect(await closed).toEqual({ code: 4002, reason: 'bye from python', wasClean: true });
      expect(await py.nextLine()).toMatchObject({ closed: 4002, reason: 'bye from python' });
      expect(conn.log.read(1, 100, { kinds: ['close'], dir: 'in' })[0]).toMatchObject({ code: 4002 });
    });

    it('closes without a code: python sees 1005 and so do we', async () => {
      const conn = connect({ url: `ws://127.0.0.1:${py.port}/echo` });
      await event(conn, 'open');
      const closed = event<CloseEventInfo>(conn, 'close');
      conn.close();
      expect((await closed).code).toBe(1005);
      expect(await py.nextLine()).toMatchObject({ closed: 1005, reason: '' });
    });

    it('reports a 401 from process_request with status, headers and body', async () => {
      const conn = connect({ url: `ws://127.0.0.1:${py.port}/private` });
      const closed = event<CloseEventInfo>(conn, 'close');
      const err = await event<ErrorInfo>(conn, 'error');
      expect(err.code).toBe(ErrorCodes.HANDSHAKE_REJECTED);
      expect(err.details).toMatchObject({ status: 401, body: expect.stringContaining('token required') });
      expect(err.message).toMatch(/401.*token required.*Authorization/s);
      await closed;
      const hs = conn.info().handshake!;
      expect(hs.status).toBe(401);
      expect(hs.body).toBe('token required: send Authorization: Bearer <token>\n');
      expect(hs.headers['www-authenticate']).toBe('Bearer realm="duplex-test"');
      expect(conn.readyState).toBe(3);
    });
  },
);

describe.skipIf(missing)(`python3-websockets as a client of the Duplex MockServer${skipNote}`, () => {
  it('gets text and bytes echoed with their types, and its close 4001 is logged', async () => {
    const server = new MockServer('py-client');
    await server.start();
    try {
      const headers: Record<string, string | string[]>[] = [];
      server.setBehaviours([
        { kind: 'manual', open: (client) => headers.push(client.info.headers) },
        echoBehaviour(),
      ]);
      const out = await runPython(peer('echo_client.py'), [server.url]);
      const result = JSON.parse(out) as Record<string, unknown>;
      expect(result['replies']).toEqual([
        { type: 'text', text: 'hello from python' },
        { type: 'binary', hex: '0001feff' },
      ]);
      expect(result['subprotocol']).toBe('chat.v1');
      expect(result['closeCode']).toBe(4001);
      expect(headers[0]?.['x-peer']).toBe('python-websockets');
      expect(String(headers[0]?.['user-agent'])).toMatch(/Python.*websockets/);

      await until(() => server.log.read(1, 100, { kinds: ['close'] }).length > 0);
      const log = server.log.read(1, 100);
      expect(
        log.filter((e) => e.kind === 'text' || e.kind === 'binary').map((e) => `${e.dir}:${e.kind}`),
      ).toEqual(['in:text', 'out:text', 'in:binary', 'out:binary']);
      expect(log.find((e) => e.kind === 'close')).toMatchObject({
        dir: 'in',
        code: 4001,
        reason: 'python done',
        clientId: '1',
      });
    } finally {
      await server.stop();
    }
  });
});

function runPython(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(PYTHON, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => proc.kill(), 15_000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${script} exited with ${code}: ${err}`));
    });
  });
}
