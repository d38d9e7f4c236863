/**
 * Splits a file into lines by bytes, a chunk at a time: memory depends on the
 * chunk and the longest line, never on the file. `\n` never occurs inside a
 * multi-byte UTF-8 sequence, so cutting bytes there and decoding each line on
 * its own is exact. Each line carries its byte offset, for the session index.
 */
import { open } from 'node:fs/promises';

export interface RawLine {
  /** The line's text, without its `\n`. */
  text: string;
  /** Byte offset of the line's first byte in the file. */
  offset: number;
  /** Bytes of the line including its `\n` (when it has one). */
  bytes: number;
  /** False for a last line the file ends inside of (no `\n`). */
  complete: boolean;
}

export interface LineRange {
  /** Byte offset to start at (must be the start of a line). Default 0. */
  start?: number;
  chunkBytes?: number;
}

const CHUNK = 1024 * 1024;

/** Lines of the file from `start` to its end, in batches (one per chunk read). */
export async function* readLines(path: string, range: LineRange = {}): AsyncGenerator<RawLine[]> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(range.chunkBytes ?? CHUNK);
    let position = range.start ?? 0;
    // Bytes of a line that started in an earlier chunk; kept as parts and joined once.
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let lineStart = position;
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const batch: RawLine[] = [];
      let from = 0;
      for (;;) {
        const nl = buf.indexOf(10, from);
        if (nl === -1 || nl >= bytesRead) break;
        let text: string;
        if (carryBytes > 0) {
          carry.push(buf.subarray(from, nl));
          text = Buffer.concat(carry, carryBytes + nl - from).toString('utf8');
          carry = [];
        } else {
          text = buf.toString('utf8', from, nl);
        }
        const bytes = carryBytes + nl - from + 1;
        batch.push({ text, offset: lineStart, bytes, complete: true });
        lineStart += bytes;
        carryBytes = 0;
        from = nl + 1;
      }
      if (from < bytesRead) {
        // The buffer is reused for the next read: keep a copy of the unfinished line.
        carry.push(Buffer.from(buf.subarray(from, bytesRead)));
        carryBytes += bytesRead - from;
      }
      if (batch.length > 0) yield batch;
    }
    if (carryBytes > 0) {
      const text = Buffer.concat(carry, carryBytes).toString('utf8');
      yield [{ text, offset: lineStart, bytes: carryBytes, complete: false }];
    }
  } finally {
    await handle.close();
  }
}
