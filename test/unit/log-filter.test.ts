/**
 * The one log filter: kinds shown and hidden, pinned entries, and search as
 * plain text, regex or JSON path, with the ranges the UI highlights.
 */
import { describe, expect, it } from 'vitest';
import type { LogEntryView, LogFilter } from '../../app/contract.js';
import { compileSearch, compileViewFilter, SearchSyntaxError } from '../../app/log/log-filter.js';
import { MessageLog } from '../../app/log/message-log.js';
import { utf8Encode } from '../../app/payload/codecs.js';

const view = (seq: number, preview: string, extra: Partial<LogEntryView> = {}): LogEntryView => ({
  seq,
  t: seq,
  dir: 'in',
  kind: 'text',
  size: preview.length,
  preview,
  truncated: false,
  ...extra,
});

const rows = [
  view(1, '', { dir: 'none', kind: 'open', note: 'open' }),
  view(2, '{"type":"tick","price":101.5}'),
  view(3, '{"type":"trade","price":99,"side":"buy"}'),
  view(4, '', { kind: 'ping' }),
  view(5, '', { kind: 'pong', dir: 'out' }),
  view(6, 'plain Tick text'),
  view(7, '[{"type":"tick"}]'),
];
const seqsOf = (filter: LogFilter): number[] => rows.filter(compileViewFilter(filter)).map((r) => r.seq);

describe('log filter', () => {
  it('hides kinds as well as showing only some', () => {
    expect(seqsOf({ hideKinds: ['ping', 'pong'] })).toEqual([1, 2, 3, 6, 7]);
    expect(seqsOf({ kinds: ['ping', 'pong'] })).toEqual([4, 5]);
    expect(seqsOf({ kinds: ['text'], hideKinds: ['text'] })).toEqual([]);
  });

  it('keeps only the listed entries (pins)', () => {
    expect(seqsOf({ seqs: [3, 6, 99] })).toEqual([3, 6]);
  });

  it('searches plain text case-insensitively, in payloads and notes', () => {
    expect(seqsOf({ search: 'TICK' })).toEqual([2, 6, 7]);
    expect(seqsOf({ search: 'open' })).toEqual([1]);
    expect(compileSearch('tick').ranges('a tick, a TICK')).toEqual([
      [2, 6],
      [10, 14],
    ]);
  });

  it('searches with a regular expression, and names a bad one', () => {
    expect(seqsOf({ search: '"price":1\\d\\d', searchMode: 'regex' })).toEqual([2]);
    expect(compileSearch('p[a-z]+e', 'regex').ranges('price and prune')).toEqual([
      [0, 5],
      [10, 15],
    ]);
    expect(() => compileSearch('(unclosed', 'regex')).toThrow(SearchSyntaxError);
  });

  it('filters with a JSON path: equality, comparisons, regex, existence', () => {
    const jp = (search: string): number[] => seqsOf({ search, searchMode: 'jsonpath' });
    expect(jp('$.type == "tick"')).toEqual([2]);
    expect(jp("$.type == 'trade'")).toEqual([3]);
    expect(jp('$.type != "tick"')).toEqual([3]);
    expect(jp('$.price > 100')).toEqual([2]);
    expect(jp('$.price <= 99')).toEqual([3]);
    expect(jp('$.side')).toEqual([3]);
    expect(jp('$.type =~ /^TR/i')).toEqual([3]);
    expect(jp('$[0].type == "tick"')).toEqual([7]);
    expect(jp('$[?(@.type == "tick")]')).toEqual([7]);
    // Notes are not JSON: an open event never matches a path.
    expect(jp('$.note')).toEqual([]);
  });

  it('finds the value a JSON path matched, for highlighting', () => {
    const s = compileSearch('$.type == "tick"', 'jsonpath');
    const text = '{"type":"tick","price":101.5}';
    const [[start, end]] = s.ranges(text) as [[number, number]];
    expect(text.slice(start, end)).toBe('"tick"');
    expect(compileSearch('$.price > 100', 'jsonpath').ranges(text)).toEqual([[23, 28]]);
  });

  it('refuses a JSON path without $ or a comparison without a value, with a message', () => {
    expect(() => compileSearch('type == "tick"', 'jsonpath')).toThrow(/starts with \$/);
    expect(() => compileSearch('$.type ==', 'jsonpath')).toThrow(/After == comes a value/);
    expect(() => compileSearch('$.type == tick', 'jsonpath')).toThrow(/got tick/);
  });

  it('is the filter of the engine log too (whole payloads, binary as hex)', () => {
    const log = new MessageLog();
    log.append('in', 'text', utf8Encode('{"type":"tick"}'));
    log.append('in', 'binary', new Uint8Array([0xde, 0xad]));
    log.append('out', 'ping', undefined);
    const seqs = (filter: LogFilter): number[] => log.read(1, 100, filter).map((e) => e.seq);
    expect(seqs({ search: '$.type == "tick"', searchMode: 'jsonpath' })).toEqual([1]);
    expect(seqs({ search: 'de ad' })).toEqual([2]);
    expect(seqs({ hideKinds: ['ping'] })).toEqual([1, 2]);
  });
});

describe('JSON path of plain names', () => {
  it('finds what jsonpath-plus finds', async () => {
    const { JSONPath } = await import('jsonpath-plus');
    const docs = [
      { a: { b: 'x' } },
      { a: { b: null } },
      { a: { b: [1, 2] } },
      { a: [{ b: 1 }] },
      { a: 'text' },
      { a: 0 },
      { a: { length: 3 } },
      {},
      [{ a: 1 }],
    ];
    const paths = ['$', '$.a', '$.a.b', '$.a.length', '$.a.b.c', '$.constructor', '$.b'];
    for (const path of paths) {
      const s = compileSearch(path, 'jsonpath');
      for (const doc of docs) {
        const text = JSON.stringify(doc);
        const expected = (JSONPath({ path, json: doc, wrap: true, eval: 'safe' }) as unknown[]).length > 0;
        expect({ path, text, found: s.test(text) }).toEqual({ path, text, found: expected });
      }
    }
  });
});
