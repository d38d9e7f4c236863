/**
 * The session commands of the fake contract (fake-api.ts): session files held
 * in memory (one can be "corrupt": session.open fails as the engine does, with
 * DUPLEX_ERR_FILE naming the line), HAR import/export, and a replay that
 * obeys pause / resume / step / stop and reports progress events.
 */
import type {
  ConnectionInfo,
  Direction,
  EventName,
  EventPayloads,
  LogEntryView,
  LogFilter,
  ReplayAction,
  ReplayReport,
  Result,
  SessionHeaderInfo,
  SessionSummary,
} from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { utf8Encode } from '../../app/payload/codecs.js';
import { harNameOf, withSessionExt } from '../../app/vocabulary.js';

export interface FakeSessionInput {
  url?: string;
  role?: 'client' | 'server';
  protocols?: string[];
  /** Text messages in order (with the client of a server recording). */
  messages?: { dir: Direction; text: string; clientId?: string }[];
  /** Makes session.open fail with this DUPLEX_ERR_FILE message (a corrupt or future-version file). */
  error?: string;
  warnings?: { line: number; message: string }[];
  /** `har` for an imported session. */
  source?: string;
}

interface FakeSession {
  summary: SessionSummary;
  header: SessionHeaderInfo;
  entries: { view: LogEntryView; data: Uint8Array }[];
  error?: string;
  warnings: { line: number; message: string }[];
}

export interface FakeSessionDeps {
  sessions: SessionSummary[];
  record: (name: string) => (input: unknown) => void;
  emit: <E extends EventName>(name: E, payload: EventPayloads[E]) => void;
  /** Opens a fake connection that is OPEN at once; returns its id. */
  openConnection: (url: string) => ConnectionInfo;
  send: (connectionId: string, text: string) => void;
}

const ok = async <T>(value: T): Promise<Result<T>> => ({ ok: true, value });
const fail = async <T>(code: ErrorInfo['code'], message: string): Promise<Result<T>> => ({
  ok: false,
  error: { code, message },
});

