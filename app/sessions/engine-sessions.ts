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
  LogExport,
  LogFilter,
  RecordingInfo,
  ReplayReport,
  commands,
} from '../contract.js';
import type { Engine } from '../engine.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import { compileFilter } from '../log/log-filter.js';
import {
  SESSION_EXT,
  fromLogEntry,
  makeHeader,
  toSessionEntryView,
  type SessionEntry,
  type SessionHeader,
} from './session-format.js';
import { exportHar } from './har.js';
import { SessionWriter } from './session-writer.js';
import { SessionStore } from './session-store.js';
import { ReplayControl, replaySession } from './replay.js';
import { sessionClients } from './session-script.js';
import { revealInFileManager } from './reveal.js';

type SessionCommand = Extract<CommandName, `session.${string}`>;
type SessionHandlers = {
  [K in SessionCommand]: (
    input: z.output<(typeof commands)[K]['input']>,
  ) => CommandOutput<K> | Promise<CommandOutput<K>>;
};

const PAGE = 500;

export class EngineSessions {
  readonly #engine: Engine;
  readonly #recordings = new Map<string, { writer: SessionWriter; name: string }>();
  readonly #replays = new Map<string, { report: ReplayReport; control: ReplayControl }>();
  #nextReplay = 1;
  #store: SessionStore | undefined;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** The sessions folder of the workspace (throws FILE without a workspace). */
  store(): SessionStore {
    const dir = join(this.#engine.workspace().dir, 'sessions');
    if (this.#store?.dir !== dir) this.#store = new SessionStore(dir);
    return this.#store;
  }

  /** Records the log of a connection or server into a new session file of the workspace. */
  recordStart(logId: string, name?: string, includeExisting = false): RecordingInfo {
    const store = this.store();
    const url = this.#urlOf(logId);
    const file = name ? (name.endsWith(SESSION_EXT) ? name : name + SESSION_EXT) : undefined;
    const fileName =
      file ?? store.freeName(`${url}-${new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}`);
    return this.#record(logId, store.pathOf(fileName), fileName, includeExisting, 'wx');
  }

  /**
   * Records into any file (the CLI's --record FILE), from the log's first entry
   * on, replacing the file if it exists. Stopped by recordStop or dispose.
   */
  recordToFile(logId: string, path: string): RecordingInfo {
    return this.#record(logId, path, basename(path), true, 'w');
  }

  #record(
    logId: string,
    path: string,
    name: string,
    includeExisting: boolean,
    flags: 'w' | 'wx',
  ): RecordingInfo {
    if (this.#recordings.has(logId)) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `${logId} is already being recorded; stop that recording first.`,
      );
    }
    const log = this.#engine.log(logId);
    const writer = new SessionWriter({
      path,
      flags,
      // Existing entries count from the first of them, so no time is negative.
      header: this.#headerOf(
        logId,
        (includeExisting ? log.read(log.firstSeq, 1)[0]?.t : undefined) ?? Date.now(),
      ),
    }).attach(log, includeExisting);
    this.#recordings.set(logId, { writer, name });
    return this.#info(logId);
  }

  /** The session header of a connection's or server's log. */
  #headerOf(logId: string, startedAt: number): Omit<SessionHeader, 'format' | 'version' | 'createdAt'> {
    const conn = this.#engine.connections.get(logId);
    const server = this.#engine.servers.get(logId);
    return {
      role: server ? 'server' : 'client',
      url: this.#urlOf(logId),
      headers: conn?.options.headers ?? {},
      protocols: conn?.options.protocols ?? server?.protocols ?? [],
      source: 'duplex',
      startedAt,
    };
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
  ): Promise<LogExport> {
    const log = this.#engine.log(logId);
    const entries = log.read(log.firstSeq, Infinity, filter);
    if (entries.length === 0) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        `No entries of ${logId} pass the filter, so there is nothing to export.`,
      );
    }
    const startedAt = entries[0]!.t;
    const url = this.#urlOf(logId);
    const base = `${url}-${new Date(startedAt).toISOString().replace(/[:.]/g, '-').replace(/Z$/, '')}`;
    if (format === 'har') {
      const header = makeHeader(this.#headerOf(logId, startedAt));
      const session = { header, entries: entries.map((e, i) => fromLogEntry(e, i + 1, startedAt)) };
      const fileName =
        (name ? name.replace(/\.(jsonl|har)$/, '') : base.replace(/[^A-Za-z0-9._-]+/g, '-')) + '.har';
      return {
        format,
        fileName,
        har: JSON.stringify(exportHar(session), null, 2) + '\n',
        entries: entries.length,
      };
    }
    const store = this.store();
    const fileName = name ? (name.endsWith(SESSION_EXT) ? name : name + SESSION_EXT) : store.freeName(base);
    const writer = new SessionWriter({
      path: store.pathOf(fileName),
      flags: 'wx',
      header: this.#headerOf(logId, startedAt),
    });
    // Entries are written at once: their payloads are views the log reuses later.
    for (const e of entries) writer.append(e);
    writer.stop();
    if (writer.failure) throw writer.failure;
    return { format, session: await store.summary(fileName), entries: entries.length };
  }

  #urlOf(logId: string): string {
    this.#engine.log(logId); // NOT_FOUND for an unknown id
    return this.#engine.connections.get(logId)?.url ?? this.#engine.servers.get(logId)?.url ?? '';
  }

  recordStop(logId: string): RecordingInfo {
    const rec = this.#recordings.get(logId);
    if (!rec) throw new DuplexError(ErrorCodes.NOT_FOUND, `${logId} is not being recorded.`);
    rec.writer.stop();
    this.#recordings.delete(logId);
    return { ...this.#info(logId, rec), recording: false };
  }

  /** Whether the log of a connection or server is being recorded. */
  isRecording(logId: string): boolean {
    return this.#recordings.has(logId);
  }

  /** Stops every recording (flushed and closed) — called by Engine.dispose. */
  dispose(): void {
    for (const logId of [...this.#recordings.keys()]) this.recordStop(logId);
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

  readonly handlers: SessionHandlers = {
    'session.recordStart': ({ logId, name, includeExisting }) =>
      this.recordStart(logId, name, includeExisting),
    'session.recordStop': ({ logId }) => this.recordStop(logId),
    'session.recordings': () => [...this.#recordings.keys()].map((logId) => this.#info(logId)),
    'session.list': () => this.store().list(),
    'session.open': async ({ name, count }) => {
      const s = await this.store().open(name);
      const { version, createdAt, startedAt, role, url, headers, protocols } = s.header;
      const header = { version, createdAt, startedAt, role, url, headers, protocols };
      if (s.header.name !== undefined) Object.assign(header, { name: s.header.name });
      if (s.header.source !== undefined) Object.assign(header, { source: s.header.source });
      return {
        name,
        path: s.path,
        header,
        total: s.entries.length,
        firstSeq: s.entries[0]?.seq ?? 1,
        lastSeq: s.entries[s.entries.length - 1]?.seq ?? 0,
        entries: s.entries.slice(0, count ?? PAGE).map((e) => toSessionEntryView(e, s.header.startedAt)),
        clients: sessionClients(s),
        warnings: s.warnings,
      };
    },
    'session.read': async ({ name, fromSeq, count, filter }) => {
      const s = await this.store().open(name);
      const match = filter ? compileFilter<SessionEntry>(filter, (e) => e.data) : undefined;
      const out = [];
      for (
        let i = lowerBound(s.entries, fromSeq ?? 0);
        i < s.entries.length && out.length < (count ?? PAGE);
        i++
      ) {
        const e = s.entries[i]!;
        if (!match || match(e)) out.push(toSessionEntryView(e, s.header.startedAt));
      }
      return {
        logId: name,
        entries: out,
        firstSeq: s.entries[0]?.seq ?? 1,
        lastSeq: s.entries[s.entries.length - 1]?.seq ?? 0,
      };
    },
    'session.payload': async ({ name, seq, offset, length }) => {
      const s = await this.store().open(name);
      const e = s.entries[lowerBound(s.entries, seq)];
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
    'session.export': ({ name }) => this.store().exportHar(name),
    'session.replay': async ({ name, url, speed, verify, ignore, timeoutMs, clientId, startPaused }) => {
      const session = await this.store().open(name);
      const replayId = `replay-${this.#nextReplay++}`;
      let connectionId = '';
      const control = new ReplayControl({ paused: startPaused ?? false });
      const publish = (): void =>
        this.#engine.publish('session.replayProgress', replayId, { replayId, report: slot.report });
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
      const running = replaySession(session, {
        url,
        speed,
        verify,
        ignore,
        timeoutMs,
        clientId,
        control,
        connect: (options) => {
          const conn = this.#engine.openConnection(options);
          connectionId = conn.id;
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
      if (!connectionId) {
        // Failed before connecting (bad ignore path, unknown client): report it now.
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

function lowerBound(entries: SessionEntry[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** An import that would create nothing is an error, not an empty success. */
function noWebSocketEntries(where: string): DuplexError {
  return new DuplexError(
    ErrorCodes.HAR_NO_WEBSOCKET,
    `${where} has no WebSocket entries (_webSocketMessages), so nothing was imported. Record the page with the Network panel open and the WS filter off, then save it as HAR again.`,
  );
}
