/**
 * MessageLog: sequence numbers, byte budget and eviction, filters, payload ranges, previews.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { LogFilter } from '../../app/contract.js';
import { listenerFlags } from '../../app/log/listener-flags.js';
import {
  ENTRY_OVERHEAD,
  MessageLog,
  PREVIEW_BYTES,
  toEntryView,
  type LogEntry,
} from '../../app/log/message-log.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What the log should charge for `held`: ENTRY_OVERHEAD each, plus each chunk (slab or own copy) in use once. */
function chargedBytes(held: LogEntry[]): number {
  const chunks = new Set(held.filter((e) => e.size > 0).map((e) => e.payload.buffer));
  return held.length * ENTRY_OVERHEAD + [...chunks].reduce((n, b) => n + b.byteLength, 0);
}

describe('MessageLog: entries', () => {
  it('numbers entries from 1 and records time, direction, kind and size', () => {
    const log = new MessageLog();
    const before = Date.now();
    const a = log.append('out', 'text', text('héllo'));
    const b = log.append('in', 'binary', new Uint8Array([1, 2, 3]), { clientId: '7' });
    const c = log.append('in', 'close', undefined, { code: 1000, reason: 'bye', note: 'closed cleanly' });
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a.t).toBeGreaterThanOrEqual(before);
    expect(a.t).toBeLessThanOrEqual(Date.now());
    expect(b.t).toBeGreaterThanOrEqual(a.t);
    expect(a).toMatchObject({ dir: 'out', kind: 'text', size: 6 });
    expect(b).toMatchObject({ dir: 'in', kind: 'binary', size: 3, clientId: '7' });
    expect(c).toMatchObject({ kind: 'close', size: 0, code: 1000, reason: 'bye', note: 'closed cleanly' });
    expect(log.size).toBe(3);
    expect(log.firstSeq).toBe(1);
    expect(log.lastSeq).toBe(3);
    expect(log.get(2)).toEqual(b);
    expect(log.get(4)).toBeUndefined();
    // Both payloads sit in one slab, which is charged whole.
    expect(log.bytes).toBe(3 * ENTRY_OVERHEAD + log.slabBytes);
  });

  it('copies payloads, so later changes to the source buffer do not change the log', () => {
    const log = new MessageLog();
    const source = new Uint8Array([1, 2, 3, 4]);
    const entry = log.append('in', 'binary', source.subarray(1, 3));
    source.fill(0);
    expect([...entry.payload]).toEqual([2, 3]);
    expect([...log.readPayload(entry.seq)!]).toEqual([2, 3]);
  });

  it('emits each entry, and cleared on clear (sequence numbers keep counting)', () => {
    const log = new MessageLog();
    const seen: number[] = [];
    let cleared = 0;
    log.on('entry', (e) => seen.push(e.seq));
    log.on('cleared', () => cleared++);
    log.append('out', 'text', text('a'));
    log.append('out', 'text', text('b'));
    log.clear();
    expect(cleared).toBe(1);
    expect(log.size).toBe(0);
    expect(log.bytes).toBe(0);
    expect(log.get(1)).toBeUndefined();
    const next = log.append('out', 'text', text('c'));
    expect(seen).toEqual([1, 2, 3]);
    expect(next.seq).toBe(3);
    expect(log.firstSeq).toBe(3);
  });
});

