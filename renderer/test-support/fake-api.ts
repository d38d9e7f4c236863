/**
 * An in-memory WorkbenchApi for component tests. Test support only: nothing
 * under renderer/src imports it, so it stays out of the built UI. It keeps the contract's shapes and rules (ready states, close
 * code checks, log paging, payload ranges) but opens no sockets: a
 * connection echoes what it is sent, a server has no real clients.
 */
import { eventNames, type WorkbenchApi } from '../../app/api.js';
import type {
  ConnectOptions,
  ConnectionInfo,
  Direction,
  EventName,
  EventPayloads,
  KindCounts,
  LogEntryView,
  LogFilter,
  LiveConnection,
  LogKind,
  MessageTemplate,
  Payload,
  Result,
  SavedConnection,
  ServerClientInfo,
  ServerInfo,
  SessionSummary,
} from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { bytesToHex, utf8Decode, utf8Encode } from '../../app/payload/codecs.js';
import { encodeSeqRuns } from '../../app/log/seq-runs.js';
import { checkCloseArgs, clientCloseRule } from '../../app/websocket-rules.js';
import { binaryLogKinds, harNameOf, withSessionExt } from '../../app/vocabulary.js';
import { compileViewFilter } from '../../app/log/log-filter.js';
import { createFakeMocks } from './fake-mocks.js';
import { createFakeSessions, type FakeSessionInput } from './fake-sessions.js';
import { createFakeFlows } from './fake-flows.js';
import { createFakeVariables, type VariableChoice } from './fake-variables.js';

const EMPTY = new Uint8Array(0);

interface FakeEntry {
  view: LogEntryView;
  data: Uint8Array;
}

class FakeLog {
  entries: FakeEntry[] = [];
  firstSeq = 1;
  nextSeq = 1;
  /** Entries made by `fill`: generated on read, so a million cost no memory. */
  virtual = 0;

  get lastSeq(): number {
    return this.nextSeq - 1 + this.virtual;
  }

  append(dir: Direction, kind: LogKind, data: Uint8Array, extra: Partial<LogEntryView> = {}): FakeEntry {
    const seq = this.lastSeq + 1;
    this.nextSeq = seq + 1 - this.virtual;
    const text = !binaryLogKinds.includes(kind);
    const view: LogEntryView = {
      seq,
      t: Date.now(),
      dir,
      kind,
      size: data.byteLength,
      preview: text ? utf8Decode(data.subarray(0, 2048)) : bytesToHex(data.subarray(0, 64), ' '),
      truncated: text ? data.byteLength > 2048 : data.byteLength > 64,
      ...extra,
    };
    const entry = { view, data };
    this.entries.push(entry);
    return entry;
  }

  get(seq: number): FakeEntry | undefined {
    if (seq >= this.firstSeq && seq <= this.virtual) return virtualEntry(seq);
    return this.entries.find((e) => e.view.seq === seq);
  }

  read(fromSeq: number, count: number, filter?: LogFilter): LogEntryView[] {
    const out: LogEntryView[] = [];
    for (let seq = Math.max(fromSeq, this.firstSeq); seq <= this.lastSeq && out.length < count; seq++) {
      const e = this.get(seq);
      if (e && matches(e.view, filter)) out.push(e.view);
    }
    return out;
  }
}

function virtualEntry(seq: number): FakeEntry {
  const text = `{"seq":${seq},"price":${(seq * 1.37).toFixed(2)},"symbol":"DUPX"}`;
  const data = utf8Encode(text);
  return {
    data,
    view: {
      seq,
      t: 1_700_000_000_000 + seq * 5,
      dir: seq % 3 === 0 ? 'out' : 'in',
      kind: 'text',
      size: data.byteLength,
      preview: text,
      truncated: false,
    },
  };
}

/** The engine's filter, over the fake's entries (their previews are their whole payloads here). */
function matches(v: LogEntryView, f?: LogFilter): boolean {
  return !f || compileViewFilter(f)(v);
}

/** Entries of each kind, as the engine counts them (generated entries are text). */
function kindCountsOf(log: FakeLog): KindCounts {
  const counts: KindCounts = log.virtual > 0 ? { text: log.virtual - log.firstSeq + 1 } : {};
  for (const e of log.entries) counts[e.view.kind] = (counts[e.view.kind] ?? 0) + 1;
  return counts;
}

