/**
 * A session file opened read-only in a tab: its header, warnings (bad or torn
 * lines), and a LogModel whose data source is the file (session.read and
 * session.payload) instead of a live engine log, so the same log, filter,
 * search, detail and hex views show it. The list pages through the file; while
 * the engine still indexes a large file, the totals grow as session.info
 * reports them. "Go to" jumps to a seq or a time into the recording.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { LogFilter, LogMatches, Result, SessionView } from '../../../app/contract.js';
import { ErrorCodes } from '../../../app/errors.js';
import { withoutSessionExt } from '../../../app/vocabulary.js';
import { encodeSeqRuns } from '../../../app/log/seq-runs.js';
import { LogModel } from './log-model.svelte.js';

let nextSessionTab = 1;
const INDEX_POLL_MS = 300;

export class SessionTab {
  readonly kind = 'session' as const;
  readonly id = `session-tab-${nextSessionTab++}`;
  /** The API the log and detail views use: `log.*` reads this session file. */
  readonly logApi: WorkbenchApi;
  readonly log: LogModel;
  readonly #api: WorkbenchApi;
  #name = $state('');
  #view = $state.raw<SessionView | undefined>(undefined);
  #error = $state('');
  #loading = $state(false);
  /** Share of the file indexed so far (1 when complete). */
  #indexed = $state(1);
  #openToken = 0;

  constructor(api: WorkbenchApi, name: string) {
    this.#api = api;
    this.#name = name;
    this.logApi = sessionLogApi(api, () => this.#name);
    this.log = new LogModel(this.logApi);
    this.log.follow = false; // a session file opens at its first rows
  }

  get name(): string {
    return this.#name;
  }
  get title(): string {
    return this.#view?.header.name ?? withoutSessionExt(this.#name);
  }
  get view(): SessionView | undefined {
    return this.#view;
  }
  /** Why the file cannot be shown (DUPLEX_ERR_FILE names the line and the problem). */
  get error(): string {
    return this.#error;
  }
  get loading(): boolean {
    return this.#loading;
  }
  get indexed(): number {
    return this.#indexed;
  }

  /** Reads the header and the first page; the log reads the rest as it scrolls. */
  async open(): Promise<void> {
    this.#loading = true;
    try {
      const r = await this.#api.session.open({ name: this.#name });
      if (!r.ok) {
        this.#error = r.error.message;
        this.#view = undefined;
        return;
      }
      this.#error = '';
      this.#view = r.value;
      this.log.attach(`session:${this.#name}`);
      this.log.onAppended({ entries: r.value.entries, firstSeq: r.value.firstSeq, lastSeq: r.value.lastSeq });
      this.#indexed = r.value.complete === false ? 0 : 1;
      if (r.value.complete === false) void this.#followIndex(++this.#openToken);
    } finally {
      this.#loading = false;
    }
  }

  /** Polls the background index of a large file until it is complete, growing the totals. */
  async #followIndex(token: number): Promise<void> {
    while (token === this.#openToken && this.#view) {
      await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS));
      const r = await this.#api.session.info({ name: this.#name });
      if (token !== this.#openToken || !this.#view) return;
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      const { total, lastSeq, firstSeq, clients, warnings, complete, scannedBytes, size } = r.value;
      this.#view = { ...this.#view, total, lastSeq, clients, warnings, complete };
      this.#indexed = complete ? 1 : size > 0 ? scannedBytes / size : 0;
      this.log.onAppended({ entries: [], firstSeq, lastSeq });
      if (complete) return;
    }
  }

  /**
   * Jumps to an entry: `1234` or `#1234` is a seq; `90s`, `1.5m`, `250ms`,
   * `1:30` or `01:02:03.5` is a time into the recording. Returns an error message, or ''.
   */
  async goTo(where: string): Promise<string> {
    const target = parseGoTo(where);
    if (!target) return `"${where}" is neither a seq (1234) nor a time into the recording (90s, 1:30).`;
    const r = await this.#api.session.locate({ name: this.#name, ...target });
    if (!r.ok) return r.error.message;
    this.log.jumpToSeq(r.value.seq);
    return '';
  }

  /** The file was renamed (from the sidebar): follow it. */
  renamed(newName: string): void {
    this.#name = newName;
    if (this.#view)
      this.#view = { ...this.#view, name: newName, path: replaceBase(this.#view.path, newName) };
  }

  /** Shows the file in the system's file manager; returns an error message, or '' when done. */
  async reveal(): Promise<string> {
    const r = await this.#api.session.reveal({ name: this.#name });
    return r.ok ? '' : r.error.message;
  }
}

/** The contract API with `log.*` answered from a session file: the log views' read-only data source. */
export function sessionLogApi(api: WorkbenchApi, name: () => string): WorkbenchApi {
  const log: WorkbenchApi['log'] = {
    read: ({ logId, ...rest }) => {
      void logId;
      return api.session.read({ ...rest, name: name() });
    },
    payload: ({ logId, ...rest }) => {
      void logId;
      return api.session.payload({ ...rest, name: name() });
    },
    match: ({ logId, filter, fromSeq }) => matchSession(api, name(), logId, filter, fromSeq),
    clear: async () => ({
      ok: false,
      error: {
        code: ErrorCodes.INVALID_STATE,
        message: 'A session file is read-only; it cannot be cleared.',
      },
    }),
    export: async () => ({
      ok: false,
      error: {
        code: ErrorCodes.INVALID_STATE,
        message: 'This is a session file already; export it as HAR from the session list.',
      },
    }),
  };
  return { ...api, log };
}

/** A seq (`1234`, `#1234`) or an offset into the recording (`90s`, `1.5m`, `250ms`, `1:30`, `01:02:03.5`). */
export function parseGoTo(text: string): { seq: number } | { offsetMs: number } | undefined {
  const t = text.trim();
  const seq = /^#?(\d+)$/.exec(t);
  if (seq) return Number(seq[1]) >= 1 ? { seq: Number(seq[1]) } : undefined;
  const unit = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)$/.exec(t);
  if (unit) {
    const factor = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[unit[2] as 'ms'];
    return { offsetMs: Number(unit[1]) * factor };
  }
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(t);
  if (clock) {
    return { offsetMs: ((Number(clock[1] ?? 0) * 60 + Number(clock[2])) * 60 + Number(clock[3])) * 1000 };
  }
  return undefined;
}

/** log.match over a session file: its filtered pages, read through, as seqs. */
async function matchSession(
  api: WorkbenchApi,
  name: string,
  logId: string,
  filter: LogFilter,
  fromSeq = 0,
): Promise<Result<LogMatches>> {
  const seqs: number[] = [];
  let from = fromSeq;
  for (;;) {
    const r = await api.session.read({ name, fromSeq: from, count: 10_000, filter });
    if (!r.ok) return r;
    for (const e of r.value.entries) seqs.push(e.seq);
    const last = r.value.entries.at(-1);
    if (r.value.entries.length < 10_000 || !last) {
      return {
        ok: true,
        value: { logId, runs: encodeSeqRuns(seqs), firstSeq: r.value.firstSeq, lastSeq: r.value.lastSeq },
      };
    }
    from = last.seq + 1;
  }
}

function replaceBase(path: string, name: string): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(0, cut + 1) + name;
}
