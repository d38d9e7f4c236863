/**
 * The engine's session commands: recording any connection's or server's log
 * into `<workspace>/sessions/`, the read-only views the UI opens sessions in
 * (pages of entries, payload byte ranges), rename/delete, HAR import/export,
 * and replays into new engine connections. The Engine spreads `handlers` into
 * its command table and calls dispose() when it shuts down.
 */
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import type {
  CommandName,
  CommandOutput,
  LogEntryView,
  LogExport,
  LogFilter,
  RecordingInfo,
  ReplayReport,
  SessionIndexInfo,
  commands,
} from '../contract.js';
import { DuplexError, ErrorCodes, throwFailures, toErrorInfo } from '../errors.js';
import { compileFilter } from '../log/log-filter.js';
import { harNameOf, withSessionExt } from '../vocabulary.js';
import { exportHarChunks, noWebSocketEntries } from './har.js';
import { openSessionSource } from './session-reader.js';
import {
  fromLogEntry,
  makeHeader,
  toSessionEntryView,
  type SessionEntry,
  type SessionHeader,
} from './session-format.js';
import type { SessionHost } from './session-host.js';
import type { SessionIndex } from './session-index.js';
import { SessionWriter } from './session-writer.js';
import { SessionStore } from './session-store.js';
import { ReplayControl, replaySession } from './replay.js';
import { revealInFileManager } from './reveal.js';

type SessionCommand = Extract<CommandName, `session.${string}`>;
type SessionHandlers = {
  [K in SessionCommand]: (
    input: z.output<(typeof commands)[K]['input']>,
  ) => CommandOutput<K> | Promise<CommandOutput<K>>;
};

const PAGE = 500;
/** How long session.open waits for the index of a small file before answering with what it has. */
const OPEN_WAIT_MS = 150;

export class EngineSessions {
  readonly #host: SessionHost;
  readonly #recordings = new Map<string, { writer: SessionWriter; name: string }>();
  readonly #replays = new Map<string, { report: ReplayReport; control: ReplayControl }>();
  #nextReplay = 1;
  #store: SessionStore | undefined;

  constructor(host: SessionHost) {
    this.#host = host;
  }

