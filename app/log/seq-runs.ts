/**
 * Ascending seqs written as runs of consecutive seqs: the form of a log.match
 * answer. A filter's matches come in long runs (hiding pings leaves runs of nine)
 * or sparse (a search finds one row in ten), and a million seqs as uint32 are
 * 4 MiB, which a browser takes about 10 ms a MiB to receive over the bridge.
 *
 * Each run is two unsigned LEB128 varints: its gap (first seq minus the end of the
 * previous run, which starts at 0) and its length. Runtime-free: the engine
 * encodes, the renderer decodes.
 */

/** Encodes ascending, distinct seqs (each below 2^32) as runs. */
export function encodeSeqRuns(seqs: ArrayLike<number>): Uint8Array {
  let out = new Uint8Array(Math.min(1024, 10 * seqs.length));
  let at = 0;
  const put = (value: number): void => {
    if (at + 5 > out.length) {
      const grown = new Uint8Array(out.length * 2 + 16);
      grown.set(out.subarray(0, at));
      out = grown;
    }
    while (value >= 0x80) {
      out[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    out[at++] = value;
  };
  let end = 0;
  for (let i = 0; i < seqs.length;) {
    const first = seqs[i]!;
    if (!(first >= end) || !Number.isInteger(first)) {
      throw new RangeError(`seqs must be ascending integers below 2^32 (seq ${first} at ${i})`);
    }
    let length = 1;
    while (i + length < seqs.length && seqs[i + length] === first + length) length++;
    // The run's last seq: a run that starts below 2^32 may end past it.
    if (first + length - 1 > 0xffffffff)
      throw new RangeError(`seqs must be ascending integers below 2^32 (seq ${first + length - 1})`);
    put(first - end);
    put(length);
    end = first + length;
    i += length;
  }
  return out.slice(0, at);
}

/** The seqs of runs written by encodeSeqRuns; throws on bytes that are not runs. */
export function decodeSeqRuns(bytes: Uint8Array): Uint32Array {
  let at = 0;
  const next = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      if (at >= bytes.length) throw new Error('seq runs end inside a number (the answer is cut short)');
      if (scale > 0x80 ** 4) throw new Error('seq runs hold a number over 5 bytes');
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
  };
  // Two passes: the first sizes the answer, so a million seqs are one allocation.
  let total = 0;
  let end = 0;
  while (at < bytes.length) {
    end += next();
    const length = next();
    if (length === 0) throw new Error('seq runs hold an empty run');
    end += length;
    total += length;
  }
  if (end > 0x100000000) throw new Error('seq runs go past 2^32');
  const seqs = new Uint32Array(total);
  at = 0;
  end = 0;
  let n = 0;
  while (at < bytes.length) {
    const first = end + next();
    const length = next();
    for (let k = 0; k < length; k++) seqs[n++] = first + k;
    end = first + length;
  }
  return seqs;
}
