import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageLog } from '../../app/log/message-log.js';
import { DuplexError } from '../../app/errors.js';
import { SessionWriter, FLUSH_MS } from '../../app/sessions/session-writer.js';
import { readSessionHeader } from '../../app/sessions/session-reader.js';
import { readSessionFile } from '../support/read-session.js';
import { SESSION_VERSION } from '../../app/sessions/session-format.js';
import { utf8Decode, utf8Encode } from '../../app/payload/codecs.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-session-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function expectFileError(p: Promise<unknown>, ...parts: RegExp[]): Promise<DuplexError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DuplexError);
  const d = err as DuplexError;
  expect(d.code).toBe('DUPLEX_ERR_FILE');
  for (const re of parts) expect(d.message).toMatch(re);
  return d;
}

describe('session writer and reader', () => {
  it('records a log (text, binary, close, notes) and reads back the same bytes', async () => {
    const path = join(tempDir(), 'a.jsonl');
    const log = new MessageLog();
    log.append('none', 'info', undefined, { note: 'connecting' });
    const writer = new SessionWriter({
      path,
      header: {
        role: 'client',
        url: 'ws://x.test/',
        headers: { 'X-A': '1' },
        protocols: ['p1'],
        startedAt: log.read(log.firstSeq, 1)[0]!.t,
      },
    }).attach(log, true);
    const binary = new Uint8Array([0, 1, 0xfe, 0xff, 0x80]);
    const invalidUtf8 = new Uint8Array([0x68, 0xc3]); // torn UTF-8 kept as base64, byte-exact
    log.append('out', 'text', utf8Encode('héllo ✓ \u{1F600}'));
    log.append('in', 'binary', binary);
    log.append('in', 'text', invalidUtf8);
    log.append('out', 'close', utf8Encode('bye'), { code: 4000, reason: 'bye' });
    log.append('in', 'text', utf8Encode('late\nline'), { clientId: '7' });
    expect(await writer.stop()).toEqual({ path, entries: 6 });

    const s = await readSessionFile(path);
    expect(s.warnings).toEqual([]);
    expect(s.header).toMatchObject({
      format: 'duplex-session',
      version: SESSION_VERSION,
      role: 'client',
      url: 'ws://x.test/',
      headers: { 'X-A': '1' },
      protocols: ['p1'],
    });
    expect(s.entries.map((e) => [e.seq, e.dir, e.kind])).toEqual([
      [1, 'none', 'info'],
      [2, 'out', 'text'],
      [3, 'in', 'binary'],
      [4, 'in', 'text'],
      [5, 'out', 'close'],
      [6, 'in', 'text'],
    ]);
    expect(utf8Decode(s.entries[1]!.data)).toBe('héllo ✓ \u{1F600}');
    expect([...s.entries[2]!.data]).toEqual([...binary]);
    expect([...s.entries[3]!.data]).toEqual([...invalidUtf8]);
    expect(s.entries[4]).toMatchObject({ code: 4000, reason: 'bye' });
    expect(utf8Decode(s.entries[4]!.data)).toBe('bye');
    expect(s.entries[5]).toMatchObject({ clientId: '7' });
    expect(s.entries[0]!.note).toBe('connecting');
    for (const e of s.entries) expect(e.t).toBeGreaterThanOrEqual(0);
    expect((await readSessionHeader(path)).url).toBe('ws://x.test/');
  });

  it('flushes appends within the cadence without stop()', async () => {
    const path = join(tempDir(), 'b.jsonl');
    const log = new MessageLog();
    const writer = new SessionWriter({ path, header: { role: 'server', url: 'ws://127.0.0.1:1/' } }).attach(
      log,
    );
    await writer.ready;
    log.append('in', 'text', utf8Encode('one'), { clientId: '1' });
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(2); // header only so far
    await new Promise((r) => setTimeout(r, FLUSH_MS * 2 + 20));
    const s = await readSessionFile(path);
    expect(s.entries.map((e) => utf8Decode(e.data))).toEqual(['one']);
    await writer.stop();
  });

  it('refuses to overwrite an existing file unless asked', async () => {
    const path = join(tempDir(), 'c.jsonl');
    writeFileSync(path, 'keep me');
    const writer = new SessionWriter({ path, header: { role: 'client', url: 'ws://a/' } });
    await expect(writer.ready).rejects.toThrow(/already exists/);
    expect(writer.recording).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('reports and skips a torn last line, keeping everything before it, and never rewrites the file', async () => {
    const path = join(tempDir(), 'torn.jsonl');
    const log = new MessageLog();
    const writer = new SessionWriter({ path, header: { role: 'client', url: 'ws://a/' } }).attach(log);
    for (let i = 0; i < 5; i++) log.append('out', 'text', utf8Encode(`m${i}`));
    await writer.stop();
    appendFileSync(path, '{"seq":6,"t":12,"dir":"out","kind":"te');
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    const s = await readSessionFile(path);
    expect(s.entries.map((e) => utf8Decode(e.data))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]!.line).toBe(7);
    expect(s.warnings[0]!.message).toMatch(/line 7 is incomplete.*skipped/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it('a corrupt middle line is a warning naming the line and the problem; the lines after it stay readable', async () => {
    const path = join(tempDir(), 'bad.jsonl');
    const header = JSON.stringify({
      format: 'duplex-session',
      version: 1,
      createdAt: '2025-11-24T16:00:00.000Z',
      startedAt: 1764000000000,
      role: 'client',
      url: 'ws://a/',
    });
    writeFileSync(
      path,
      [
        header,
        '{"seq":1,"t":0,"dir":"out","kind":"text","text":"ok"}',
        '{"seq":2,"t":1,"dir":"out",',
        '{"seq":3,"t":2,"dir":"out","kind":"text","text":"x"}',
        '',
      ].join('\n'),
    );
    const s = await readSessionFile(path);
    expect(s.entries.map((e) => [e.seq, utf8Decode(e.data)])).toEqual([
      [1, 'ok'],
      [3, 'x'],
    ]);
    expect(s.warnings).toHaveLength(1);
    expect(s.warnings[0]!.line).toBe(3);
    expect(s.warnings[0]!.message).toMatch(/line 3: not valid JSON.*skipped/);

    writeFileSync(
      path,
      [header, '{"seq":1,"t":0,"dir":"sideways","kind":"text","text":"ok"}', ''].join('\n'),
    );
    const sideways = await readSessionFile(path);
    expect(sideways.entries).toEqual([]);
    expect(sideways.warnings[0]).toMatchObject({ line: 2, message: expect.stringMatching(/dir/) });

    writeFileSync(
      path,
      [
        header,
        '{"seq":2,"t":0,"dir":"out","kind":"text"}',
        '{"seq":2,"t":0,"dir":"out","kind":"text"}',
        '',
      ].join('\n'),
    );
    const repeated = await readSessionFile(path);
    expect(repeated.entries.map((e) => e.seq)).toEqual([2]);
    expect(repeated.warnings[0]!.message).toMatch(/line 3: seq 2 does not follow seq 2/);
  });

  it('a future format version, a foreign file and an empty file are clear errors on line 1', async () => {
    const dir = tempDir();
    const future = join(dir, 'future.jsonl');
    writeFileSync(
      future,
      JSON.stringify({ format: 'duplex-session', version: SESSION_VERSION + 1, somethingNew: true }) + '\n',
    );
    await expectFileError(
      readSessionFile(future),
      /line 1/,
      new RegExp(`version ${SESSION_VERSION + 1} is newer`),
      /update Duplex/,
    );
    await expectFileError(readSessionHeader(future), /line 1/, /newer/);

    const foreign = join(dir, 'foreign.jsonl');
    writeFileSync(foreign, '{"hello":"world"}\n');
    await expectFileError(readSessionFile(foreign), /line 1/, /not a Duplex session file/);

    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '');
    await expectFileError(readSessionFile(empty), /line 1/, /empty/);

    await expectFileError(readSessionFile(join(dir, 'missing.jsonl')), /does not exist/);
    const badHeader = join(dir, 'bad-header.jsonl');
    writeFileSync(badHeader, '{not json}\n');
    await expectFileError(
      readSessionFile(badHeader),
      /bad-header\.jsonl, line 1: the header is not valid JSON/,
    );
  });
});