  /** The sessions folder of the workspace (throws FILE without a workspace). */
  store(): SessionStore {
    const dir = join(this.#host.workspaceDir(), 'sessions');
    if (this.#store?.dir !== dir) this.#store = new SessionStore(dir);
    return this.#store;
  }

  /** Records the log of a connection or server into a new session file of the workspace. */
  async recordStart(
    logId: string,
    name?: string,
    includeExisting = false,
    redact?: boolean,
  ): Promise<RecordingInfo> {
    const store = this.store();
    // File names come from the URL: never from one holding a secret.
    const url = this.#host.redactor(logId, redact).text(this.#host.logSource(logId).url);
    const file = name ? withSessionExt(name) : undefined;
    const fileName =
      file ??
      (await store.freeName(`${url}-${new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}`));
    return this.#record(logId, store.pathOf(fileName), fileName, includeExisting, 'wx', redact);
  }

  /**
   * Records into any file (the CLI's --record FILE), from the log's first entry
   * on, replacing the file if it exists. Stopped by recordStop or dispose.
   */
  recordToFile(logId: string, path: string, redact?: boolean): Promise<RecordingInfo> {
    return this.#record(logId, path, basename(path), true, 'w', redact);
  }

  async #record(
    logId: string,
    path: string,
    name: string,
    includeExisting: boolean,
    flags: 'w' | 'wx',
    redact: boolean | undefined,
  ): Promise<RecordingInfo> {
    if (this.#recordings.has(logId)) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `${logId} is already being recorded; stop that recording first.`,
      );
    }
    const log = this.#host.log(logId);
    const source = this.#host.logSource(logId);
    // Attached at once, so nothing logged while the file opens is missed.
    const writer = new SessionWriter({
      path,
      flags,
      redact: this.#host.redactor(logId, redact),
      header: {
        ...source,
        source: 'duplex',
        // Existing entries count from the first of them, so no time is negative.
        startedAt: (includeExisting ? log.read(log.firstSeq, 1)[0]?.t : undefined) ?? Date.now(),
      },
    }).attach(log, includeExisting);
    const rec = { writer, name };
    this.#recordings.set(logId, rec);
    try {
      await writer.ready;
    } catch (err) {
      if (this.#recordings.get(logId) === rec) this.#recordings.delete(logId);
      throw err;
    }
    // A short connection may already have stopped it (dispose) while the file opened.
    return this.#info(logId, rec);
  }

  /** The session header of a connection's or server's log. */
  #headerOf(logId: string, startedAt: number): Omit<SessionHeader, 'format' | 'version' | 'createdAt'> {
    return { ...this.#host.logSource(logId), source: 'duplex', startedAt };
  }

  /**
   * The entries of a live log that pass `filter`, written as a new session file of the
   * workspace (with the recorder's writer) or returned as a HAR document; nothing is recorded.
   */
  async exportLog(
    logId: string,
    format: 'session' | 'har',
    filter?: LogFilter,
    name?: string,
    redact?: boolean,
  ): Promise<LogExport> {
    const log = this.#host.log(logId);
    const entries = log.read(log.firstSeq, Infinity, filter);
    if (entries.length === 0) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `No entries of ${logId} pass the filter, so there is nothing to export.`,
      );
    }
    const startedAt = entries[0]!.t;
    // File names come from the URL: never from one holding a secret.
    const url = this.#host.redactor(logId, redact).text(this.#host.logSource(logId).url);
    const base = `${url}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}`;
    if (format === 'har') {
      const header = makeHeader(this.#headerOf(logId, startedAt));
      const sessionEntries = entries.map((e, i) => fromLogEntry(e, i + 1, startedAt));
      const fileName = harNameOf((name ?? base.replace(/[^A-Za-z0-9._-]+/g, '-')).replace(/\.har$/, ''));
      return {
        format,
        fileName,
        har: await collect(
          exportHarChunks(
            header,
            () => iterate(sessionEntries),
            undefined,
            this.#host.redactor(logId, redact),
          ),
        ),
        entries: entries.length,
      };
    }
    const store = this.store();
    const fileName = name ? withSessionExt(name) : await store.freeName(base);
    const writer = new SessionWriter({
      path: store.pathOf(fileName),
      flags: 'wx',
      header: this.#headerOf(logId, startedAt),
      redact: this.#host.redactor(logId, redact),
    });
    // Entries are serialized as they are appended: their payloads are memory the log reuses later.
    for (const e of entries) writer.append(e);
    await writer.stop();
    if (writer.failure) throw writer.failure;
    return { format, session: await store.summary(fileName), entries: entries.length };
  }

  async recordStop(logId: string): Promise<RecordingInfo> {
    const rec = this.#recordings.get(logId);
    if (!rec) throw new DuplexError(ErrorCodes.NOT_FOUND, `${logId} is not being recorded.`);
    this.#recordings.delete(logId);
    await rec.writer.stop();
    // A disk error during the recording left the file short: that is not a recording that succeeded.
    if (rec.writer.failure) throw rec.writer.failure;
    return { ...this.#info(logId, rec), recording: false };
  }

  /** Whether the log of a connection or server is being recorded. */
  isRecording(logId: string): boolean {
    return this.#recordings.has(logId);
  }

  /** Stops every recording (appended, fsynced and closed) — called by Engine.dispose. */
  async dispose(): Promise<void> {
    throwFailures(
      await Promise.allSettled([...this.#recordings.keys()].map((logId) => this.recordStop(logId))),
    );
  }

  #info(logId: string, rec = this.#recordings.get(logId)!): RecordingInfo {
    return {
      logId,
      name: rec.name,
      path: rec.writer.path,
      startedAt: rec.writer.header.startedAt,
      entries: rec.writer.entries,
      recording: rec.writer.recording,
    };
  }

  #indexInfo(name: string, index: SessionIndex): SessionIndexInfo {
    return {
      name,
      total: index.count,
      firstSeq: index.firstSeq,
      lastSeq: index.lastSeq,
      clients: index.clients,
      warnings: [...index.warnings],
      complete: index.complete,
      scannedBytes: index.scannedBytes,
      size: index.size,
    };
  }

  /** The first entry with seq ≥ `seq`, streamed from the index's nearest checkpoint. */
  async #entryAt(index: SessionIndex, seq: number): Promise<SessionEntry | undefined> {
    for await (const batch of index.entries({ seq })) return batch[0];
    return undefined;
  }