export interface FakeApi extends WorkbenchApi {
  /** Every command call, for assertions: [name, input]. */
  readonly calls: [string, unknown][];
  /** Puts a flow file in the fake workspace (not checked: a bad one lists with its error). */
  addFlow(name: string, text: string): void;
  /** Emits an event to the UI's listeners. */
  emit<E extends EventName>(name: E, payload: EventPayloads[E]): void;
  /** Makes a log hold `count` generated text entries (no memory per entry). */
  fillLog(logId: string, count: number): void;
  /** Appends one entry to a log and emits it. */
  appendEntry(logId: string, dir: Direction, payload: Payload): LogEntryView;
  /** Appends an entry of any kind (ping, close, info…) with its details, and emits it. */
  appendEvent(
    logId: string,
    dir: Direction,
    kind: LogKind,
    extra?: Partial<LogEntryView>,
    text?: string,
  ): LogEntryView;
  /** Adds a session file to the workspace (one with `error` fails to open, like a corrupt file). */
  addSession(name: string, session: FakeSessionInput): void;
  /** Puts a mock file into the workspace without checking it (a file written by hand). */
  addMock(name: string, text: string): void;
  /**
   * A client message to a running mock (the fake has no sockets): logged, answered by the rule
   * it matches (the answer logged with the rule's name), counted in the hits, which are emitted.
   */
  deliverToMock(serverId: string, clientId: string, payload: Payload): void;
  /** While `hold` is set, sends queue in bufferedAmount; release() drains it to 0. */
  readonly drain: { hold: boolean; release(): void };
}

