/**
 * The engine: owns client connections and mock servers, answers every command
 * of the contract (validating its input first), and publishes contract events
 * in batches — at most one batch per flush interval, however fast frames
 * arrive — so transports never send one message per WebSocket frame.
 */
import type { z } from 'zod';
import {
  commands,
  localCommands,
  type AnyCommandName,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type ConnectOptions,
  type CommandSchema,
  type EventName,
  type EventPayloads,
  type LiveState,
  type LogEntryView,
  type Result,
  type RuleIssueParams,
  type WorkspacePart,
} from './contract.js';
import { DuplexError, ErrorCodes, throwFailures, toErrorInfo, type ErrorCode } from './errors.js';
import { ClientConnection, type RefreshOptions } from './connections/client-connection.js';
import { MockServer, type MockServerSetup } from './server/mock-server.js';
import { EngineMocks } from './server/engine-mocks.js';
import { MessageLog, toEntryView } from './log/message-log.js';
import { encodeSeqRuns } from './log/seq-runs.js';
import { clientCloseRule, ReadyState } from './websocket-rules.js';
import { Workspace } from './workspace/workspace.js';
import { EngineSessions } from './sessions/engine-sessions.js';
import { localHandlers } from './local-commands.js';
import { EngineFlows } from './flows/engine-flows.js';
import { EngineVariables, type VariableChoiceInput } from './variables/engine-variables.js';
import { LocalSecretSource } from './variables/local-secrets.js';
import { hasVariables } from './variables/prepare.js';
import type { SecretSource } from './variables/variable-set.js';

/** The transports' commands and the local ones, for Engine.call. */
const commandTable: Record<string, { input: z.ZodType }> = { ...commands, ...localCommands };

export type EngineEvent = { [E in EventName]: { name: E; payload: EventPayloads[E] } }[EventName];
export type BatchListener = (events: EngineEvent[]) => void;

export interface EngineOptions {
  /** Flush interval of event batches, ms (default 16). */
  flushMs?: number;
  /** Newest entries per log carried by one batch; older ones are read with log.read. */
  maxEntriesPerBatch?: number;
  /** Folder of saved connections, templates and sessions; workspace commands fail without it. */
  workspaceDir?: string;
  /** Where secret values live: safeStorage in the app; DUPLEX_SECRET_<NAME> then <workspace>/secrets.local.json otherwise. */
  secrets?: SecretSource;
  /**
   * What `duplex ui --env NAME --var k=v` chose: the environment the UI's request bar
   * starts on (env.launch), and values laid under every resolution's own `vars`.
   */
  launch?: VariableChoiceInput;
}

export type Handler<K extends AnyCommandName> = (
  input: z.output<CommandSchema<K>>,
) => CommandOutput<K> | Promise<CommandOutput<K>>;

export class Engine {
  readonly connections = new Map<string, ClientConnection>();
  readonly servers = new Map<string, MockServer>();
  /** The saved connection each connection was opened from, when its front end said. */
  readonly #savedConnectionOf = new Map<string, string>();
  /** Removed connections still finishing their closing handshake. */
  readonly #closing = new Set<ClientConnection>();
  readonly #logs = new Map<string, MessageLog>();
  readonly #watched = new Map<string, WatchedLog>();
  readonly #listeners = new Set<BatchListener>();
  readonly #flushMs: number;
  readonly #maxEntries: number;
  /** Logs with entries not yet published, by id; entries are read from the log by seq range at flush. */
  #dirtyLogs: WatchedLog[] = [];
  /** Published state events, or functions that make them at flush (state that changes per frame). */
  #pendingState = new Map<string, EngineEvent | (() => EngineEvent)>();
  #flushTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  readonly #workspace: Workspace | undefined;
  readonly #secrets: SecretSource | undefined;
  readonly #launch: VariableChoiceInput;
  /** Sends of a connection still being rendered: later sends wait for them, so order is kept. */
  readonly #sendQueue = new Map<string, Promise<unknown>>();

