/**
 * A Mockoon environment file (Mockoon's format, test/fixtures/mockoon/runtime-environment.json)
 * imported with file.importMockoon into another folder, served by the engine and driven by
 * python3-websockets: random responses, UNICAST and BROADCAST streams, AND and inverted
 * rules, and a file response, as they run — not only as they convert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { missingPythonPeer, runMockClient, type PeerOp } from './peers/mock-client.js';

const ENV = fileURLToPath(new URL('../fixtures/mockoon/runtime-environment.json', import.meta.url));
const missing = missingPythonPeer();
if (missing) console.warn(`Skipping the imported Mockoon interop: ${missing}`);

describe.skipIf(missing)('an imported Mockoon environment, served, against python3-websockets', () => {
  let engine: Engine;
  let dir: string;
  let base: string;
  let serverId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duplex-pymockoon-'));
    engine = new Engine();
    const { path } = await engine.call('file.importMockoon', { file: ENV, outDir: dir });
    const { server } = await engine.call('file.serveMock', { file: path, port: 0 });
    base = `ws://127.0.0.1:${server.port}`;
    serverId = server.serverId;
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('RANDOM: over 60 draws every response appears, and nothing else', async () => {
    const ops: PeerOp[] = [{ op: 'connect', c: 'a', url: `${base}/random` }];
    for (let i = 0; i < 60; i++) ops.push({ op: 'send', c: 'a', text: 'x' }, { op: 'recv', c: 'a' });
    const draws = (await runMockClient(ops)).filter((_, i) => i > 0 && i % 2 === 0).map((x) => x['text']);
    expect(draws).toHaveLength(60);
    // One of three missing after 60 draws: a chance of about 3 × (2/3)^60, 1 in 10^10.
    expect(new Set(draws)).toEqual(new Set(['r1', 'r2', 'r3']));
  });

  it('an AND rule, an inverted rule, and the default response', async () => {
    const sends = [
      '{"kind":"order","qty":"3"}', // both hold
      '{"kind":"order","qty":"x"}', // AND fails; not admin
      '{"user":{"role":"guest"}}', // inverted: not admin
      '{"user":{"role":"admin"}}', // inverted fails: the default echoes
    ];
    const ops: PeerOp[] = [{ op: 'connect', c: 'a', url: `${base}/rules` }];
    for (const text of sends) ops.push({ op: 'send', c: 'a', text }, { op: 'recv', c: 'a' });
    const replies = (await runMockClient(ops)).filter((_, i) => i > 0 && i % 2 === 0).map((x) => x['text']);
    expect(replies).toEqual(['both', 'not admin', 'not admin', '{"user":{"role":"admin"}}']);
  });

  it('a FILE response sends the file beside the environment, though the mock is elsewhere', async () => {
    const r = await runMockClient([
      { op: 'connect', c: 'a', url: `${base}/file` },
      { op: 'send', c: 'a', text: 'x' },
      { op: 'recv', c: 'a' },
    ]);
    expect(r[2]).toEqual({ type: 'text', text: 'hello from a file\n' });
  });

  it('UNICAST: ticks to the one client on the route, no sooner apart than the interval', async () => {
    const r = await runMockClient([
      { op: 'connect', c: 'a', url: `${base}/unicast` },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
    ]);
    for (const x of r.slice(1)) expect(String(x['text'])).toMatch(/^\{"tick":"[0-9a-f-]{36}"\}$/);
    const ticks = engine
      .log(serverId)
      .read(1, 100_000, { dir: 'out' })
      .filter((e) => e.rule !== undefined && new TextDecoder().decode(e.payload).startsWith('{"tick"'));
    expect(new Set(ticks.map((e) => e.clientId)).size).toBe(1);
    // Timers do not fire early (1 ms of clock rounding aside, with margin): consecutive ticks to the one client are at least the interval apart.
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]!.t - ticks[i - 1]!.t).toBeGreaterThanOrEqual(95);
  });

  it('BROADCAST: two clients get the same messages', async () => {
    const r = await runMockClient([
      { op: 'connect', c: 'a', url: `${base}/broadcast` },
      { op: 'recv', c: 'a' },
      { op: 'connect', c: 'b', url: `${base}/broadcast` },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'b' },
      // a, connected first, also got b's messages: the same uuid, rendered once for both.
      { op: 'recvUntil', c: 'a', same: 4 },
    ]);
    const a = r[5]!['texts'] as string[];
    expect(String(r[3]!['text'])).toMatch(/^news [0-9a-f-]{36}$/);
    expect(a.slice(-2)).toEqual([r[3]!['text'], r[4]!['text']]);
  });
});