/** Builds a fake; `latencyMs` delays responses a little, like a real transport. */
export function createFakeApi(options: { latencyMs?: number; launchEnvironment?: string } = {}): FakeApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const logs = new Map<string, FakeLog>();
  const connections = new Map<string, ConnectionInfo>();
  /** The request each connection was opened with (live.list shows it). */
  const requests = new Map<string, Omit<LiveConnection, 'info'>>();
  const servers = new Map<string, ServerInfo>();
  const saved = new Map<string, SavedConnection>();
  const templates = new Map<string, MessageTemplate>();
  const sessions: SessionSummary[] = [];
  const calls: [string, unknown][] = [];
  let nextId = 1;

  const emit = (name: string, payload: unknown): void => {
    for (const l of listeners.get(name) ?? []) l(payload);
  };
  const ok = async <T>(value: T): Promise<Result<T>> => {
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    return { ok: true, value };
  };
  const fail = async <T>(
    code: ErrorInfo['code'],
    message: string,
    details?: Record<string, unknown>,
  ): Promise<Result<T>> => ({
    ok: false,
    error: details ? { code, message, details } : { code, message },
  });
  const noConnection = <T>(id: string) =>
    fail<T>(ErrorCodes.NOT_FOUND, `No connection with id "${id}"; it may have been removed.`);
  const badName = (name: string) =>
    name.trim() === '' ? fail<never>(ErrorCodes.INVALID_INPUT, 'name: a name cannot be empty.') : undefined;
  const logOf = (logId: string): FakeLog => {
    let log = logs.get(logId);
    if (!log) logs.set(logId, (log = new FakeLog()));
    return log;
  };
  const appendAndEmit = (logId: string, dir: Direction, kind: LogKind, data: Uint8Array, extra = {}) => {
    const log = logOf(logId);
    const entry = log.append(dir, kind, data, extra);
    emit('log.appended', {
      logId,
      entries: [entry.view],
      firstSeq: log.firstSeq,
      lastSeq: log.lastSeq,
      kindCounts: kindCountsOf(log),
    });
    return entry.view;
  };
  const payloadBytes = (p: Payload): Uint8Array => (p.type === 'text' ? utf8Encode(p.text) : p.data);
  const setState = (info: ConnectionInfo): ConnectionInfo => {
    connections.set(info.connectionId, info);
    emit('connection.state', info);
    return info;
  };
  const now = () => new Date().toISOString();
  const record = (name: string) => (input: unknown) => {
    calls.push([name, input]);
  };
  const fakeSessions = createFakeSessions({
    sessions,
    record,
    emit,
    openConnection: (url) => {
      const info = setState({
        connectionId: `conn-${nextId++}`,
        url,
        readyState: 1,
        protocol: '',
        extensions: '',
        bufferedAmount: 0,
        attempt: 0,
      });
      logOf(info.connectionId);
      appendAndEmit(info.connectionId, 'none', 'info', EMPTY, { note: `connecting to ${url}` });
      appendAndEmit(info.connectionId, 'none', 'open', EMPTY, { note: 'open' });
      return info;
    },
    send: (connectionId, text) => {
      appendAndEmit(connectionId, 'out', 'text', utf8Encode(text));
      appendAndEmit(connectionId, 'in', 'text', utf8Encode(text));
    },
  });

  const addServer = (info: Omit<ServerInfo, 'serverId' | 'url'>): ServerInfo => {
    const serverId = `server-${nextId++}`;
    const port = info.port || 40000 + nextId;
    const scheme = info.tls ? 'wss' : 'ws';
    const server: ServerInfo = { ...info, serverId, port, url: `${scheme}://127.0.0.1:${port}${info.path}` };
    servers.set(serverId, server);
    logOf(serverId);
    appendAndEmit(serverId, 'none', 'info', utf8Encode(`Listening on ${server.url}`));
    emit('server.state', server);
    return server;
  };
  const fakeMocks = createFakeMocks({
    record,
    emit,
    addServer,
    server: (id) => servers.get(id),
    append: (serverId, dir, payload, extra) =>
      appendAndEmit(serverId, dir, payload.type === 'text' ? 'text' : 'binary', payloadBytes(payload), extra),
    sessionMessages: (name) => fakeSessions.messages(name),
  });

  /** Tests hold the send buffer (bufferedAmount grows with each send) and release it (back to 0). */
  const drain = {
    hold: false,
    held: new Set<string>(),
    release(): void {
      drain.hold = false;
      for (const id of drain.held) {
        const c = connections.get(id);
        if (c) setState({ ...c, bufferedAmount: 0 });
      }
      drain.held.clear();
    },
  };

  const fakeFlows = createFakeFlows({
    record,
    emit,
    ok,
    fail,
    open: async (url) => {
      const r = await api.connection.open({ url });
      return r.ok ? r.value.connectionId : '';
    },
    send: async (connectionId, text) =>
      (await api.connection.send({ connectionId, payload: { type: 'text', text } })).ok,
    received: (connectionId) => {
      const info = connections.get(connectionId);
      return {
        texts: logOf(connectionId)
          .read(1, Number.MAX_SAFE_INTEGER)
          .filter((e) => e.dir === 'in' && e.kind === 'text')
          .map((e) => e.preview),
        open: info?.readyState === 1 ? true : info?.readyState === 3 ? false : undefined,
      };
    },
  });
  const fakeVariables = createFakeVariables({
    record,
    emit,
    launchEnvironment: options.launchEnvironment,
  });
  /** The variables each connection was opened with; its sends resolve `{{name}}` with them. */
  const choiceOf = new Map<string, VariableChoice>();

  const api = {
    ...fakeVariables.api,
    flow: fakeFlows.commands,
    connection: {
      open: async (input: ConnectOptions & { savedConnectionId?: string } & VariableChoice) => {
        record('connection.open')(input);
        const { savedConnectionId, environment, vars, ...typed } = input;
        const choice = { environment, vars };
        const resolved = resolveOptions(typed, (text, where) => fakeVariables.render(text, choice, where));
        if ('code' in resolved)
          return fail<ConnectionInfo>(resolved.code, resolved.message, resolved.details);
        const options = resolved;
        const connectionId = `conn-${nextId++}`;
        // live.list shows the request as typed ({{name}} kept), as the engine does.
        requests.set(connectionId, {
          options: typed,
          ...(environment !== undefined ? { environment } : {}),
          ...(savedConnectionId ? { savedConnectionId } : {}),
        });
        choiceOf.set(connectionId, choice);
        const info: ConnectionInfo = {
          connectionId,
          url: options.url,
          readyState: 0,
          protocol: '',
          extensions: '',
          bufferedAmount: 0,
          attempt: 0,
          request: fakeRequest(options),
        };
        connections.set(connectionId, info);
        logOf(connectionId);
        appendAndEmit(connectionId, 'none', 'info', EMPTY, { note: `connecting to ${options.url}` });
        if (options.url.includes('/reject')) {
          setTimeout(() => {
            const error = {
              code: ErrorCodes.HANDSHAKE_REJECTED,
              message: 'The server answered 401 Unauthorized.',
            };
            setState({
              ...info,
              readyState: 3,
              handshake: { status: 401, headers: { 'content-type': 'text/plain' }, body: 'missing token' },
              closeCode: 1006,
              closeReason: '',
              wasClean: false,
              error,
            });
            appendAndEmit(connectionId, 'none', 'error', utf8Encode(error.message));
          }, 5);
          return ok(info);
        }
        setTimeout(() => {
          setState({
            ...info,
            readyState: 1,
            handshake: { status: 101, headers: { upgrade: 'websocket', connection: 'Upgrade' } },
          });
          appendAndEmit(connectionId, 'none', 'open', EMPTY, { note: 'open' });
        }, 5);
        return ok(info);
      },
      send: async (input: { connectionId: string; payload: Payload; raw?: boolean }) => {
        record('connection.send')(input);
        const c = connections.get(input.connectionId);
        if (!c) return noConnection(input.connectionId);
        if (c.readyState !== 1) return fail(ErrorCodes.INVALID_STATE, 'The connection is not open.');
        let payload = input.payload;
        if (payload.type === 'text' && !input.raw && payload.text.includes('{{')) {
          const r = fakeVariables.render(payload.text, choiceOf.get(input.connectionId) ?? {}, 'the message');
          if ('code' in r) return fail<{ seq: number }>(r.code, r.message, r.details);
          payload = { type: 'text', text: r.text };
        }
        const data = payloadBytes(payload);
        const kind = input.payload.type === 'text' ? 'text' : 'binary';
        const out = appendAndEmit(input.connectionId, 'out', kind, data);
        if (drain.hold) {
          // A send buffer that fills and drains, as the engine reports it (connection.state).
          setState({ ...c, bufferedAmount: c.bufferedAmount + data.byteLength });
          drain.held.add(input.connectionId);
        }
        setTimeout(() => appendAndEmit(input.connectionId, 'in', kind, data), 2);
        return ok({ seq: out.seq });
      },
      ping: async (input: { connectionId: string }) => {
        record('connection.ping')(input);
        const c = connections.get(input.connectionId);
        if (!c) return noConnection(input.connectionId);
        if (c.readyState !== 1) return fail(ErrorCodes.INVALID_STATE, 'The connection is not open.');
        const out = appendAndEmit(input.connectionId, 'out', 'ping', new Uint8Array());
        setTimeout(() => appendAndEmit(input.connectionId, 'in', 'pong', new Uint8Array()), 2);
        return ok({ seq: out.seq });
      },
      close: async (input: {
        connectionId: string;
        code?: number;
        reason?: string;
        allowWireCodes?: boolean;
      }) => {
        record('connection.close')(input);
        const c = connections.get(input.connectionId);
        if (!c) return noConnection(input.connectionId);
        const bad = checkCloseArgs(input.code, input.reason, clientCloseRule(input.allowWireCodes));
        if (bad) return fail(bad.code, bad.message);
        const closing = setState({ ...c, readyState: 2 });
        // The closing handshake: our close frame, then the peer's echo of it.
        const frame = { code: input.code ?? 1005, reason: input.reason ?? '' };
        appendAndEmit(input.connectionId, 'out', 'close', utf8Encode(frame.reason), frame);
        setTimeout(() => {
          appendAndEmit(input.connectionId, 'in', 'close', utf8Encode(frame.reason), frame);
          setState({
            ...closing,
            readyState: 3,
            closeCode: frame.code,
            closeReason: frame.reason,
            wasClean: true,
          });
        }, 5);
        return ok(closing);
      },
      reconnect: async (input: { connectionId: string }) => {
        record('connection.reconnect')(input);
        const c = connections.get(input.connectionId);
        if (!c) return noConnection(input.connectionId);
        if (c.readyState !== 3) return fail(ErrorCodes.INVALID_STATE, 'The connection is not CLOSED.');
        const { closeCode: _code, closeReason: _reason, wasClean: _clean, error: _error, ...rest } = c;
        const info = setState({ ...rest, readyState: 0, attempt: 0 });
        appendAndEmit(input.connectionId, 'none', 'info', EMPTY, { note: 'reconnecting' });
        appendAndEmit(input.connectionId, 'none', 'info', EMPTY, { note: `connecting to ${info.url}` });
        setTimeout(() => {
          setState({ ...info, readyState: 1 });
          appendAndEmit(input.connectionId, 'none', 'open', EMPTY, { note: 'open' });
        }, 5);
        return ok(info);
      },
      remove: async (input: { connectionId: string }) => {
        record('connection.remove')(input);
        if (!connections.delete(input.connectionId)) return noConnection(input.connectionId);
        logs.delete(input.connectionId);
        requests.delete(input.connectionId);
        emit('connection.removed', { connectionId: input.connectionId });
        return ok({ removed: true });
      },
      get: async (input: { connectionId: string }) => {
        const c = connections.get(input.connectionId);
        return c ? ok(c) : noConnection(input.connectionId);
      },
      list: async () => ok([...connections.values()]),
    },
    server: {
      start: async (input: { port?: number; path?: string; echo?: boolean; protocols?: string[] }) => {
        record('server.start')(input);
        const serverId = `server-${nextId++}`;
        const port = input.port || 40000 + nextId;
        const path = input.path ?? '/';
        const info: ServerInfo = {
          serverId,
          url: `ws://127.0.0.1:${port}${path}`,
          host: '127.0.0.1',
          port,
          path,
          protocols: input.protocols ?? [],
          echo: input.echo ?? true,
          behaviours: [input.echo === false ? 'manual' : 'echo'],
          running: true,
          clientCount: 0,
        };
        servers.set(serverId, info);
        logOf(serverId);
        appendAndEmit(serverId, 'none', 'info', utf8Encode(`Listening on ${info.url}`));
        return ok(info);
      },
      stop: async (input: { serverId: string }) => {
        record('server.stop')(input);
        const s = servers.get(input.serverId);
        if (!s) return fail(ErrorCodes.NOT_FOUND, 'No such server.');
        const stopped = { ...s, running: false, clientCount: 0 };
        servers.set(s.serverId, stopped);
        emit('server.state', stopped);
        return ok(stopped);
      },
      get: async (input: { serverId: string }) => {
        const s = servers.get(input.serverId);
        return s ? ok(s) : fail(ErrorCodes.NOT_FOUND, 'No such server.');
      },
      list: async () => ok([...servers.values()]),
      clients: async () => ok([] as ServerClientInfo[]),
      send: async (input: { serverId: string; clientId: string; payload: Payload }) => {
        record('server.send')(input);
        const kind = input.payload.type === 'text' ? 'text' : 'binary';
        const v = appendAndEmit(input.serverId, 'out', kind, payloadBytes(input.payload), {
          clientId: input.clientId,
        });
        return ok({ seq: v.seq });
      },
      broadcast: async (input: { serverId: string; payload: Payload }) => {
        record('server.broadcast')(input);
        return ok({ sent: 0 });
      },
      closeClient: async (input: { code?: number; reason?: string }) => {
        record('server.closeClient')(input);
        const bad = checkCloseArgs(input.code, input.reason, 'wire');
        return bad ? fail(bad.code, bad.message) : ok({ closed: true });
      },
      terminateClient: async (input: { serverId: string; clientId: string }) => {
        record('server.terminateClient')(input);
        return ok({ terminated: true });
      },
      hits: fakeMocks.commands.hits,
      certificate: fakeMocks.commands.certificate,
    },
    mock: fakeMocks.commands.mock,
    live: {
      list: async () =>
        ok({
          connections: [...connections.values()].map((info) => ({
            ...(requests.get(info.connectionId) ?? { options: { url: info.url } }),
            info,
          })),
          servers: [...servers.values()],
          recordings: [],
        }),
    },
    log: {
      read: async (input: { logId: string; fromSeq?: number; count?: number; filter?: LogFilter }) => {
        record('log.read')(input);
        const log = logOf(input.logId);
        const entries = log.read(input.fromSeq ?? log.firstSeq, input.count ?? 500, input.filter);
        return ok({
          logId: input.logId,
          entries,
          firstSeq: log.firstSeq,
          lastSeq: log.lastSeq,
          kindCounts: kindCountsOf(log),
        });
      },
      match: async (input: { logId: string; filter: LogFilter; fromSeq?: number }) => {
        record('log.match')(input);
        const log = logOf(input.logId);
        const lastSeq = log.lastSeq;
        const seqs = log.read(input.fromSeq ?? log.firstSeq, Infinity, input.filter).map((e) => e.seq);
        return ok({ logId: input.logId, runs: encodeSeqRuns(seqs), firstSeq: log.firstSeq, lastSeq });
      },
      export: async (input: {
        logId: string;
        format: 'session' | 'har';
        filter?: LogFilter;
        name?: string;
      }) => {
        record('log.export')(input);
        const log = logOf(input.logId);
        const entries = log.read(log.firstSeq, Infinity, input.filter);
        if (entries.length === 0) return fail(ErrorCodes.INVALID_STATE, 'No entries pass the filter.');
        if (input.format === 'har') {
          const har = JSON.stringify({
            log: { entries: [{ _webSocketMessages: entries.map((e) => e.preview) }] },
          });
          return ok({
            format: 'har' as const,
            fileName: harNameOf(input.name ?? input.logId),
            har,
            entries: entries.length,
          });
        }
        const name = withSessionExt(input.name ?? input.logId);
        const session = { name, path: `/fake/sessions/${name}`, size: 0, modifiedAt: Date.now() };
        sessions.push(session);
        return ok({ format: 'session' as const, session, entries: entries.length });
      },
      payload: async (input: { logId: string; seq: number; offset?: number; length?: number }) => {
        record('log.payload')(input);
        const e = logOf(input.logId).get(input.seq);
        if (!e) return fail(ErrorCodes.NOT_FOUND, `Entry ${input.seq} is not in the log.`);
        const from = Math.min(input.offset ?? 0, e.data.byteLength);
        const data = e.data.slice(from, from + (input.length ?? 64 * 1024));
        return ok({ seq: input.seq, size: e.data.byteLength, offset: from, data });
      },
      clear: async (input: { logId: string }) => {
        record('log.clear')(input);
        const log = logOf(input.logId);
        log.firstSeq = log.lastSeq + 1;
        log.entries = [];
        emit('log.cleared', { logId: input.logId });
        return ok({ cleared: true });
      },
    },
    savedConnection: {
      list: async () => ok([...saved.values()]),
      save: async (input: { id?: string; name: string; options: SavedConnection['options'] }) => {
        record('savedConnection.save')(input);
        const bad = badName(input.name);
        if (bad) return bad;
        const prev = input.id ? saved.get(input.id) : undefined;
        if (input.id && !prev) return fail(ErrorCodes.NOT_FOUND, `No saved connection "${input.id}".`);
        const s: SavedConnection = {
          id: prev?.id ?? `saved-${nextId++}`,
          name: input.name.trim(),
          options: input.options,
          createdAt: prev?.createdAt ?? now(),
          updatedAt: now(),
        };
        saved.set(s.id, s);
        return ok(s);
      },
      rename: async (input: { id: string; name: string }) => {
        record('savedConnection.rename')(input);
        const bad = badName(input.name);
        if (bad) return bad;
        const s = saved.get(input.id);
        if (!s) return fail(ErrorCodes.NOT_FOUND, 'No such saved connection.');
        const renamed = { ...s, name: input.name.trim(), updatedAt: now() };
        saved.set(s.id, renamed);
        return ok(renamed);
      },
      duplicate: async (input: { id: string; name?: string }) => {
        record('savedConnection.duplicate')(input);
        const s = saved.get(input.id);
        if (!s) return fail(ErrorCodes.NOT_FOUND, 'No such saved connection.');
        const copy = { ...s, id: `saved-${nextId++}`, name: input.name ?? `${s.name} copy` };
        saved.set(copy.id, copy);
        for (const t of [...templates.values()].filter((t) => t.savedConnectionId === s.id)) {
          const id = `tpl-${nextId++}`;
          templates.set(id, { ...t, id, savedConnectionId: copy.id });
        }
        return ok(copy);
      },
      delete: async (input: { id: string }) => {
        record('savedConnection.delete')(input);
        if (!saved.delete(input.id)) return fail(ErrorCodes.NOT_FOUND, 'No such saved connection.');
        return ok({ deleted: true });
      },
    },
    session: {
      list: async () => ok(sessions),
      recordStart: async (input: { logId: string }) => {
        record('session.recordStart')(input);
        return ok({
          logId: input.logId,
          name: withSessionExt(input.logId),
          path: '',
          startedAt: Date.now(),
          entries: 0,
          recording: true,
        });
      },
      recordStop: async (input: { logId: string }) => {
        record('session.recordStop')(input);
        const name = withSessionExt(input.logId);
        const messages = logOf(input.logId)
          .read(1, Number.MAX_SAFE_INTEGER)
          .filter((e) => e.kind === 'text' && e.dir !== 'none')
          .map((e) => ({ dir: e.dir, text: e.preview }));
        const url = connections.get(input.logId)?.url ?? servers.get(input.logId)?.url ?? '';
        fakeSessions.add(name, { url, role: servers.has(input.logId) ? 'server' : 'client', messages });
        return ok({
          logId: input.logId,
          name,
          path: '',
          startedAt: Date.now(),
          entries: 0,
          recording: false,
        });
      },
      ...fakeSessions.commands,
    },
    template: {
      // The engine's rule: the connection's own first, then the workspace-wide ones
      // (a template whose connection is gone counts as workspace-wide).
      list: async (input: { savedConnectionId?: string }) => {
        const all = [...templates.values()];
        const isOwn = (t: MessageTemplate): boolean =>
          input.savedConnectionId !== undefined && t.savedConnectionId === input.savedConnectionId;
        const isShared = (t: MessageTemplate): boolean =>
          !isOwn(t) && (t.savedConnectionId === undefined || !saved.has(t.savedConnectionId));
        return ok([...all.filter(isOwn), ...all.filter(isShared)]);
      },
      save: async (input: { id?: string; name: string; savedConnectionId?: string; payload: Payload }) => {
        record('template.save')(input);
        const t: MessageTemplate = {
          id: input.id ?? `tpl-${nextId++}`,
          name: input.name,
          payload: input.payload,
          createdAt: now(),
          updatedAt: now(),
          ...(input.savedConnectionId ? { savedConnectionId: input.savedConnectionId } : {}),
        };
        templates.set(t.id, t);
        return ok(t);
      },
      delete: async (input: { id: string }) => ok({ deleted: templates.delete(input.id) }),
    },
  };

  const on: Record<string, (l: (p: unknown) => void) => () => void> = {};
  for (const name of eventNames) {
    on[name] = (l) => {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(l);
      return () => set.delete(l);
    };
  }

  return {
    ...(api as unknown as WorkbenchApi),
    on: on as unknown as WorkbenchApi['on'],
    calls,
    emit: (name, payload) => emit(name, payload),
    fillLog: (logId, count) => {
      const log = logOf(logId);
      log.virtual = count;
      log.nextSeq = 1;
      log.entries = [];
      emit('log.appended', { logId, entries: [], firstSeq: 1, lastSeq: count });
    },
    addSession: (name, session) => fakeSessions.add(name, session),
    addMock: (name, text) => fakeMocks.add(name, text),
    deliverToMock: (serverId, clientId, payload) => void fakeMocks.deliver(serverId, clientId, payload),
    addFlow: (name, text) => void fakeFlows.add(name, text),
    drain,
    appendEntry: (logId, dir, payload) =>
      appendAndEmit(logId, dir, payload.type === 'text' ? 'text' : 'binary', payloadBytes(payload)),
    appendEvent: (logId, dir, kind, extra = {}, text = '') =>
      appendAndEmit(logId, dir, kind, utf8Encode(text), extra),
  };
}