  constructor(options: EngineOptions = {}) {
    this.#flushMs = options.flushMs ?? 16;
    this.#maxEntries = options.maxEntriesPerBatch ?? 500;
    this.#workspace = options.workspaceDir === undefined ? undefined : new Workspace(options.workspaceDir);
    this.#secrets =
      options.secrets ??
      (options.workspaceDir === undefined ? undefined : new LocalSecretSource(options.workspaceDir));
    this.#launch = options.launch ?? {};
  }

  /** Environments, secrets, and the variables each connection resolves `{{name}}` with (app/variables/). */
  readonly variables = new EngineVariables({
    workspaceDir: () => this.workspace().dir,
    hasWorkspace: () => this.#workspace !== undefined,
    launch: () => this.#launch,
    secrets: () => {
      if (this.#secrets) return this.#secrets;
      throw new DuplexError(
        ErrorCodes.FILE,
        'No workspace folder is configured, so no secret can be stored.',
      );
    },
  });

  /** Receives batches of events; returns the unsubscribe function. */
  subscribe(listener: BatchListener): () => void {
    if (this.#listeners.size === 0) {
      // Entries logged while nobody listened are not published later (log.read has them).
      // Each log is looked at in the next batch anyway: 'appended' comes once per
      // task, and one that came earlier in this task was ignored.
      for (const w of this.#watched.values()) {
        w.publishedSeq = w.log.lastSeq;
        if (!w.dirty) {
          w.dirty = true;
          this.#dirtyLogs.push(w);
        }
      }
    }
    this.#listeners.add(listener);
    if (this.#dirtyLogs.length > 0) this.#schedule();
    return () => this.#listeners.delete(listener);
  }

  /** Runs a command: validates the input, then returns `{ok, value}` or `{ok:false, error}`. */
  async invoke<K extends CommandName>(
    name: K,
    input: CommandInput<K> | unknown,
  ): Promise<Result<CommandOutput<K>>> {
    try {
      if (!Object.hasOwn(commands, name)) {
        throw new DuplexError(ErrorCodes.INVALID_INPUT, `Unknown command "${String(name)}".`);
      }
      return { ok: true, value: await this.call(name, input) };
    } catch (err) {
      return { ok: false, error: toErrorInfo(err) };
    }
  }

  /**
   * Like invoke, but throws the DuplexError. For in-process callers (CLI, tests),
   * which may also run the local commands (files on this machine).
   */
  async call<K extends AnyCommandName>(name: K, input: CommandInput<K> | unknown): Promise<CommandOutput<K>> {
    const spec = (Object.hasOwn(commandTable, name) ? commandTable[name] : undefined) as
      { input: CommandSchema<K> } | undefined;
    const handler = this.#handlers[name] as Handler<K> | undefined;
    if (!spec || !handler) {
      throw new DuplexError(ErrorCodes.INVALID_INPUT, `Unknown command "${String(name)}".`);
    }
    const parsed = spec.input.safeParse(input ?? {});
    if (!parsed.success) {
      // A rule shared with the UI (close codes) keeps its own error, like the browser's InvalidAccessError.
      const first = parsed.error.issues[0];
      const ruled = first?.code === 'custom' ? ruleError(first.params) : undefined;
      if (ruled) throw new DuplexError(ruled, first!.message);
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || 'input'}: ${i.message}`)
        .join('; ');
      throw new DuplexError(ErrorCodes.INVALID_INPUT, `Invalid input for ${name}: ${issues}.`, {
        issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
      });
    }
    const output = await handler(parsed.data as never);
    const changed = workspaceChanges[name];
    if (changed) this.#workspaceChanged(changed);
    return output;
  }

  /** Stops every server and closes every connection. */
  async dispose(): Promise<void> {
    // Runs first: a run that is stopped closes its connections and its mock.
    await this.flows.dispose();
    for (const c of [...this.connections.values(), ...this.#closing]) c.terminate();
    // Every step runs even when one fails; the failures are reported together at the end.
    const stops = await Promise.allSettled([...this.servers.values()].map((s) => s.stop()));
    // After the stops, so recordings include the closes.
    const recordings = await Promise.allSettled([this.sessions.dispose()]);
    this.#flush();
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    throwFailures([...stops, ...recordings]);
  }

  connection(connectionId: string): ClientConnection {
    const c = this.connections.get(connectionId);
    if (!c) throw notFound('connection', connectionId);
    return c;
  }

  server(serverId: string): MockServer {
    const s = this.servers.get(serverId);
    if (!s) throw notFound('server', serverId);
    return s;
  }

  log(logId: string): MessageLog {
    const l = this.#logs.get(logId);
    if (!l) throw notFound('log', logId);
    return l;
  }

  /** Adds an engine-made connection (used by the CLI, replay and tests). */
  /** `refresh`: fresh options for each reconnect (see RefreshOptions). */
  openConnection(options: ConnectOptions, refresh?: RefreshOptions): ClientConnection {
    const conn = new ClientConnection(`conn-${this.#nextId++}`, options, refresh);
    this.connections.set(conn.id, conn);
    this.#watchLog(conn.id, conn.log);
    // State changes with every send (bufferedAmount): info() is made once per batch, at flush.
    const stateKey = `connection.state:${conn.id}`;
    const stateEvent = (): EngineEvent => ({ name: 'connection.state', payload: conn.info() });
    conn.on('state', () => {
      this.#pendingState.set(stateKey, stateEvent);
      this.#schedule();
    });
    conn.on('error', () => undefined); // errors are logged and reported in state
    conn.connect();
    return conn;
  }

  async startServer(options: CommandInput<'server.start'>, setup: MockServerSetup = {}): Promise<MockServer> {
    const server = new MockServer(`server-${this.#nextId++}`, options, setup);
    await server.start(); // rejects with PORT_IN_USE etc. before being registered
    this.servers.set(server.id, server);
    this.#watchLog(server.id, server.log);
    server.on('clients', () =>
      this.#queueState('server.clients', server.id, { serverId: server.id, clients: server.clients() }),
    );
    server.on('stopped', () => this.#queueState('server.state', server.id, server.info()));
    server.on('behaviour', () => this.#queueState('server.state', server.id, server.info()));
    this.#queueState('server.state', server.id, server.info());
    return server;
  }

  /** Queues the hit counts of a mock server; computed once per batch, however often rules fire. */
  publishHits(server: MockServer): void {
    let made = this.#hitEvents.get(server);
    if (!made) {
      const key = `server.hits:${server.id}`;
      const event = (): EngineEvent => ({ name: 'server.hits', payload: this.mocks.hits(server.id) });
      made = { key, event };
      this.#hitEvents.set(server, made);
    }
    this.#pendingState.set(made.key, made.event);
    this.#schedule();
  }

  /** The per-server key and event maker of publishHits, made once: a rule fires per message. */
  readonly #hitEvents = new WeakMap<MockServer, { key: string; event: () => EngineEvent }>();

  /** Queues a state-like event; a later one with the same key replaces it within a batch (sessions use it). */
  publish<E extends EventName>(name: E, key: string, payload: EventPayloads[E]): void {
    this.#queueState(name, key, payload);
  }

  /** The workspace folder's files; throws when the engine was started without one. */
  workspace(): Workspace {
    if (!this.#workspace) {
      throw new DuplexError(
        ErrorCodes.FILE,
        'No workspace folder is configured, so nothing can be saved. Start Duplex with a workspace (duplex ui --workspace DIR).',
      );
    }
    return this.#workspace;
  }

  /** Recording, session files, HAR import/export and replay (app/sessions/), through a narrow host. */
  readonly sessions = new EngineSessions({
    workspaceDir: () => this.workspace().dir,
    log: (logId) => this.log(logId),
    logSource: (logId) => {
      this.log(logId); // NOT_FOUND for an unknown id
      const conn = this.connections.get(logId);
      const server = this.servers.get(logId);
      return {
        role: server ? 'server' : 'client',
        url: conn?.url ?? server?.url ?? '',
        headers: conn?.options.headers ?? {},
        protocols: conn?.options.protocols ?? server?.protocols ?? [],
      };
    },
    openConnection: (options) => this.openConnection(options),
    redactor: (logId, redact) => this.variables.redactor(logId, redact),
    resolveUrl: (url, choice) => this.variables.resolveUrl(url, choice),
    publish: (name, key, payload) => this.publish(name, key, payload),
  });

  /** Mock files, the rules behaviour, hit counts and certificates (app/server/). */
  readonly mocks = new EngineMocks(this);

  /** Flow files, runs and their reports (app/flows/). */
  readonly flows = new EngineFlows(this);

  readonly #handlers: { [K in AnyCommandName]: Handler<K> } = {
    ...this.sessions.handlers,
    ...localHandlers(this),
    ...this.mocks.handlers,
    ...this.flows.handlers,
    ...this.variables.handlers,
    'connection.open': async ({ savedConnectionId, environment, vars, ...typed }) => {
      const choice = { environment, vars };
      const { options, set } = await this.variables.prepare(typed, choice);
      // Each reconnect resolves {{name}} again, as each send does: values are never frozen at connect.
      const refresh = hasVariables(typed)
        ? async (): Promise<ConnectOptions> => {
            const again = await this.variables.prepare(typed, choice);
            this.variables.track(conn.id, choice, again.set, typed);
            return again.options;
          }
        : undefined;
      const conn = this.openConnection(options, refresh);
      this.variables.track(conn.id, choice, set, typed);
      if (savedConnectionId !== undefined) this.#savedConnectionOf.set(conn.id, savedConnectionId);
      return conn.info();
    },
    'connection.send': ({ connectionId, payload, raw }) => {
      const conn = this.connection(connectionId);
      const pending = this.#sendQueue.get(connectionId);
      if (!pending && !this.variables.needsRender(payload, raw)) return { seq: conn.send(payload).seq };
      const run = (pending ?? Promise.resolve())
        .catch(() => undefined)
        .then(async () => {
          if (!this.variables.needsRender(payload, raw) || payload.type !== 'text') {
            return { seq: this.connection(connectionId).send(payload).seq };
          }
          const made = await this.variables.render(connectionId, payload);
          return { seq: this.connection(connectionId).send(made.payload, { note: made.note }).seq };
        });
      this.#sendQueue.set(connectionId, run);
      void run
        .finally(() => {
          if (this.#sendQueue.get(connectionId) === run) this.#sendQueue.delete(connectionId);
        })
        .catch(() => undefined);
      return run;
    },
    'connection.ping': ({ connectionId, payload }) => ({
      seq: this.connection(connectionId).ping(payload).seq,
    }),
    'connection.close': ({ connectionId, code, reason, allowWireCodes }) => {
      const c = this.connection(connectionId);
      c.close(code, reason, clientCloseRule(allowWireCodes));
      return c.info();
    },
    'connection.reconnect': ({ connectionId }) => this.connection(connectionId).reconnect().info(),
    'connection.remove': async ({ connectionId }) => {
      const c = this.connection(connectionId);
      // A closing handshake under way (Disconnect, or a tab closing) is let finish, so the
      // server's close frame is read rather than cut by a reset; ws ends it within its
      // close timeout, dispose() at the latest. Anything else is dropped now.
      const closing = c.readyState === ReadyState.CLOSING;
      if (!closing) c.terminate();
      c.removeAllListeners();
      // Terminating a CONNECTING socket reports its error on the next tick; with no
      // listener left, EventEmitter would throw it as an uncaught exception.
      c.on('error', () => undefined);
      if (closing) {
        this.#closing.add(c);
        c.once('close', () => this.#closing.delete(c));
      }
      this.connections.delete(connectionId);
      this.#savedConnectionOf.delete(connectionId);
      this.variables.forget(connectionId);
      this.#logs.delete(connectionId);
      this.#watched.delete(connectionId);
      this.#queueState('connection.removed', connectionId, { connectionId });
      // A recording of a connection nobody can reach any more would hold its session file forever.
      // Stopped after the removal, so a recording that failed cannot leave the connection half removed.
      if (this.sessions.isRecording(connectionId)) {
        try {
          await this.sessions.recordStop(connectionId);
        } finally {
          this.#workspaceChanged('sessions');
        }
      }
      return { removed: true };
    },
    'connection.get': ({ connectionId }) => this.connection(connectionId).info(),
    'connection.list': () => [...this.connections.values()].map((c) => c.info()),

    'server.start': async (input) => (await this.startServer(input)).info(),
    'server.stop': async ({ serverId }) => this.server(serverId).stop(),
    'server.get': ({ serverId }) => this.server(serverId).info(),
    'server.list': () => [...this.servers.values()].map((s) => s.info()),
    'server.clients': ({ serverId }) => this.server(serverId).clients(),
    'server.send': ({ serverId, clientId, payload }) => ({
      seq: this.server(serverId).send(clientId, payload).seq,
    }),
    'server.broadcast': ({ serverId, payload }) => ({ sent: this.server(serverId).broadcast(payload) }),
    'server.closeClient': ({ serverId, clientId, code, reason }) => {
      this.server(serverId).closeClient(clientId, code, reason);
      return { closed: true };
    },
    'server.terminateClient': ({ serverId, clientId }) => {
      this.server(serverId).terminateClient(clientId);
      return { terminated: true };
    },

    'live.list': async (): Promise<LiveState> => ({
      // A flow run's connections belong to its flow tab, not to tabs of their own.
      connections: [...this.connections.values()]
        .filter((c) => !this.flows.owns(c.id))
        .map((c) => {
          const savedConnectionId = this.#savedConnectionOf.get(c.id);
          // As typed ({{name}} kept, no secret values): a reloaded window shows the request it ran.
          const typed = this.variables.typed(c.id);
          return {
            info: c.info(),
            options: typed?.options ?? c.options,
            ...(typed?.environment !== undefined ? { environment: typed.environment } : {}),
            ...(savedConnectionId ? { savedConnectionId } : {}),
          };
        }),
      servers: [...this.servers.values()].map((s) => s.info()),
      recordings: await this.sessions.handlers['session.recordings']({}),
    }),

    'log.read': ({ logId, fromSeq, count, filter }) => {
      const log = this.log(logId);
      const entries = log.read(fromSeq ?? log.firstSeq, count ?? 500, filter).map((e) => toEntryView(e));
      return { logId, entries, firstSeq: log.firstSeq, lastSeq: log.lastSeq, kindCounts: log.kindCounts() };
    },
    'log.match': ({ logId, filter, fromSeq }) => {
      const log = this.log(logId);
      const lastSeq = log.lastSeq;
      const runs = encodeSeqRuns(log.match(filter, fromSeq ?? log.firstSeq));
      return {
        logId,
        runs,
        firstSeq: log.firstSeq,
        lastSeq,
      };
    },
    'log.export': ({ logId, format, filter, name, redact }) =>
      this.sessions.exportLog(logId, format, filter, name, redact),
    'log.payload': ({ logId, seq, offset, length }) => {
      const log = this.log(logId);
      const entry = log.get(seq);
      if (!entry) {
        throw new DuplexError(
          ErrorCodes.NOT_FOUND,
          `Entry ${seq} is not in log ${logId} (it holds ${log.firstSeq}–${log.lastSeq}); older entries were dropped to stay within the memory budget.`,
        );
      }
      const from = offset ?? 0;
      return {
        seq,
        size: entry.size,
        offset: from,
        data: log.readPayload(seq, from, length ?? 64 * 1024)!,
      };
    },
    'log.clear': ({ logId }) => {
      this.log(logId).clear();
      return { cleared: true };
    },

    'savedConnection.list': () => this.workspace().listConnections(),
    'savedConnection.save': (input) => this.workspace().saveConnection(input),
    'savedConnection.rename': ({ id, name }) => this.workspace().renameConnection(id, name),
    'savedConnection.duplicate': ({ id, name }) => this.workspace().duplicateConnection(id, name),
    'savedConnection.delete': ({ id }) => this.workspace().deleteConnection(id),
    'template.list': ({ savedConnectionId }) => this.workspace().listTemplates(savedConnectionId),
    'template.save': (input) => this.workspace().saveTemplate(input),
    'template.delete': ({ id }) => this.workspace().deleteTemplate(id),
  };

  #watchLog(logId: string, log: MessageLog): void {
    this.#logs.set(logId, log);
    const watched: WatchedLog = { logId, log, publishedSeq: log.lastSeq, dirty: false };
    this.#watched.set(logId, watched);
    // Per frame: only mark the log dirty (no entry object, no queue); #flush reads the new entries.
    log.on('appended', () => {
      if (watched.dirty || this.#listeners.size === 0) return;
      watched.dirty = true;
      this.#dirtyLogs.push(watched);
      this.#schedule();
    });
    log.on('cleared', () => this.#queueState('log.cleared', logId, { logId }));
  }

  #workspaceChanged(what: WorkspacePart): void {
    this.#queueState('workspace.changed', what, { what });
  }

  #queueState<E extends EventName>(name: E, key: string, payload: EventPayloads[E]): void {
    // Later state of the same thing replaces earlier state within one batch.
    this.#pendingState.set(`${name}:${key}`, { name, payload } as EngineEvent);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#flushTimer || this.#listeners.size === 0) {
      if (this.#listeners.size === 0) {
        for (const watched of this.#dirtyLogs) watched.dirty = false;
        this.#dirtyLogs = [];
        this.#pendingState.clear();
      }
      return;
    }
    this.#flushTimer = setTimeout(() => this.#flush(), this.#flushMs);
  }

  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#dirtyLogs.length === 0 && this.#pendingState.size === 0) return;
    const events: EngineEvent[] = [];
    for (const event of this.#pendingState.values())
      events.push(typeof event === 'function' ? event() : event);
    for (const watched of this.#dirtyLogs) {
      watched.dirty = false;
      const { logId, log } = watched;
      if (this.#watched.get(logId) !== watched) continue; // removed
      // The newest entries since the last batch that the log still holds.
      const from = Math.max(watched.publishedSeq + 1, log.firstSeq, log.lastSeq - this.#maxEntries + 1);
      watched.publishedSeq = log.lastSeq;
      if (from > log.lastSeq) continue;
      const views: LogEntryView[] = log.read(from, this.#maxEntries).map((e) => toEntryView(e));
      events.push({
        name: 'log.appended',
        payload: {
          logId,
          entries: views,
          firstSeq: log.firstSeq,
          lastSeq: log.lastSeq,
          kindCounts: log.kindCounts(),
        },
      });
    }
    this.#dirtyLogs = [];
    this.#pendingState = new Map();
    for (const listener of this.#listeners) listener(events);
  }
}

/** The part of the workspace each command changes when it succeeds; every window reads it again. */
const workspaceChanges: Partial<Record<AnyCommandName, WorkspacePart>> = {
  'savedConnection.save': 'savedConnections',
  'savedConnection.rename': 'savedConnections',
  'savedConnection.duplicate': 'savedConnections',
  'savedConnection.delete': 'savedConnections',
  'template.save': 'templates',
  'template.delete': 'templates',
  'env.save': 'environments',
  'env.delete': 'environments',
  'secret.set': 'environments',
  'secret.clear': 'environments',
  'session.recordStart': 'sessions',
  'session.recordStop': 'sessions',
  'session.rename': 'sessions',
  'session.delete': 'sessions',
  'session.import': 'sessions',
  'log.export': 'sessions',
  'mock.save': 'mocks',
  'mock.delete': 'mocks',
  'mock.fromSession': 'mocks',
  'flow.save': 'flows',
  'flow.delete': 'flows',
  'flow.fromSession': 'flows',
};

/** A log the engine publishes: the last seq sent in a batch. */
interface WatchedLog {
  readonly logId: string;
  readonly log: MessageLog;
  publishedSeq: number;
  /** In #dirtyLogs: appended to since the last batch. */
  dirty: boolean;
}

function ruleError(params: Record<string, unknown> | undefined): ErrorCode | undefined {
  const code = (params as Partial<RuleIssueParams> | undefined)?.errorCode;
  return code !== undefined && Object.values<string>(ErrorCodes).includes(code) ? code : undefined;
}

function notFound(what: string, id: string): DuplexError {
  return new DuplexError(
    ErrorCodes.NOT_FOUND,
    `No ${what} with id "${id}"; it may have been removed. List them again to get current ids.`,
  );
}
