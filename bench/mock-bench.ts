/**
 * The mock benchmark, side by side in one run, each server in a process of its
 * own (mock-bench-server.ts; pinned to CPU 1 and this process to CPU 0 where
 * taskset exists):
 * - echo through a mock of 20 rules, the echo rules last (every message passes
 *   19 matchers and renders a template), vs a bare `ws` echo server;
 * - the same echo workload against @mockoon/cli 9 (a route answering
 *   `{{bodyRaw}}`), a peer row for information;
 * - 10,000 concurrent clients on one server that sends 64 B to all of them every
 *   100 ms: how fast they are accepted, how much server memory each costs, and
 *   how many broadcast messages arrive, for a Duplex mock stream and raw `ws`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { pinTo, pipelinedEcho, rateRow, type MessageCase } from './engine-bench.js';
import { FANOUT_INTERVAL_MS } from './mock-bench-shared.js';
import { alternate, formatRate, median, settingsFromEnv } from './measure.js';
import type { BenchRow, BenchSection } from './report.js';

const settings = settingsFromEnv();
const CLIENTS = Number(process.env['BENCH_MOCK_CLIENTS'] ?? 10_000);
/** Handshakes in flight while the clients connect. */
const CONNECT_CONCURRENCY = 200;
const FANOUT_MEASURE_MS = 3000;
/** A handshake not done by then counts as refused (a server too busy broadcasting to accept). */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** The connect phase ends here, however many clients got in: the rows say how many did. */
const CONNECT_PHASE_MS = 90_000;

const ECHO_CASES: MessageCase[] = [
  { label: '64 B text', size: 64, binary: false, window: 500 },
  { label: '4 KiB binary', size: 4 * 1024, binary: true, window: 200 },
];

interface ServerProcess {
  child: ChildProcess;
  port: number;
  memory: () => Promise<number>;
  /** The server process's CPU time so far (user + system), µs. */
  cpu: () => Promise<number>;
}

export const mockBench: BenchSection = {
  name: 'mock',
  title: 'Mock servers: 20 rules vs raw ws, @mockoon/cli as a peer, 10,000 clients with a broadcast stream',
  async run() {
    const cpus = os.cpus().length;
    const pinned = cpus >= 2 && pinTo('0');
    const rows: BenchRow[] = [];
    try {
      if (settings.only('echo')) rows.push(...(await echoRows(pinned)));
      if (settings.only('mockoon')) rows.push(...(await mockoonRows(pinned)));
      if (settings.only('fanout')) rows.push(...(await fanoutRows(pinned)));
    } finally {
      if (pinned) pinTo(`0-${cpus - 1}`);
    }
    return rows;
  },
};

// --- echo through 20 rules -------------------------------------------------

async function echoRows(pinned: boolean): Promise<BenchRow[]> {
  const raw = await startServer('ws-echo', pinned);
  const rules = await startServer('rules-echo', pinned);
  const templated = await startServer('rules-template', pinned);
  const against = async (server: ServerProcess, c: MessageCase, name: string): Promise<BenchRow> => {
    const rawCpu: number[] = [];
    const duplexCpu: number[] = [];
    const result = await alternate(
      (ms) => echoCountingCpu(raw, c, ms, rawCpu),
      (ms) => echoCountingCpu(server, c, ms, duplexCpu),
      settings,
    );
    return withServerCpu(rateRow(name, result), rawCpu, duplexCpu);
  };
  try {
    const rows: BenchRow[] = [];
    for (const c of ECHO_CASES) {
      rows.push(
        await against(
          rules,
          c,
          `echo ${c.label} (msg/s, window ${c.window}), mock with 20 rules, echo rule last`,
        ),
      );
    }
    for (const c of ECHO_CASES) {
      const name = `echo ${c.label}: the same 19 rules, then the reply rendered by a template (msg.text / msg.base64)`;
      rows.push({ ...(await against(templated, c, name)), target: '—', ok: undefined });
    }
    return rows;
  } finally {
    raw.child.kill();
    rules.child.kill();
    templated.child.kill();
  }
}

/** An echo run against `server` that also pushes the server's CPU time per echoed message (µs) to `cpu`. */
async function echoCountingCpu(
  server: ServerProcess,
  c: MessageCase,
  ms: number,
  cpu: number[],
): Promise<number> {
  const before = await server.cpu();
  let echoed = 0;
  const rate = await pipelinedEcho(`ws://127.0.0.1:${server.port}/`, c, ms, (n) => (echoed = n));
  cpu.push(((await server.cpu()) - before) / Math.max(1, echoed));
  return rate;
}