  readonly handlers: SessionHandlers = {
    'session.recordStart': ({ logId, name, includeExisting, redact }) =>
      this.recordStart(logId, name, includeExisting, redact),
    'session.recordStop': ({ logId }) => this.recordStop(logId),
    'session.recordings': () => [...this.#recordings.keys()].map((logId) => this.#info(logId)),
    'session.list': () => this.store().list(),
    'session.open': async ({ name, count }) => {
      const index = await this.store().index(name);
      // The first rows come straight from the start of the file; the index builds meanwhile.
      const entries: LogEntryView[] = [];
      const want = count ?? PAGE;
      for await (const batch of index.entries()) {
        for (const e of batch) {
          if (entries.length === want) break;
          entries.push(toSessionEntryView(e, index.header.startedAt));
        }
        if (entries.length === want) break;
      }
      await Promise.race([index.build().catch(() => undefined), delay(OPEN_WAIT_MS)]);
      const { version, createdAt, startedAt, role, url, headers, protocols } = index.header;
      const header = { version, createdAt, startedAt, role, url, headers, protocols };
      if (index.header.name !== undefined) Object.assign(header, { name: index.header.name });
      if (index.header.source !== undefined) Object.assign(header, { source: index.header.source });
      const info = this.#indexInfo(name, index);
      const lastRead = entries[entries.length - 1]?.seq ?? 0;
      return {
        name,
        path: index.path,
        header,
        total: Math.max(info.total, entries.length),
        firstSeq: entries[0]?.seq ?? info.firstSeq,
        lastSeq: Math.max(info.lastSeq, lastRead),
        entries,
        clients: info.clients,
        warnings: info.warnings,
        complete: info.complete,
      };
    },
    'session.info': async ({ name }) => this.#indexInfo(name, await this.store().index(name)),
    'session.read': async ({ name, fromSeq, count, filter }) => {
      const index = await this.store().index(name);
      const match = filter ? compileFilter<SessionEntry>(filter, (e) => e.data) : undefined;
      const want = count ?? PAGE;
      const out: LogEntryView[] = [];
      let lastRead = 0;
      // A filtered read is a streaming scan from fromSeq until `count` matches or the end.
      const from = fromSeq ? { seq: fromSeq } : undefined;
      for await (const batch of index.entries(from, [], filter ? quickReject(filter) : undefined)) {
        for (const e of batch) {
          lastRead = e.seq;
          if (!match || match(e)) out.push(toSessionEntryView(e, index.header.startedAt));
          if (out.length === want) break;
        }
        if (out.length === want) break;
      }
      return {
        logId: name,
        entries: out,
        firstSeq: index.firstSeq,
        lastSeq: Math.max(index.lastSeq, lastRead),
      };
    },
    'session.locate': async ({ name, seq, offsetMs }) => {
      const index = await this.store().index(name);
      const target = seq !== undefined ? { seq } : { t: offsetMs! };
      for await (const batch of index.entries(target)) {
        const e = batch[0]!;
        return { seq: e.seq, t: index.header.startedAt + e.t };
      }
      throw new DuplexError(
        ErrorCodes.NOT_FOUND,
        seq !== undefined
          ? `Session ${name} has no entry at or after seq ${seq}; its last is ${index.lastSeq}.`
          : `Session ${name} has no entry ${offsetMs} ms or later after its start.`,
      );
    },
    'session.payload': async ({ name, seq, offset, length }) => {
      const index = await this.store().index(name);
      const e = await this.#entryAt(index, seq);
      if (!e || e.seq !== seq)
        throw new DuplexError(ErrorCodes.NOT_FOUND, `Session ${name} has no entry ${seq}.`);
      const from = Math.min(offset ?? 0, e.data.byteLength);
      const end = Math.min(e.data.byteLength, from + (length ?? 64 * 1024));
      return { seq, size: e.data.byteLength, offset: from, data: e.data.slice(from, end) };
    },
    'session.rename': ({ name, newName }) => {
      if ([...this.#recordings.values()].some((r) => r.name === name)) {
        throw new DuplexError(
          ErrorCodes.INVALID_STATE,
          `${name} is still recording; stop the recording first.`,
        );
      }
      return this.store().rename(name, newName);
    },
    'session.reveal': async ({ name }) => {
      const path = this.store().pathOf(name);
      await stat(path).catch(() => {
        throw new DuplexError(
          ErrorCodes.NOT_FOUND,
          `Session ${name} does not exist; list the sessions again.`,
        );
      });
      await revealInFileManager(path);
      return { path };
    },
    'session.delete': async ({ name }) => {
      if ([...this.#recordings.values()].some((r) => r.name === name)) {
        throw new DuplexError(
          ErrorCodes.INVALID_STATE,
          `${name} is still recording; stop the recording first.`,
        );
      }
      await this.store().delete(name);
      return { deleted: true };
    },
    'session.import': async ({ text, sourceName }) => {
      const imported = await this.store().importHar(text, sourceName);
      if (imported.sessions.length === 0) throw noWebSocketEntries(sourceName ?? 'The HAR file');
      return imported;
    },
    'session.export': ({ name, redact }) => this.store().exportHar(name, redact),
    'session.replay': async (input) => {
      const { name, speed, verify, ignore, timeoutMs, clientId, startPaused } = input;
      const url = await this.#host.resolveUrl(input.url, input);
      const session = await openSessionSource((await this.store().index(name)).path);
      const replayId = `replay-${this.#nextReplay++}`;
      let connectionId = '';
      const control = new ReplayControl({ paused: startPaused ?? false });
      const publish = (): void =>
        this.#host.publish('session.replayProgress', replayId, { replayId, report: slot.report });
      const slot: { report: ReplayReport; control: ReplayControl } = {
        control,
        report: {
          url: url ?? session.header.url,
          done: false,
          ok: false,
          speed: speed ?? 1,
          verify: verify ?? false,
          toSend: 0,
          sent: 0,
          expected: 0,
          compared: 0,
          matched: 0,
          mismatches: [],
          deviationsMs: [],
          paused: control.paused,
        },
      };
      let connected!: () => void;
      const opened = new Promise<void>((resolve) => (connected = resolve));
      const running = replaySession(session, {
        url,
        speed,
        verify,
        ignore,
        timeoutMs,
        clientId,
        control,
        connect: (options) => {
          const conn = this.#host.openConnection(options);
          connectionId = conn.id;
          connected();
          return conn;
        },
        onProgress: (report) => {
          slot.report = { ...report, mismatches: [...report.mismatches] };
          if (this.#replays.has(replayId)) publish();
        },
      });
      running
        .then(
          (report) => (slot.report = report),
          (err) => (slot.report = { ...slot.report, done: true, ok: false, error: toErrorInfo(err) }),
        )
        .finally(() => {
          if (this.#replays.has(replayId)) publish();
        });
      // The replay reads the file once to plan before it connects; a failure before that is the answer.
      await Promise.race([opened, running.catch(() => undefined)]);
      if (!connectionId) {
        const report = await running;
        if (report.error) throw new DuplexError(report.error.code, report.error.message);
      }
      this.#replays.set(replayId, slot);
      publish();
      return { replayId, connectionId };
    },
    'session.replayStatus': ({ replayId }) => {
      const slot = this.#replays.get(replayId);
      if (!slot)
        throw new DuplexError(
          ErrorCodes.NOT_FOUND,
          `No replay "${replayId}"; start one with session.replay.`,
        );
      return slot.report;
    },
    'session.replayControl': ({ replayId, action }) => {
      const slot = this.#replays.get(replayId);
      if (!slot)
        throw new DuplexError(
          ErrorCodes.NOT_FOUND,
          `No replay "${replayId}"; start one with session.replay.`,
        );
      if (slot.report.done && action !== 'stop') {
        throw new DuplexError(
          ErrorCodes.INVALID_STATE,
          `Replay ${replayId} has finished, so it cannot ${action}; start a new replay.`,
        );
      }
      slot.control[action]();
      return slot.report;
    },
  };
}

/**
 * A test on the raw line that rejects most lines a search cannot match, before
 * they are parsed. JSON.stringify escapes only quotes, backslashes and control
 * characters, so a needle without them appears in a matching line as it is;
 * binary and base64 payloads are searched decoded, so those lines always pass.
 */
function quickReject(filter: LogFilter): ((raw: string) => boolean) | undefined {
  const search = filter.search;
  if (!search || [...search].some((c) => c === '"' || c === '\\' || c.charCodeAt(0) < 0x20)) return undefined;
  const needle = search.toLowerCase();
  return (raw) => raw.toLowerCase().includes(needle) || raw.includes('"b64":');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const c of chunks) text += c;
  return text;
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