export function createFakeSessions(deps: FakeSessionDeps) {
  const files = new Map<string, FakeSession>();
  const replays = new Map<string, { report: ReplayReport; queue: string[]; connectionId: string }>();
  let nextReplay = 1;

  const add = (name: string, input: FakeSessionInput): void => {
    const url = input.url ?? 'ws://127.0.0.1:9/echo';
    const startedAt = 1_700_000_000_000;
    const entries = (input.messages ?? []).map((m, i) => {
      const data = utf8Encode(m.text);
      const view: LogEntryView = {
        seq: i + 1,
        t: startedAt + i * 10,
        dir: m.dir,
        kind: 'text',
        size: data.byteLength,
        preview: m.text,
        truncated: false,
      };
      if (m.clientId !== undefined) view.clientId = m.clientId;
      return { view, data };
    });
    const summary: SessionSummary = {
      name,
      path: `/workspace/sessions/${name}`,
      size: 100 + entries.length * 40,
      modifiedAt: Date.now(),
      role: input.role ?? 'client',
      url,
    };
    if (input.error) summary.error = { code: ErrorCodes.FILE, message: input.error };
    if (input.source !== undefined) summary.source = input.source;
    const header: SessionHeaderInfo = {
      version: 1,
      createdAt: new Date(startedAt).toISOString(),
      startedAt,
      role: input.role ?? 'client',
      url,
      headers: {},
      protocols: input.protocols ?? [],
    };
    if (input.source !== undefined) header.source = input.source;
    const file: FakeSession = { summary, header, entries, warnings: input.warnings ?? [] };
    if (input.error) file.error = input.error;
    files.set(name, file);
    const i = deps.sessions.findIndex((s) => s.name === name);
    if (i >= 0) deps.sessions.splice(i, 1);
    deps.sessions.push(summary);
  };

  const get = (name: string): FakeSession | undefined => files.get(name);
  const missing = (name: string) =>
    fail<never>(ErrorCodes.NOT_FOUND, `No session "${name}" in the workspace.`);
  const matches = (v: LogEntryView, f?: LogFilter): boolean =>
    (!f?.dir || v.dir === f.dir) &&
    (!f?.kinds?.length || f.kinds.includes(v.kind)) &&
    (!f?.search || v.preview.toLowerCase().includes(f.search.toLowerCase()));

  const progress = (replayId: string): void => {
    const r = replays.get(replayId)!;
    deps.emit('session.replayProgress', { replayId, report: { ...r.report } });
  };
  const sendNext = (replayId: string): void => {
    const r = replays.get(replayId)!;
    const text = r.queue.shift();
    if (text !== undefined) {
      deps.send(r.connectionId, text);
      r.report = { ...r.report, sent: r.report.sent + 1 };
      if (r.report.verify) {
        r.report = { ...r.report, compared: r.report.compared + 1, matched: r.report.matched + 1 };
      }
    }
    if (r.queue.length === 0) r.report = { ...r.report, done: true, ok: true, paused: false };
    progress(replayId);
  };

  const commands = {
    open: async (input: { name: string; count?: number }) => {
      deps.record('session.open')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      if (s.error) return fail(ErrorCodes.FILE, s.error);
      return ok({
        name: input.name,
        path: s.summary.path,
        header: s.header,
        total: s.entries.length,
        firstSeq: 1,
        lastSeq: s.entries.length,
        entries: s.entries.slice(0, input.count ?? 500).map((e) => e.view),
        clients: [
          ...new Set(s.entries.flatMap((e) => (e.view.clientId === undefined ? [] : [e.view.clientId]))),
        ],
        warnings: s.warnings,
      });
    },
    read: async (input: { name: string; fromSeq?: number; count?: number; filter?: LogFilter }) => {
      deps.record('session.read')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      const entries = s.entries
        .filter((e) => e.view.seq >= (input.fromSeq ?? 0) && matches(e.view, input.filter))
        .slice(0, input.count ?? 500)
        .map((e) => e.view);
      return ok({ logId: input.name, entries, firstSeq: 1, lastSeq: s.entries.length });
    },
    info: async (input: { name: string }) => {
      deps.record('session.info')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      const clients = [
        ...new Set(s.entries.flatMap((e) => (e.view.clientId === undefined ? [] : [e.view.clientId]))),
      ];
      const n = s.entries.length;
      const size = s.summary.size;
      return ok({
        name: input.name,
        total: n,
        firstSeq: 1,
        lastSeq: n,
        clients,
        warnings: s.warnings,
        complete: true,
        scannedBytes: size,
        size,
      });
    },
    locate: async (input: { name: string; seq?: number; offsetMs?: number }) => {
      deps.record('session.locate')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      const start = s.header.startedAt;
      const e = s.entries.find((x) =>
        input.seq !== undefined ? x.view.seq >= input.seq : x.view.t - start >= (input.offsetMs ?? 0),
      );
      if (!e) return fail(ErrorCodes.NOT_FOUND, `Session ${input.name} has no entry there.`);
      return ok({ seq: e.view.seq, t: e.view.t });
    },
    payload: async (input: { name: string; seq: number; offset?: number; length?: number }) => {
      deps.record('session.payload')(input);
      const e = get(input.name)?.entries[input.seq - 1];
      if (!e) return fail(ErrorCodes.NOT_FOUND, `Session ${input.name} has no entry ${input.seq}.`);
      const from = Math.min(input.offset ?? 0, e.data.byteLength);
      const data = e.data.slice(from, from + (input.length ?? 64 * 1024));
      return ok({ seq: input.seq, size: e.data.byteLength, offset: from, data });
    },
    rename: async (input: { name: string; newName: string }) => {
      deps.record('session.rename')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      if (files.has(input.newName)) {
        return fail(
          ErrorCodes.FILE,
          `A session named "${input.newName}" already exists; choose another name.`,
        );
      }
      files.delete(input.name);
      s.summary = { ...s.summary, name: input.newName, path: `/workspace/sessions/${input.newName}` };
      files.set(input.newName, s);
      const i = deps.sessions.findIndex((x) => x.name === input.name);
      if (i >= 0) deps.sessions[i] = s.summary;
      return ok(s.summary);
    },
    reveal: async (input: { name: string }) => {
      deps.record('session.reveal')(input);
      const s = get(input.name);
      return s ? ok({ path: s.summary.path }) : missing(input.name);
    },
    delete: async (input: { name: string }) => {
      deps.record('session.delete')(input);
      if (!files.delete(input.name)) return missing(input.name);
      const i = deps.sessions.findIndex((x) => x.name === input.name);
      if (i >= 0) deps.sessions.splice(i, 1);
      return ok({ deleted: true });
    },
    import: async (input: { text: string; sourceName?: string }) => {
      deps.record('session.import')(input);
      let har: {
        log?: {
          entries?: {
            request?: { url?: string };
            _webSocketMessages?: { type?: string; opcode?: number; data?: string }[];
          }[];
        };
      };
      try {
        har = JSON.parse(input.text);
      } catch (err) {
        return fail(ErrorCodes.FILE, `${input.sourceName ?? 'HAR'} is not JSON (${(err as Error).message}).`);
      }
      const ws = (har.log?.entries ?? []).filter((e) => Array.isArray(e._webSocketMessages));
      if (ws.length === 0) {
        const where = input.sourceName ?? 'The HAR file';
        return fail(
          ErrorCodes.HAR_NO_WEBSOCKET,
          `${where} has no WebSocket entries, so nothing was imported.`,
        );
      }
      const created: SessionSummary[] = [];
      for (const [i, e] of ws.entries()) {
        const name = withSessionExt(`imported-${i + 1}`);
        const messages = (e._webSocketMessages ?? [])
          .filter((m) => m.opcode === 1 && typeof m.data === 'string')
          .map((m) => ({ dir: m.type === 'send' ? ('out' as const) : ('in' as const), text: m.data! }));
        add(name, { url: e.request?.url ?? '', messages, source: 'har' });
        created.push(get(name)!.summary);
      }
      return ok({ sessions: created, skippedMessages: 0 });
    },
    export: async (input: { name: string }) => {
      deps.record('session.export')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      const fileName = harNameOf(input.name);
      // One HAR entry for the WebSocket, its messages in Chromium's _webSocketMessages shape.
      const messages = s.entries.map((e) => ({
        type: e.view.dir === 'out' ? 'send' : 'receive',
        time: e.view.t / 1000,
        opcode: 1,
        data: e.view.preview,
      }));
      const entry = { request: { method: 'GET', url: s.header.url }, _webSocketMessages: messages };
      return ok({ fileName, har: JSON.stringify({ log: { version: '1.2', entries: [entry] } }) });
    },
    replay: async (input: {
      name: string;
      url?: string;
      speed?: number;
      verify?: boolean;
      startPaused?: boolean;
    }) => {
      deps.record('session.replay')(input);
      const s = get(input.name);
      if (!s) return missing(input.name);
      if (s.error) return fail(ErrorCodes.FILE, s.error);
      const conn = deps.openConnection(input.url ?? s.header.url);
      const replayId = `replay-${nextReplay++}`;
      const queue = s.entries.filter((e) => e.view.dir === 'out').map((e) => e.view.preview);
      const verify = input.verify ?? false;
      replays.set(replayId, {
        connectionId: conn.connectionId,
        queue,
        report: {
          url: conn.url,
          connectionId: conn.connectionId,
          done: false,
          ok: false,
          speed: input.speed ?? 1,
          verify,
          toSend: queue.length,
          sent: 0,
          expected: verify ? queue.length : 0,
          compared: 0,
          matched: 0,
          mismatches: [],
          deviationsMs: [],
          paused: input.startPaused ?? false,
        },
      });
      if (!input.startPaused) setTimeout(() => commands.replayControl({ replayId, action: 'resume' }), 5);
      return ok({ replayId, connectionId: conn.connectionId });
    },
    replayStatus: async (input: { replayId: string }) => {
      const r = replays.get(input.replayId);
      return r ? ok(r.report) : fail(ErrorCodes.NOT_FOUND, `No replay "${input.replayId}".`);
    },
    replayControl: async (input: { replayId: string; action: ReplayAction }) => {
      deps.record('session.replayControl')(input);
      const r = replays.get(input.replayId);
      if (!r) return fail(ErrorCodes.NOT_FOUND, `No replay "${input.replayId}".`);
      if (r.report.done) {
        return input.action === 'stop'
          ? ok(r.report)
          : fail(ErrorCodes.INVALID_STATE, `Replay ${input.replayId} has finished.`);
      }
      if (input.action === 'pause') r.report = { ...r.report, paused: true };
      else if (input.action === 'step') {
        r.report = { ...r.report, paused: true };
        sendNext(input.replayId);
      } else if (input.action === 'stop') {
        r.report = { ...r.report, done: true, ok: false, stopped: true, paused: false };
      } else {
        r.report = { ...r.report, paused: false };
        while (!r.report.done && !r.report.paused) sendNext(input.replayId);
      }
      progress(input.replayId);
      return ok(r.report);
    },
  };
  /** The text messages of a session file, in order (undefined when there is no such file). */
  const messages = (name: string) =>
    files.get(name)?.entries.map((e) => ({ dir: e.view.dir, text: e.view.preview }));
  return { add, commands, messages };
}