describe('MessageLog: byte budget', () => {
  it('stays within the budget by dropping the oldest entries', () => {
    const budget = 64 * 1024;
    const log = new MessageLog({ budgetBytes: budget });
    const payload = new Uint8Array(1000).fill(7);
    for (let i = 0; i < 5000; i++) {
      log.append('in', 'binary', payload);
      expect(log.bytes).toBeLessThanOrEqual(budget);
    }
    expect(log.lastSeq).toBe(5000);
    expect(log.firstSeq).toBeGreaterThan(1);
    expect(log.size).toBe(log.lastSeq - log.firstSeq + 1);
    expect(log.size).toBeLessThanOrEqual(Math.floor(budget / (1000 + ENTRY_OVERHEAD)));
    expect(log.get(1)).toBeUndefined();
    expect(log.readPayload(1)).toBeUndefined();
    expect(log.get(5000)!.size).toBe(1000);
    // read() from an evicted seq starts at the oldest entry still held, in order.
    const page = log.read(1, 3);
    expect(page.map((e) => e.seq)).toEqual([log.firstSeq, log.firstSeq + 1, log.firstSeq + 2]);
  });

  it('keeps bytes consistent with the entries held after many evictions', () => {
    const log = new MessageLog({ budgetBytes: 100_000 });
    for (let i = 0; i < 20_000; i++) log.append('out', 'text', text('x'.repeat(i % 300)));
    const held = log.read(log.firstSeq, 1_000_000);
    expect(held).toHaveLength(log.size);
    expect(log.bytes).toBe(chargedBytes(held));
    expect(held.at(-1)!.seq).toBe(20_000);
    expect(held.every((e, i) => i === 0 || e.seq === held[i - 1]!.seq + 1)).toBe(true);
  });

  it('keeps the newest entry even when it alone exceeds the budget', () => {
    const log = new MessageLog({ budgetBytes: 1000 });
    log.append('in', 'text', text('small'));
    const big = log.append('in', 'binary', new Uint8Array(5000));
    expect(log.size).toBe(1);
    expect(log.get(big.seq)).toEqual(big);
    expect(log.readPayload(big.seq)!.byteLength).toBe(5000);
  });
});

describe('MessageLog: read with filters', () => {
  function sample(): MessageLog {
    const log = new MessageLog();
    log.append('none', 'open', undefined, { clientId: '1', note: 'client 1 connected' });
    log.append('in', 'text', text('Hello World'), { clientId: '1' });
    log.append('out', 'text', text('hello back'), { clientId: '1' });
    log.append('in', 'binary', new Uint8Array([0xde, 0xad, 0xbe, 0xef]), { clientId: '2' });
    log.append('in', 'ping', text('p'), { clientId: '2' });
    log.append('out', 'close', undefined, { clientId: '2', code: 1000, note: 'bye' });
    return log;
  }
  const seqs = (
    log: MessageLog,
    filter: Parameters<MessageLog['read']>[2],
    from = 1,
    count = 100,
  ): number[] => log.read(from, count, filter).map((e) => e.seq);

  it('filters by direction, kinds, client and combinations', () => {
    const log = sample();
    expect(seqs(log, { dir: 'in' })).toEqual([2, 4, 5]);
    expect(seqs(log, { kinds: ['text', 'binary'] })).toEqual([2, 3, 4]);
    expect(seqs(log, { kinds: [] })).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs(log, { clientId: '2' })).toEqual([4, 5, 6]);
    expect(seqs(log, { dir: 'in', kinds: ['text'], clientId: '1' })).toEqual([2]);
  });

  it('searches text case-insensitively, binary as hex, and notes', () => {
    const log = sample();
    expect(seqs(log, { search: 'HELLO' })).toEqual([2, 3]);
    expect(seqs(log, { search: 'ad be' })).toEqual([4]);
    expect(seqs(log, { search: 'connected' })).toEqual([1]);
    expect(seqs(log, { search: 'nothing like this' })).toEqual([]);
  });

  it('pages with fromSeq and count', () => {
    const log = sample();
    expect(seqs(log, undefined, 2, 2)).toEqual([2, 3]);
    expect(seqs(log, { dir: 'in' }, 3, 1)).toEqual([4]);
    expect(seqs(log, undefined, 7)).toEqual([]);
  });
});