/**
 * Adds the server's CPU time per echoed message (median of the timed runs) to an echo row:
 * on a shared machine the rates swing with what else runs, the CPU a message costs the
 * server much less.
 */
function withServerCpu(row: BenchRow, rawCpu: number[], duplexCpu: number[]): BenchRow {
  // The first sample of each side is its warm-up run.
  const raw = median(rawCpu.slice(1));
  const duplex = median(duplexCpu.slice(1));
  return {
    ...row,
    raw: `${row.raw} · ${raw.toFixed(2)} µs server CPU/msg`,
    duplex: `${row.duplex} · ${duplex.toFixed(2)} µs server CPU/msg (${(raw / duplex).toFixed(2)}×)`,
    data: { ...row.data, serverCpuUsPerMessage: { raw: rawCpu.slice(1), duplex: duplexCpu.slice(1) } },
  };
}

// --- @mockoon/cli as a peer ------------------------------------------------

async function mockoonRows(pinned: boolean): Promise<BenchRow[]> {
  const bin = fileURLToPath(new URL('../../node_modules/.bin/mockoon-cli', import.meta.url));
  if (!existsSync(bin)) {
    return [info('echo 64 B text against @mockoon/cli', '—', '@mockoon/cli is not installed (npm install)')];
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'duplex-bench-mockoon-'));
  const env = join(dir, 'echo.json');
  writeFileSync(env, JSON.stringify(mockoonEchoEnvironment()));
  const mockoon = await startMockoon(bin, env, pinned);
  const rules = await startServer('rules-echo', pinned);
  try {
    const c = ECHO_CASES[0]!;
    const result = await alternate(
      (ms) => pipelinedEcho(`ws://127.0.0.1:${mockoon.port}/echo`, c, ms),
      (ms) => pipelinedEcho(`ws://127.0.0.1:${rules.port}/`, c, ms),
      settings,
    );
    return [
      {
        case: `echo ${c.label} (msg/s, window ${c.window}): @mockoon/cli 9 (raw column) vs the 20-rule Duplex mock`,
        raw: formatRate(result.medianA),
        duplex: formatRate(result.medianB),
        ratio: result.ratio,
        target: '— (peer)',
        ok: undefined,
        data: { mockoon: result.a, duplex: result.b },
      },
    ];
  } finally {
    mockoon.child.kill();
    rules.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

function mockoonEchoEnvironment(): Record<string, unknown> {
  return {
    uuid: '6d1c6d55-1b5e-4a1f-9a55-0b5a2f0c0001',
    lastMigration: 33,
    name: 'bench echo',
    endpointPrefix: '',
    latency: 0,
    port: 0,
    hostname: '127.0.0.1',
    routes: [
      {
        uuid: '6d1c6d55-1b5e-4a1f-9a55-0b5a2f0c0002',
        type: 'ws',
        method: '',
        endpoint: 'echo',
        documentation: '',
        responses: [
          {
            uuid: '6d1c6d55-1b5e-4a1f-9a55-0b5a2f0c0003',
            body: '{{bodyRaw}}',
            latency: 0,
            statusCode: 200,
            label: 'echo',
            headers: [],
            bodyType: 'INLINE',
            filePath: '',
            databucketID: '',
            sendFileAsBody: false,
            rules: [],
            rulesOperator: 'OR',
            disableTemplating: false,
            fallbackTo404: false,
            default: true,
            crudKey: 'id',
            callbacks: [],
          },
        ],
        responseMode: null,
        streamingMode: null,
        streamingInterval: 0,
      },
    ],
    rootChildren: [{ type: 'route', uuid: '6d1c6d55-1b5e-4a1f-9a55-0b5a2f0c0002' }],
    folders: [],
    proxyMode: false,
    proxyHost: '',
    proxyRemovePrefix: false,
    tlsOptions: {
      enabled: false,
      type: 'CERT',
      pfxPath: '',
      certPath: '',
      keyPath: '',
      caPath: '',
      passphrase: '',
    },
    cors: false,
    headers: [],
    proxyReqHeaders: [],
    proxyResHeaders: [],
    data: [],
    callbacks: [],
  };
}

async function startMockoon(
  bin: string,
  env: string,
  pinned: boolean,
): Promise<{ child: ChildProcess; port: number }> {
  const port = 30000 + Math.floor(Math.random() * 20000);
  const args = [
    'start',
    '--data',
    env,
    '--port',
    String(port),
    '--disable-log-to-file',
    '--disable-admin-api',
  ];
  const child = pinned ? spawn('taskset', ['-c', '1', bin, ...args]) : spawn(bin, args);
  child.stderr?.resume();
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('Server started')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`mockoon-cli exited with ${code} before it started`)));
  });
  child.stdout?.resume();
  return { child, port };
}

