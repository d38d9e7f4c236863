/**
 * The message log of one connection or one mock server: every frame and event
 * with a sequence number, a timestamp, direction, kind and size.
 *
 * Memory is bounded by a byte budget. Payloads are copied into shared arena
 * chunks (a received Buffer from ws may be a slice of a 64 KiB socket read, and
 * keeping it would pin the whole read); when the budget is exceeded the oldest
 * entries are dropped. Readers get previews; full payloads are read by range.
 *
 * This is the hot path of every received frame, so held entries are not kept as
 * objects: their fields live in columns (typed arrays in a ring indexed by
 * sequence number), and a LogEntry object is made when one is asked for. With
 * hundreds of thousands of entries held, one retained object per entry would
 * make the garbage collector, not the socket, the limit on the receive rate.
 */
import { EventEmitter } from 'node:events';
import { utf8Decode, bytesToHex } from '../payload/codecs.js';
import type { Direction, LogEntryView, LogFilter, LogKind } from '../contract.js';

/**
 * Estimated bytes of bookkeeping per entry, counted against the budget: the
 * columns take about 41 bytes a slot and the ring is at most half empty; the
 * rest covers the unused tail of arena chunks and entries materialized for readers.
 */
export const ENTRY_OVERHEAD = 160;
export const DEFAULT_LOG_BUDGET = 64 * 1024 * 1024;
/** Characters of text, or bytes of binary, that travel with an event. */
export const PREVIEW_BYTES = 2048;
/**
 * Arena chunk size. Small enough that malloc serves chunks from memory freed by
 * evicted chunks (already paged in), rather than fresh zeroed pages.
 */
const CHUNK_SIZE = 64 * 1024;
const EMPTY = new Uint8Array(0);
const INITIAL_SLOTS = 256;
/** Entries returned by append are remembered this long, so get() of a recent seq returns the same object. */
const RECENT_SLOTS = 1024;

const DIRECTIONS: readonly Direction[] = ['in', 'out', 'none'];
const NO_CHUNK = -1;
/** Bytes counted for each socket buffer the log adopts (its ArrayBuffer object and allocation). */
const ADOPTED_CHUNK_OVERHEAD = 128;
const HAS_DETAILS = 0x80;
const KINDS: readonly LogKind[] = ['text', 'binary', 'ping', 'pong', 'open', 'close', 'error', 'info'];

/** Index in DIRECTIONS. Comparisons, not a keyed lookup: this runs for every frame. */
function directionCode(dir: Direction): number {
  return dir === 'in' ? 0 : dir === 'out' ? 1 : 2;
}

/** Index in KINDS. */
function kindCode(kind: LogKind): number {
  switch (kind) {
    case 'text':
      return 0;
    case 'binary':
      return 1;
    case 'ping':
      return 2;
    case 'pong':
      return 3;
    case 'open':
      return 4;
    case 'close':
      return 5;
    case 'error':
      return 6;
    default:
      return 7;
  }
}

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
  /** The payload bytes: a view into the log's storage (do not modify it). */
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

/** code / reason / note of an entry, kept only for the few entries that have them. */
interface EntryDetails {
  code: number | undefined;
  reason: string | undefined;
  note: string | undefined;
}

export class MessageLog extends EventEmitter<{ entry: [LogEntry]; cleared: [] }> {
  readonly budgetBytes: number;
  /** Seq of the oldest entry held; equals #nextSeq when empty. The slot of seq s is s & #mask. */
  #firstSeq = 1;
  #nextSeq = 1;
  #bytes = 0;
  // Columns. Only typed arrays, so that growing the ring is a block copy and
  // storing an entry writes no object pointers.
  #mask = INITIAL_SLOTS - 1;
  #time = new Float64Array(INITIAL_SLOTS);
  #size = new Uint32Array(INITIAL_SLOTS);
  /** Byte offset of the payload in its chunk's ArrayBuffer. */
  #offset = new Uint32Array(INITIAL_SLOTS);
  /** Chunk number of the payload, NO_CHUNK when empty. */
  #chunkNo = new Int32Array(INITIAL_SLOTS);
  /** Index + 1 in #clientIds, 0 for none. */
  #client = new Uint32Array(INITIAL_SLOTS);
  /** direction << 4 | kind, plus HAS_DETAILS. */
  #meta = new Uint8Array(INITIAL_SLOTS);
  /**
   * Chunks: the ArrayBuffers payloads live in (arena chunks, copies of large
   * payloads, and buffers adopted from the socket), with the last seq that uses
   * each. Chunk number n is at index n - #chunkBase; a chunk is released when
   * the entry with its last seq is dropped.
   */
  #chunkBuffers: (ArrayBufferLike | undefined)[] = [];
  #chunkLastSeq: number[] = [];
  /** Bytes counted against the budget for the chunk itself (for an adopted socket buffer: its bookkeeping). */
  #chunkCharge: number[] = [];
  #chunkBase = 0;
  /** The arena chunk small copies go to, and the chunk number of an adopted buffer. */
  #arena: Uint8Array = EMPTY;
  #arenaUsed = 0;
  #arenaNo = NO_CHUNK;
  #adopted: ArrayBufferLike | undefined;
  #adoptedNo = NO_CHUNK;
  /** code / reason / note, by seq, for the few entries that have them. */
  #details = new Map<number, EntryDetails>();
  #clientIds: string[] = [];
  #clientIndex = new Map<string, number>();
  #lastClient: string | undefined;
  #lastClientNo = 0;
  #recent: (LogEntry | undefined)[] = new Array<LogEntry | undefined>(RECENT_SLOTS);