describe('MessageLog: payload ranges and previews', () => {
  it('reads a payload by byte range', () => {
    const log = new MessageLog();
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const { seq } = log.append('in', 'binary', data);
    expect([...log.readPayload(seq, 10, 5)!]).toEqual([10, 11, 12, 13, 14]);
    expect(log.readPayload(seq)!.byteLength).toBe(1000);
    expect([...log.readPayload(seq, 998, 100)!]).toEqual([998 & 0xff, 999 & 0xff]);
    expect(log.readPayload(seq, 5000, 10)!.byteLength).toBe(0);
    expect(log.readPayload(seq, 0, 0)!.byteLength).toBe(0);
    // A copy: changing it does not change the log.
    const copy = log.readPayload(seq, 0, 1)!;
    copy[0] = 99;
    expect(log.readPayload(seq, 0, 1)![0]).toBe(0);
  });

  it('truncates previews: text after PREVIEW_BYTES, binary as hex of the first 64 bytes', () => {
    const log = new MessageLog();
    const long = log.append('in', 'text', text('a'.repeat(PREVIEW_BYTES + 500)));
    const short = log.append('in', 'text', text('short'));
    const bin = log.append(
      'in',
      'binary',
      Uint8Array.from({ length: 100 }, (_, i) => i),
    );
    const smallBin = log.append('in', 'binary', new Uint8Array([0, 255, 16]));
    const lv = toEntryView(long);
    expect(lv.preview).toHaveLength(PREVIEW_BYTES);
    expect(lv.truncated).toBe(true);
    expect(lv.size).toBe(PREVIEW_BYTES + 500);
    expect(toEntryView(short)).toMatchObject({ preview: 'short', truncated: false });
    const bv = toEntryView(bin);
    expect(bv.truncated).toBe(true);
    expect(bv.preview.split(' ')).toHaveLength(64);
    expect(bv.preview.startsWith('00 01 02')).toBe(true);
    expect(toEntryView(smallBin)).toMatchObject({ preview: '00 ff 10', truncated: false });
  });

  it('views are plain data without the payload and keep code, reason, note and client', () => {
    const log = new MessageLog();
    const e = log.append('in', 'close', text('bye'), { clientId: '3', code: 4001, reason: 'bye', note: 'n' });
    const view = toEntryView(e);
    expect(view).toEqual({
      seq: 1,
      t: e.t,
      dir: 'in',
      kind: 'close',
      size: 3,
      preview: 'bye',
      truncated: false,
      clientId: '3',
      code: 4001,
      reason: 'bye',
      note: 'n',
    });
    expect(structuredClone(view)).toEqual(view);
  });
});

describe('listenerFlags (the per-frame "does anyone listen" check)', () => {
  it('follows on, once, prepend, off, removeAllListeners with and without a name', () => {
    const emitter = new EventEmitter();
    const flags = listenerFlags(emitter, ['entry', 'appended']);
    expect(flags).toEqual({ entry: false, appended: false });
    const a = (): void => undefined;
    emitter.on('entry', a);
    expect(flags.entry).toBe(true);
    emitter.prependListener('entry', a);
    emitter.off('entry', a);
    expect(flags.entry).toBe(true); // one left
    emitter.off('entry', a);
    expect(flags.entry).toBe(false);
    emitter.once('appended', a);
    expect(flags.appended).toBe(true);
    emitter.emit('appended');
    expect(flags.appended).toBe(false); // the once listener removed itself
    emitter.prependOnceListener('entry', a);
    emitter.on('appended', a);
    emitter.removeAllListeners('entry');
    expect(flags).toEqual({ entry: false, appended: true });
    emitter.removeAllListeners();
    expect(flags).toEqual({ entry: false, appended: false });
    // The hooks survive removeAllListeners(): later listeners are still seen.
    emitter.on('entry', a);
    expect(flags.entry).toBe(true);
    emitter.removeAllListeners('newListener');
    emitter.removeAllListeners('removeListener');
    emitter.on('appended', a);
    expect(flags.appended).toBe(true);
    emitter.off('appended', a);
    expect(flags.appended).toBe(false);
  });

  it('lets MessageLog skip entry objects only while nobody listens', () => {
    const log = new MessageLog();
    const seen: number[] = [];
    const listener = (e: LogEntry): number => seen.push(e.seq);
    log.appendFrame('in', 'text', text('a'));
    log.on('entry', listener);
    log.appendFrame('in', 'text', text('b'));
    log.removeAllListeners();
    log.appendFrame('in', 'text', text('c'));
    log.once('entry', listener);
    log.appendFrame('in', 'text', text('d'));
    log.appendFrame('in', 'text', text('e'));
    expect(seen).toEqual([2, 4]);
  });
});