/** Options with `{{name}}` resolved in URL, headers, origin and subprotocols, as the engine's preparation step does. */
function resolveOptions(
  o: ConnectOptions,
  render: (text: string, where: string) => { text: string } | ErrorInfo,
): ConnectOptions | ErrorInfo {
  const out: ConnectOptions = { ...o };
  const one = (text: string, where: string): string => {
    const r = render(text, where);
    if ('code' in r) throw r;
    return r.text;
  };
  try {
    out.url = one(o.url, 'the URL');
    if (o.headers)
      out.headers = Object.fromEntries(Object.entries(o.headers).map(([k, v]) => [k, one(v, `header ${k}`)]));
    if (o.origin !== undefined) out.origin = one(o.origin, 'the origin');
    if (o.protocols) out.protocols = o.protocols.map((p, i) => one(p, `subprotocol ${i + 1}`));
  } catch (err) {
    return err as ErrorInfo;
  }
  return out;
}

/** The upgrade request a client sends for these options (the engine reads it off the real request). */
function fakeRequest(o: ConnectOptions): NonNullable<ConnectionInfo['request']> {
  const url = new URL(o.url);
  const headers: Record<string, string> = {
    Host: url.host,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...o.headers,
  };
  if (o.protocols?.length) headers['Sec-WebSocket-Protocol'] = o.protocols.join(',');
  if (o.origin) headers['Origin'] = o.origin;
  return {
    method: 'GET',
    url: o.url,
    headers,
    protocols: o.protocols ?? [],
    ...(o.origin ? { origin: o.origin } : {}),
  };
}