// --- 10,000 clients with a broadcast stream --------------------------------

interface FanoutResult {
  acceptRate: number;
  bytesPerClient: number;
  deliveredRate: number;
  connected: number;
}

async function fanoutRows(pinned: boolean): Promise<BenchRow[]> {
  const raw = await fanout('ws-fanout', pinned);
  const mock = await fanout('mock-fanout', pinned);
  const expected = (CLIENTS * 1000) / FANOUT_INTERVAL_MS;
  const n = CLIENTS.toLocaleString('en-US');
  return [
    {
      case: `${n} clients connecting (${CONNECT_CONCURRENCY} handshakes in flight) while the broadcast runs: accepted/s (connected: raw ${raw.connected}, Duplex ${mock.connected})`,
      raw: formatRate(raw.acceptRate),
      duplex: formatRate(mock.acceptRate),
      ratio: mock.acceptRate / raw.acceptRate,
      target: '—',
      ok: undefined,
      data: { raw, mock },
    },
    {
      case: `${n} clients: server memory per client (heap + arrayBuffers after GC, log included)`,
      raw: `${(raw.bytesPerClient / 1024).toFixed(1)} KiB`,
      duplex: `${(mock.bytesPerClient / 1024).toFixed(1)} KiB`,
      ratio: mock.bytesPerClient / raw.bytesPerClient,
      target: '—',
      ok: undefined,
    },
    {
      case: `${n} clients, 64 B to all every ${FANOUT_INTERVAL_MS} ms: messages received/s (${formatRate(expected)} sent/s due)`,
      raw: formatRate(raw.deliveredRate),
      duplex: formatRate(mock.deliveredRate),
      ratio: mock.deliveredRate / raw.deliveredRate,
      target: '≥ 0.80',
      ok: mock.deliveredRate / raw.deliveredRate >= 0.8,
    },
  ];
}

async function fanout(kind: 'ws-fanout' | 'mock-fanout', pinned: boolean): Promise<FanoutResult> {
  const server = await startServer(kind, pinned);
  const sockets: WebSocket[] = [];
  try {
    const before = await server.memory();
    const url = `ws://127.0.0.1:${server.port}/`;
    let received = 0;
    let connected = 0;
    const t0 = performance.now();
    let next = 0;
    const deadline = t0 + CONNECT_PHASE_MS;
    const connectOne = async (): Promise<void> => {
      while (next < CLIENTS && performance.now() < deadline) {
        next++;
        const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
        sockets.push(ws);
        ws.on('message', () => received++);
        ws.on('error', () => undefined);
        const ok = await new Promise<boolean>((resolve) => {
          // Not events.once: it rejects on 'error', and a refused handshake is counted, not thrown.
          ws.once('open', () => resolve(true));
          ws.once('close', () => resolve(false));
        });
        if (ok) connected++;
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, connectOne));
    const acceptRate = (connected * 1000) / (performance.now() - t0);
    await sleep(1000);
    const start = received;
    const t1 = performance.now();
    await sleep(FANOUT_MEASURE_MS);
    const deliveredRate = ((received - start) * 1000) / (performance.now() - t1);
    const after = await server.memory();
    return {
      acceptRate,
      bytesPerClient: (after - before) / Math.max(1, connected),
      deliveredRate,
      connected,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    server.child.kill();
  }
}

// --- helpers ---------------------------------------------------------------

async function startServer(kind: string, pinned: boolean): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./mock-bench-server.js', import.meta.url));
  const node = [process.execPath, '--expose-gc', script, kind];
  const child = pinned
    ? spawn('taskset', ['-c', '1', ...node], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] })
    : spawn(node[0]!, node.slice(1), { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error(`The ${kind} bench server exited before it reported its port.`);
    }),
  ])) as [{ port: number }];
  const memory = async (): Promise<number> => {
    child.send({ memory: true });
    const [answer] = (await once(child, 'message')) as [{ memory: number }];
    return answer.memory;
  };
  const cpu = async (): Promise<number> => {
    child.send({ cpu: true });
    const [answer] = (await once(child, 'message')) as [{ cpu: number }];
    return answer.cpu;
  };
  return { child, port: message.port, memory, cpu };
}

function info(name: string, raw: string, duplex: string): BenchRow {
  return { case: name, raw, duplex, ratio: undefined, target: '—', ok: undefined };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
