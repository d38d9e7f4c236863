/**
 * The log view's filter (direction, kinds, client, search text), one
 * implementation for live logs and session files alike.
 */
import { bytesToHex, utf8Decode } from '../payload/codecs.js';
import type { Direction, LogFilter, LogKind } from '../contract.js';

/** What the filter looks at in an entry, wherever it is stored. */
export interface FilterableEntry {
  readonly dir: Direction;
  readonly kind: LogKind;
  readonly clientId?: string | undefined;
  readonly note?: string | undefined;
}

/** Search matches the text of a payload, or the spaced hex of a binary one's first 4 KiB, or the note. */
export function compileFilter<E extends FilterableEntry>(
  filter: LogFilter,
  payloadOf: (entry: E) => Uint8Array,
): (entry: E) => boolean {
  const kinds = filter.kinds && filter.kinds.length > 0 ? new Set(filter.kinds) : undefined;
  const needle = filter.search ? filter.search.toLowerCase() : undefined;
  return (e) => {
    if (filter.dir && e.dir !== filter.dir) return false;
    if (kinds && !kinds.has(e.kind)) return false;
    if (filter.clientId !== undefined && e.clientId !== filter.clientId) return false;
    if (needle !== undefined) {
      const payload = payloadOf(e);
      const hay = e.kind === 'binary' ? bytesToHex(payload.subarray(0, 4096), ' ') : utf8Decode(payload);
      if (!hay.toLowerCase().includes(needle) && !(e.note ?? '').toLowerCase().includes(needle)) return false;
    }
    return true;
  };
}
