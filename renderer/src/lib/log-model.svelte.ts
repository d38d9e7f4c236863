/**
 * The UI side of one engine log (a connection's or a mock server's): what the
 * virtual list shows, without ever holding the whole log.
 *
 * Unfiltered, row i is sequence number firstSeq + i; rows live in a bounded
 * cache of fixed-size pages, filled by `log.appended` batches and, for ranges
 * the batches skipped (a flood only carries the newest entries), by `log.read`
 * when the rows scroll into view. Filtered, the matches are scanned once with
 * `log.read` and a filter, then new entries are matched as they arrive; they
 * live in chunked arrays. Both structures are `$state.raw` and replaced, never
 * mutated, so an append costs one page copy, not a copy of the log.
 */
import { redactInput } from './redaction.svelte.js';
import type { WorkbenchApi } from '../../../app/api.js';
import { decodeSeqRuns } from '../../../app/log/seq-runs.js';
import type {
  Direction,
  KindCounts,
  LogEntryView,
  LogExport,
  LogFilter,
  LogKind,
  RecordingInfo,
  SearchMode,
} from '../../../app/contract.js';
import {
  compileSearch,
  compileViewFilter,
  messageKinds,
  type SearchMatcher,
} from '../../../app/log/log-filter.js';
import { formatOffset, formatTime } from './format.js';

export const PAGE_SIZE = 256;
const MAX_PAGES = 48;
/** Rows of a filtered view read at once, by seq (log.read with the seqs in view). */
const ROW_BATCH = 512;

export interface LogViewFilter {
  dir: Direction | '';
  /** Only these kinds (empty: all). */
  kinds: LogKind[];
  /** Not these kinds. */
  hideKinds: LogKind[];
  search: string;
  searchMode: SearchMode;
  /** Only pinned entries. */
  pinnedOnly: boolean;
}

/** What the time column shows: the clock time, the time since the connection opened, or since the row before. */
export type TimeMode = 'absolute' | 'open' | 'delta';

interface AppendBatch {
  entries: LogEntryView[];
  firstSeq: number;
  lastSeq: number;
  kindCounts?: KindCounts | undefined;
}

/** Entries waiting for the next frame before they are applied at once. */
const MAX_QUEUED = 4 * PAGE_SIZE * 4;

/** Shortest time between two renders of new entries (a flood renders at ~20 Hz). */
const MIN_APPLY_MS = 50;
const now = (): number => (typeof performance === 'object' ? performance.now() : Date.now());

const scheduleFrame = (cb: () => void): unknown =>
  typeof requestAnimationFrame === 'function' ? requestAnimationFrame(cb) : setTimeout(cb, 16);

type Pages = Map<number, readonly (LogEntryView | undefined)[]>;

