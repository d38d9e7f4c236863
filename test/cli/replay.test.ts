/**
 * `duplex replay`, `duplex serve --replay`, `duplex import` and `duplex export`
 * as real processes: record → replay --verify against the same echo server
 * exits 0; against a server that answers differently exits 1 and the diff
 * names the message; bad arguments and corrupt or future-version files exit 2
 * with the line number.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockServer, type MockClient } from '../../app/server/mock-server.js';
import type { MessageView } from '../../app/payload/message-view.js';
import { readSessionFile } from '../support/read-session.js';
import { CliProcess, ROOT, runDuplex, startServe } from './helpers.js';

const running: CliProcess[] = [];
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) p.kill();
  for (const c of cleanups.splice(0)) await c();
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-replay-cli-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** An in-process server that answers each JSON message with a changed copy. */
async function differentServer(
  change: (msg: Record<string, unknown>) => Record<string, unknown>,
): Promise<string> {
  const server = new MockServer('different', {});
  const answer = (client: MockClient, view: MessageView): void => {
    if (view.kind !== 'text')
      return void server.send(client.info.clientId, { type: 'binary', data: view.bytes.slice() });
    const msg = JSON.parse(view.text) as Record<string, unknown>;
    server.send(client.info.clientId, { type: 'text', text: JSON.stringify(change(msg)) });
  };
  server.setBehaviours([
    { kind: 'manual', message: (client, view) => ({ run: () => answer(client, view) }) },
  ]);
  await server.start();
  cleanups.push(() => server.stop());
  return server.url;
}

/** Records a short conversation with `duplex connect --record` against `duplex serve` (echo). */
async function record(): Promise<{ file: string; url: string }> {
  const file = join(tempDir(), 'conversation.jsonl');
  const { serve, url } = await startServe();
  running.push(serve);
  const r = await runDuplex(
    'connect',
    url,
    '--send',
    '{"op":"add","a":1,"b":2,"ts":100}',
    '--send-hex',
    'deadbeef',
    '--send',
    '{"op":"mul","a":3,"b":4,"ts":101}',
    '--count',
    '3',
    '--record',
    file,
  );
  expect(r.stderr).toBe('');
  expect(r.result.code).toBe(0);
  return { file, url };
}

describe('duplex replay', () => {
  it('record → replay --verify against the same echo server exits 0', async () => {
    const { file, url } = await record();
    const r = await runDuplex('replay', file, '--verify', '--speed', '0');
    expect(r.stderr).toBe('');
    expect(r.result.code).toBe(0);
    expect(r.stdout).toContain(`replayed 3/3 outgoing messages to ${url}`);
    expect(r.stdout).toContain('verified 3/3 incoming messages match');
    expect(r.stdout).toMatch(/OK$/);

    const json = await runDuplex('replay', file, '--verify', '--json', '--speed', '2');
    expect(json.result.code).toBe(0);
    const report = JSON.parse(json.stdout) as { ok: boolean; matched: number; timing: { maxMs: number } };
    expect(report).toMatchObject({ ok: true, matched: 3 });
    expect(report.timing.maxMs).toBeGreaterThanOrEqual(0);
  });

  it('against a server that answers differently exits 1 and the diff names the message', async () => {
    const { file } = await record();
    const session = await readSessionFile(file);
    const firstIn = session.entries.find((e) => e.dir === 'in' && e.kind === 'text')!;
    const url = await differentServer((m) => ({ ...m, a: Number(m['a']) + 1, ts: Date.now() }));

    const r = await runDuplex('replay', file, '--url', url, '--verify', '--speed', '0');
    expect(r.result.code).toBe(1);
    expect(r.stdout).toContain(`✗ incoming message #1 (recorded seq ${firstIn.seq}):`);
    expect(r.stdout).toContain('$.a: expected 1, got 2');
    expect(r.stdout).toContain('$.ts: expected 100, got');
    expect(r.stdout).toContain('✗ incoming message #3');
    expect(r.stdout).toContain('$.a: expected 3, got 4');
    expect(r.stdout).not.toContain('incoming message #2'); // the binary echo matched byte for byte
    expect(r.stdout).toMatch(/FAILED$/);

    // Ignoring the changed fields makes the same replay pass.
    const ok = await runDuplex(
      'replay',
      file,
      '--url',
      url,
      '--verify',
      '--speed',
      '0',
      '--ignore',
      '$.a',
      '--ignore',
      '$.ts',
    );
    expect(ok.result.code).toBe(0);
  });

  it('bad arguments and unreadable files exit 2 with the reason; a refused connection exits 1', async () => {
    const { file } = await record();
    const badSpeed = await runDuplex('replay', file, '--speed', '-1');
    expect(badSpeed.result.code).toBe(2);
    expect(badSpeed.stderr).toMatch(/speed is a number ≥ 0/);

    const badPath = await runDuplex('replay', file, '--verify', '--ignore', 'ts', '--speed', '0');
    expect(badPath.result.code).toBe(2);
    expect(badPath.stderr).toMatch(/Ignore path "ts" does not start with \$/);

    const dir = tempDir();
    const lines = readFileSync(file, 'utf8').split('\n');
    const corrupt = join(dir, 'corrupt.jsonl');
    writeFileSync(corrupt, [lines[0], lines[1], '{"seq": oops', ...lines.slice(3)].join('\n'));
    // A bad line in the middle is skipped with a warning naming it; the rest still replays.
    const c = await runDuplex('replay', corrupt, '--speed', '0', '--json');
    expect(c.stderr).toMatch(/warning: line 3: not valid JSON.*skipped/);
    expect(JSON.parse(c.stdout) as { sent: number; toSend: number }).toMatchObject({ sent: 3, toSend: 3 });
    expect(readFileSync(corrupt, 'utf8')).toBe(
      [lines[0], lines[1], '{"seq": oops', ...lines.slice(3)].join('\n'),
    );

    const future = join(dir, 'future.jsonl');
    const header = { ...(JSON.parse(lines[0]!) as object), version: 99 };
    writeFileSync(future, [JSON.stringify(header), ...lines.slice(1)].join('\n'));
    const f = await runDuplex('replay', future);
    expect(f.result.code).toBe(2);
    expect(f.stderr).toMatch(
      /line 1: format version 99 is newer than this Duplex reads \(version 1\); update Duplex/,
    );

    const missing = await runDuplex('replay', join(dir, 'nope.jsonl'));
    expect(missing.result.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);

    // A malformed --url is reported before the file is opened.
    const badUrl = await runDuplex('replay', join(dir, 'nope.jsonl'), '--url', 'ftp://x/');
    expect(badUrl.result.code).toBe(2);
    expect(badUrl.stderrLines).toEqual([
      'duplex replay: "ftp://x/" uses ftp://; a WebSocket URL starts with ws:// or wss://.',
    ]);

    const refused = await runDuplex('replay', file, '--url', 'ws://127.0.0.1:1/', '--speed', '0');
    expect(refused.result.code).toBe(1);
    expect(refused.stdout).toMatch(/DUPLEX_ERR_CONNECTION_FAILED/);
  });
});

