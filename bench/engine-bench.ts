/**
 * The engine benchmark (issue 2): on loopback, side by side in one run,
 * - receive rate: a raw `ws` client vs a Duplex client connection as the app
 *   runs it (opened through the Engine, log on, a subscriber serializing every
 *   event batch as IPC or the browser bridge would), both receiving the same
 *   flood from the same server, over ws:// and over wss:// (TLS with a
 *   certificate made for the run; both clients accept it as self-signed);
 *   and, for information, a bare ClientConnection
 *   with a per-message 'message' listener (which the app does not use);
 * - echo rate: a raw `ws` client keeping a window of messages in flight against
 *   a bare `ws` echo server vs the Duplex MockServer (echo on, log on);
 * - memory after logging 1,000,000 messages of 64 B under a 32 MiB log budget,
 *   through MessageLog.append directly and through a real connection.
 * The servers run in a child process (bench-server.ts) so client and server do
 * not share an event loop. Where `taskset` exists and there are two CPUs or
 * more, this process is pinned to CPU 0 and the server to CPU 1: otherwise the
 * scheduler now and then puts both on one CPU, and a run measures that instead
 * of the client (seen here: raw ws alone swinging between 0.3 M and 0.6 M/s).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { ClientConnection } from '../app/connections/client-connection.js';
import { Engine } from '../app/engine.js';
import { DEFAULT_LOG_BUDGET, MessageLog } from '../app/log/message-log.js';
import type { BenchServerPorts } from './bench-server.js';
import {
  alternate,
  collectGarbage,
  formatMiB,
  formatRate,
  median,
  settingsFromEnv,
  type AbResult,
  type BenchSettings,
} from './measure.js';
import type { BenchRow, BenchSection } from './report.js';

const RATIO_TARGET = 0.8;
const settings = settingsFromEnv();
const MEMORY_MESSAGES = 1_000_000;
const MEMORY_BUDGET = 32 * 1024 * 1024;

export interface MessageCase {
  label: string;
  size: number;
  binary: boolean;
  /** Messages kept in flight by the echo client. */
  window: number;
}

const CASES: MessageCase[] = [
  { label: '64 B text', size: 64, binary: false, window: 500 },
  { label: '4 KiB binary', size: 4 * 1024, binary: true, window: 200 },
  { label: '1 MiB binary', size: 1024 * 1024, binary: true, window: 4 },
];

export const engineBench: BenchSection = {
  name: 'engine',
  title: 'Engine: raw ws vs Duplex on loopback (server in a separate process)',
  async run() {
    const cpus = os.cpus().length;
    const pinned = cpus >= 2 && pinTo('0');
    console.log(
      pinned
        ? 'Engine section: this process pinned to CPU 0, the server process to CPU 1.'
        : 'Engine section: not pinned to CPUs (needs taskset and two CPUs); figures swing more.',
    );
    const server = await startServerProcess(pinned);
    try {
      const rows: BenchRow[] = [];
      // Memory first, while the heap holds nothing from the rate runs.
      if (settings.only('memory')) {
        rows.push(await memoryDirectRow());
        rows.push(await memoryConnectionRow(server.ports));
      }
      if (settings.only('receive'))
        for (const scheme of ['ws', 'wss'] as const)
          for (const c of CASES) rows.push(await receiveRow(server.ports, scheme, c, settings));
      if (settings.only('floor')) for (const c of CASES) rows.push(await floorRow(server.ports, c, settings));
      if (settings.only('listener'))
        for (const c of CASES) rows.push(await listenerRow(server.ports, c, settings));
      if (settings.only('echo')) for (const c of CASES) rows.push(await echoRow(server.ports, c, settings));

      return rows;
    } finally {
      server.child.kill();
      if (pinned) pinTo(`0-${cpus - 1}`);
    }
  },
};

// --- receive ---------------------------------------------------------------

type Scheme = 'ws' | 'wss';

