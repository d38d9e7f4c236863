/**
 * The message log of one connection or one mock server: every frame and event
 * with a sequence number, a timestamp, direction, kind and size.
 *
 * Memory is bounded by a byte budget; when it is exceeded the oldest entries
 * are dropped. Readers get previews; full payloads are read by range.
 *
 * This is the hot path of every received frame, so:
 * - Held entries are not kept as objects: their fields live in columns (typed
 *   arrays in a ring indexed by sequence number), and a LogEntry object is made
 *   only when one is asked for — by get/read, by append (which returns one), or
 *   for 'entry' listeners. appendFrame makes none when nobody listens.
 * - Payloads are copied into slabs: chunks of one size (1/16 of the budget,
 *   64 KiB–4 MiB) filled front to back. A slab is released when the last entry
 *   in it is dropped and is then reused for new payloads, so a full log writes
 *   into memory it already has instead of fresh pages, and the socket's own
 *   buffer is freed at once (it may be a slice of a 64 KiB socket read and would
 *   pin all of it). Only payloads larger than a slab get memory of their own.
 *   The budget is charged with whole slabs (in use), so unused slab tails count.
 * - A received payload (appendFrame) of at least KEEP_MIN_BYTES that owns its
 *   whole ArrayBuffer is kept as it is: it pins nothing else, and the copy is
 *   spared. A view into a larger buffer is always copied: keeping it would keep
 *   the whole buffer alive.
 *
 * The rule that makes slab reuse safe: `entry.payload` is a view into the log's
 * memory, valid only while the entry is held (seq ≥ firstSeq). Use it at once
 * (previews, the session recorder's serialization, the CLI's printing all do),
 * or keep `payload.slice()` / `readPayload()`, which are copies. Nothing may keep
 * `entry.payload` itself beyond the entry's eviction: its bytes would later be
 * those of a newer message. The engine reads entries by seq range when it
 * flushes, so it never holds an entry across appends.
 */
import { isAscii } from 'node:buffer';
import { EventEmitter } from 'node:events';
import { utf8Decode, bytesToHex } from '../payload/codecs.js';
import { listenerFlags } from './listener-flags.js';
import { compileFilter, compileSearch, searchableText, type SearchMatcher } from './log-filter.js';
import type { KindCounts, LogEntryView, LogFilter } from '../contract.js';
import { directions, isTextKind, logKinds, type Direction, type LogKind } from '../vocabulary.js';

/**
 * Estimated bytes of bookkeeping per entry, counted against the budget: the
 * columns take about 41 bytes a slot and the ring is at most half empty; the
 * rest covers entries materialized for readers.
 */
export const ENTRY_OVERHEAD = 160;
export const DEFAULT_LOG_BUDGET = 64 * 1024 * 1024;
/** Characters of text, or bytes of binary, that travel with an event. */
export const PREVIEW_BYTES = 2048;
const MIN_SLAB = 1024;
/**
 * Smallest received payload kept in its own ArrayBuffer rather than copied.
 * Keeping small ones costs more than the copy: each is an ArrayBuffer that
 * lives until eviction, which the GC has to track (measured on 4 KiB frames
 * over wss://, where a quarter of them own their buffer: ~30% more CPU per
 * frame kept than copied).
 */
export const KEEP_MIN_BYTES = 64 * 1024;
const MAX_SLAB = 4 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
const INITIAL_SLOTS = 256;

const DIRECTIONS: readonly Direction[] = directions;
const NO_CHUNK = -1;
const HAS_DETAILS = 0x80;
const KINDS: readonly LogKind[] = logKinds;
const BINARY_CODE = KINDS.indexOf('binary');

/*
 * The typed-array getters, called directly. `data.byteLength` on a Buffer looks
 * the getter up through Buffer.prototype, which V8 does not inline; calling the
 * getter itself took half the time per frame (measured on Node 20).
 */
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
function typedArrayGetter<T>(name: string): (this: Uint8Array) => T {
  return Object.getOwnPropertyDescriptor(typedArrayPrototype, name)!.get as (this: Uint8Array) => T;
}
const bufferOf = typedArrayGetter<ArrayBufferLike>('buffer');
const byteOffsetOf = typedArrayGetter<number>('byteOffset');
const byteLengthOf = typedArrayGetter<number>('byteLength');

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

