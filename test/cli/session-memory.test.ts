/**
 * Session files larger than the heap: each operation runs in a child process
 * with --max-old-space-size=64 on a 200 MB generated session, where reading
 * the file into one string (as Duplex used to) fails. Index, search, jump,
 * HAR export, HAR import and replay against a local echo server all finish,
 * find what is in the file, and stay within 256 MiB of resident memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MockServer } from '../../app/server/mock-server.js';
import { NEEDLE, writeSessionFixture } from '../../bench/session-fixture.js';
import { ROOT } from './helpers.js';

const HEAP = '--max-old-space-size=64';
const PROBE = join(ROOT, 'dist/bench/session-probe.js');
const MAX_RSS_MIB = 256;

let dir: string;
let file: string;
let events: number;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function probe(...args: string[]): Promise<{ maxRssMiB: number; result: Record<string, unknown> }> {
  const r = await run([HEAP, PROBE, ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { maxRssMiB: number; result: Record<string, unknown> };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-memory-'));
  file = join(dir, 'big.jsonl');
  const r = await writeSessionFixture({
    path: file,
    bytes: 200 * 1024 * 1024,
    badLineAfter: 20_001,
    needleAt: 30_001,
    padChars: 2000,
  });
  events = r.events;
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a 200 MB session with a 64 MiB heap', () => {
  it('reading it whole, the old way, runs out of memory (so the limit bites)', async () => {
    const oldWay = `const { readFileSync } = require('node:fs');
      const lines = readFileSync(${JSON.stringify(file)}, 'utf8').split('\\n');
      const parsed = lines.slice(1).filter(Boolean).map((l) => JSON.parse(l));
      console.log(parsed.length);`;
    const r = await run([HEAP, '-e', oldWay]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/heap out of memory|Invalid string length/);
  }, 120_000);

  it('indexes it, reports the bad middle line by number, and finds a needle by a streaming search', async () => {
    expect(statSync(file).size).toBeGreaterThan(200 * 1024 * 1024);
    const index = await probe('index', file);
    expect(index.result).toMatchObject({ total: events, lastSeq: events });
    const warnings = index.result['warnings'] as { line: number; message: string }[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/not valid JSON.*skipped/);
    expect(index.maxRssMiB).toBeLessThanOrEqual(MAX_RSS_MIB);

    const search = await probe('search', file, NEEDLE);
    // The needle is in the text of one message and of its echo.
    expect(search.result['matches']).toEqual([30_002, 30_003]);
    expect(search.maxRssMiB).toBeLessThanOrEqual(MAX_RSS_MIB);

    const jump = await probe('locate', file, String(events - 1));
    expect(jump.result).toEqual({ seq: events - 1, read: [events - 1, events] });

    const open = await probe('open', file);
    expect(open.result).toMatchObject({ rows: 200, firstSeq: 1 });
  }, 180_000);

  it('exports it to HAR and imports that HAR back, streaming both', async () => {
    const har = join(dir, 'big.har');
    const exported = await probe('export', file, har);
    expect(exported.result).toEqual({ warnings: 1 });
    expect(exported.maxRssMiB).toBeLessThanOrEqual(MAX_RSS_MIB);
    expect(statSync(har).size).toBeGreaterThan(200 * 1024 * 1024);
    const imported = await probe('import', har, join(dir, 'imported'));
    // Every message travels (the open event does not, and the bad line was skipped).
    expect(imported.result['sessions']).toEqual([
      { name: expect.stringMatching(/\.jsonl$/), entries: events - 1 },
    ]);
    expect(imported.maxRssMiB).toBeLessThanOrEqual(MAX_RSS_MIB);
    rmSync(har);
  }, 300_000);

  it('replays it at --speed 0 with --verify against a local echo server', async () => {
    const server = new MockServer('echo', {});
    await server.start();
    try {
      const replay = await probe('replay', file, server.url, 'verify');
      const sends = Math.floor((events - 1) / 2);
      expect(replay.result).toMatchObject({
        ok: true,
        sent: sends,
        toSend: sends,
        matched: sends,
        warnings: 1,
      });
      expect(replay.maxRssMiB).toBeLessThanOrEqual(MAX_RSS_MIB);
    } finally {
      await server.stop();
    }
  }, 300_000);
});