  constructor(options: MessageLogOptions = {}) {
    super();
    this.budgetBytes = options.budgetBytes ?? DEFAULT_LOG_BUDGET;
  }

  /** Entries currently held. */
  get size(): number {
    return this.#nextSeq - this.#firstSeq;
  }

  /** Estimated bytes held (payloads + bookkeeping). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Sequence number of the oldest entry still held (or the next one when empty). */
  get firstSeq(): number {
    return this.#firstSeq;
  }

  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Logs an entry with a copy of `data` (later changes to `data` do not reach the log). */
  append(dir: Direction, kind: LogKind, data?: Uint8Array, extra?: AppendExtra): LogEntry {
    return this.#add(dir, kind, data, extra, false);
  }

  /**
   * Logs a frame received from a socket, keeping `data` itself rather than a
   * copy. Only for bytes nobody writes to afterwards, such as the Buffer of a
   * `ws` message event: Node sizes each socket read's memory to the bytes read,
   * so the log then holds about the frames' own bytes, without copying them.
   */
  appendReceived(dir: Direction, kind: LogKind, data: Uint8Array, extra?: AppendExtra): LogEntry {
    return this.#add(dir, kind, data, extra, true);
  }

  get(seq: number): LogEntry | undefined {
    if (!this.#holds(seq)) return undefined;
    const recent = this.#recent[seq & (RECENT_SLOTS - 1)];
    if (recent !== undefined && recent.seq === seq) return recent;
    const slot = seq & this.#mask;
    const meta = this.#meta[slot]!;
    const clientNo = this.#client[slot]!;
    const chunkNo = this.#chunkNo[slot]!;
    return new StoredEntry(
      seq,
      this.#time[slot]!,
      DIRECTIONS[(meta >> 4) & 3]!,
      KINDS[meta & 0xf]!,
      this.#size[slot]!,
      clientNo === 0 ? undefined : this.#clientIds[clientNo - 1],
      meta & HAS_DETAILS ? this.#details.get(seq) : undefined,
      chunkNo === NO_CHUNK ? undefined : this.#chunkBuffers[chunkNo - this.#chunkBase],
      this.#offset[slot]!,
    );
  }

  /** Up to `count` entries from `fromSeq` on that pass `filter`. */
  read(fromSeq: number, count: number, filter?: LogFilter): LogEntry[] {
    const out: LogEntry[] = [];
    const match = filter ? compileFilter(filter) : undefined;
    for (
      let seq = Math.max(Math.ceil(fromSeq), this.#firstSeq);
      seq < this.#nextSeq && out.length < count;
      seq++
    ) {
      const entry = this.get(seq)!;
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
    this.#firstSeq = this.#nextSeq;
    this.#bytes = 0;
    this.#mask = INITIAL_SLOTS - 1;
    this.#time = new Float64Array(INITIAL_SLOTS);
    this.#size = new Uint32Array(INITIAL_SLOTS);
    this.#offset = new Uint32Array(INITIAL_SLOTS);
    this.#chunkNo = new Int32Array(INITIAL_SLOTS);
    this.#client = new Uint32Array(INITIAL_SLOTS);
    this.#meta = new Uint8Array(INITIAL_SLOTS);
    this.#chunkBase += this.#chunkBuffers.length;
    this.#chunkBuffers = [];
    this.#chunkLastSeq = [];
    this.#chunkCharge = [];
    this.#arena = EMPTY;
    this.#arenaUsed = 0;
    this.#arenaNo = NO_CHUNK;
    this.#adopted = undefined;
    this.#adoptedNo = NO_CHUNK;
    this.#details = new Map();
    this.#recent = new Array<LogEntry | undefined>(RECENT_SLOTS);
    this.emit('cleared');
  }

  #add(
    dir: Direction,
    kind: LogKind,
    data: Uint8Array | undefined,
    extra: AppendExtra | undefined,
    adopt: boolean,
  ): LogEntry {
    if (this.#nextSeq - this.#firstSeq > this.#mask) this.#grow();
    const seq = this.#nextSeq++;
    const slot = seq & this.#mask;
    const t = now();
    let size = 0;
    let buffer: ArrayBufferLike | undefined;
    let offset = 0;
    let chunkNo = NO_CHUNK;
    if (data !== undefined && data.byteLength > 0) {
      size = data.byteLength;
      if (adopt) {
        buffer = data.buffer;
        offset = data.byteOffset;
        if (buffer === this.#adopted) {
          chunkNo = this.#adoptedNo;
        } else {
          chunkNo = this.#addChunk(buffer, seq, ADOPTED_CHUNK_OVERHEAD);
          this.#adopted = buffer;
          this.#adoptedNo = chunkNo;
        }
      } else if (size > CHUNK_SIZE / 4) {
        const copy = uninitializedBytes(size); // large: its own copy
        copy.set(data);
        buffer = copy.buffer;
        offset = copy.byteOffset;
        chunkNo = this.#addChunk(buffer, seq);
      } else {
        if (this.#arenaUsed + size > this.#arena.byteLength) {
          this.#arena = uninitializedBytes(CHUNK_SIZE);
          this.#arenaUsed = 0;
          this.#arenaNo = this.#addChunk(this.#arena.buffer, seq);
        }
        const arena = this.#arena;
        arena.set(data, this.#arenaUsed);
        buffer = arena.buffer;
        offset = arena.byteOffset + this.#arenaUsed;
        this.#arenaUsed += size;
        chunkNo = this.#arenaNo;
      }
      this.#chunkLastSeq[chunkNo - this.#chunkBase] = seq;
    }
    let meta = (directionCode(dir) << 4) | kindCode(kind);
    let clientId: string | undefined;
    let clientNo = 0;
    let details: EntryDetails | undefined;
    if (extra !== undefined) {
      clientId = extra.clientId;
      if (clientId !== undefined) clientNo = this.#clientNumber(clientId);
      if (extra.code !== undefined || extra.reason !== undefined || extra.note !== undefined) {
        details = { code: extra.code, reason: extra.reason, note: extra.note };
        this.#details.set(seq, details);
        meta |= HAS_DETAILS;
      }
    }
    this.#time[slot] = t;
    this.#size[slot] = size;
    this.#offset[slot] = offset;
    this.#chunkNo[slot] = chunkNo;
    this.#client[slot] = clientNo;
    this.#meta[slot] = meta;
    const entry = new StoredEntry(seq, t, dir, kind, size, clientId, details, buffer, offset);
    this.#recent[seq & (RECENT_SLOTS - 1)] = entry;
    this.#bytes += size + ENTRY_OVERHEAD;
    if (this.#bytes > this.budgetBytes) this.#evict();
    this.emit('entry', entry);
    return entry;
  }

  #addChunk(buffer: ArrayBufferLike, seq: number, charge = 0): number {
    this.#chunkBuffers.push(buffer);
    this.#chunkLastSeq.push(seq);
    this.#chunkCharge.push(charge);
    this.#bytes += charge;
    return this.#chunkBase + this.#chunkBuffers.length - 1;
  }

  #holds(seq: number): boolean {
    return seq >= this.#firstSeq && seq < this.#nextSeq && Number.isInteger(seq);
  }

  /** A small number for a client id (mock servers tag every entry with one). */
  #clientNumber(clientId: string): number {
    if (clientId === this.#lastClient) return this.#lastClientNo;
    let no = this.#clientIndex.get(clientId);
    if (no === undefined) {
      this.#clientIds.push(clientId);
      no = this.#clientIds.length;
      this.#clientIndex.set(clientId, no);
    }
    this.#lastClient = clientId;
    this.#lastClientNo = no;
    return no;
  }

  /**
   * Doubles the ring (called when it is full); every held entry moves to its
   * slot under the new mask. The held seqs are one run of consecutive numbers,
   * so the move is two block copies per column.
   */
  #grow(): void {
    const half = this.#mask + 1;
    const slots = half * 2;
    const split = this.#firstSeq & this.#mask; // old slot of the oldest entry
    // New home of old slots [split, half) and of old slots [0, split).
    const upper = (this.#firstSeq & half) + split;
    const lower = (this.#firstSeq + (half - split)) & half;
    const move = <T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(from: T, to: T): T => {
      to.set(from.subarray(split, half), upper);
      to.set(from.subarray(0, split), lower);
      return to;
    };
    this.#time = move(this.#time, new Float64Array(slots));
    this.#size = move(this.#size, new Uint32Array(slots));
    this.#offset = move(this.#offset, new Uint32Array(slots));
    this.#chunkNo = move(this.#chunkNo, new Int32Array(slots));
    this.#client = move(this.#client, new Uint32Array(slots));
    this.#meta = move(this.#meta, new Uint8Array(slots));
    this.#mask = slots - 1;
  }

  #evict(): void {
    // Drop down to 90% of the budget so eviction runs in batches, not per append.
    const target = this.budgetBytes * 0.9;
    const mask = this.#mask;
    let released = false;
    while (this.#bytes > target && this.#nextSeq - this.#firstSeq > 1) {
      const seq = this.#firstSeq++;
      const slot = seq & mask;
      this.#bytes -= this.#size[slot]! + ENTRY_OVERHEAD;
      const chunkNo = this.#chunkNo[slot]!;
      if (chunkNo !== NO_CHUNK && this.#chunkLastSeq[chunkNo - this.#chunkBase] === seq) {
        this.#releaseChunk(chunkNo);
        released = true;
      }
      if (this.#meta[slot]! & HAS_DETAILS) this.#details.delete(seq);
    }
    if (!released) return;
    let dead = 0;
    while (dead < this.#chunkBuffers.length && this.#chunkBuffers[dead] === undefined) dead++;
    if (dead > 0) {
      this.#chunkBuffers.splice(0, dead);
      this.#chunkLastSeq.splice(0, dead);
      this.#chunkCharge.splice(0, dead);
      this.#chunkBase += dead;
    }
  }

  #releaseChunk(chunkNo: number): void {
    const index = chunkNo - this.#chunkBase;
    this.#chunkBuffers[index] = undefined;
    this.#bytes -= this.#chunkCharge[index]!;
    // A current chunk whose entries are all gone is not filled further.
    if (chunkNo === this.#arenaNo) {
      this.#arena = EMPTY;
      this.#arenaUsed = 0;
      this.#arenaNo = NO_CHUNK;
    }
    if (chunkNo === this.#adoptedNo) {
      this.#adopted = undefined;
      this.#adoptedNo = NO_CHUNK;
    }
  }
}

/**
 * An entry handed to a reader. It refers to the ArrayBuffer its payload lives
 * in and makes the payload view when `payload` is read.
 */
class StoredEntry implements LogEntry {
  readonly seq: number;
  readonly t: number;
  readonly dir: Direction;
  readonly kind: LogKind;
  readonly size: number;
  readonly clientId: string | undefined;
  readonly code: number | undefined;
  readonly reason: string | undefined;
  readonly note: string | undefined;
  readonly #buffer: ArrayBufferLike | undefined;
  readonly #offset: number;

  constructor(
    seq: number,
    t: number,
    dir: Direction,
    kind: LogKind,
    size: number,
    clientId: string | undefined,
    details: EntryDetails | undefined,
    buffer: ArrayBufferLike | undefined,
    offset: number,
  ) {
    this.seq = seq;
    this.t = t;
    this.dir = dir;
    this.kind = kind;
    this.size = size;
    this.clientId = clientId;
    this.code = details?.code;
    this.reason = details?.reason;
    this.note = details?.note;
    this.#buffer = buffer;
    this.#offset = offset;
  }

  /** A plain Uint8Array (not a Buffer), so `payload.slice()` is a copy. */
  get payload(): Uint8Array {
    return this.#buffer === undefined ? EMPTY : new Uint8Array(this.#buffer, this.#offset, this.size);
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

/**
 * A plain Uint8Array over memory that is not zero-filled (callers overwrite
 * every byte they expose). Not a Buffer: Buffer#slice shares memory, and
 * readers rely on payload.slice() making a copy.
 */
function uninitializedBytes(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

/**
 * Date.now(), read once per event-loop task (and at least every 256 appends)
 * instead of once per entry: a burst of frames parsed from one socket read gets
 * the time of that read, and the ~50 ns clock call leaves the per-frame path.
 */
let clockNow = 0;
let clockUses = 0;
function now(): number {
  if (clockUses === 0) {
    clockNow = Date.now();
    queueMicrotask(resetClock);
  }
  if (++clockUses >= 256) clockUses = 0;
  return clockNow;
}
function resetClock(): void {
  clockUses = 0;
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
