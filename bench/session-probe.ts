/**
 * One streaming operation on a session file, run in its own process so its
 * peak memory (maxRSS) is its own: `node dist/bench/session-probe.js OP FILE
 * [ARG]`. Prints one JSON line with the result, the time taken and maxRSS.
 * OP is open (first rows through session.open), index (full scan),
 * search TEXT (a filtered session.read over the whole file), locate SEQ,
 * export OUT.har, import FILE.har OUTDIR, replay URL (--speed 0).
 * Used by bench/session-bench.ts and by the bounded-memory test.
 */
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SessionIndexInfo } from '../app/contract.js';
import { Engine } from '../app/engine.js';
import { openSessionSource } from '../app/sessions/session-reader.js';
import { exportHarFile, importHarToFolder } from '../app/sessions/session-store.js';
import { replaySession } from '../app/sessions/replay.js';

const [op, file, arg, arg2] = process.argv.slice(2);

async function inWorkspace<T>(run: (engine: Engine, name: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'duplex-probe-'));
  const name = basename(file!).endsWith('.jsonl') ? basename(file!) : 'probe.jsonl';
  // The workspace sees the big file through a link: nothing is copied.
  await mkdir(join(dir, 'sessions'));
  await symlink(file!, join(dir, 'sessions', name)).catch(() => copyFile(file!, join(dir, 'sessions', name)));
  const engine = new Engine({ workspaceDir: dir });
  try {
    return await run(engine, name);
  } finally {
    await engine.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

async function untilIndexed(engine: Engine, name: string): Promise<SessionIndexInfo> {
  await engine.call('session.open', { name, count: 1 });
  for (;;) {
    const info = await engine.call('session.info', { name });
    if (info.complete) return info;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const t0 = performance.now();
let result: unknown;
switch (op) {
  case 'open':
    result = await inWorkspace(async (engine, name) => {
      const view = await engine.call('session.open', { name, count: 200 });
      const firstRowsMs = performance.now() - t0;
      return {
        firstRowsMs,
        rows: view.entries.length,
        firstSeq: view.entries[0]?.seq,
        complete: view.complete,
      };
    });
    break;
  case 'index':
    result = await inWorkspace(async (engine, name) => {
      const info = await untilIndexed(engine, name);
      return { total: info.total, lastSeq: info.lastSeq, warnings: info.warnings };
    });
    break;
  case 'search':
    result = await inWorkspace(async (engine, name) => {
      await untilIndexed(engine, name);
      // Timed alone, once the background index no longer competes for the CPU.
      const start = performance.now();
      const page = await engine.call('session.read', { name, count: 10, filter: { search: arg! } });
      return { scanMs: performance.now() - start, matches: page.entries.map((e) => e.seq) };
    });
    break;
  case 'locate':
    result = await inWorkspace(async (engine, name) => {
      const at = await engine.call('session.locate', { name, seq: Number(arg) });
      const page = await engine.call('session.read', { name, fromSeq: at.seq, count: 3 });
      return { seq: at.seq, read: page.entries.map((e) => e.seq) };
    });
    break;
  case 'export':
    result = { warnings: (await exportHarFile(file!, arg!)).length };
    break;
  case 'import': {
    const r = await importHarToFolder({ path: file! }, arg!);
    result = { sessions: r.sessions.map((s) => ({ name: s.name, entries: s.entries })) };
    break;
  }
  case 'replay': {
    const source = await openSessionSource(file!);
    const report = await replaySession(source, { url: arg!, speed: 0, verify: arg2 === 'verify' });
    result = {
      ok: report.ok,
      sent: report.sent,
      toSend: report.toSend,
      matched: report.matched,
      warnings: source.warnings.length,
      error: report.error,
    };
    break;
  }
  default:
    console.error('usage: session-probe open|index|search|locate|export|import|replay FILE [ARG]');
    process.exit(2);
}
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({ op, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, result }) + '\n',
);
