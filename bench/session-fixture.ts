/**
 * Large session files for the session benchmark and the bounded-memory test:
 * a client recording of JSON text messages (out, then the echo in), written
 * in 4 MiB appends, with an optional bad line in the middle. Deterministic, so
 * a file of the right size can be reused between runs.
 */
import { open, stat } from 'node:fs/promises';
import { makeHeader, entryToLine } from '../app/sessions/session-format.js';
import { utf8Encode } from '../app/payload/codecs.js';

export interface FixtureOptions {
  path: string;
  /** Approximate size; the file ends at the first whole line past it. */
  bytes: number;
  url?: string;
  /** Writes one line that is not JSON after this many events. */
  badLineAfter?: number;
  /** A word that only this event's text contains (seq), for search. */
  needleAt?: number;
  /** Filler characters per message (default 120): larger means fewer, bigger lines. */
  padChars?: number;
}

export const NEEDLE = 'needle-7f3a';

/** Writes the file unless one of at least `bytes` with the same options exists; returns its size and events. */
export async function writeSessionFixture(
  o: FixtureOptions,
): Promise<{ size: number; events: number; reused: boolean }> {
  const existing = await stat(o.path).catch(() => undefined);
  if (existing && existing.size >= o.bytes && existing.size < o.bytes + 1024 * 1024) {
    return { size: existing.size, events: -1, reused: true };
  }
  const handle = await open(o.path, 'w');
  try {
    const header = makeHeader({
      role: 'client',
      url: o.url ?? 'ws://127.0.0.1:1/',
      startedAt: 1764000000000,
    });
    let chunk = JSON.stringify(header) + '\n';
    let size = 0;
    let seq = 0;
    let t = 0;
    const pad = 'x'.repeat(o.padChars ?? 120);
    chunk +=
      entryToLine({ seq: ++seq, t, dir: 'none', kind: 'open', data: new Uint8Array(0), note: 'open' }) + '\n';
    while (size + chunk.length < o.bytes) {
      for (let i = 0; i < 200; i++) {
        t += 0.25;
        const text = `{"op":"tick","i":${seq},"word":"${seq === o.needleAt ? NEEDLE : 'hay'}","pad":"${pad}"}`;
        const data = utf8Encode(text);
        chunk += entryToLine({ seq: ++seq, t, dir: 'out', kind: 'text', data }) + '\n';
        chunk += entryToLine({ seq: ++seq, t: t + 0.1, dir: 'in', kind: 'text', data }) + '\n';
        if (o.badLineAfter !== undefined && seq >= o.badLineAfter && seq - 2 < o.badLineAfter) {
          // One line of garbage in the middle: readers warn about it and read on.
          chunk += '{"seq": this is not json\n';
        }
      }
      if (chunk.length >= 4 * 1024 * 1024) {
        await handle.write(chunk);
        size += Buffer.byteLength(chunk);
        chunk = '';
      }
    }
    await handle.write(chunk);
    size += Buffer.byteLength(chunk);
    return { size, events: seq, reused: false };
  } finally {
    await handle.close();
  }
}
