import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonScanner } from '../../app/sessions/json-scanner.js';
import { makeHeader, type Session } from '../../app/sessions/session-format.js';
import { utf8Decode, utf8Encode } from '../../app/payload/codecs.js';
import { exportHarDocument, importHarText } from '../support/har.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/har/${name}`, import.meta.url), 'utf8');

describe('HAR import (Chrome format, _webSocketMessages)', async () => {
  it('imports the text fixture exactly: url, headers, protocols, direction, times to the microsecond', async () => {
    const { sessions, skippedMessages } = await importHarText(fixture('chrome-text.har'));
    expect(sessions).toHaveLength(1); // the document entry has no WebSocket messages
    expect(skippedMessages).toBe(1); // the message without opcode, as Chromium's importer does
    const s = sessions[0]!;
    expect(s.header).toMatchObject({
      role: 'client',
      url: 'wss://chat.example.test/socket?room=7',
      protocols: ['chat.v2', 'chat.v1'],
      headers: {
        Origin: 'http://chat.example.test',
        'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0',
      },
      startedAt: Date.parse('2025-11-24T16:00:00.123Z'),
      source: 'har',
    });
    expect(Object.keys(s.header.headers)).not.toContain('Sec-WebSocket-Key');
    const rows = s.entries.map((e) => ({
      seq: e.seq,
      t: e.t,
      dir: e.dir,
      kind: e.kind,
      data: utf8Decode(e.data),
      note: e.note,
    }));
    expect(rows).toEqual([
      { seq: 1, t: 10.456, dir: 'out', kind: 'text', data: '{"type":"hello","user":"ana"}', note: undefined },
      {
        seq: 2,
        t: 12,
        dir: 'in',
        kind: 'text',
        data: '{"type":"welcome","ts":1764000000135}',
        note: undefined,
      },
      { seq: 3, t: 377, dir: 'out', kind: 'text', data: 'héllo wörld ✓ \u{1F600}', note: undefined },
      { seq: 4, t: 378, dir: 'in', kind: 'text', data: '', note: undefined },
      { seq: 5, t: 1024, dir: 'in', kind: 'text', data: 'line one\nline two', note: undefined },
      { seq: 6, t: 1077, dir: 'none', kind: 'error', data: '', note: 'net::ERR_CONNECTION_CLOSED' },
    ]);
  });

  it('imports the binary fixture byte for byte (opcode 2 = base64)', async () => {
    const s = (await importHarText(fixture('chrome-binary.har'))).sessions[0]!;
    expect(s.header.url).toBe('ws://127.0.0.1:9001/bin');
    expect(s.header.headers).toEqual({ 'X-Trace': 'abc-123' });
    expect(s.entries.map((e) => [e.t, e.dir, e.kind, [...e.data]])).toEqual([
      [10, 'out', 'binary', [0x00, 0x01, 0xfe]],
      [12.345, 'in', 'binary', [0x00, 0x01, 0xfe, 0xff]],
      [100, 'out', 'text', [...utf8Encode('ping')]],
      [250, 'in', 'binary', []],
      [250, 'in', 'binary', [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff]],
    ]);
  });

  it('export → import round-trips both fixtures exactly', async () => {
    for (const name of ['chrome-text.har', 'chrome-binary.har']) {
      const original = (await importHarText(fixture(name))).sessions[0]!;
      const again = (await importHarText(JSON.stringify(await exportHarDocument(original)))).sessions[0]!;
      expect(again.header).toEqual(original.header);
      expect(again.entries).toEqual(original.entries);
    }
  });

  it('exports in the shape browsers write: 101 entry, _resourceType websocket, send/receive, seconds', async () => {
    const har = (await exportHarDocument(
      (await importHarText(fixture('chrome-binary.har'))).sessions[0]!,
    )) as {
      log: { version: string; entries: Record<string, unknown>[] };
    };
    expect(har.log.version).toBe('1.2');
    const entry = har.log.entries[0]!;
    expect(entry).toMatchObject({
      _resourceType: 'websocket',
      startedDateTime: '2025-11-24T17:30:00.000Z',
      request: { method: 'GET', url: 'ws://127.0.0.1:9001/bin' },
      response: { status: 101 },
    });
    expect((entry['_webSocketMessages'] as unknown[]).slice(0, 3)).toEqual([
      { type: 'send', time: 1764005400.01, opcode: 2, data: 'AAH+' },
      { type: 'receive', time: 1764005400.012345, opcode: 2, data: 'AAH+/w==' },
      { type: 'send', time: 1764005400.1, opcode: 1, data: 'ping' },
    ]);
  });

  it('exports a server recording as one HAR entry per client, from the client side', async () => {
    const session: Session = {
      header: makeHeader({ role: 'server', url: 'ws://127.0.0.1:8080/', startedAt: 1764000000000 }),
      entries: [
        { seq: 1, t: 5, dir: 'in', kind: 'text', data: utf8Encode('from 1'), clientId: '1' },
        { seq: 2, t: 6, dir: 'out', kind: 'text', data: utf8Encode('to 1'), clientId: '1' },
        { seq: 3, t: 7, dir: 'in', kind: 'binary', data: new Uint8Array([9]), clientId: '2' },
      ],
    };
    const har = (await exportHarDocument(session)) as {
      log: { entries: { _webSocketMessages: unknown[] }[] };
    };
    expect(har.log.entries.map((e) => e._webSocketMessages)).toEqual([
      [
        { type: 'send', time: 1764000000.005, opcode: 1, data: 'from 1' },
        { type: 'receive', time: 1764000000.006, opcode: 1, data: 'to 1' },
      ],
      [{ type: 'send', time: 1764000000.007, opcode: 2, data: 'CQ==' }],
    ]);
  });

  it('a file that is not HAR is a clear FILE error', async () => {
    await expect(importHarText('{"log":{}}', 'x.har')).rejects.toThrow(/x.har has no log.entries list/);
    await expect(importHarText('nope', 'x.har')).rejects.toThrow(/x.har is not valid JSON/);
  });
});

describe('incremental JSON scanner', () => {
  const doc =
    '{"log":{"skip":{"a":"}]\\"x"},"entries":[{"k":"va\\\\\\"l\\\\","n":-1.5e3},{"k":"\\u00e9✓"}]}}';

  it('reports the routed values whatever the chunk borders, escapes included', () => {
    for (const size of [1, 2, 3, 7, doc.length]) {
      const values: unknown[] = [];
      const scanner = new JsonScanner({
        route: (p) => (p.length < 3 ? 'descend' : p.length === 3 ? 'descend' : 'value'),
        onValue: (p, v) => values.push([p.join('.'), v]),
      });
      const bytes = Buffer.from(doc);
      for (let i = 0; i < bytes.length; i += size) scanner.write(bytes.subarray(i, i + size));
      scanner.end();
      expect(values).toEqual([
        ['log.skip.a', '}]"x'],
        ['log.entries.0.k', 'va\\"l\\'],
        ['log.entries.0.n', -1500],
        ['log.entries.1.k', 'é✓'],
      ]);
    }
  });

  it('refuses a document that breaks off or has trailing garbage', () => {
    const cut = new JsonScanner({ route: () => 'descend' });
    cut.write(Buffer.from(doc.slice(0, 30)));
    expect(() => cut.end()).toThrow(/ends in the middle/);
    const extra = new JsonScanner({ route: () => 'skip' });
    expect(() => extra.write(Buffer.from('{} x'))).toThrow(/after the end/);
  });
});
