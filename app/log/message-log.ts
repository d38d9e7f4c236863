/**
 * The message log of one connection or one mock server: every frame and event
 * with a sequence number, a timestamp, direction, kind and size.
 *
 * Memory is bounded by a byte budget. Payloads are copied into shared arena
 * chunks (a received Buffer from ws may be a slice of a 64 KiB socket read, and
 * keeping it would pin the whole read); when the budget is exceeded the oldest
 * entries are dropped. Readers get previews; full payloads are read by range.
 */
import { EventEmitter } from 'node:events';
import { utf8Decode, bytesToHex } from '../payload/codecs.js';
import type { Direction, LogEntryView, LogFilter, LogKind } from '../contract.js';

/** Estimated bytes of bookkeeping per entry (object, boxed numbers, array slot). */
export const ENTRY_OVERHEAD = 160;
export const DEFAULT_LOG_BUDGET = 64 * 1024 * 1024;
/** Characters of text, or bytes of binary, that travel with an event. */
export const PREVIEW_BYTES = 2048;
const CHUNK_SIZE = 1024 * 1024;
const EMPTY = new Uint8Array(0);

export interface LogEntry {
  readonly seq: number;
  /** Unix epoch, ms. */
  readonly t: number;
  readonly dir: Direction;
  readonly kind: LogKind;
  /** Payload size in bytes. */
  readonly size: number;
  readonly clientId: string | undefined;
  readonly code: number | undefined;
  readonly reason: string | undefined;
  /** Human-readable note for open/close/error/info entries. */
  readonly note: string | undefined;
  /** Where the payload lives: a view into an arena chunk. */
  readonly payload: Uint8Array;
}

export interface AppendExtra {
  clientId?: string;
  code?: number;
  reason?: string;
  note?: string;
}

export interface MessageLogOptions {
  /** Upper bound of the log's memory, in bytes. */
  budgetBytes?: number;
}

export class MessageLog extends EventEmitter<{ entry: [LogEntry]; cleared: [] }> {
  readonly budgetBytes: number;
  #entries: LogEntry[] = [];
  #head = 0;
  #nextSeq = 1;
  #bytes = 0;
  #chunk: Uint8Array = EMPTY;
  #chunkUsed = 0;

  constructor(options: MessageLogOptions = {}) {
    super();
    this.budgetBytes = options.budgetBytes ?? DEFAULT_LOG_BUDGET;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Estimated bytes held (payloads + bookkeeping). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Sequence number of the oldest entry still held (or the next one when empty). */
  get firstSeq(): number {
    return this.#entries[this.#head]?.seq ?? this.#nextSeq;
  }

  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  append(dir: Direction, kind: LogKind, data?: Uint8Array, extra?: AppendExtra): LogEntry {
    const payload = data && data.byteLength > 0 ? this.#store(data) : EMPTY;
    const entry: LogEntry = {
      seq: this.#nextSeq++,
      t: Date.now(),
      dir,
      kind,
      size: payload.byteLength,
      clientId: extra?.clientId,
      code: extra?.code,
      reason: extra?.reason,
      note: extra?.note,
      payload,
    };
    this.#entries.push(entry);
    this.#bytes += entry.size + ENTRY_OVERHEAD;
    if (this.#bytes > this.budgetBytes) this.#evict();
    this.emit('entry', entry);
    return entry;
  }

  get(seq: number): LogEntry | undefined {
    const index = this.#head + (seq - this.firstSeq);
    const entry = this.#entries[index];
    return entry && entry.seq === seq ? entry : undefined;
  }

  /** Up to `count` entries from `fromSeq` on that pass `filter`. */
  read(fromSeq: number, count: number, filter?: LogFilter): LogEntry[] {
    const out: LogEntry[] = [];
    const start = this.#head + Math.max(0, fromSeq - this.firstSeq);
    const match = filter ? compileFilter(filter) : undefined;
    for (let i = start; i < this.#entries.length && out.length < count; i++) {
      const entry = this.#entries[i]!;
      if (!match || match(entry)) out.push(entry);
    }
    return out;
  }

  /** A copy of `length` bytes of an entry's payload from `offset`. */
  readPayload(seq: number, offset = 0, length = Infinity): Uint8Array | undefined {
    const entry = this.get(seq);
    if (!entry) return undefined;
    const end = Math.min(entry.size, offset + length);
    return entry.payload.slice(Math.min(offset, end), end);
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#chunk = EMPTY;
    this.#chunkUsed = 0;
    this.emit('cleared');
  }

  #store(data: Uint8Array): Uint8Array {
    const n = data.byteLength;
    if (n > CHUNK_SIZE / 4) return new Uint8Array(data); // large: its own copy
    if (this.#chunkUsed + n > this.#chunk.byteLength) {
      this.#chunk = new Uint8Array(CHUNK_SIZE);
      this.#chunkUsed = 0;
    }
    const view = this.#chunk.subarray(this.#chunkUsed, this.#chunkUsed + n);
    view.set(data);
    this.#chunkUsed += n;
    return view;
  }

  #evict(): void {
    // Drop down to 90% of the budget so eviction runs in batches, not per append.
    const target = this.budgetBytes * 0.9;
    while (this.#bytes > target && this.#head < this.#entries.length - 1) {
      const old = this.#entries[this.#head]!;
      this.#entries[this.#head] = undefined as unknown as LogEntry;
      this.#head++;
      this.#bytes -= old.size + ENTRY_OVERHEAD;
    }
    if (this.#head > 4096 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** The plain-data form of an entry that events and commands carry. */
export function toEntryView(entry: LogEntry, previewBytes = PREVIEW_BYTES): LogEntryView {
  const view: LogEntryView = {
    seq: entry.seq,
    t: entry.t,
    dir: entry.dir,
    kind: entry.kind,
    size: entry.size,
    preview: '',
    truncated: false,
  };
  if (entry.clientId !== undefined) view.clientId = entry.clientId;
  if (entry.code !== undefined) view.code = entry.code;
  if (entry.reason !== undefined) view.reason = entry.reason;
  if (entry.note !== undefined) view.note = entry.note;
  if (entry.size > 0) {
    const head = entry.payload.subarray(0, previewBytes);
    view.preview = isTextKind(entry.kind) ? utf8Decode(head) : bytesToHex(head.subarray(0, 64), ' ');
    view.truncated = isTextKind(entry.kind) ? entry.size > previewBytes : entry.size > 64;
  }
  return view;
}

function isTextKind(kind: LogKind): boolean {
  return kind === 'text' || kind === 'open' || kind === 'close' || kind === 'error' || kind === 'info';
}

function compileFilter(filter: LogFilter): (e: LogEntry) => boolean {
  const kinds = filter.kinds && filter.kinds.length > 0 ? new Set(filter.kinds) : undefined;
  const needle = filter.search ? filter.search.toLowerCase() : undefined;
  return (e) => {
    if (filter.dir && e.dir !== filter.dir) return false;
    if (kinds && !kinds.has(e.kind)) return false;
    if (filter.clientId !== undefined && e.clientId !== filter.clientId) return false;
    if (needle !== undefined) {
      const hay = e.kind === 'binary' ? bytesToHex(e.payload.subarray(0, 4096), ' ') : utf8Decode(e.payload);
      if (!hay.toLowerCase().includes(needle) && !(e.note ?? '').toLowerCase().includes(needle)) return false;
    }
    return true;
  };
}
