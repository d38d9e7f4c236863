/**
 * MessageLog storage: the column ring (growth with wrap-around, eviction,
 * clear), payload slabs (copying, reuse after eviction, shared echo payloads),
 * received payloads kept only when they own their whole buffer, and the byte
 * accounting, checked against a plain model of what was appended.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD, KEEP_MIN_BYTES, MessageLog, type LogEntry } from '../../app/log/message-log.js';

interface Expected {
  size: number;
  fill: number;
  dir: LogEntry['dir'];
  kind: LogEntry['kind'];
  clientId?: string;
  note?: string;
}

/** What the log should charge for `held`: ENTRY_OVERHEAD each, plus each chunk (slab or own copy) in use once. */
function chargedBytes(held: LogEntry[]): number {
  const chunks = new Set(held.filter((e) => e.size > 0).map((e) => e.payload.buffer));
  return held.length * ENTRY_OVERHEAD + [...chunks].reduce((n, b) => n + b.byteLength, 0);
}

/** A small deterministic random generator, so a failure replays the same way. */
function random(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

function checkAgainst(log: MessageLog, model: Map<number, Expected>): void {
  expect(log.size).toBe(log.lastSeq - log.firstSeq + 1);
  for (let seq = log.firstSeq; seq <= log.lastSeq; seq++) {
    const want = model.get(seq)!;
    const entry = log.get(seq)!;
    expect(entry, `seq ${seq}`).toMatchObject({ seq, size: want.size, dir: want.dir, kind: want.kind });
    expect(entry.clientId).toBe(want.clientId);
    expect(entry.note).toBe(want.note);
    const payload = entry.payload;
    expect(payload.byteLength).toBe(want.size);
    if (want.size > 0) {
      expect(payload[0]).toBe(want.fill);
      expect(payload[want.size - 1]).toBe(want.fill);
      expect(log.readPayload(seq, want.size - 1)![0]).toBe(want.fill);
    }
  }
}

describe('MessageLog: column ring', () => {
  it('keeps every held entry intact through growth, wrap-around, eviction and clear', () => {
    const rnd = random(42);
    for (let round = 0; round < 6; round++) {
      const log = new MessageLog({ budgetBytes: 64 * 1024 + Math.floor(rnd() * 2_000_000) });
      const model = new Map<number, Expected>();
      for (let i = 0; i < 8000; i++) {
        const size = Math.floor(rnd() ** 3 * 40_000); // mostly small, some larger than a slab
        const fill = i & 0xff;
        const dir = i % 3 ? 'in' : 'out';
        const kind = i % 5 ? 'text' : 'binary';
        const clientId = i % 7 ? `c${i % 4}` : undefined;
        const note = i % 11 ? undefined : `note ${i}`;
        const entry = log.append(dir, kind, new Uint8Array(size).fill(fill), { clientId, note });
        model.set(entry.seq, { size, fill, dir, kind, clientId, note });
        if (rnd() < 0.002) log.clear();
      }
      checkAgainst(log, model);
      expect(log.bytes).toBeLessThanOrEqual(log.budgetBytes);
      expect(log.bytes).toBe(chargedBytes(log.read(log.firstSeq, Infinity)));
    }
  });

  it('grows the ring while it has wrapped around (evicting big entries, then many small ones)', () => {
    const log = new MessageLog({ budgetBytes: 200 * 1024 });
    const model = new Map<number, Expected>();
    const add = (size: number, i: number): void => {
      const e = log.append('in', 'binary', new Uint8Array(size).fill(i & 0xff));
      model.set(e.seq, { size, fill: i & 0xff, dir: 'in', kind: 'binary' });
    };
    for (let i = 0; i < 300; i++) add(4000, i); // evicting from here on, with the ring partly used
    for (let i = 0; i < 3000; i++) {
      add(i % 9, i); // the entry count rises, so the ring grows with firstSeq far from slot 0
      if (i % 97 === 0) checkAgainst(log, model);
    }
    expect(log.size).toBeGreaterThan(1000);
    checkAgainst(log, model);
  });

  it('makes an equal entry object for any held seq, each time it is asked', () => {
    const log = new MessageLog();
    const first = log.append('in', 'text', new TextEncoder().encode('first'), { clientId: '9' });
    for (let i = 0; i < 5000; i++) log.appendFrame('in', 'binary', new Uint8Array([i & 0xff]));
    const last = log.append('out', 'text', new TextEncoder().encode('last'));
    expect(log.get(last.seq)).toEqual(last);
    const again = log.get(first.seq)!;
    expect(again).not.toBe(first);
    expect(again).toMatchObject({
      seq: first.seq,
      t: first.t,
      dir: 'in',
      kind: 'text',
      size: 5,
      clientId: '9',
    });
    expect(new TextDecoder().decode(again.payload)).toBe('first');
  });
});

describe('MessageLog: appendFrame and appendRepeat', () => {
  it('copies frames, so the socket buffer can be reused at once', () => {
    const log = new MessageLog();
    const socketRead = Buffer.from('aaaabbbbcccc');
    const a = log.appendFrame('in', 'text', socketRead.subarray(0, 4), { clientId: '1' });
    const b = log.appendFrame('in', 'text', socketRead.subarray(4, 8), { clientId: '1' });
    socketRead.fill(0x7a);
    expect(typeof a).toBe('number');
    expect(new TextDecoder().decode(log.get(a)!.payload)).toBe('aaaa');
    expect(new TextDecoder().decode(log.get(b)!.payload)).toBe('bbbb');
    expect(log.get(a)!.payload.buffer).not.toBe(socketRead.buffer);
    // The payload is a plain Uint8Array, so slice() copies (Buffer#slice would not).
    const payload = log.get(a)!.payload;
    expect(Buffer.isBuffer(payload)).toBe(false);
    const copy = payload.slice();
    copy[0] = 0;
    expect(log.readPayload(a)![0]).toBe(0x61);
  });

  it('logs an echo with the received bytes, stored once', () => {
    const log = new MessageLog({ budgetBytes: 64 * 1024 });
    const inSeq = log.appendFrame('in', 'binary', new Uint8Array(3000).fill(9), { clientId: '2' });
    const bytes = log.bytes;
    const outSeq = log.appendRepeat('out', 'binary', inSeq, { clientId: '2' });
    expect(log.bytes).toBe(bytes + ENTRY_OVERHEAD);
    const [received, echoed] = [log.get(inSeq)!, log.get(outSeq)!];
    expect(echoed).toMatchObject({ dir: 'out', kind: 'binary', size: 3000, clientId: '2' });
    expect(echoed.payload.buffer).toBe(received.payload.buffer);
    expect(echoed.payload.byteOffset).toBe(received.payload.byteOffset);
    while (log.firstSeq <= inSeq) log.appendFrame('in', 'binary', new Uint8Array(100));
    expect(() => log.appendRepeat('out', 'binary', inSeq)).toThrow(RangeError);
  });

  it('makes entry objects only for listeners; appended is a bare notification', () => {
    const log = new MessageLog();
    const seen: LogEntry[] = [];
    let appended = 0;
    log.appendFrame('in', 'text', Buffer.from('quiet'));
    log.on('entry', (e) => seen.push(e));
    log.on('appended', () => appended++);
    const seq = log.appendFrame('in', 'text', Buffer.from('heard'));
    expect(seen.map((e) => [e.seq, new TextDecoder().decode(e.payload)])).toEqual([[seq, 'heard']]);
    expect(appended).toBe(1);
  });

  it('stays within the budget and keeps payloads of every size intact while evicting', () => {
    const rnd = random(7);
    const log = new MessageLog({ budgetBytes: 512 * 1024 });
    const model = new Map<number, Expected>();
    let read = Buffer.alloc(0);
    let used = 0;
    for (let i = 0; i < 20_000; i++) {
      const size = Math.floor(rnd() ** 2 * (rnd() < 0.01 ? 100_000 : 6000));
      const fill = i & 0xff;
      const r = rnd();
      if (r < 0.6) {
        if (used + size > read.length) {
          read = Buffer.alloc(Math.max(size, 65_536)); // a new "socket read"
          used = 0;
        }
        const data = read.subarray(used, used + size).fill(fill);
        used += size;
        const seq = log.appendFrame('in', 'binary', data, { clientId: '1' });
        model.set(seq, { size, fill, dir: 'in', kind: 'binary', clientId: '1' });
      } else if (r < 0.7 && log.size > 0) {
        const of = log.lastSeq;
        const seq = log.appendRepeat('out', 'binary', of, { clientId: '1' });
        model.set(seq, { ...model.get(of)!, dir: 'out', kind: 'binary', clientId: '1' });
      } else {
        const e = log.append('out', 'text', new Uint8Array(size).fill(fill));
        model.set(e.seq, { size, fill, dir: 'out', kind: 'text' });
      }
      expect(log.bytes).toBeLessThanOrEqual(log.budgetBytes);
    }
    expect(log.firstSeq).toBeGreaterThan(1);
    checkAgainst(log, model);
    expect(log.bytes).toBe(chargedBytes(log.read(log.firstSeq, Infinity)));
  });

  it('reuses the slabs of dropped entries: all slabs ever made fit in the budget', () => {
    const log = new MessageLog({ budgetBytes: 1024 * 1024 });
    const slabs = new Set<ArrayBufferLike>();
    const kept = log.append('in', 'binary', new Uint8Array(1000).fill(1)).payload.slice();
    const socketRead = new Uint8Array(4096); // views of it are copied, as ws's views of socket reads are
    for (let i = 0; i < 20_000; i++) {
      const seq = log.appendFrame('in', 'binary', socketRead.subarray(0, 1 + (i % 3000)).fill(i & 0xff));
      slabs.add(log.get(seq)!.payload.buffer);
      expect(log.bytes).toBeLessThanOrEqual(log.budgetBytes);
    }
    expect(log.firstSeq).toBeGreaterThan(5000); // evicted many times over
    expect(slabs.size * log.slabBytes).toBeLessThanOrEqual(log.budgetBytes);
    // A copy taken before its entry was dropped keeps its bytes after the memory is reused.
    expect(kept.every((x) => x === 1)).toBe(true);
    expect(log.bytes).toBe(chargedBytes(log.read(log.firstSeq, Infinity)));
  });

  it('sizes slabs from the budget', () => {
    expect(new MessageLog().slabBytes).toBe(4 * 1024 * 1024);
    expect(new MessageLog({ budgetBytes: 32 * 1024 * 1024 }).slabBytes).toBe(2 * 1024 * 1024);
    expect(new MessageLog({ budgetBytes: 64 * 1024 }).slabBytes).toBe(4096);
    expect(new MessageLog({ budgetBytes: 1000 }).slabBytes).toBe(1024);
    expect(new MessageLog({ budgetBytes: 1024 ** 3 }).slabBytes).toBe(4 * 1024 * 1024);
  });
});

describe('MessageLog: a received payload is kept only when it owns its whole buffer', () => {
  it('copies a payload that is a view into a larger buffer: the entry does not hold that buffer', () => {
    const log = new MessageLog({ budgetBytes: 4 * 1024 * 1024 }); // slabs of 256 KiB
    const socketRead = new Uint8Array(2 * 1024 * 1024); // larger than a slab, so a kept view would show
    const payload = socketRead.subarray(1000, 1000 + KEEP_MIN_BYTES).fill(5);
    const seq = log.appendFrame('in', 'binary', payload);
    expect(log.get(seq)!.payload.buffer).not.toBe(socketRead.buffer);
    expect(log.get(seq)!.payload.buffer.byteLength).toBe(log.slabBytes);
    // Larger than a slab: a copy of its own, of its size, not the buffer it was a view into.
    const large = socketRead.subarray(100_000, 100_000 + log.slabBytes + 1).fill(6);
    const largeSeq = log.appendFrame('in', 'binary', large);
    expect(log.get(largeSeq)!.payload.buffer.byteLength).toBe(log.slabBytes + 1);
    socketRead.fill(0);
    expect(log.readPayload(seq)!.every((b) => b === 5)).toBe(true);
    expect(log.readPayload(largeSeq)!.every((b) => b === 6)).toBe(true);
    expect(log.bytes).toBe(2 * log.slabBytes + 1 + 2 * ENTRY_OVERHEAD);
  });

  it('copies a view that starts at 0 but stops short of its buffer’s end, and one that ends there', () => {
    const log = new MessageLog({ budgetBytes: 1024 * 1024 });
    const buffer = new Uint8Array(4 * KEEP_MIN_BYTES).fill(3);
    const head = log.appendFrame('in', 'binary', buffer.subarray(0, 2 * KEEP_MIN_BYTES));
    const tail = log.appendFrame('in', 'binary', buffer.subarray(2 * KEEP_MIN_BYTES));
    for (const seq of [head, tail]) expect(log.get(seq)!.payload.buffer).not.toBe(buffer.buffer);
  });

  it('keeps a payload that owns its whole ArrayBuffer, charged at its size, and never reuses it', () => {
    const log = new MessageLog({ budgetBytes: 1024 * 1024 }); // slabs of 64 KiB
    const owned = Buffer.alloc(log.slabBytes, 9); // exactly a slab long: must still not become a spare slab
    expect(owned.byteLength).toBeGreaterThanOrEqual(KEEP_MIN_BYTES);
    expect(owned.byteOffset === 0 && owned.byteLength === owned.buffer.byteLength).toBe(true);
    const seq = log.appendFrame('in', 'binary', owned);
    expect(log.get(seq)!.payload.buffer).toBe(owned.buffer);
    expect(log.bytes).toBe(log.slabBytes + ENTRY_OVERHEAD);
    // Evict it, then fill the log again: its memory is not written into.
    while (log.firstSeq <= seq) log.appendFrame('in', 'binary', new Uint8Array(100).fill(1));
    for (let i = 0; i < 5000; i++) log.append('in', 'binary', new Uint8Array(500).fill(2));
    expect(owned.every((b) => b === 9)).toBe(true);
    expect(log.bytes).toBeLessThanOrEqual(log.budgetBytes);
  });

  it('copies an owned payload smaller than KEEP_MIN_BYTES', () => {
    const log = new MessageLog();
    const small = new Uint8Array(KEEP_MIN_BYTES - 1).fill(4);
    const seq = log.appendFrame('in', 'binary', small);
    expect(log.get(seq)!.payload.buffer).not.toBe(small.buffer);
  });

  it('stays within the budget with kept payloads of every size among copied ones', () => {
    const rnd = random(11);
    const log = new MessageLog({ budgetBytes: 2 * 1024 * 1024 });
    const model = new Map<number, Expected>();
    for (let i = 0; i < 5000; i++) {
      const size = Math.floor(rnd() ** 2 * 300_000);
      const fill = i & 0xff;
      const whole = rnd() < 0.5;
      const data = whole ? new Uint8Array(size) : new Uint8Array(size + 64).subarray(32, 32 + size);
      const seq = log.appendFrame('in', 'binary', data.fill(fill));
      model.set(seq, { size, fill, dir: 'in', kind: 'binary' });
      expect(log.bytes).toBeLessThanOrEqual(Math.max(log.budgetBytes, size + ENTRY_OVERHEAD));
    }
    expect(log.firstSeq).toBeGreaterThan(100);
    checkAgainst(log, model);
    expect(log.bytes).toBe(chargedBytes(log.read(log.firstSeq, Infinity)));
  });
});
