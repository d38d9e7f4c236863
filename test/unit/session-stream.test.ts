/**
 * Streaming reads of session files: the byte-level line splitter (UTF-8 and
 * lines split across chunks), bad lines in the middle as warnings, the offset
 * index (checkpoints, jumps by seq and time, a growing recording), the
 * engine's page / info / locate / search / payload commands over the index,
 * streamed HAR export and import, and a recorder that does no synchronous
 * file I/O.
 */
import fs, { mkdtempSync, rmSync, writeFileSync, appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { MessageLog } from '../../app/log/message-log.js';
import { readLines } from '../../app/sessions/session-lines.js';
import { openSessionSource } from '../../app/sessions/session-reader.js';
import { readSessionFile } from '../support/read-session.js';
import { INDEX_EVERY, SessionIndex } from '../../app/sessions/session-index.js';
import {
  entryToLine,
  makeHeader,
  type Session,
  type SessionEntry,
} from '../../app/sessions/session-format.js';
import { SessionWriter } from '../../app/sessions/session-writer.js';
import { exportHarDocument, importHarText } from '../support/har.js';
import { exportHarFile, importHarToFolder } from '../../app/sessions/session-store.js';
import { utf8Decode, utf8Encode } from '../../app/payload/codecs.js';
import { MockServer } from '../../app/server/mock-server.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-stream-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const header = makeHeader({ role: 'client', url: 'ws://a.test/', startedAt: 1764000000000 });

function text(seq: number, t: number, body: string, dir: 'in' | 'out' = 'out'): string {
  return entryToLine({ seq, t, dir, kind: 'text', data: utf8Encode(body) });
}

/** A session file of `n` text events (seq = i, t = 10·i ms), optionally with extra raw lines after some seqs. */
function writeSession(path: string, n: number, after: Record<number, string> = {}): void {
  const lines = [JSON.stringify(header)];
  for (let i = 1; i <= n; i++) {
    lines.push(text(i, i * 10, `message ${i} ✓ ${i % 97 === 0 ? 'needle' : 'hay'}`, i % 2 ? 'out' : 'in'));
    if (after[i] !== undefined) lines.push(after[i]!);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

describe('line splitter', () => {
  it('splits by bytes across chunk borders, keeps multi-byte UTF-8 whole, and gives each line its offset', async () => {
    const path = join(tempDir(), 'lines.txt');
    const content = ['héllo', '', '\u{1F600}\u{1F600}\u{1F600}', 'x'.repeat(50), 'tail without end'].join(
      '\n',
    );
    writeFileSync(path, content);
    const lines = [];
    // 3-byte chunks cut through every emoji (4 bytes each) and every longer line.
    for await (const batch of readLines(path, { chunkBytes: 3 })) lines.push(...batch);
    expect(lines.map((l) => l.text)).toEqual(content.split('\n'));
    expect(lines.map((l) => l.complete)).toEqual([true, true, true, true, false]);
    const bytes = Buffer.from(content);
    for (const l of lines) expect(bytes.subarray(l.offset, l.offset + l.bytes).toString()).toMatch(l.text);
    expect(lines[1]!.offset).toBe(Buffer.byteLength('héllo\n'));
  });
});

describe('streaming reader', () => {
  it('a bad line in the middle is a warning with its line number; every other line is read', async () => {
    const path = join(tempDir(), 'bad.jsonl');
    writeSession(path, 3000, {
      1500: '{"seq": not json',
      2000: '{"seq":2000,"t":1,"dir":"up","kind":"text"}',
    });
    const source = await openSessionSource(path);
    const seqs: number[] = [];
    for await (const e of source.entries()) seqs.push(e.seq);
    expect(seqs).toHaveLength(3000);
    expect(seqs[2999]).toBe(3000);
    // Line 1 is the header; event i is on line i + 1, plus one for each extra line before it.
    expect(source.warnings.map((w) => w.line)).toEqual([1502, 2003]);
    expect(source.warnings[0]!.message).toMatch(/line 1502: not valid JSON.*skipped/);
    expect(source.warnings[1]!.message).toMatch(/line 2003: .*dir/);
  });

  it('a torn last line stays a warning, and the file is not changed', async () => {
    const path = join(tempDir(), 'torn.jsonl');
    writeSession(path, 10);
    appendFileSync(path, '{"seq":11,"t":1,"dir":"out","ki');
    const before = readFileSync(path);
    const s = await readSessionFile(path);
    expect(s.entries).toHaveLength(10);
    expect(s.warnings).toEqual([
      { line: 12, message: expect.stringMatching(/line 12 is incomplete.*skipped/) },
    ]);
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe('offset index', () => {
  it('checkpoints every INDEX_EVERY entries with seq, t and offset; reads start at any seq or time', async () => {
    const path = join(tempDir(), 'big.jsonl');
    const n = INDEX_EVERY * 3 + 17;
    writeSession(path, n, { 1200: 'garbage' });
    const index = await SessionIndex.open(path);
    await index.build();
    expect(index.complete).toBe(true);
    expect(index.count).toBe(n);
    expect(index.lastSeq).toBe(n);
    expect(index.warnings.map((w) => w.line)).toEqual([1202]);
    expect(index.checkpoints.map((c) => c.seq)).toEqual([1, 1001, 2001, 3001]);
    const raw = readFileSync(path);
    for (const c of index.checkpoints) {
      const line = raw.subarray(c.start.offset, raw.indexOf(10, c.start.offset)).toString();
      expect(JSON.parse(line)).toMatchObject({ seq: c.seq, t: c.t });
    }
    expect(index.dataCounts.get('')).toEqual({ out: Math.ceil(n / 2), in: Math.floor(n / 2) });

    const first = async (from: { seq: number } | { t: number }): Promise<SessionEntry> => {
      for await (const batch of index.entries(from)) return batch[0]!;
      throw new Error('nothing');
    };
    expect((await first({ seq: 2500 })).seq).toBe(2500);
    expect((await first({ seq: 1001 })).seq).toBe(1001);
    expect((await first({ t: 12_345 })).seq).toBe(1235); // t = 10·seq: the first at or after
    expect(utf8Decode((await first({ seq: n })).data)).toBe(`message ${n} ✓ hay`);
  });

  it('extends itself from where it stopped when a recording grows, never counting an unfinished line', async () => {
    const path = join(tempDir(), 'growing.jsonl');
    writeSession(path, 5);
    appendFileSync(path, text(6, 60, 'half').slice(0, 10));
    const index = await SessionIndex.open(path);
    await index.build();
    expect(index.count).toBe(5);
    expect(index.warnings).toEqual([]);
    appendFileSync(path, text(6, 60, 'half').slice(10) + '\n' + text(7, 70, 'more') + '\n');
    await index.build();
    expect(index.count).toBe(7);
    expect(index.lastSeq).toBe(7);
  });
});

describe('engine session commands over the index', () => {
  it('open gives the first rows and the totals; read pages by seq; locate jumps; a filtered read scans the file', async () => {
    const dir = tempDir();
    const n = INDEX_EVERY * 2 + 50;
    fs.mkdirSync(join(dir, 'sessions'));
    writeSession(join(dir, 'sessions', 's.jsonl'), n, { 700: '{"broken"' });
    const engine = new Engine({ workspaceDir: dir });
    try {
      const view = await engine.call('session.open', { name: 's.jsonl', count: 20 });
      expect(view.entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      let info = await engine.call('session.info', { name: 's.jsonl' });
      for (let i = 0; !info.complete && i < 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        info = await engine.call('session.info', { name: 's.jsonl' });
      }
      expect(info).toMatchObject({ total: n, firstSeq: 1, lastSeq: n, complete: true });
      expect(info.warnings.map((w) => w.line)).toEqual([702]);

      const page = await engine.call('session.read', { name: 's.jsonl', fromSeq: 1500, count: 5 });
      expect(page.entries.map((e) => e.seq)).toEqual([1500, 1501, 1502, 1503, 1504]);
      expect(page.lastSeq).toBe(n);
      expect(page.entries[0]!.t).toBe(header.startedAt + 15_000);

      expect(await engine.call('session.locate', { name: 's.jsonl', seq: 1234 })).toEqual({
        seq: 1234,
        t: header.startedAt + 12_340,
      });
      expect((await engine.call('session.locate', { name: 's.jsonl', offsetMs: 20_001 })).seq).toBe(2001);
      await expect(engine.call('session.locate', { name: 's.jsonl', seq: n + 1 })).rejects.toThrow(
        /no entry at or after/,
      );
      await expect(engine.call('session.locate', { name: 's.jsonl' })).rejects.toThrow(
        /either seq or offsetMs/,
      );

      const found = await engine.call('session.read', {
        name: 's.jsonl',
        count: 100,
        filter: { search: 'NEEDLE' },
      });
      const expected = Array.from({ length: Math.floor(n / 97) }, (_, i) => (i + 1) * 97);
      expect(found.entries.map((e) => e.seq)).toEqual(expected);
      const outgoing = await engine.call('session.read', {
        name: 's.jsonl',
        fromSeq: 2001,
        count: 3,
        filter: { dir: 'in' },
      });
      expect(outgoing.entries.map((e) => e.seq)).toEqual([2002, 2004, 2006]);

      const payload = await engine.call('session.payload', {
        name: 's.jsonl',
        seq: 1999,
        offset: 8,
        length: 4,
      });
      expect(utf8Decode(payload.data)).toBe('1999');
    } finally {
      await engine.dispose();
    }
  });
});

describe('streamed HAR export and import', () => {
  const session: Session = {
    header: makeHeader({ role: 'server', url: 'ws://127.0.0.1:9/', startedAt: 1764000000000 }),
    entries: [
      { seq: 1, t: 1, dir: 'none', kind: 'open', data: new Uint8Array(0), clientId: '1' },
      { seq: 2, t: 2.5, dir: 'in', kind: 'text', data: utf8Encode('hi "there"\n'), clientId: '1' },
      { seq: 3, t: 3, dir: 'out', kind: 'binary', data: new Uint8Array([0, 255, 7]), clientId: '2' },
      { seq: 4, t: 4, dir: 'out', kind: 'text', data: utf8Encode('héllo'), clientId: '1' },
      { seq: 5, t: 9, dir: 'none', kind: 'error', data: new Uint8Array(0), note: 'oops', clientId: '2' },
    ],
  };

  it('the streamed export imports back exactly, one session per client', async () => {
    const back = (await importHarText(JSON.stringify(await exportHarDocument(session)))).sessions;
    const rows = (es: SessionEntry[]) => es.map((e) => [e.kind, [...e.data], e.note]);
    expect(back.map((s) => rows(s.entries))).toEqual(
      ['1', '2'].map((c) => rows(session.entries.filter((e) => e.clientId === c && e.kind !== 'open'))),
    );
  });

  it('imports the text the UI sends the same way as a file, without collecting it', async () => {
    const dir = tempDir();
    const text = JSON.stringify(await exportHarDocument(session));
    const r = await importHarToFolder({ text, where: 'sent.har' }, dir);
    expect(r.sessions.map((s) => s.entries)).toEqual([2, 2]);
    expect(readdirSync(dir).sort()).toEqual(r.sessions.map((s) => s.name).sort());
    await expect(importHarToFolder({ text: text.slice(0, -40), where: 'sent.har' }, dir)).rejects.toThrow(
      /sent.har is not valid JSON/,
    );
    expect(readdirSync(dir)).toHaveLength(2); // nothing of the broken one is left
  });

  it('exports a session file to HAR and imports that HAR file into a folder, streaming both ways', async () => {
    const dir = tempDir();
    const path = join(dir, 'client.jsonl');
    writeSession(path, 2500);
    const har = join(dir, 'out.har');
    expect(await exportHarFile(path, har)).toEqual([]);
    const out = join(dir, 'imported');
    const r = await importHarToFolder({ path: har }, out);
    expect(r.skippedMessages).toBe(0);
    expect(r.sessions).toHaveLength(1);
    expect(r.sessions[0]!.entries).toBe(2500);
    expect(readdirSync(out).filter((f) => f.startsWith('.'))).toEqual([]); // no temporary files left
    const again = await readSessionFile(join(out, r.sessions[0]!.name));
    const original = await readSessionFile(path);
    expect(again.entries.map((e) => [e.dir, utf8Decode(e.data), e.t])).toEqual(
      original.entries.map((e) => [e.dir, utf8Decode(e.data), e.t]),
    );
  });

  it('a HAR that breaks off leaves no session file behind', async () => {
    const dir = tempDir();
    const har = join(dir, 'cut.har');
    const doc = JSON.stringify(await exportHarDocument(session));
    writeFileSync(har, doc.slice(0, doc.length - 40));
    await expect(importHarToFolder({ path: har }, join(dir, 'out'))).rejects.toThrow(
      /cut.har is not valid JSON/,
    );
    expect(fs.existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
  });
});

describe('recorder', () => {
  it('records without any synchronous fs call from app code, and appends within the cadence', async () => {
    const dir = tempDir();
    const server = new MockServer('echo', {});
    await server.start();
    const engine = new Engine({ workspaceDir: dir });
    const calls: string[] = [];
    const originals = new Map<string, (...args: unknown[]) => unknown>();
    const table = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of Object.keys(fs).filter((k) => k.endsWith('Sync') && typeof table[k] === 'function')) {
      const original = table[name]!;
      originals.set(name, original);
      table[name] = function (this: unknown, ...args: unknown[]) {
        // Only calls made from Duplex's own code count, not the test runner's.
        if (/[/\\]app[/\\]/.test(new Error().stack ?? '')) calls.push(name);
        return original.apply(this, args);
      };
    }
    syncBuiltinESMExports();
    try {
      const conn = engine.openConnection({ url: server.url });
      await new Promise<void>((resolve) => conn.once('open', () => resolve()));
      const rec = await engine.call('session.recordStart', { logId: conn.id, includeExisting: true });
      for (let i = 0; i < 200; i++) conn.send({ type: 'text', text: `m${i}` });
      const path = join(dir, 'sessions', rec.name);
      // Durability: the lines reach the file on the append cadence, before the recording stops.
      await new Promise((r) => setTimeout(r, 300));
      expect(
        readFileSync(path, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"text":"m199"')),
      ).toHaveLength(2);
      const stopped = await engine.call('session.recordStop', { logId: conn.id });
      expect(stopped.recording).toBe(false);
      expect(stopped.entries).toBeGreaterThanOrEqual(401);
    } finally {
      for (const [name, original] of originals) table[name] = original;
      syncBuiltinESMExports();
      await engine.dispose();
      await server.stop();
    }
    expect(calls).toEqual([]);
  });

  it('a recording to a file that exists is refused before anything is written', async () => {
    const path = join(tempDir(), 'exists.jsonl');
    writeFileSync(path, 'keep');
    const log = new MessageLog();
    const writer = new SessionWriter({ path, header: { role: 'client', url: 'ws://a/' } }).attach(log);
    log.append('out', 'text', utf8Encode('x'));
    await expect(writer.ready).rejects.toThrow(/already exists/);
    await writer.stop();
    expect(readFileSync(path, 'utf8')).toBe('keep');
  });
});