/** Slab size for a budget: a power of two near budget / 16, within [MIN_SLAB, MAX_SLAB]. */
export function slabSizeFor(budgetBytes: number): number {
  let size = MIN_SLAB;
  while (size * 2 <= budgetBytes / 16 && size < MAX_SLAB) size *= 2;
  return size;
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
  /** The mock rule that answered this message, or that sent it (e.g. `rules[2]` or its name). */
  readonly rule: string | undefined;
  /**
   * The payload bytes: a view into the log's storage (do not modify it), valid
   * while the entry is held; slice() it to keep it longer.
   */
  readonly payload: Uint8Array;
}

export interface AppendExtra {
  clientId?: string;
  code?: number;
  reason?: string;
  note?: string;
  rule?: string;
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

interface MessageLogEvents {
  /** Each new entry; the object is made only when someone listens. */
  entry: [LogEntry];
  /**
   * Something was appended: read new entries by seq range. Emitted at most once
   * per event-loop task (at the first append), not per entry: a burst of frames
   * parsed from one socket read is one event, and the frames cost no emit.
   */
  appended: [];
  cleared: [];
}

export class MessageLog extends EventEmitter<MessageLogEvents> {
  readonly budgetBytes: number;
  /** Size of the chunks payloads are copied into (see the header comment). */
  readonly slabBytes: number;
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
  /** Index + 1 in #ruleNames (the mock rule that answered or sent), 0 for none; most frames of a mock have one. */
  #rule = new Uint32Array(INITIAL_SLOTS);
  /** direction << 4 | kind, plus HAS_DETAILS. */
  #meta = new Uint8Array(INITIAL_SLOTS);
  /**
   * Chunks: the memory payloads live in (slabs, and own copies of payloads
   * larger than a slab), with the last seq that uses each. Chunk number n is at
   * index n - #chunkBase; a chunk is released when the entry with its last seq
   * is dropped.
   */
  #chunks: (Uint8Array | undefined)[] = [];
  #chunkLastSeq: number[] = [];
  /** Whether a chunk is a payload kept as it was received (appendFrame): never reused as a slab. */
  #chunkKept: boolean[] = [];
  #chunkBase = 0;
  /** The slab being filled, and its chunk number. */
  #slab: Uint8Array = EMPTY;
  #slabUsed = 0;
  /** Capacity of the slab being filled (0 for none), kept to spare a byteLength read per frame. */
  #slabEnd = 0;
  #slabNo = NO_CHUNK;
  /**
   * Released slabs, reused before new memory is taken. Not charged: a slab
   * moves here only when eviction uncharges it, a new slab is made only when
   * there is none here, and memory larger than a slab trims them
   * (#trimSpares), so charged + spare memory stays within the budget. Taking
   * one makes room for it first, like new memory.
   */
  #spareSlabs: Uint8Array[] = [];
  /** code / reason / note, by seq, for the few entries that have them. */
  #details = new Map<number, EntryDetails>();
  #clientIds: string[] = [];
  /** Entries held, by kind code. */
  #kindCounts = new Float64Array(KINDS.length);
  #clientIndex = new Map<string, number>();
  #ruleNames: string[] = [];
  #ruleIndex = new Map<string, number>();
  #lastClient: string | undefined;
  #lastClientNo = 0;
  readonly #listened = listenerFlags(this, ['entry', 'appended']);
  /** 'appended' was emitted in the current task. */
  #appendedThisTask = false;
  readonly #endOfTask = (): void => {
    this.#appendedThisTask = false;
  };

  constructor(options: MessageLogOptions = {}) {
    super();
    this.budgetBytes = options.budgetBytes ?? DEFAULT_LOG_BUDGET;
    this.slabBytes = slabSizeFor(this.budgetBytes);
  }

  /** Entries currently held. */
  get size(): number {
    return this.#nextSeq - this.#firstSeq;
  }

  /** Estimated bytes held: ENTRY_OVERHEAD per entry, whole slabs in use, and own copies of large payloads. */
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