function floodUrl(ports: BenchServerPorts, c: MessageCase, scheme: Scheme = 'ws'): string | undefined {
  const port = scheme === 'ws' ? ports.flood : ports.floodTls;
  return port === undefined
    ? undefined
    : `${scheme}://127.0.0.1:${port}/?size=${c.size}&binary=${c.binary ? 1 : 0}`;
}

async function receiveRow(
  ports: BenchServerPorts,
  scheme: Scheme,
  c: MessageCase,
  s: BenchSettings,
): Promise<BenchRow> {
  const name = `receive ${c.label} over ${scheme}:// (msg/s), Duplex connection via the Engine`;
  const url = floodUrl(ports, c, scheme);
  if (url === undefined)
    return {
      case: name,
      raw: '—',
      duplex: 'skipped: openssl could not make a certificate',
      ratio: undefined,
      target: '—',
      ok: undefined,
    };
  const rawCpu: number[] = [];
  const duplexCpu: number[] = [];
  const result = await alternate(
    (ms) => receiveWithRawWs(url, ms, rawCpu),
    (ms) => receiveWithEngine(url, ms, duplexCpu),
    s,
  );
  return withCpu(rateRow(name, result), rawCpu, duplexCpu);
}

/**
 * Adds the client's CPU time per message (median over the timed runs) to a
 * receive row. On a shared machine the rates swing with what else runs; the
 * CPU a message costs the client swings much less, so it says where a low
 * ratio comes from: the client's own work, or the machine.
 */
function withCpu(row: BenchRow, rawCpu: number[], duplexCpu: number[]): BenchRow {
  // The first sample of each side is its warm-up run.
  const raw = median(rawCpu.slice(1));
  const duplex = median(duplexCpu.slice(1));
  return {
    ...row,
    raw: `${row.raw} · ${raw.toFixed(2)} µs CPU/msg`,
    duplex: `${row.duplex} · ${duplex.toFixed(2)} µs CPU/msg (${(raw / duplex).toFixed(2)}×)`,
    data: { ...row.data, cpuUsPerMessage: { raw: rawCpu.slice(1), duplex: duplexCpu.slice(1) } },
  };
}

/** For information: the ClientConnection with a per-message listener (an entry object and an event per frame). */
async function listenerRow(ports: BenchServerPorts, c: MessageCase, s: BenchSettings): Promise<BenchRow> {
  const url = floodUrl(ports, c)!;
  const result = await alternate(
    (ms) => receiveWithRawWs(url, ms),
    (ms) => receiveWithClientConnection(url, ms),
    s,
  );
  return {
    ...rateRow(`receive ${c.label} (msg/s), ClientConnection + 'message' listener`, result),
    target: '—',
    ok: undefined,
  };
}

/**
 * For information: raw `ws` against raw `ws` that also copies every payload into a
 * ring as large as a log's default budget. That copy is the least any log that keeps
 * the bytes must do; the ratio is the ceiling of a receive row (memory bandwidth,
 * not code, once the ring is larger than the CPU's caches).
 */
async function floorRow(ports: BenchServerPorts, c: MessageCase, s: BenchSettings): Promise<BenchRow> {
  const url = floodUrl(ports, c)!;
  const rawCpu: number[] = [];
  const copyCpu: number[] = [];
  const result = await alternate(
    (ms) => receiveWithRawWs(url, ms, rawCpu),
    (ms) => receiveWithRawWs(url, ms, copyCpu, DEFAULT_LOG_BUDGET),
    s,
  );
  const row = rateRow(
    `receive ${c.label} over ws:// (msg/s): raw ws that copies each payload into a ${formatMiB(DEFAULT_LOG_BUDGET)} ring (the floor of keeping the bytes)`,
    result,
  );
  return { ...withCpu(row, rawCpu, copyCpu), target: '—', ok: undefined };
}

/**
 * Messages per second a bare `ws` client receives during `ms` (accepting the run's
 * self-signed certificate); with `ringBytes`, it copies each payload into a ring that size.
 */