describe('MessageLog.match over chunks', () => {
  it('finds what reading with the filter finds, with non-ASCII text and binary between ASCII entries', () => {
    // 16 KiB slabs: the entries spread over several chunks and their unused tails.
    const log = new MessageLog({ budgetBytes: 256 * 1024 });
    expect(log.slabBytes).toBe(16 * 1024);
    const pad = 'x'.repeat(60);
    for (let i = 0; i < 600; i++) {
      if (i % 97 === 5) log.appendFrame('in', 'text', text(`{"type":"tïck","n":${i}}`));
      else if (i % 89 === 7) log.appendFrame('in', 'binary', new Uint8Array([0xff, 0x74, 0x69, 0x63, 0x6b]));
      else if (i % 71 === 3) log.appendFrame('in', 'text', text(`grüße ${'é'.repeat(i % 40)} tick`));
      else
        log.appendFrame(
          'in',
          'text',
          text(`{"type":"${i % 10 === 0 ? 'tick' : 'trade'}","n":${i},"pad":"${pad}"}`),
        );
    }
    const filters: LogFilter[] = [
      { search: 'tick' },
      { search: 'TÏCK' },
      { search: 'ff 74' },
      { search: '"n":\\d*5,', searchMode: 'regex' },
      { search: 'grüße é+ tick', searchMode: 'regex' },
      { search: '$.type == "tick"', searchMode: 'jsonpath' },
      { search: '$.type == "tïck"', searchMode: 'jsonpath' },
      { search: '$.n > 590', searchMode: 'jsonpath' },
    ];
    for (const filter of filters) {
      const expected = log.read(1, Infinity, filter).map((e) => e.seq);
      expect({ filter, seqs: [...log.match(filter)] }).toEqual({ filter, seqs: expected });
      expect(expected.length).toBeGreaterThan(0);
    }
    expect(log.firstSeq).toBe(1);
  });
});

describe('MessageLog.match against read() (the same filter, two ways)', () => {
  it('agrees for searches with and without column criteria, from a later seq, and after eviction', () => {
    const enc = new TextEncoder();
    const log = new MessageLog({ budgetBytes: 64 * 1024 });
    for (let i = 0; i < 3000; i++) {
      log.appendFrame(
        i % 3 ? 'in' : 'out',
        'text',
        enc.encode(JSON.stringify({ type: i % 4 ? 'trade' : 'tick', i })),
      );
      if (i % 7 === 0) log.append('in', 'ping');
    }
    // The budget dropped the oldest entries: the log starts past seq 1.
    expect(log.firstSeq).toBeGreaterThan(1);
    const filters: LogFilter[] = [
      { search: 'tick' },
      { search: 'tick', dir: 'in' },
      { search: '"i":\\d*5}', searchMode: 'regex', hideKinds: ['ping'] },
      { search: '$.type == "tick"', searchMode: 'jsonpath' },
      { search: 'trade', seqs: [log.firstSeq, log.firstSeq + 1, log.lastSeq, log.lastSeq + 5] },
      { search: 'nothing like this' },
    ];
    for (const filter of filters) {
      for (const from of [0, log.firstSeq + 100, log.lastSeq, log.lastSeq + 10]) {
        const expected = log.read(from, Infinity, filter).map((e) => e.seq);
        expect({ filter, from, seqs: [...log.match(filter, from)] }).toEqual({
          filter,
          from,
          seqs: expected,
        });
      }
    }
  });
});
