/**
 * MessageLog storage: the column ring (growth with wrap-around, eviction,
 * clear), payloads adopted from socket buffers (appendReceived), and the byte
 * accounting of both, checked against a plain model of what was appended.
 */
import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD, MessageLog, type LogEntry } from '../../app/log/message-log.js';

interface Expected {
  size: number;
  fill: number;
  dir: LogEntry['dir'];
  kind: LogEntry['kind'];
  clientId?: string;
  note?: string;
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
        const size = Math.floor(rnd() ** 3 * 40_000); // mostly small, some above the 16 KiB arena limit
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
      expect(log.bytes).toBe(
        log.read(log.firstSeq, Infinity).reduce((n, e) => n + e.size + ENTRY_OVERHEAD, 0),
      );
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

  it('returns the same object for a recent entry and an equal one for an older entry', () => {
    const log = new MessageLog();
    const first = log.append('in', 'text', new TextEncoder().encode('first'), { clientId: '9' });
    for (let i = 0; i < 5000; i++) log.append('in', 'binary', new Uint8Array([i & 0xff]));
    const last = log.append('out', 'text', new TextEncoder().encode('last'));
    expect(log.get(last.seq)).toBe(last);
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

describe('MessageLog: appendReceived', () => {
  it('keeps the received bytes without copying them, for both directions of an echo', () => {
    const log = new MessageLog();
    const socketRead = Buffer.from('aaaabbbbcccc');
    const a = log.appendReceived('in', 'text', socketRead.subarray(0, 4), { clientId: '1' });
    const b = log.appendReceived('in', 'text', socketRead.subarray(4, 8), { clientId: '1' });
    const echo = log.appendReceived('out', 'text', socketRead.subarray(4, 8), { clientId: '1' });
    expect(a.payload.buffer).toBe(socketRead.buffer);
    expect(echo.payload.buffer).toBe(b.payload.buffer);
    expect(new TextDecoder().decode(log.get(b.seq)!.payload)).toBe('bbbb');
    // The payload is a plain Uint8Array, so slice() copies (Buffer#slice would not).
    expect(Buffer.isBuffer(a.payload)).toBe(false);
    const copy = a.payload.slice();
    copy[0] = 0;
    expect(log.readPayload(a.seq)![0]).toBe(0x61);
  });

  it('stays within the budget and keeps adopted and copied payloads intact while evicting', () => {
    const rnd = random(7);
    const log = new MessageLog({ budgetBytes: 512 * 1024 });
    const model = new Map<number, Expected>();
    let read = Buffer.alloc(0);
    let used = 0;
    for (let i = 0; i < 20_000; i++) {
      const size = Math.floor(rnd() ** 2 * 6000);
      const fill = i & 0xff;
      if (rnd() < 0.7) {
        if (used + size > read.length) {
          read = Buffer.alloc(Math.max(size, 65_536)); // a new "socket read"
          used = 0;
        }
        const data = read.subarray(used, used + size).fill(fill);
        used += size;
        const e = log.appendReceived('in', 'binary', data, { clientId: '1' });
        model.set(e.seq, { size, fill, dir: 'in', kind: 'binary', clientId: '1' });
      } else {
        const e = log.append('out', 'text', new Uint8Array(size).fill(fill));
        model.set(e.seq, { size, fill, dir: 'out', kind: 'text' });
      }
      expect(log.bytes).toBeLessThanOrEqual(log.budgetBytes);
    }
    expect(log.firstSeq).toBeGreaterThan(1);
    checkAgainst(log, model);
  });

  it('counts each adopted socket buffer once, and gives it back when its last entry goes', () => {
    const log = new MessageLog({ budgetBytes: 64 * 1024 });
    const read = Buffer.alloc(100, 1);
    log.appendReceived('in', 'binary', read.subarray(0, 10));
    const perBuffer = log.bytes - 10 - ENTRY_OVERHEAD;
    expect(perBuffer).toBeGreaterThan(0);
    log.appendReceived('in', 'binary', read.subarray(10, 20));
    expect(log.bytes).toBe(20 + 2 * ENTRY_OVERHEAD + perBuffer);
    // Flood with other buffers until both entries are gone: the charge for `read` goes with them.
    for (let i = 0; i < 1000; i++) log.appendReceived('in', 'binary', Buffer.alloc(10, 2));
    expect(log.get(1)).toBeUndefined();
    const held = log.read(log.firstSeq, Infinity);
    expect(log.bytes).toBe(held.reduce((n, e) => n + e.size + ENTRY_OVERHEAD + perBuffer, 0));
  });
});