async function receiveWithRawWs(
  url: string,
  ms: number,
  cpu?: number[],
  ringBytes?: number,
): Promise<number> {
  const ws = new WebSocket(url, { perMessageDeflate: false, rejectUnauthorized: false });
  let count = 0;
  if (ringBytes === undefined) ws.on('message', () => count++);
  else {
    const ring = new Uint8Array(ringBytes);
    let at = 0;
    ws.on('message', (data: Buffer) => {
      count++;
      if (at + data.length > ring.length) at = 0;
      ring.set(data, at);
      at += data.length;
    });
  }
  ws.on('error', () => undefined);
  await once(ws, 'open');
  const rate = await countFor(ms, () => count, cpu);
  ws.terminate();
  return rate;
}

/**
 * Messages per second a connection opened through the Engine receives during
 * `ms`, counted by its log (every received frame is an entry). The subscriber
 * serializes each batch, as main/ipc.ts and the browser bridge send them on.
 */
async function receiveWithEngine(url: string, ms: number, cpu?: number[]): Promise<number> {
  const engine = new Engine();
  let serialized = 0;
  engine.subscribe((events) => {
    serialized += JSON.stringify(events).length;
  });
  const info = await engine.call('connection.open', {
    url,
    perMessageDeflate: false,
    tls: { insecure: true },
  });
  const conn = engine.connection(info.connectionId);
  if (conn.readyState !== 1) await once(conn, 'open');
  const rate = await countFor(ms, () => conn.log.lastSeq, cpu);
  await engine.dispose();
  if (serialized === 0) throw new Error('The engine published no events during the run.');
  return rate;
}

/** Messages per second the Duplex ClientConnection (which always logs) receives during `ms`. */
async function receiveWithClientConnection(url: string, ms: number): Promise<number> {
  const conn = new ClientConnection('bench', { url, perMessageDeflate: false });
  let count = 0;
  conn.on('message', () => count++);
  conn.on('error', () => undefined);
  const opened = once(conn, 'open');
  conn.connect();
  await opened;
  const rate = await countFor(ms, () => count);
  conn.terminate();
  return rate;
}

/**
 * Waits `settleMs`, then `ms`, and returns how much `counter()` grew per second
 * during the latter; pushes this process's CPU time per count (µs) to `cpu`.
 */