describe('duplex serve --replay', () => {
  it('serves a recording: conversation mode answers each client message with the recorded reply', async () => {
    const { file } = await record();
    const { serve, url } = await startServe('--replay', file, '--conversation');
    running.push(serve);
    // The recording's own replay against its mock passes verification.
    const r = await runDuplex('replay', file, '--url', url, '--verify', '--speed', '0');
    expect(r.stdout).toContain('verified 3/3 incoming messages match');
    expect(r.result.code).toBe(0);
  });

  it('timed mode sends the recorded server messages to a client that only listens', async () => {
    const { file } = await record();
    const { serve, url } = await startServe('--replay', file);
    running.push(serve);
    const r = await runDuplex('connect', url, '--count', '3', '--json');
    expect(r.result.code).toBe(0);
    const messages = r.events.filter((e) => e['event'] === 'message').map((e) => [e['type'], e['data']]);
    expect(messages).toEqual([
      ['text', '{"op":"add","a":1,"b":2,"ts":100}'],
      ['binary', '3q2+7w=='],
      ['text', '{"op":"mul","a":3,"b":4,"ts":101}'],
    ]);
  });

  it('a corrupt recording exits 2 before listening', async () => {
    const file = join(tempDir(), 'bad.jsonl');
    writeFileSync(file, '{"format":"duplex-session","version":1}\n');
    const r = await runDuplex('serve', '--port', '0', '--replay', file);
    expect(r.result.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl, line 1: bad header/);
  });
});

describe('duplex import / export', () => {
  it('imports HAR fixtures exactly and round-trips export → import', async () => {
    const out = tempDir();
    const fixture = join(ROOT, 'test/fixtures/har/chrome-binary.har');
    const r = await runDuplex('import', fixture, '--out', out);
    expect(r.result.code).toBe(0);
    const files = readdirSync(out);
    expect(files).toHaveLength(1);
    expect(r.stdout).toContain(`${join(out, files[0]!)}: ws://127.0.0.1:9001/bin, 5 messages`);
    const imported = await readSessionFile(join(out, files[0]!));
    expect(imported.entries.map((e) => [e.t, e.dir, e.kind, [...e.data]])).toEqual([
      [10, 'out', 'binary', [0x00, 0x01, 0xfe]],
      [12.345, 'in', 'binary', [0x00, 0x01, 0xfe, 0xff]],
      [100, 'out', 'text', [...Buffer.from('ping')]],
      [250, 'in', 'binary', []],
      [250, 'in', 'binary', [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff]],
    ]);

    const har = join(out, 'exported.har');
    const e = await runDuplex('export', join(out, files[0]!), '--out', har);
    expect(e.result.code).toBe(0);
    const again = tempDir();
    expect((await runDuplex('import', har, '--out', again)).result.code).toBe(0);
    const back = await readSessionFile(join(again, readdirSync(again)[0]!));
    expect(back.header).toEqual(imported.header);
    expect(back.entries).toEqual(imported.entries);
  });

  it('a file that is not HAR exits 2; a HAR without WebSockets exits 1', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.har'), 'not json');
    const bad = await runDuplex('import', join(dir, 'x.har'), '--out', dir);
    expect(bad.result.code).toBe(2);
    expect(bad.stderr).toMatch(/x\.har is not valid JSON/);
    writeFileSync(join(dir, 'empty.har'), '{"log":{"version":"1.2","entries":[]}}');
    const none = await runDuplex('import', join(dir, 'empty.har'), '--out', dir);
    expect(none.result.code).toBe(1);
    expect(none.stderr).toMatch(/no WebSocket entries/);
  });
});