  /** Logs an entry with a copy of `data` (later changes to `data` do not reach the log) and returns it. */
  append(dir: Direction, kind: LogKind, data?: Uint8Array, extra?: AppendExtra): LogEntry {
    return this.#entry(this.#add(dir, kind, data, extra, NO_CHUNK, 0));
  }

  /**
   * Like append, but returns only the seq, so no entry object is made unless
   * someone listens to 'entry': the per-frame path of sockets. The caller hands
   * `data` over (a received payload nobody writes to again): when it owns its
   * whole ArrayBuffer it is kept instead of copied; any view into a larger
   * buffer is copied.
   */
  appendFrame(dir: Direction, kind: LogKind, data: Uint8Array, extra?: AppendExtra): number {
    // Checked here rather than in #add, which sees every kind of payload: the
    // typed-array reads stay cheap when this site only ever sees ws's buffers.
    const size = byteLengthOf.call(data);
    if (
      size >= KEEP_MIN_BYTES &&
      byteOffsetOf.call(data) === 0 &&
      size === (bufferOf.call(data) as ArrayBuffer).byteLength
    ) {
      this.#makeRoom(size + ENTRY_OVERHEAD);
      this.#bytes += size;
      this.#trimSpares();
      const chunkNo = this.#addChunk(data, this.#nextSeq, true);
      return this.#add(dir, kind, undefined, extra, chunkNo, size);
    }
    return this.#add(dir, kind, data, extra, NO_CHUNK, 0);
  }

  /**
   * Logs an entry whose payload is that of the held entry `ofSeq`, without
   * storing the bytes again (an echo logs what it received). Returns the new seq.
   */
  appendRepeat(dir: Direction, kind: LogKind, ofSeq: number, extra?: AppendExtra): number {
    if (!this.#holds(ofSeq)) throw new RangeError(`appendRepeat: entry ${ofSeq} is not held.`);
    const slot = ofSeq & this.#mask;
    return this.#add(
      dir,
      kind,
      undefined,
      extra,
      this.#chunkNo[slot]!,
      this.#size[slot]!,
      this.#offset[slot]!,
    );
  }

