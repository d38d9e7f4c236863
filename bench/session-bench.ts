/**
 * Session files of any size, on a 2 GB client recording the bench generates
 * (in os.tmpdir(), reused by later runs when its size is right, deleted at the
 * end unless BENCH_KEEP_SESSION=1; BENCH_SESSION_MB sets another size). Each
 * operation runs in its own process (bench/session-probe.ts) so its peak RSS
 * is its own: open to first rows, the background index, a full search scan,
 * and `replay --speed 0` against a local echo server.
 *
 * `npm run bench -- sessions` runs it alone.
 */
import { spawn } from 'node:child_process';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MockServer } from '../app/server/mock-server.js';
import { formatRate } from './measure.js';
import { NEEDLE, writeSessionFixture } from './session-fixture.js';
import type { BenchRow, BenchSection } from './report.js';

const MB = Number(process.env['BENCH_SESSION_MB'] ?? 2048);
const PROBE = fileURLToPath(new URL('./session-probe.js', import.meta.url));
const MAX_RSS_MIB = 256;
const FIRST_ROWS_MS = 1000;

interface ProbeOutput {
  ms: number;
  maxRssMiB: number;
  result: Record<string, unknown>;
}

function probe(...args: string[]): Promise<ProbeOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PROBE, ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as ProbeOutput)
        : reject(new Error(`probe ${args[0]} failed: ${err}`)),
    );
  });
}

export const sessionBench: BenchSection = {
  name: 'sessions',
  title: `Session file of ${MB >= 1024 ? `${(MB / 1024).toFixed(1)} GiB` : `${MB} MiB`} (each row in its own process)`,
  async run(): Promise<BenchRow[]> {
    const path = join(tmpdir(), `duplex-bench-session-${MB}m.jsonl`);
    const gen = await writeSessionFixture({
      path,
      bytes: MB * 1024 * 1024,
      padChars: 800,
      needleAt: 1_000_001,
      badLineAfter: 500_001,
    });
    const size = (await stat(path)).size;
    const server = new MockServer('bench-echo', {});
    await server.start();
    try {
      const open = await probe('open', path);
      const index = await probe('index', path);
      const search = await probe('search', path, NEEDLE);
      const replay = await probe('replay', path, server.url);
      const mib = size / (1024 * 1024);
      const firstRowsMs = open.result['firstRowsMs'] as number;
      const scanMs = search.result['scanMs'] as number;
      const sent = replay.result['sent'] as number;
      const peak = Math.max(open.maxRssMiB, index.maxRssMiB, search.maxRssMiB, replay.maxRssMiB);
      const info = (name: string, duplex: string, data: Record<string, unknown>): BenchRow => ({
        case: name,
        raw: '—',
        duplex,
        ratio: undefined,
        target: '—',
        ok: undefined,
        data,
      });
      return [
        {
          ...info(`open to first 200 rows (ms)`, `${firstRowsMs.toFixed(0)} ms`, {
            firstRowsMs,
            size,
            reused: gen.reused,
          }),
          target: `≤ ${FIRST_ROWS_MS} ms`,
          ok: firstRowsMs <= FIRST_ROWS_MS,
        },
        info('background index of the whole file (MB/s)', `${(mib / (index.ms / 1000)).toFixed(0)} MiB/s`, {
          ms: index.ms,
          total: index.result['total'],
        }),
        info(
          'full search scan, session.read with a search filter (MB/s)',
          `${(mib / (scanMs / 1000)).toFixed(0)} MiB/s`,
          {
            scanMs,
            matches: search.result['matches'],
          },
        ),
        info(
          'replay --speed 0 to a local echo server (msg/s, planning pass included)',
          `${formatRate(sent / (replay.ms / 1000))} msg/s`,
          {
            ms: replay.ms,
            sent,
            ok: replay.result['ok'],
          },
        ),
        {
          ...info('peak RSS of any of these processes (MiB)', `${peak.toFixed(0)} MiB`, {
            open: open.maxRssMiB,
            index: index.maxRssMiB,
            search: search.maxRssMiB,
            replay: replay.maxRssMiB,
          }),
          target: `≤ ${MAX_RSS_MIB} MiB`,
          ok: peak <= MAX_RSS_MIB,
        },
      ];
    } finally {
      await server.stop();
      if (process.env['BENCH_KEEP_SESSION'] !== '1') await rm(path, { force: true });
    }
  },
};
