/**
 * `npm run bench`: runs every benchmark section (or the ones named on the
 * command line, e.g. `npm run bench -- engine`), prints one markdown table per
 * section and writes all rows to .tmp/bench.json (gitignored). Not a test: the
 * exit code is 0 even when a target is missed; read the `ok` column.
 *
 * To add a benchmark, write a BenchSection in bench/<name>-bench.ts and list it
 * in SECTIONS below.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { engineBench } from './engine-bench.js';
import { mockBench } from './mock-bench.js';
import { replayBench } from './replay-bench.js';
import { sessionBench } from './session-bench.js';
import { settingsFromEnv } from './measure.js';
import { markdownTable, type BenchRow, type BenchSection } from './report.js';

const SECTIONS: BenchSection[] = [engineBench, replayBench, sessionBench, mockBench];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !SECTIONS.some((s) => s.name === name));
if (unknown.length > 0) {
  console.error(
    `Unknown benchmark section ${unknown.join(', ')}; choose from ${SECTIONS.map((s) => s.name).join(', ')}.`,
  );
  process.exit(2);
}
const sections = wanted.length ? SECTIONS.filter((s) => wanted.includes(s.name)) : SECTIONS;

const settings = settingsFromEnv();
console.log(
  `Duplex benchmark — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ` +
    `load ${os.loadavg()[0]!.toFixed(2)}; median of ${settings.rounds} runs × ${settings.runMs} ms per side, ` +
    `alternating, after a ${settings.warmupMs} ms warm-up; each run counts after ${settings.settleMs} ms of traffic (BENCH_RUN_MS, BENCH_ROUNDS, BENCH_WARMUP_MS, BENCH_SETTLE_MS, BENCH_ONLY).`,
);
if (!(globalThis as { gc?: unknown }).gc) {
  console.log('Note: node runs without --expose-gc, so memory figures are not measured after a full GC.');
}

const results: Record<string, BenchRow[]> = {};
const started = Date.now();
for (const section of sections) {
  const t0 = Date.now();
  const rows = await section.run();
  results[section.name] = rows;
  console.log(`\n## ${section.title} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  console.log(markdownTable(rows));
}
const missed = Object.values(results)
  .flat()
  .filter((r) => r.ok === false);
console.log(
  `\n${missed.length === 0 ? 'All targets met.' : `${missed.length} target(s) missed.`} Total ${((Date.now() - started) / 1000).toFixed(0)} s.`,
);

await mkdir('.tmp', { recursive: true });
await writeFile(
  '.tmp/bench.json',
  JSON.stringify({ at: new Date().toISOString(), node: process.version, settings, results }, null, 2),
);
console.log('Rows written to .tmp/bench.json.');