export class LogModel {
  readonly #api: WorkbenchApi;
  /** Applied to every read; a server's per-client view sets clientId. */
  readonly #fixedClientId: string | undefined;
  #logId = $state<string | undefined>(undefined);
  #firstSeq = $state(1);
  #lastSeq = $state(0);
  #pages = $state.raw<Pages>(new Map());
  #pending = new Set<number>();
  /** Page at the middle of what the list shows; the cache keeps pages near it and near the end. */
  #viewPage = 0;
  #filter = $state<LogViewFilter>({
    dir: '',
    kinds: [],
    hideKinds: [],
    search: '',
    searchMode: 'text',
    pinnedOnly: false,
  });
  /** The compiled filter of new entries (the engine's matcher, over previews), and the search's. */
  #viewMatch: ((e: LogEntryView) => boolean) | undefined;
  #search = $state.raw<SearchMatcher | undefined>(undefined);
  #searchError = $state('');
  #kindCounts = $state.raw<KindCounts>({});
  #pinned = $state.raw<ReadonlySet<number>>(new Set());
  #follow = $state(true);
  /** Rows the list had when following stopped; rows past it are "new". */
  #seenCount = $state(0);
  /** Times of the open events seen, ascending (the "relative to open" time column). */
  #opens = $state.raw<readonly number[]>([]);
  timeMode = $state<TimeMode>('absolute');
  #clientId = $state<string | undefined>(undefined);
  /** A filtered view: seqs of the matches in [0, #matchCount), ascending; capacity grows by doubling. */
  #matchSeqs = new Uint32Array(0);
  #matchCount = $state(0);
  /** Bumped when #matchSeqs changes in place or is replaced, so rows read again. */
  #matchVersion = $state(0);
  /** Seqs of a filtered view being read (log.read by seq). */
  #pendingSeqs = new Set<number>();
  #scanning = $state(false);
  #scanSeq = 0;
  #scanToken = 0;
  #queue: AppendBatch[] = [];
  #queued = 0;
  #frame: unknown;
  #appliedAt = 0;
  #selected = $state.raw<LogEntryView | undefined>(undefined);
  #error = $state('');
  #recording = $state.raw<RecordingInfo | undefined>(undefined);
  #jump = $state.raw<{ index: number } | undefined>(undefined);

  constructor(api: WorkbenchApi, logId?: string, clientId?: string) {
    this.#api = api;
    this.#logId = logId;
    this.#fixedClientId = clientId;
  }

  get logId(): string | undefined {
    return this.#logId;
  }
  get firstSeq(): number {
    return this.#firstSeq;
  }
  get lastSeq(): number {
    return this.#lastSeq;
  }
  /** Entries the engine holds for this log (before filtering). */
  get total(): number {
    return Math.max(0, this.#lastSeq - this.#firstSeq + 1);
  }
  get filtered(): boolean {
    const f = this.#filter;
    return (
      f.dir !== '' ||
      f.kinds.length > 0 ||
      f.hideKinds.length > 0 ||
      (f.search !== '' && this.#searchError === '') ||
      f.pinnedOnly ||
      this.clientId !== undefined
    );
  }
  /** Entries of each kind the log holds (unfiltered; live logs only). */
  get kindCounts(): KindCounts {
    return this.#kindCounts;
  }
  /** WebSocket messages (text and binary) the log holds, not control frames or events; undefined when unknown. */
  get messageCount(): number | undefined {
    const counts = this.#kindCounts;
    if (Object.keys(counts).length === 0) return this.total === 0 ? 0 : undefined;
    return messageKinds.reduce((n, k) => n + (counts[k] ?? 0), 0);
  }
  /** The compiled search, for highlighting matches; undefined without one. */
  get search(): SearchMatcher | undefined {
    return this.#search;
  }
  /** Why the search text cannot be used (a bad regex or JSON path). */
  get searchError(): string {
    return this.#searchError;
  }

  /** Whether the list keeps the newest row in view. Stopping remembers what was seen, for "N new". */
  get follow(): boolean {
    return this.#follow;
  }
  set follow(on: boolean) {
    if (!on && this.#follow) this.#seenCount = this.count;
    this.#follow = on;
  }
  /** Rows that arrived since following stopped. */
  get newCount(): number {
    return this.#follow || this.#scanning ? 0 : Math.max(0, this.count - this.#seenCount);
  }

  get pinned(): ReadonlySet<number> {
    return this.#pinned;
  }
  isPinned(seq: number): boolean {
    return this.#pinned.has(seq);
  }
  togglePin(seq: number): void {
    const next = new Set(this.#pinned);
    if (!next.delete(seq)) next.add(seq);
    this.#pinned = next;
    if (this.#filter.pinnedOnly) this.#rescan();
  }

  /** Pins remembered from before a reload, for the log attached now (their seqs number its entries). */
  restorePins(seqs: readonly number[]): void {
    if (!this.#logId) return;
    this.#pinned = new Set(seqs.filter((s) => Number.isSafeInteger(s) && s > 0));
    if (this.#filter.pinnedOnly) this.#rescan();
  }

  /** The time column's text for a row: clock time, +s since the open before it, or +ms since the row before. */
  timeLabel(index: number, e: LogEntryView): string {
    if (this.timeMode === 'absolute') return formatTime(e.t);
    if (this.timeMode === 'delta') {
      const prev = index > 0 ? this.rowAt(index - 1) : undefined;
      return index === 0 ? '+0 ms' : prev ? formatOffset(e.t - prev.t) : '…';
    }
    const opens = this.#opens;
    let at: number | undefined;
    for (let i = opens.length - 1; i >= 0; i--) {
      if (opens[i]! <= e.t) {
        at = opens[i];
        break;
      }
    }
    return at === undefined ? '—' : formatOffset(e.t - at);
  }
  /** Rows the list shows. */
  get count(): number {
    return this.filtered ? this.#matchCount : this.total;
  }
  get filter(): LogViewFilter {
    return this.#filter;
  }
  get clientId(): string | undefined {
    return this.#clientId ?? this.#fixedClientId;
  }
  get scanning(): boolean {
    return this.#scanning;
  }
  get selected(): LogEntryView | undefined {
    return this.#selected;
  }
  get error(): string {
    return this.#error;
  }

  /** The session file this log is being recorded to, if any. */
  get recording(): RecordingInfo | undefined {
    return this.#recording;
  }

  /**
   * Starts recording this log to a session file in the workspace, from now on, or
   * with `includeHistory` from the oldest entry the log holds; or stops it.
   */
  async record(on: boolean, includeHistory = false): Promise<RecordingInfo | undefined> {
    const logId = this.#logId;
    if (!logId) return undefined;
    const r = on
      ? await this.#api.session.recordStart({ logId, includeExisting: includeHistory, ...redactInput() })
      : await this.#api.session.recordStop({ logId });
    if (!r.ok) {
      this.#error = r.error.message;
      return undefined;
    }
    this.#error = '';
    this.#recording = r.value.recording ? r.value : undefined;
    return r.value;
  }

  /**
   * Writes the rows the view shows (the filter applied, or the pinned ones) as a new
   * session file, or returns them as HAR text; the log need not have been recorded.
   */
  async exportShown(format: 'session' | 'har'): Promise<LogExport | undefined> {
    const logId = this.#logId;
    if (!logId) return undefined;
    const filter = this.#engineFilter();
    const r = await this.#api.log.export({
      logId,
      format,
      ...(Object.keys(filter).length > 0 ? { filter } : {}),
      ...redactInput(),
    });
    if (!r.ok) {
      this.#error = r.error.message;
      return undefined;
    }
    this.#error = '';
    return r.value;
  }

  /** Points the model at a (new) engine log, e.g. after reconnecting. */
  attach(logId: string | undefined): void {
    if (logId === this.#logId) return;
    this.#recording = undefined;
    this.#logId = logId;
    this.#pinned = new Set();
    this.#kindCounts = {};
    this.#reset(1, 0);
    this.#selected = undefined;
  }

  /**
   * Points the model at a log the engine already holds entries of (a tab shown
   * again after a reload, or in another window): reads its extent and newest
   * page; the list reads the rest as it scrolls.
   */
  async reattach(logId: string, recording?: RecordingInfo): Promise<void> {
    this.attach(logId);
    this.#recording = recording?.recording ? recording : undefined;
    const first = await this.#api.log.read({ logId, count: 1 });
    if (logId !== this.#logId) return;
    if (!first.ok) {
      this.#error = first.error.message;
      return;
    }
    // Batches may have arrived meanwhile: the extent only grows (firstSeq moves up on eviction or clear).
    this.#firstSeq = Math.max(this.#firstSeq, first.value.firstSeq);
    this.#lastSeq = Math.max(this.#lastSeq, first.value.lastSeq);
    if (first.value.kindCounts) this.#kindCounts = first.value.kindCounts;
    if (this.#lastSeq >= this.#firstSeq) void this.#readPage(pageOf(this.#lastSeq));
  }

  /** The row the list should scroll to and select (set by jumpToSeq; a new object each time). */
  get jumpRequest(): { index: number } | undefined {
    return this.#jump;
  }

  /** Asks the list to show the first row at or after `seq` (a session's "Go to"). */
  jumpToSeq(seq: number): void {
    let index = seq - this.#firstSeq;
    if (this.filtered) {
      // The first match at or after seq (the matches are ascending).
      let lo = 0;
      let hi = this.#matchCount;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.#matchSeqs[mid]! < seq) lo = mid + 1;
        else hi = mid;
      }
      index = lo;
    }
    // Not clamped to count: a session's rows may still be arriving.
    this.#jump = { index: Math.max(0, index) };
  }

  select(entry: LogEntryView | undefined): void {
    this.#selected = entry;
  }

  setFilter(filter: Partial<LogViewFilter>): void {
    this.#filter = { ...this.#filter, ...filter };
    const f = this.#filter;
    try {
      this.#search = f.search ? compileSearch(f.search, f.searchMode) : undefined;
      this.#searchError = '';
    } catch (err) {
      // A half-typed regex or path: say why, and filter as if there were no search.
      this.#search = undefined;
      this.#searchError = (err as Error).message;
    }
    this.#rescan();
  }

  /** Shows or hides one kind (a hidden kind stays hidden until shown again). */
  toggleHidden(kind: LogKind): void {
    const hidden = this.#filter.hideKinds;
    this.setFilter({
      hideKinds: hidden.includes(kind) ? hidden.filter((k) => k !== kind) : [...hidden, kind],
    });
  }

  /** Restricts a server log to one client (undefined = all clients). */
  setClient(clientId: string | undefined): void {
    this.#clientId = clientId;
    this.#rescan();
  }

  /** The seq of row `index` (a filtered view's rows are its matches). */
  seqAt(index: number): number | undefined {
    if (!this.filtered) return index < this.total ? this.#firstSeq + index : undefined;
    void this.#matchVersion;
    return index >= 0 && index < this.#matchCount ? this.#matchSeqs[index] : undefined;
  }

  /** The row at `index`, or undefined while its page is being read. */
  rowAt(index: number): LogEntryView | undefined {
    const seq = this.seqAt(index);
    return seq === undefined ? undefined : this.#pages.get(pageOf(seq))?.[(seq - 1) % PAGE_SIZE];
  }

  /** Reads the pages of rows [start, end) that are not cached yet. */
  ensureRange(start: number, end: number): void {
    if (!this.#logId) return;
    if (this.filtered) {
      this.#ensureMatches(start, end);
      return;
    }
    const from = pageOf(this.#firstSeq + Math.max(0, start));
    const to = pageOf(this.#firstSeq + Math.max(start, end - 1));
    this.#viewPage = Math.floor((from + to) / 2);
    for (let p = from; p <= to; p++) {
      const page = this.#pages.get(p);
      const complete = page && page.length === PAGE_SIZE && !page.includes(undefined);
      const last = pageOf(this.#lastSeq);
      if (complete || (page && p === last && !hasGap(page, p, this.#firstSeq, this.#lastSeq))) continue;
      void this.#readPage(p);
    }
  }

  /**
   * A `log.appended` event for this log. Batches are applied once per animation
   * frame (merged), so a page that falls behind catches up in one render
   * instead of one per batch; a hidden window (no frames) still drains when the
   * queue grows past a few pages.
   */
  onAppended(batch: AppendBatch): void {
    this.#queue.push(batch);
    this.#queued += batch.entries.length;
    if (this.#queued > MAX_QUEUED) this.#drain();
    else if (!this.#frame) {
      // At most one render per MIN_APPLY_MS: nobody reads 20,000 rows a second, and each
      // render of the log costs a layout and a paint.
      const wait = MIN_APPLY_MS - (now() - this.#appliedAt);
      this.#frame =
        wait > 0
          ? setTimeout(() => scheduleFrame(() => this.#drain()), wait)
          : scheduleFrame(() => this.#drain());
    }
  }

  #drain(): void {
    this.#frame = undefined;
    this.#appliedAt = now();
    const batches = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    if (batches.length === 0) return;
    const last = batches[batches.length - 1]!;
    let entries = batches.length === 1 ? last.entries : batches.flatMap((b) => b.entries);
    // Only the newest few pages can be on screen while following; older rows are read on demand.
    if (entries.length > MAX_QUEUED) entries = entries.slice(-MAX_QUEUED);
    this.#apply({
      entries,
      firstSeq: last.firstSeq,
      lastSeq: Math.max(...batches.map((b) => b.lastSeq)),
      kindCounts: last.kindCounts,
    });
  }

  #apply(batch: AppendBatch): void {
    const seenUpTo = this.#lastSeq;
    this.#firstSeq = batch.firstSeq;
    this.#lastSeq = Math.max(this.#lastSeq, batch.lastSeq);
    if (batch.kindCounts) this.#kindCounts = batch.kindCounts;
    if (batch.entries.length > 0) this.#storeEntries(batch.entries);
    if (this.filtered) this.#dropEvictedMatches();
    if (this.filtered && !this.#scanning) {
      const fresh = batch.entries.filter((e) => e.seq > this.#scanSeq);
      const firstNew = fresh[0]?.seq ?? batch.lastSeq + 1;
      // A batch that skipped entries (a flood), or previews cut short of what a search may find:
      // the engine matches them, over whole payloads.
      const skipped = firstNew > Math.max(seenUpTo, this.#scanSeq) + 1;
      if (skipped || (this.#search && fresh.some((e) => e.truncated))) {
        void this.#scan(this.#scanSeq + 1, this.#scanToken);
        return;
      }
      const matched = fresh.filter((e) => this.#matches(e));
      if (matched.length > 0) this.#appendMatches(matched.map((e) => e.seq));
      this.#scanSeq = Math.max(this.#scanSeq, batch.lastSeq);
    }
  }

  /** A `log.cleared` event for this log. */
  onCleared(): void {
    this.#pinned = new Set();
    this.#kindCounts = {};
    this.#reset(this.#lastSeq + 1, this.#lastSeq);
    this.#selected = undefined;
  }

  async clear(): Promise<void> {
    if (!this.#logId) return;
    const r = await this.#api.log.clear({ logId: this.#logId });
    if (!r.ok) this.#error = r.error.message;
  }

  #reset(firstSeq: number, lastSeq: number): void {
    this.#queue = [];
    this.#queued = 0;
    this.#firstSeq = firstSeq;
    this.#lastSeq = lastSeq;
    this.#pages = new Map();
    this.#pending.clear();
    this.#clearMatches();
    this.#scanSeq = lastSeq;
    if (this.filtered) this.#rescan();
  }

  #storeEntries(entries: readonly LogEntryView[]): void {
    this.#noteOpens(entries);
    const pages: Pages = new Map(this.#pages);
    let current = -1;
    let copy: (LogEntryView | undefined)[] = [];
    for (const e of entries) {
      const p = pageOf(e.seq);
      if (p !== current) {
        if (current >= 0) pages.set(current, copy);
        current = p;
        copy = [...(pages.get(p) ?? [])];
      }
      copy[(e.seq - 1) % PAGE_SIZE] = e;
    }
    if (current >= 0) pages.set(current, copy);
    this.#pages = trimPages(pages, pageOf(this.#firstSeq), pageOf(this.#lastSeq), this.#viewPage);
  }

  async #readPage(p: number): Promise<void> {
    const logId = this.#logId;
    if (!logId || this.#pending.has(p)) return;
    this.#pending.add(p);
    try {
      const r = await this.#api.log.read({ logId, fromSeq: p * PAGE_SIZE + 1, count: PAGE_SIZE });
      if (logId !== this.#logId) return;
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      this.#firstSeq = r.value.firstSeq;
      this.#lastSeq = Math.max(this.#lastSeq, r.value.lastSeq);
      if (r.value.kindCounts) this.#kindCounts = r.value.kindCounts;
      const inPage = r.value.entries.filter((e) => pageOf(e.seq) === p);
      this.#storeEntries(inPage);
    } finally {
      this.#pending.delete(p);
    }
  }

  #rescan(): void {
    const token = ++this.#scanToken;
    this.#clearMatches();
    this.#scanSeq = 0;
    this.#viewMatch = this.filtered ? compileViewFilter<LogEntryView>(this.#engineFilter()) : undefined;
    if (!this.filtered || !this.#logId) {
      this.#seenCount = this.count;
      return;
    }
    if (this.#hidesOnlyAbsentKinds()) {
      // Every entry the log holds matches: no need to ask the engine for a million seqs.
      const from = this.#firstSeq;
      const seqs = new Uint32Array(Math.max(0, this.#lastSeq - from + 1));
      for (let i = 0; i < seqs.length; i++) seqs[i] = from + i;
      this.#appendMatches(seqs);
      this.#scanSeq = this.#lastSeq;
      this.#seenCount = this.#matchCount;
      return;
    }
    void this.#scan(this.#firstSeq, token);
  }

  /** The filter only hides kinds, and the engine's counts say the log holds none of them. */
  #hidesOnlyAbsentKinds(): boolean {
    const f = this.#filter;
    const counts = this.#kindCounts;
    const searching = f.search !== '' && this.#searchError === '';
    if (f.dir !== '' || f.kinds.length > 0 || searching || f.pinnedOnly || this.clientId !== undefined)
      return false;
    // Counts leave out kinds with none; no counts at all means they are not known yet.
    return Object.keys(counts).length > 0 && f.hideKinds.every((k) => !counts[k]);
  }

  /**
   * Asks the engine for the matches from `fromSeq` on (one answer, seqs only), then for
   * what arrived meanwhile, until the view has caught up with the log.
   */
  async #scan(fromSeq: number, token: number): Promise<void> {
    const logId = this.#logId;
    if (!logId) return;
    this.#scanning = true;
    const filter = this.#engineFilter();
    let from = fromSeq;
    try {
      while (token === this.#scanToken) {
        const r = await this.#api.log.match({ logId, filter, fromSeq: from });
        if (token !== this.#scanToken) return;
        if (!r.ok) {
          this.#error = r.error.message;
          return;
        }
        let seqs: Uint32Array;
        try {
          seqs = decodeSeqRuns(r.value.runs);
        } catch (err) {
          this.#error = `The engine's answer to the filter is not readable: ${(err as Error).message}.`;
          return;
        }
        let first = 0;
        while (first < seqs.length && seqs[first]! <= this.#scanSeq) first++;
        if (first < seqs.length) this.#appendMatches(seqs.subarray(first));
        this.#scanSeq = Math.max(this.#scanSeq, r.value.lastSeq);
        this.#lastSeq = Math.max(this.#lastSeq, r.value.lastSeq);
        if (this.#lastSeq <= this.#scanSeq) return;
        from = this.#scanSeq + 1;
      }
    } finally {
      if (token === this.#scanToken) {
        // What a new filter shows at once is not "new"; what arrives after it is.
        if (this.#scanning) this.#seenCount = this.#matchCount;
        this.#scanning = false;
      }
    }
  }

  /** Reads the rows of matches [start, end) that are not cached, by seq. */
  #ensureMatches(start: number, end: number): void {
    const logId = this.#logId;
    if (!logId) return;
    const missing: number[] = [];
    for (let i = Math.max(0, start); i < Math.min(end, this.#matchCount); i++) {
      const seq = this.#matchSeqs[i]!;
      if (seq < this.#firstSeq || this.#pendingSeqs.has(seq)) continue;
      if (!this.#pages.get(pageOf(seq))?.[(seq - 1) % PAGE_SIZE]) missing.push(seq);
    }
    const mid = this.#matchSeqs[Math.floor((start + Math.min(end, this.#matchCount)) / 2)];
    if (mid !== undefined) this.#viewPage = pageOf(mid);
    for (let i = 0; i < missing.length; i += ROW_BATCH) {
      const seqs = missing.slice(i, i + ROW_BATCH);
      for (const seq of seqs) this.#pendingSeqs.add(seq);
      void this.#api.log
        .read({ logId, fromSeq: seqs[0]!, count: seqs.length, filter: { seqs } })
        .then((r) => {
          for (const seq of seqs) this.#pendingSeqs.delete(seq);
          if (logId !== this.#logId) return;
          if (!r.ok) {
            this.#error = r.error.message;
            return;
          }
          this.#storeEntries(r.value.entries);
        });
    }
  }

  #engineFilter(): LogFilter {
    const f = this.#filter;
    const filter: LogFilter = {};
    if (f.dir) filter.dir = f.dir;
    if (f.kinds.length > 0) filter.kinds = [...f.kinds];
    if (f.hideKinds.length > 0) filter.hideKinds = [...f.hideKinds];
    if (f.search && !this.#searchError) {
      filter.search = f.search;
      if (f.searchMode !== 'text') filter.searchMode = f.searchMode;
    }
    if (f.pinnedOnly) filter.seqs = [...this.#pinned].slice(-10_000);
    if (this.clientId !== undefined) filter.clientId = this.clientId;
    return filter;
  }

  /** Client-side match of a new entry, on its preview (the engine's search covers whole payloads). */
  #matches(e: LogEntryView): boolean {
    return this.#viewMatch ? this.#viewMatch(e) : true;
  }

  /** Remembers the open events among entries (for the time column relative to open). */
  #noteOpens(entries: readonly LogEntryView[]): void {
    let opens: number[] | undefined;
    for (const e of entries) {
      if (e.kind !== 'open' || this.#opens.includes(e.t)) continue;
      opens ??= [...this.#opens];
      opens.push(e.t);
    }
    if (opens) this.#opens = opens.sort((a, b) => a - b);
  }

  #appendMatches(seqs: ArrayLike<number>): void {
    let store = this.#matchSeqs;
    const count = this.#matchCount + seqs.length;
    if (count > store.length) {
      store = new Uint32Array(Math.max(count, store.length * 2, 1024));
      store.set(this.#matchSeqs.subarray(0, this.#matchCount));
    }
    store.set(seqs, this.#matchCount);
    this.#matchSeqs = store;
    this.#matchCount = count;
    this.#matchVersion++;
  }

  #clearMatches(): void {
    this.#matchSeqs = new Uint32Array(0);
    this.#matchCount = 0;
    this.#matchVersion++;
    this.#pendingSeqs.clear();
  }

  /** Matches the log no longer holds (evicted for its memory budget) leave the view. */
  #dropEvictedMatches(): void {
    let drop = 0;
    while (drop < this.#matchCount && this.#matchSeqs[drop]! < this.#firstSeq) drop++;
    if (drop === 0) return;
    this.#matchSeqs = this.#matchSeqs.slice(drop);
    this.#matchCount -= drop;
    this.#matchVersion++;
  }
}

function pageOf(seq: number): number {
  return Math.floor((Math.max(1, seq) - 1) / PAGE_SIZE);
}

/** True when the last page lacks entries between the log's first and last seq. */
function hasGap(
  page: readonly (LogEntryView | undefined)[],
  p: number,
  firstSeq: number,
  lastSeq: number,
): boolean {
  const from = Math.max(firstSeq, p * PAGE_SIZE + 1);
  for (let seq = from; seq <= lastSeq; seq++) if (!page[(seq - 1) % PAGE_SIZE]) return true;
  return false;
}

/** Keeps the cache bounded: drops pages outside the log, then the ones farthest from the view and the end. */
function trimPages(pages: Pages, firstPage: number, lastPage: number, viewPage: number): Pages {
  for (const p of pages.keys()) if (p < firstPage || p > lastPage) pages.delete(p);
  if (pages.size <= MAX_PAGES) return pages;
  const distance = (p: number): number => Math.min(Math.abs(p - viewPage), lastPage - p);
  const order = [...pages.keys()].sort((a, b) => distance(b) - distance(a));
  for (const p of order) {
    if (pages.size <= MAX_PAGES) break;
    if (p !== lastPage) pages.delete(p);
  }
  return pages;
}
