import { describe, expect, it } from 'vitest';
import { decodeSeqRuns, encodeSeqRuns } from '../../app/log/seq-runs.js';

describe('seq runs (the form of a log.match answer)', () => {
  it('round-trips empty, single, dense, sparse and large seqs', () => {
    const cases: number[][] = [
      [],
      [1],
      [0, 1, 2],
      [5, 6, 7, 100, 101, 2 ** 20, 2 ** 32 - 2, 2 ** 32 - 1],
      Array.from({ length: 1000 }, (_, i) => 3 + i * 7),
    ];
    for (const seqs of cases) expect([...decodeSeqRuns(encodeSeqRuns(seqs))]).toEqual(seqs);
  });

  it('writes a million seqs with pings hidden in a fraction of their 4 MiB as uint32', () => {
    // Nine messages, then a ping and a pong left out: the bench's hide-pings filter.
    const seqs = new Uint32Array(1_000_000);
    for (let i = 0; i < seqs.length; i++) seqs[i] = 1 + i + 2 * Math.floor(i / 9);
    const runs = encodeSeqRuns(seqs);
    expect(runs.length).toBeLessThan(seqs.byteLength / 10);
    expect(decodeSeqRuns(runs)).toEqual(seqs);
    // One row in ten (a search): two bytes a seq, half of uint32.
    const sparse = Uint32Array.from({ length: 100_000 }, (_, i) => 1 + i * 10);
    expect(encodeSeqRuns(sparse).length).toBe(2 * sparse.length);
  });

  it('refuses seqs out of order, repeated or too large', () => {
    expect(() => encodeSeqRuns([3, 2])).toThrow(/ascending/);
    expect(() => encodeSeqRuns([3, 3])).toThrow(/ascending/);
    expect(() => encodeSeqRuns([2 ** 32])).toThrow(/below 2\^32/);
    expect(() => encodeSeqRuns([2 ** 32 - 1, 2 ** 32])).toThrow(/below 2\^32/);
    expect(() => encodeSeqRuns([1.5])).toThrow(/integers/);
  });

  it('refuses bytes that are not runs', () => {
    expect(() => decodeSeqRuns(Uint8Array.of(1))).toThrow(/end inside a number/);
    expect(() => decodeSeqRuns(Uint8Array.of(1, 0x80))).toThrow(/end inside a number/);
    expect(() => decodeSeqRuns(Uint8Array.of(1, 0))).toThrow(/empty run/);
    expect(() => decodeSeqRuns(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 1))).toThrow(/over 5 bytes/);
    expect(() => decodeSeqRuns(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x0f, 2))).toThrow(/past 2\^32/);
  });
});