async function countFor(ms: number, counter: () => number, cpu?: number[]): Promise<number> {
  await sleep(settings.settleMs);
  const start = counter();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await sleep(ms);
  const used = process.cpuUsage(cpu0);
  const counted = counter() - start;
  cpu?.push((used.user + used.system) / Math.max(1, counted));
  return (counted * 1000) / (performance.now() - t0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- echo ------------------------------------------------------------------

async function echoRow(ports: BenchServerPorts, c: MessageCase, s: BenchSettings): Promise<BenchRow> {
  const result = await alternate(
    (ms) => pipelinedEcho(`ws://127.0.0.1:${ports.wsEcho}/`, c, ms),
    (ms) => pipelinedEcho(`ws://127.0.0.1:${ports.mockEcho}/`, c, ms),
    s,
  );
  return rateRow(`echo ${c.label} (msg/s, window ${c.window}), Duplex MockServer`, result);
}

/**
 * Echoed messages per second for a raw `ws` client that keeps `c.window` messages in flight.
 * `echoed`, when given, is told how many came back over the whole connection (settle included).
 */
export async function pipelinedEcho(
  url: string,
  c: MessageCase,
  ms: number,
  echoed?: (count: number) => void,
): Promise<number> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const payload = Buffer.alloc(c.size, c.binary ? 0xa5 : 0x61);
  const options = { binary: c.binary };
  let count = 0;
  ws.on('error', () => undefined);
  ws.on('message', () => {
    count++;
    ws.send(payload, options);
  });
  await once(ws, 'open');
  for (let i = 0; i < c.window; i++) ws.send(payload, options);
  const rate = await countFor(ms, () => count);
  ws.terminate();
  echoed?.(count);
  return rate;
}

export function rateRow(name: string, r: AbResult): BenchRow {
  return {
    case: name,
    raw: formatRate(r.medianA),
    duplex: formatRate(r.medianB),
    ratio: r.ratio,
    target: `≥ ${RATIO_TARGET.toFixed(2)}`,
    ok: r.ratio >= RATIO_TARGET,
    data: { raw: r.a, duplex: r.b, medianRaw: r.medianA, medianDuplex: r.medianB },
  };
}

// --- memory ----------------------------------------------------------------

function memoryNow(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** 1,000,000 × 64 B straight into MessageLog.append. */
async function memoryDirectRow(): Promise<BenchRow> {
  const gcOk = await collectGarbage();
  const before = memoryNow();
  const log = new MessageLog({ budgetBytes: MEMORY_BUDGET });
  const payload = Buffer.alloc(64, 0x61);
  const t0 = performance.now();
  for (let i = 0; i < MEMORY_MESSAGES; i++) log.append('in', 'text', payload);
  const appendRate = (MEMORY_MESSAGES * 1000) / (performance.now() - t0);
  await collectGarbage();
  const delta = memoryNow() - before;
  return memoryRow(
    `memory: 1,000,000 × 64 B via MessageLog.append (${formatRate(appendRate)} appends/s)`,
    log,
    delta,
    gcOk,
  );
}

/** 1,000,000 × 64 B received by a ClientConnection from the flood server, then closed. */
async function memoryConnectionRow(ports: BenchServerPorts): Promise<BenchRow> {
  const gcOk = await collectGarbage();
  const before = memoryNow();
  const url = `ws://127.0.0.1:${ports.flood}/?size=64&binary=0&count=${MEMORY_MESSAGES}`;
  const conn = new ClientConnection('bench-memory', {
    url,
    perMessageDeflate: false,
    logBudgetBytes: MEMORY_BUDGET,
  });
  let received = 0;
  conn.on('message', () => received++);
  conn.on('error', () => undefined);
  const closed = once(conn, 'close');
  const t0 = performance.now();
  conn.connect();
  await closed;
  const rate = (received * 1000) / (performance.now() - t0);
  await collectGarbage();
  const delta = memoryNow() - before;
  const row = memoryRow(
    `memory: ${received.toLocaleString('en-US')} × 64 B via ClientConnection over loopback (${formatRate(rate)} msg/s)`,
    conn.log,
    delta,
    gcOk,
  );
  if (received !== MEMORY_MESSAGES) row.ok = false;
  return row;
}

function memoryRow(name: string, log: MessageLog, delta: number, gcOk: boolean): BenchRow {
  const under = delta <= log.budgetBytes && log.bytes <= log.budgetBytes;
  return {
    case: name,
    raw: `budget ${formatMiB(log.budgetBytes)}`,
    duplex: `heap+arrayBuffers Δ ${formatMiB(delta)}; log.bytes ${formatMiB(log.bytes)}; ${log.size.toLocaleString('en-US')} entries held`,
    ratio: delta / log.budgetBytes,
    target: '≤ 1.00 of budget',
    ok: gcOk ? under : undefined,
    data: { deltaBytes: delta, logBytes: log.bytes, entries: log.size, budgetBytes: log.budgetBytes, gcOk },
  };
}

// --- server process --------------------------------------------------------

/** Pins this process to `cpus` (a taskset list); false where taskset is missing or fails. */
export function pinTo(cpus: string): boolean {
  try {
    execFileSync('taskset', ['-cp', cpus, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startServerProcess(
  pinned: boolean,
): Promise<{ child: ChildProcess; ports: BenchServerPorts }> {
  const script = fileURLToPath(new URL('./bench-server.js', import.meta.url));
  const [command, args] = pinned
    ? ['taskset', ['-c', '1', process.execPath, script]]
    : [process.execPath, [script]];
  const child = spawn(command, args, { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  const [message] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('The bench server process exited before it reported its ports.');
    }),
  ])) as [{ ports: BenchServerPorts }];
  return { child, ports: message.ports };
}
