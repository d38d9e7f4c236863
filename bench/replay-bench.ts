/**
 * Replay timing: at --speed 1 each recorded send must leave within 10 ms of its
 * recorded offset. A synthetic client session (SENDS messages, random gaps of
 * 0–40 ms, a few bursts with no gap) is replayed against a local echo mock
 * server, with verify on. Measured twice: on the sending side (when send() ran
 * versus the scheduled offset) and on the server (arrival times relative to the
 * first arrival versus the recorded gaps).
 *
 * `npm run bench:replay` runs it alone; `replayBench` is a BenchSection that
 * bench/run.ts can list to include it in `npm run bench`.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { MockServer } from '../app/server/mock-server.js';
import { utf8Encode } from '../app/payload/codecs.js';
import { makeHeader, type Session, type SessionEntry } from '../app/sessions/session-format.js';
import { replaySession, timingStats } from '../app/sessions/replay.js';
import type { BenchRow, BenchSection } from './report.js';

const SENDS = Number(process.env['BENCH_REPLAY_SENDS'] ?? 300);
const TARGET_MS = 10;

function syntheticSession(url: string): Session {
  const entries: SessionEntry[] = [{ seq: 1, t: 0, dir: 'none', kind: 'open', data: new Uint8Array(0) }];
  let t = 5;
  let seq = 2;
  // A fixed pseudo-random sequence, so every run replays the same recording.
  let x = 12345;
  const rand = (): number => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < SENDS; i++) {
    t += i % 50 < 3 ? 0 : rand() * 40; // mostly spread out, with small bursts
    const text = JSON.stringify({ i, pad: 'x'.repeat(Math.floor(rand() * 200)) });
    entries.push({ seq: seq++, t, dir: 'out', kind: 'text', data: utf8Encode(text) });
    entries.push({ seq: seq++, t: t + 0.5, dir: 'in', kind: 'text', data: utf8Encode(text) });
  }
  return { header: makeHeader({ role: 'client', url }), entries };
}

/**
 * The machine's own floor: how late plain setTimeout fires for the same gaps,
 * with nothing else in the process. On a loaded machine this, not the replay,
 * sets the worst case.
 */
export async function measureTimerBaseline(gaps: number[]): Promise<ReturnType<typeof timingStats>> {
  const late: number[] = [];
  for (const gap of gaps) {
    const start = performance.now();
    await new Promise((r) => setTimeout(r, gap));
    late.push(performance.now() - start - gap);
  }
  return timingStats(late);
}

export async function measureReplayTiming(): Promise<{
  baseline: ReturnType<typeof timingStats>;
  sender: ReturnType<typeof timingStats>;
  server: ReturnType<typeof timingStats>;
  sends: number;
  ok: boolean;
  durationMs: number;
}> {
  const server = new MockServer('bench-replay', {});
  const arrivals: number[] = [];
  server.on('message', () => arrivals.push(performance.now()));
  await server.start();
  try {
    const session = syntheticSession(server.url);
    const sendTimes = session.entries.filter((e) => e.dir === 'out').map((e) => e.t);
    const baseline = await measureTimerBaseline(sendTimes.map((t, i) => t - (sendTimes[i - 1] ?? 0)));
    const started = performance.now();
    const report = await replaySession(session, { speed: 1, verify: true });
    const durationMs = performance.now() - started;
    if (!report.ok) throw new Error(`replay failed: ${JSON.stringify(report.mismatches[0] ?? report.error)}`);
    const recorded = session.entries.filter((e) => e.dir === 'out').map((e) => e.t);
    const serverDeviations = arrivals.map((a, i) => a - arrivals[0]! - (recorded[i]! - recorded[0]!));
    return {
      baseline,
      sender: timingStats(report.deviationsMs),
      server: timingStats(serverDeviations),
      sends: report.sent,
      ok: report.matched === report.expected,
      durationMs,
    };
  } finally {
    await server.stop();
  }
}

export const replayBench: BenchSection = {
  name: 'replay',
  title: `Replay timing at --speed 1 (${SENDS} sends, verify on)`,
  async run(): Promise<BenchRow[]> {
    const m = await measureReplayTiming();
    const row = (name: string, value: number, target?: number): BenchRow => ({
      case: name,
      raw: '—',
      duplex: `${value.toFixed(2)} ms`,
      ratio: undefined,
      target: target === undefined ? '—' : `≤ ${target} ms`,
      ok: target === undefined ? undefined : value <= target,
    });
    return [
      row('send vs recorded offset: max deviation', m.sender.maxMs, TARGET_MS),
      row('send vs recorded offset: p95 deviation', m.sender.p95Ms),
      row('send vs recorded offset: mean deviation', m.sender.meanMs),
      row('arrival at server vs recorded gaps: max deviation', m.server.maxMs, TARGET_MS),
      row('arrival at server vs recorded gaps: p95 deviation', m.server.p95Ms),
      row('arrival at server vs recorded gaps: mean deviation', m.server.meanMs),
      row('machine floor: plain setTimeout lateness, max', m.baseline.maxMs),
      row('machine floor: plain setTimeout lateness, p95', m.baseline.p95Ms),
    ];
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const m = await measureReplayTiming();
  const fmt = (s: ReturnType<typeof timingStats>): string =>
    `max ${s.maxMs.toFixed(2)} ms, p95 ${s.p95Ms.toFixed(2)} ms, mean ${s.meanMs.toFixed(2)} ms`;
  console.log(
    `Replay timing at --speed 1: ${m.sends} sends over ${(m.durationMs / 1000).toFixed(1)} s, verify on`,
  );
  console.log(`  send vs recorded offset:        ${fmt(m.sender)}`);
  console.log(`  arrival at server vs recording: ${fmt(m.server)}`);
  console.log(`  machine floor (plain setTimeout lateness, same gaps): ${fmt(m.baseline)}`);
  const pass = m.sender.maxMs <= TARGET_MS && m.server.maxMs <= TARGET_MS;
  console.log(
    pass ? `OK: every send within ${TARGET_MS} ms` : `MISSED: a send was more than ${TARGET_MS} ms off`,
  );
  process.exitCode = pass ? 0 : 1;
}
