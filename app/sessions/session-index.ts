/**
 * The offset index of a session file, built by one streaming scan on first
 * open and extended from where it stopped when the file grows (a recording in
 * progress). Every INDEX_EVERY-th event line is a checkpoint (its ordinal,
 * seq, t, byte offset and line number), so reading any seq or time starts at
 * most INDEX_EVERY lines before it. The scan also counts what the views and
 * replay need (entries, clients, data messages per direction) and collects
 * the warnings. Held in memory by the session store; never written to disk.
 */
import { stat } from 'node:fs/promises';
import { lineToEntry, type SessionEntry, type SessionHeader, type SessionWarning } from './session-format.js';
import {
  readHeaderLine,
  scanLines,
  type ScanOptions,
  type ScanStart,
  type ScannedLine,
} from './session-reader.js';

export const INDEX_EVERY = 1000;

export interface Checkpoint {
  /** 0-based position of the entry among the file's valid entries. */
  ordinal: number;
  seq: number;
  t: number;
  /** Where a scan starts to read this entry first. */
  start: ScanStart;
}

/** Data messages (text, binary) by client ('' on a client recording) and direction. */
export type DataCounts = Map<string, { in: number; out: number }>;

export class SessionIndex {
  readonly path: string;
  readonly header: SessionHeader;
  readonly #checkpoints: Checkpoint[] = [];
  readonly #warnings: SessionWarning[] = [];
  readonly #clients = new Set<string>();
  readonly #data: DataCounts = new Map();
  #bodyStart: ScanStart;
  #next: ScanStart;
  #count = 0;
  #firstSeq = 0;
  #lastSeq = 0;
  /** Bytes of the file the index covers (up to the last complete line). */
  #scannedBytes = 0;
  #size = 0;
  #complete = false;
  #building: Promise<void> | undefined;

  private constructor(path: string, header: SessionHeader, bodyOffset: number) {
    this.path = path;
    this.header = header;
    this.#bodyStart = { offset: bodyOffset, line: 2, lastSeq: 0 };
    this.#next = this.#bodyStart;
    this.#scannedBytes = bodyOffset;
  }

  /** Reads the header; the scan of the events runs when build() is called. */
  static async open(path: string): Promise<SessionIndex> {
    const { header, bodyOffset } = await readHeaderLine(path);
    return new SessionIndex(path, header, bodyOffset);
  }

  get count(): number {
    return this.#count;
  }
  get firstSeq(): number {
    return this.#count > 0 ? this.#firstSeq : 1;
  }
  get lastSeq(): number {
    return this.#lastSeq;
  }
  get clients(): string[] {
    return [...this.#clients];
  }
  get dataCounts(): DataCounts {
    return this.#data;
  }
  get warnings(): SessionWarning[] {
    return this.#warnings;
  }
  /** True once the scan reached the end of the file as it was when the scan started. */
  get complete(): boolean {
    return this.#complete;
  }
  get scannedBytes(): number {
    return this.#scannedBytes;
  }
  get size(): number {
    return this.#size;
  }
  get checkpoints(): readonly Checkpoint[] {
    return this.#checkpoints;
  }

  /**
   * Scans what the index does not cover yet (all of it the first time, the
   * appended lines later). Concurrent calls share one scan.
   */
  build(): Promise<void> {
    this.#building ??= this.#scan().finally(() => (this.#building = undefined));
    return this.#building;
  }

  async #scan(): Promise<void> {
    const size = (await stat(this.path)).size;
    this.#size = size;
    if (size < this.#scannedBytes) throw new Error(`${this.path} shrank; it is not append-only`);
    if (size === this.#scannedBytes) {
      this.#complete = true;
      return;
    }
    this.#complete = false;
    const options = { leaveTail: true, peek: true };
    for await (const batch of scanLines(this.path, this.#next, this.#warnings, options)) {
      for (const l of batch) this.#add(l);
      const last = batch[batch.length - 1]!;
      this.#next = { offset: last.end, line: last.lineNo + 1, lastSeq: last.line.seq };
      this.#scannedBytes = last.end;
    }
    this.#complete = true;
  }

  #add(l: ScannedLine): void {
    const { line } = l;
    if (this.#count % INDEX_EVERY === 0) {
      this.#checkpoints.push({
        ordinal: this.#count,
        seq: line.seq,
        t: line.t,
        start: { offset: l.offset, line: l.lineNo, lastSeq: this.#lastSeq },
      });
    }
    if (this.#count === 0) this.#firstSeq = line.seq;
    this.#count++;
    this.#lastSeq = line.seq;
    if (line.client !== undefined) this.#clients.add(line.client);
    if ((line.kind === 'text' || line.kind === 'binary') && (line.dir === 'in' || line.dir === 'out')) {
      const key = line.client ?? '';
      let counts = this.#data.get(key);
      if (!counts) this.#data.set(key, (counts = { in: 0, out: 0 }));
      counts[line.dir]++;
    }
  }

  /** Where to start reading to reach the first entry with seq ≥ `seq` (or t ≥ `t`). */
  startFor(target: { seq: number } | { t: number }): Checkpoint | undefined {
    const key = 'seq' in target ? (c: Checkpoint) => c.seq : (c: Checkpoint) => c.t;
    const want = 'seq' in target ? target.seq : target.t;
    // The last checkpoint before the target: the target lies between it and the next one.
    let lo = 0;
    let hi = this.#checkpoints.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (key(this.#checkpoints[mid]!) < want) lo = mid + 1;
      else hi = mid;
    }
    return this.#checkpoints[Math.max(0, lo - 1)];
  }

  /**
   * Streams the entries from the first with seq ≥ `seq` (or t ≥ `t`, or from
   * the start), to the end of the file. Lines the index has not reached yet
   * are read too: a view never waits for the index.
   */
  async *entries(
    from: { seq: number } | { t: number } | undefined = undefined,
    warnings: SessionWarning[] = [],
    prefilter?: (raw: string) => boolean,
  ): AsyncGenerator<SessionEntry[]> {
    const cp = from ? this.startFor(from) : undefined;
    const start = cp?.start ?? this.#bodyStart;
    const options: ScanOptions = {};
    if (from) options.seek = from;
    if (prefilter) options.prefilter = prefilter;
    for await (const lines of scanLines(this.path, start, warnings, options)) {
      yield lines.map((l) => lineToEntry(l.line));
    }
  }
}