  /** Entries held of each kind (kinds with none are left out). */
  kindCounts(): KindCounts {
    const counts: KindCounts = {};
    for (let i = 0; i < KINDS.length; i++)
      if (this.#kindCounts[i]! > 0) counts[KINDS[i]!] = this.#kindCounts[i]!;
    return counts;
  }

  get(seq: number): LogEntry | undefined {
    return this.#holds(seq) ? this.#entry(seq) : undefined;
  }

  /** Up to `count` entries from `fromSeq` on that pass `filter`. */
  read(fromSeq: number, count: number, filter?: LogFilter): LogEntry[] {
    const out: LogEntry[] = [];
    const match = filter ? compileFilter<LogEntry>(filter, (e) => e.payload) : undefined;
    if (filter?.seqs) {
      // Named entries (a page of a filtered view, the pinned ones): read those, not the log between them.
      const from = Math.max(Math.ceil(fromSeq), this.#firstSeq);
      const wanted = [...new Set(filter.seqs)]
        .filter((s) => s >= from && this.#holds(s))
        .sort((a, b) => a - b);
      for (const seq of wanted) {
        if (out.length >= count) break;
        const entry = this.#entry(seq);
        if (match!(entry)) out.push(entry);
      }
      return out;
    }
    for (
      let seq = Math.max(Math.ceil(fromSeq), this.#firstSeq);
      seq < this.#nextSeq && out.length < count;
      seq++
    ) {
      const entry = this.#entry(seq);
      if (!match || match(entry)) out.push(entry);
    }
    return out;
  }

  /**
   * The seqs of the held entries from `fromSeq` on that pass `filter`, found over the
   * columns: an entry refused on its direction, kind, client or seq costs no object, and
   * a search that names text every match contains reads payloads where they are, a
   * chunk at a time, decoding only entries that contain it.
   */
  match(filter: LogFilter, fromSeq = this.#firstSeq): Uint32Array {
    const from = Math.max(Math.ceil(fromSeq), this.#firstSeq);
    const to = this.#nextSeq;
    if (!filter.search) return this.#columnMatch(filter, from, to);
    // The search is a second pass, apart from the column loop, with the payload test
    // made for its mode (one loop for every filter met code it had no type feedback
    // for at each change of mode, and ran unoptimized); over the seqs the columns let
    // through, or over all of them.
    const hit = this.#searchHit(compileSearch(filter.search, filter.searchMode));
    if (hasColumnCriteria(filter)) {
      const seqs = this.#columnMatch(filter, from, to);
      let n = 0;
      for (let i = 0; i < seqs.length; i++) if (hit(seqs[i]!)) seqs[n++] = seqs[i]!;
      return seqs.subarray(0, n);
    }
    let out = new Uint32Array(Math.min(4096, Math.max(0, to - from)));
    let n = 0;
    for (let seq = from; seq < to; seq++) {
      if (!hit(seq)) continue;
      if (n === out.length) out = grownSeqs(out, to - from);
      out[n++] = seq;
    }
    return out.subarray(0, n);
  }

  /** The seqs in [from, to) that pass the filter's direction, kinds, client and seqs (hasColumnCriteria). */
  #columnMatch(filter: LogFilter, from: number, to: number): Uint32Array {
    let out = new Uint32Array(Math.min(4096, Math.max(0, to - from)));
    let n = 0;
    const dirNo = filter.dir ? directionCode(filter.dir) : -1;
    let kindMask = 0xff;
    if (filter.kinds && filter.kinds.length > 0) {
      kindMask = 0;
      for (const k of filter.kinds) kindMask |= 1 << kindCode(k);
    }
    for (const k of filter.hideKinds ?? []) kindMask &= ~(1 << kindCode(k));
    const clientNo = filter.clientId === undefined ? -1 : (this.#clientIndex.get(filter.clientId) ?? 0);
    if (clientNo === 0) return new Uint32Array(0);
    const seqs = filter.seqs ? new Set(filter.seqs) : undefined;
    const mask = this.#mask;
    for (let seq = from; seq < to; seq++) {
      const slot = seq & mask;
      const meta = this.#meta[slot]!;
      if (dirNo >= 0 && ((meta >> 4) & 3) !== dirNo) continue;
      if (!(kindMask & (1 << (meta & 0xf)))) continue;
      if (clientNo > 0 && this.#client[slot] !== clientNo) continue;
      if (seqs && !seqs.has(seq)) continue;
      if (n === out.length) out = grownSeqs(out, to - from);
      out[n++] = seq;
    }
    return out.subarray(0, n);
  }

  /** Whether the entry at a held seq matches `search`, in its payload or (text and regex) its note. */
  #searchHit(search: SearchMatcher): (seq: number) => boolean {
    const must =
      search.mustContain && /^[\x20-\x7e]+$/.test(search.mustContain.text) ? search.mustContain : undefined;
    const latin1 = new ChunkLatin1();
    const texts = new ChunkText(latin1);
    const textHit = (chunkNo: number, memory: Uint8Array, offset: number, size: number): boolean =>
      search.test(texts.of(chunkNo, memory, offset, size));
    let payloadHit = textHit;
    if (must) {
      const needle = new ChunkCursor(must.text, must.caseless, latin1);
      const backslash = must.orBackslash ? new ChunkCursor('\\', false, latin1) : undefined;
      payloadHit =
        search.mode === 'text'
          ? (chunkNo, memory, offset, size) => needle.within(chunkNo, memory, offset, size)
          : backslash
            ? (chunkNo, memory, offset, size) =>
                (needle.within(chunkNo, memory, offset, size) ||
                  backslash.within(chunkNo, memory, offset, size)) &&
                textHit(chunkNo, memory, offset, size)
            : (chunkNo, memory, offset, size) =>
                needle.within(chunkNo, memory, offset, size) && textHit(chunkNo, memory, offset, size);
    }
    // An empty payload's text (and hex) is '': asked once, not decoded per entry (pings, pongs, events).
    const emptyHit = search.test('');
    const searchNotes = search.mode !== 'jsonpath';
    const mask = this.#mask;
    return (seq) => {
      const slot = seq & mask;
      const meta = this.#meta[slot]!;
      const size = this.#size[slot]!;
      const chunkNo = this.#chunkNo[slot]!;
      const binary = (meta & 0xf) === BINARY_CODE;
      let hit: boolean;
      if (size === 0 || chunkNo === NO_CHUNK) hit = emptyHit;
      else {
        const memory = this.#chunks[chunkNo - this.#chunkBase]!;
        const offset = this.#offset[slot]!;
        hit = binary
          ? search.test(searchableText('binary', memory.subarray(offset, offset + size)))
          : payloadHit(chunkNo, memory, offset, size);
      }
      if (!hit && searchNotes && meta & HAS_DETAILS) {
        const note = this.#details.get(seq)?.note;
        hit = note !== undefined && search.test(note);
      }
      return hit;
    };
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
    this.#rule = new Uint32Array(INITIAL_SLOTS);
    this.#meta = new Uint8Array(INITIAL_SLOTS);
    this.#chunkBase += this.#chunks.length;
    this.#chunks = [];
    this.#chunkLastSeq = [];
    this.#chunkKept = [];
    // The memory goes too (clearing is how a person frees it); entries handed
    // out before keep their own bytes, since nothing is reused.
    this.#slab = EMPTY;
    this.#slabUsed = 0;
    this.#slabEnd = 0;
    this.#slabNo = NO_CHUNK;
    this.#spareSlabs = [];
    this.#details = new Map();
    this.#kindCounts = new Float64Array(KINDS.length);
    this.emit('cleared');
  }

  /**
   * Stores an entry and returns its seq. The payload is `data` (copied), or,
   * when `data` is undefined, `size` bytes at `offset` of chunk `chunkNo`.
   */
  #add(
    dir: Direction,
    kind: LogKind,
    data: Uint8Array | undefined,
    extra: AppendExtra | undefined,
    chunkNo: number,
    size: number,
    offset = 0,
  ): number {
    if (this.#nextSeq - this.#firstSeq > this.#mask) this.#grow();
    const seq = this.#nextSeq++;
    if (--clock.left < 0) tickClock();
    const t = clock.now;
    if (data === undefined || (size = byteLengthOf.call(data)) === 0) {
      // No payload, or `size` bytes at `offset` of chunkNo (appendRepeat, or a
      // payload kept as received: appendFrame).
    } else {
      let slab = this.#slab;
      offset = this.#slabUsed;
      if (offset + size <= this.#slabEnd) {
        chunkNo = this.#slabNo;
      } else if (size <= this.slabBytes) {
        slab = this.#newSlab();
        offset = 0;
        chunkNo = this.#slabNo;
      } else {
        // Larger than a slab: memory of its own, charged at its size.
        slab = this.#takeMemory(size);
        offset = 0;
        chunkNo = this.#addChunk(slab, seq);
      }
      slab.set(data, offset);
      if (chunkNo === this.#slabNo) this.#slabUsed = offset + size;
    }
    if (chunkNo !== NO_CHUNK) this.#chunkLastSeq[chunkNo - this.#chunkBase] = seq;
    const kindNo = kindCode(kind);
    this.#kindCounts[kindNo]!++;
    let meta = (directionCode(dir) << 4) | kindNo;
    let clientNo = 0;
    let ruleNo = 0;
    if (extra !== undefined) {
      if (extra.clientId !== undefined) clientNo = this.#clientNumber(extra.clientId);
      if (extra.rule !== undefined) ruleNo = this.#ruleNumber(extra.rule);
      if (extra.code !== undefined || extra.reason !== undefined || extra.note !== undefined) {
        this.#details.set(seq, { code: extra.code, reason: extra.reason, note: extra.note });
        meta |= HAS_DETAILS;
      }
    }
    const slot = seq & this.#mask;
    this.#time[slot] = t;
    this.#size[slot] = size;
    this.#offset[slot] = offset;
    this.#chunkNo[slot] = chunkNo;
    this.#client[slot] = clientNo;
    this.#rule[slot] = ruleNo;
    this.#meta[slot] = meta;
    this.#bytes += ENTRY_OVERHEAD;
    if (this.#bytes > this.budgetBytes) this.#evict(0);
    if (this.#listened.entry) this.emit('entry', this.#entry(seq));
    if (this.#listened.appended && !this.#appendedThisTask) {
      this.#appendedThisTask = true;
      queueMicrotask(this.#endOfTask);
      this.emit('appended');
    }
    return seq;
  }

  /** The entry object of a held seq. */
  #entry(seq: number): LogEntry {
    const slot = seq & this.#mask;
    const meta = this.#meta[slot]!;
    const clientNo = this.#client[slot]!;
    const ruleNo = this.#rule[slot]!;
    const chunkNo = this.#chunkNo[slot]!;
    return new StoredEntry(
      seq,
      this.#time[slot]!,
      DIRECTIONS[(meta >> 4) & 3]!,
      KINDS[meta & 0xf]!,
      this.#size[slot]!,
      clientNo === 0 ? undefined : this.#clientIds[clientNo - 1],
      meta & HAS_DETAILS ? this.#details.get(seq) : undefined,
      ruleNo === 0 ? undefined : this.#ruleNames[ruleNo - 1],
      chunkNo === NO_CHUNK ? undefined : this.#chunks[chunkNo - this.#chunkBase],
      this.#offset[slot]!,
    );
  }

  /** Makes a new slab the one being filled. */
  #newSlab(): Uint8Array {
    const slab = this.#takeMemory(this.slabBytes);
    this.#slab = slab;
    this.#slabUsed = 0;
    this.#slabEnd = slab.byteLength;
    this.#slabNo = this.#addChunk(slab, this.#nextSeq - 1);
    return slab;
  }

  /**
   * `size` bytes of memory for payloads, charged: a slab (a spare one if there
   * is one) or, larger than a slab, memory of its own. Old entries are dropped
   * first so that it fits in the budget, spare slab or not.
   */
  #takeMemory(size: number): Uint8Array {
    this.#makeRoom(size + ENTRY_OVERHEAD);
    this.#bytes += size;
    if (size === this.slabBytes) return this.#spareSlabs.pop() ?? uninitializedBytes(size);
    // New slabs are made only when there is no spare, so all slabs ever made fit
    // in the budget; memory of its own could take it over that with the spares.
    this.#trimSpares();
    return uninitializedBytes(size);
  }

  /** Drops old entries until `extra` more bytes fit in the budget (the entry being added is kept). */
  #makeRoom(extra: number): void {
    if (this.#bytes + extra > this.budgetBytes) this.#evict(extra);
  }

  /** Lets go of spare slabs the budget has no room for: charged and spare memory together stay within it. */
  #trimSpares(): void {
    const spares = this.#spareSlabs;
    while (spares.length > 0 && this.#bytes + spares.length * this.slabBytes > this.budgetBytes) spares.pop();
  }

  #addChunk(memory: Uint8Array, seq: number, kept = false): number {
    this.#chunks.push(memory);
    this.#chunkLastSeq.push(seq);
    this.#chunkKept.push(kept);
    return this.#chunkBase + this.#chunks.length - 1;
  }

  #holds(seq: number): boolean {
    return seq >= this.#firstSeq && seq < this.#nextSeq && Number.isInteger(seq);
  }

  /** A small number for a client id (mock servers tag every entry with one). */
  #ruleNumber(rule: string): number {
    let no = this.#ruleIndex.get(rule);
    if (no === undefined) {
      this.#ruleNames.push(rule);
      no = this.#ruleNames.length;
      this.#ruleIndex.set(rule, no);
    }
    return no;
  }

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
    this.#rule = move(this.#rule, new Uint32Array(slots));
    this.#meta = move(this.#meta, new Uint8Array(slots));
    this.#mask = slots - 1;
  }

  /**
   * Drops the oldest entries until `extra` more bytes fit within 90% of the
   * budget (so eviction runs in batches, not per append). The newest seq — the
   * entry being added — is never dropped.
   */
  #evict(extra: number): void {
    const target = this.budgetBytes * 0.9 - extra;
    const mask = this.#mask;
    let released = false;
    while (this.#bytes > target && this.#nextSeq - this.#firstSeq > 1) {
      const seq = this.#firstSeq++;
      const slot = seq & mask;
      this.#bytes -= ENTRY_OVERHEAD;
      this.#kindCounts[this.#meta[slot]! & 0xf]!--;
      const chunkNo = this.#chunkNo[slot]!;
      if (chunkNo !== NO_CHUNK && this.#chunkLastSeq[chunkNo - this.#chunkBase] === seq) {
        this.#releaseChunk(chunkNo);
        released = true;
      }
      if (this.#meta[slot]! & HAS_DETAILS) this.#details.delete(seq);
    }
    if (!released) return;
    let dead = 0;
    while (dead < this.#chunks.length && this.#chunks[dead] === undefined) dead++;
    if (dead > 0) {
      this.#chunks.splice(0, dead);
      this.#chunkLastSeq.splice(0, dead);
      this.#chunkKept.splice(0, dead);
      this.#chunkBase += dead;
    }
  }

  /** Uncharges a chunk whose entries are all gone; a slab of the log's own is kept for reuse. */
  #releaseChunk(chunkNo: number): void {
    const index = chunkNo - this.#chunkBase;
    const memory = this.#chunks[index]!;
    this.#chunks[index] = undefined;
    this.#bytes -= memory.byteLength;
    if (memory.byteLength === this.slabBytes && !this.#chunkKept[index]) this.#spareSlabs.push(memory);
    // The slab being filled, with all its entries gone, is not filled further.
    if (chunkNo === this.#slabNo) {
      this.#slab = EMPTY;
      this.#slabUsed = 0;
      this.#slabEnd = 0;
      this.#slabNo = NO_CHUNK;
    }
  }
}

/** Whether the filter asks anything of the columns #columnMatch reads: direction, kinds, client, seqs. */
function hasColumnCriteria(filter: LogFilter): boolean {
  return (
    filter.dir !== undefined ||
    (filter.kinds?.length ?? 0) > 0 ||
    (filter.hideKinds?.length ?? 0) > 0 ||
    filter.clientId !== undefined ||
    filter.seqs !== undefined
  );
}

/** `seqs` in twice the room (at most `most`), for a match's answer that filled it. */
function grownSeqs(seqs: Uint32Array<ArrayBuffer>, most: number): Uint32Array<ArrayBuffer> {
  const grown = new Uint32Array(Math.min(Math.max(1, most), seqs.length * 2 || 1));
  grown.set(seqs);
  return grown;
}

/**
 * The payload memory of one log chunk as a Latin-1 string (one character a byte,
 * so string offsets are byte offsets), made once per chunk and shared by the
 * cursors and texts of one match.
 */
class ChunkLatin1 {
  #chunkNo = NO_CHUNK;
  #text = '';

  of(chunkNo: number, memory: Uint8Array): string {
    if (chunkNo !== this.#chunkNo) {
      this.#text = Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength).toString('latin1');
      this.#chunkNo = chunkNo;
    }
    return this.#text;
  }
}

/**
 * Finds a text in the payload memory of a log chunk. It remembers the next
 * occurrence, so a run of entries in one chunk is one pass. The text is ASCII:
 * its bytes are the same in UTF-8.
 */
class ChunkCursor {
  readonly #text: string;
  readonly #latin1: ChunkLatin1;
  /** Case-insensitive search: a regex over the chunk (four times faster than lower-casing it first). */
  readonly #caseless: RegExp | undefined;
  #chunkNo = NO_CHUNK;
  /** Where the last search started, and the occurrence it found (-1: none after it). */
  #from = 0;
  #at = -1;

  constructor(text: string, caseless: boolean, latin1: ChunkLatin1) {
    this.#text = text;
    this.#latin1 = latin1;
    this.#caseless = caseless ? new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi') : undefined;
  }

  /** Whether the text occurs within bytes [offset, offset + size) of the chunk. */
  within(chunkNo: number, memory: Uint8Array, offset: number, size: number): boolean {
    if (size < this.#text.length) return false;
    if (chunkNo !== this.#chunkNo) {
      this.#chunkNo = chunkNo;
      this.#from = Infinity;
    }
    // Entries mostly come in the order of their bytes; one that points back (an echo's repeat) searches again.
    if (offset < this.#from || (this.#at >= 0 && this.#at < offset)) {
      this.#from = offset;
      const hay = this.#latin1.of(chunkNo, memory);
      const re = this.#caseless;
      if (re) {
        re.lastIndex = offset;
        this.#at = re.exec(hay)?.index ?? -1;
      } else this.#at = hay.indexOf(this.#text, offset);
    }
    return this.#at >= 0 && this.#at + this.#text.length <= offset + size;
  }
}

/** Bytes of a chunk checked for ASCII at once, ahead of the entry being read. */
const ASCII_BLOCK = 256 * 1024;

/**
 * The text of payloads in a chunk: where their bytes are ASCII (most JSON
 * traffic), slices of the chunk's Latin-1 string, which V8 makes without
 * copying; otherwise each payload decoded as UTF-8. ASCII is checked ahead in
 * blocks (isAscii, vectorized); a block that is not all ASCII (non-ASCII text,
 * binary payloads, a slab's unused tail) is checked entry by entry until one
 * passes again.
 */
class ChunkText {
  readonly #latin1: ChunkLatin1;
  #chunkNo = NO_CHUNK;
  /** Bytes [#cleanFrom, #cleanTo) of the chunk are ASCII. */
  #cleanFrom = 0;
  #cleanTo = 0;
  #block = ASCII_BLOCK;

  constructor(latin1: ChunkLatin1) {
    this.#latin1 = latin1;
  }

  of(chunkNo: number, memory: Uint8Array, offset: number, size: number): string {
    if (chunkNo !== this.#chunkNo) {
      this.#chunkNo = chunkNo;
      this.#cleanFrom = this.#cleanTo = 0;
      this.#block = ASCII_BLOCK;
    }
    const end = offset + size;
    if (offset < this.#cleanFrom || end > this.#cleanTo) this.#check(memory, offset, end);
    return offset >= this.#cleanFrom && end <= this.#cleanTo
      ? this.#latin1.of(chunkNo, memory).slice(offset, end)
      : utf8Decode(memory.subarray(offset, end));
  }

  #check(memory: Uint8Array, offset: number, end: number): void {
    if (offset < this.#cleanFrom || offset > this.#cleanTo) this.#cleanFrom = this.#cleanTo = offset;
    const block = Math.min(memory.byteLength, Math.max(end, this.#cleanTo + this.#block));
    if (this.#block > 0 && isAscii(memory.subarray(this.#cleanTo, block))) {
      this.#cleanTo = block;
    } else if (isAscii(memory.subarray(this.#cleanTo, end))) {
      this.#cleanTo = end;
      this.#block = Math.min(ASCII_BLOCK, Math.max(1024, this.#block * 2));
    } else {
      this.#block = 0;
    }
  }
}

/**
 * An entry handed to a reader. It refers to the chunk its payload lives in and
 * makes the payload view when `payload` is read.
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
  readonly rule: string | undefined;
  readonly #memory: Uint8Array | undefined;
  readonly #offset: number;

  constructor(
    seq: number,
    t: number,
    dir: Direction,
    kind: LogKind,
    size: number,
    clientId: string | undefined,
    details: EntryDetails | undefined,
    rule: string | undefined,
    memory: Uint8Array | undefined,
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
    this.rule = rule;
    this.#memory = memory;
    this.#offset = offset;
  }

  /** A plain Uint8Array (not a Buffer), so `payload.slice()` is a copy. */
  get payload(): Uint8Array {
    const memory = this.#memory;
    return memory === undefined
      ? EMPTY
      : new Uint8Array(memory.buffer, memory.byteOffset + this.#offset, this.size);
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
  if (entry.rule !== undefined) view.rule = entry.rule;
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
const clock = { now: 0, left: 0 };
/** Reads the clock for the next 256 appends, or fewer: until the current task ends. */
function tickClock(): void {
  queueMicrotask(resetClock);
  clock.now = Date.now();
  clock.left = 255;
}
function resetClock(): void {
  clock.left = 0;
}
