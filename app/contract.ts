/**
 * The one contract between the engine and every front end (Electron IPC, the
 * browser bridge, the CLI, tests): a table of commands (request → response)
 * with a schema for each input, and a table of events (engine → UI).
 *
 * The renderer imports only types from here; the preload and the bridge client
 * import the command and event name lists to build one function per command.
 */
import { z } from 'zod';
import type { DuplexError, ErrorCode, ErrorInfo } from './errors.js';
import {
  checkCloseArgs,
  clientCloseRule,
  parseWebSocketUrl,
  type CloseCodeRule,
  type ReadyState,
} from './websocket-rules.js';
import { directions, flowNameOf, logKinds, mockNameOf, type Direction, type LogKind } from './vocabulary.js';
import {
  environmentNameSchema,
  variableNameSchema,
  type EnvironmentSummary,
} from './variables/environment-format.js';
import type { FlowOutlineStep, FlowRunReport } from './flows/flow-report.js';

export type {
  FlowOutlineStep,
  FlowRunConnection,
  FlowRunReport,
  FlowRunStatus,
  FlowStepResult,
  FlowStepStatus,
} from './flows/flow-report.js';

// ---------------------------------------------------------------------------
// Shared shapes

const id = z.string().min(1).max(200);
const port = z.number().int().min(0).max(65535);
const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header names are HTTP tokens (letters, digits, -)');
const headerValue = z.string().regex(/^[^\r\n\0]*$/, 'header values cannot contain line breaks');
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A subprotocol is an HTTP token; one holding `{{name}}` is checked again once its variables are resolved. */
export function isSubprotocolToken(text: string): boolean {
  return HTTP_TOKEN.test(text);
}
const subprotocol = z
  .string()
  .refine(
    (p) => HTTP_TOKEN.test(p) || p.includes('{{'),
    'subprotocols are HTTP tokens (no spaces or commas)',
  );

export const payloadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('binary'), data: z.instanceof(Uint8Array) }),
]);
export type Payload = z.infer<typeof payloadSchema>;

export { directions, logKinds, type Direction, type LogKind };

/** How a log search reads its text: plain (case-insensitive), a regular expression, or a JSON path filter. */
export const searchModes = ['text', 'regex', 'jsonpath'] as const;
export type SearchMode = (typeof searchModes)[number];

export const logFilterSchema = z.object({
  dir: z.enum(directions).optional(),
  /** Only these kinds (empty or absent: every kind). */
  kinds: z.array(z.enum(logKinds)).optional(),
  /** Not these kinds. */
  hideKinds: z.array(z.enum(logKinds)).optional(),
  search: z.string().max(1000).optional(),
  searchMode: z.enum(searchModes).optional(),
  clientId: id.optional(),
  /** Only these entries (the pinned ones). */
  seqs: z.array(z.number().int().min(1)).max(10_000).optional(),
});
export type LogFilter = z.infer<typeof logFilterSchema>;

export const connectOptionsSchema = z.object({
  url: z.string().min(1).max(8192),
  headers: z.record(headerName, headerValue).optional(),
  origin: headerValue.max(2048).optional(),
  protocols: z.array(subprotocol).max(32).optional(),
  handshakeTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  perMessageDeflate: z.boolean().optional(),
  tls: z
    .object({
      /** Accept self-signed / untrusted certificates. Explicit opt-in. */
      insecure: z.boolean().optional(),
      /** Extra trusted CA certificates, PEM. */
      ca: z.string().max(1_000_000).optional(),
      /** Client certificate (PEM), sent when the server asks for one; goes with `key`. */
      cert: z.string().max(1_000_000).optional(),
      /** Private key of `cert` (PEM). */
      key: z.string().max(1_000_000).optional(),
      /** Client certificate and key as a PKCS#12 (PFX) file, base64. */
      pfx: z
        .string()
        .max(2_000_000)
        .regex(/^[A-Za-z0-9+/=\s]*$/, 'a PFX is given as base64')
        .optional(),
      /** Passphrase of `key` or `pfx`. */
      passphrase: z.string().max(1024).optional(),
    })
    .refine((t) => (t.cert === undefined) === (t.key === undefined), {
      message: 'a client certificate needs both cert and key (PEM), or a PFX instead',
    })
    .refine((t) => t.pfx === undefined || t.cert === undefined, {
      message: 'give a client certificate either as PEM cert + key or as PFX, not both',
    })
    .optional(),
  heartbeat: z
    .object({
      intervalMs: z.number().int().min(100).max(3_600_000),
      timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
    })
    .optional(),
  reconnect: z
    .object({
      maxAttempts: z.number().int().min(1).max(1000),
      initialDelayMs: z.number().int().min(10).max(600_000).optional(),
      maxDelayMs: z.number().int().min(10).max(3_600_000).optional(),
    })
    .optional(),
  logBudgetBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .optional(),
});
export type ConnectOptions = z.infer<typeof connectOptionsSchema>;

export const serverOptionsSchema = z.object({
  host: z.string().min(1).max(255).optional(),
  port: port.optional(),
  path: z
    .string()
    .regex(/^\/[^\s?#]*$/, 'a path starts with / and has no spaces, ? or #')
    .optional(),
  protocols: z.array(subprotocol).max(32).optional(),
  /** Echo every message back to its sender (default true). */
  echo: z.boolean().optional(),
  perMessageDeflate: z.boolean().optional(),
  /** Serve wss://: with a certificate generated for this host, or the user's own PEM files. */
  tls: z
    .union([
      z.strictObject({ selfSigned: z.literal(true) }),
      z.strictObject({ certFile: z.string().min(1).max(4096), keyFile: z.string().min(1).max(4096) }),
    ])
    .optional(),
  logBudgetBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .optional(),
});
export type ServerOptions = z.infer<typeof serverOptionsSchema>;

// ---------------------------------------------------------------------------
// Outputs (plain data)

/** The upgrade request as the client sent it (read from the request object, not rebuilt). */
export interface HandshakeRequest {
  method: string;
  url: string;
  /** Every header on the wire, with the case it was sent in (Host, Sec-WebSocket-Key, …). */
  headers: Record<string, string | string[]>;
  /** Subprotocols offered (Sec-WebSocket-Protocol), in order. */
  protocols: string[];
  origin?: string;
}

export interface HandshakeInfo {
  status: number;
  headers: Record<string, string | string[]>;
  /** Body of a rejected handshake, at most 64 KiB. */
  body?: string;
}

export interface ConnectionInfo {
  connectionId: string;
  url: string;
  readyState: ReadyState;
  protocol: string;
  extensions: string;
  bufferedAmount: number;
  /** The upgrade request of the latest attempt, once it was sent (also when no response came). */
  request?: HandshakeRequest;
  handshake?: HandshakeInfo;
  /** Reconnect attempt currently running (0 = the first connect). */
  attempt: number;
  closeCode?: number;
  closeReason?: string;
  wasClean?: boolean;
  error?: ErrorInfo;
}

export interface ServerClientInfo {
  clientId: string;
  remoteAddress: string;
  remotePort: number;
  path: string;
  headers: Record<string, string | string[]>;
  protocol: string;
  connectedAt: number;
  readyState: ReadyState;
}

export interface ServerInfo {
  serverId: string;
  url: string;
  host: string;
  port: number;
  path: string;
  protocols: string[];
  /** True when the chain echoes what no earlier behaviour answered. */
  echo: boolean;
  /** The behaviours the server runs, first first: rules, recording, echo, manual. */
  behaviours: BehaviourKind[];
  running: boolean;
  clientCount: number;
  /** A wss:// server's certificate: its SHA-256 fingerprint (export it with server.certificate). */
  tls?: { fingerprint: string; selfSigned: boolean };
  /** The mock a rules server runs: its name in the workspace (when started by name) and file. */
  mock?: { name?: string; file: string };
}

export type BehaviourKind = 'rules' | 'recording' | 'echo' | 'manual';

/** How often each rule of a running mock answered, per route. */
export interface RuleHits {
  serverId: string;
  routes: { path: string; rules: { rule: string; hits: number }[]; otherwise: number }[];
}

/** A mock file of the workspace (`mocks/NAME.yaml` or `.json`). */
export interface MockSummary {
  name: string;
  /** Workspace-relative path, e.g. `mocks/chat.yaml`. */
  path: string;
  size: number;
  modifiedAt: string;
  /** The file's first problem, when it does not load (file, line, field in the message). */
  error?: ErrorInfo;
}

/** A flow file of the workspace (`flows/NAME.yaml` or `.json`, docs/flow-format.md). */
export interface FlowSummary {
  name: string;
  /** Workspace-relative path, e.g. `flows/chat.yaml`. */
  path: string;
  size: number;
  modifiedAt: string;
  /** Top-level steps, when the file loads (flow.list). */
  steps?: number;
  /** The file's first problem, when it does not load (file, line, field in the message). */
  error?: ErrorInfo;
}

/** What the mock would do with one message, without a socket. */
export interface MockTryResult {
  /** The rule that matches, `otherwise`, or none when no route serves the path. */
  rule?: string;
  route?: string;
  /** The messages its actions would send (delays and closes are listed as steps). */
  steps: {
    action: string;
    kind?: 'text' | 'binary';
    text?: string;
    hex?: string;
    ms?: number;
    code?: number;
  }[];
  error?: ErrorInfo;
}

/** A connection as the engine runs it, with the request it was opened with. */
export interface LiveConnection {
  info: ConnectionInfo;
  /** The request as typed: `{{name}}` is kept, resolved with `environment`. */
  options: ConnectOptions;
  environment?: string;
  savedConnectionId?: string;
}

export interface LiveState {
  connections: LiveConnection[];
  servers: ServerInfo[];
  /** The logs being recorded (connections' and servers'). */
  recordings: RecordingInfo[];
}

export interface LogEntryView {
  seq: number;
  t: number;
  dir: Direction;
  kind: LogKind;
  size: number;
  /** Text (first KiBs) for text-like kinds; spaced hex of the first 64 bytes for binary. */
  preview: string;
  truncated: boolean;
  clientId?: string;
  code?: number;
  reason?: string;
  note?: string;
  /** The mock rule that answered this message or sent it (`rules[2]`, `otherwise`, or the rule's name). */
  rule?: string;
}

/** Entries of each kind a log holds (absent kinds: none). */
export type KindCounts = Partial<Record<LogKind, number>>;

export interface LogPage {
  logId: string;
  entries: LogEntryView[];
  firstSeq: number;
  lastSeq: number;
  /** Live logs: entries of each kind held, unfiltered. */
  kindCounts?: KindCounts;
}

// ---------------------------------------------------------------------------
// Workspace: saved connections and message templates (plain JSON files)

const name = z.string().trim().min(1, 'a name cannot be empty').max(200);

export interface SavedConnection {
  id: string;
  name: string;
  options: ConnectOptions;
  createdAt: string;
  updatedAt: string;
}

export type { EnvironmentSummary };

/** An environment as the UI edits it: a secret row carries whether a value is stored, never the value. */
export interface EnvironmentView {
  name: string;
  variables: { name: string; value?: string; secret?: boolean; hasValue?: boolean }[];
}

export interface MessageTemplate {
  id: string;
  name: string;
  /** The saved connection this template belongs to; absent = workspace-wide, offered in every tab. */
  savedConnectionId?: string;
  payload: Payload;
  createdAt: string;
  updatedAt: string;
}

// ---------------------------------------------------------------------------
// Sessions: recordings in <workspace>/sessions/, named by file name (docs/session-format.md)

const sessionName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^/\\\0]+$/, 'a session name is a file name, without / or \\');

/** A mock's name: its file name in mocks/ without .yaml / .json (vocabulary.ts mockPathOf). */
const mockName = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (n) => mockNameOf(`mocks/${n}.yaml`) === n,
    'a mock name is a file name without / or \\, not starting with a dot',
  );

/** A flow's name: its file name in flows/ without .yaml / .json. */
const flowName = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (n) => flowNameOf(`flows/${n}.yaml`) === n,
    'a flow name is a file name without / or \\, not starting with a dot',
  );
/** `--var key=value` pairs of a run (the environment's values are under them). */
const runVars = z.record(z.string().regex(/^[A-Za-z_][\w.-]*$/, 'a variable name'), z.string()).optional();

export interface SessionSummary {
  /** File name in the sessions folder, e.g. `echo.test-2025-11-24T16-00-00-000.jsonl`. */
  name: string;
  /** Absolute path (for "reveal file"). */
  path: string;
  size: number;
  modifiedAt: number;
  role?: 'client' | 'server';
  url?: string;
  createdAt?: string;
  title?: string;
  /** `har` for imported sessions. */
  source?: string;
  /** The header could not be read; the file is listed and left unchanged. */
  error?: ErrorInfo;
}

export interface SessionHeaderInfo {
  version: number;
  createdAt: string;
  startedAt: number;
  role: 'client' | 'server';
  url: string;
  headers: Record<string, string>;
  protocols: string[];
  name?: string;
  source?: string;
}

export interface SessionView {
  name: string;
  path: string;
  header: SessionHeaderInfo;
  /** Entries in the file; `entries` is the first page (read more with session.read). */
  total: number;
  firstSeq: number;
  lastSeq: number;
  entries: LogEntryView[];
  /** Client ids of a server recording, in order of first appearance (replay picks one); empty otherwise. */
  clients: string[];
  /** Tolerated problems, e.g. a torn last line of a recording that was killed. */
  warnings: { line: number; message: string }[];
  /**
   * False while the file's index is still being built in the background: then
   * total, lastSeq, clients and warnings cover only the part scanned so far
   * (follow them with session.info).
   */
  complete?: boolean;
}

/** How far the background index of an open session has got (session.info). */
export interface SessionIndexInfo {
  name: string;
  total: number;
  firstSeq: number;
  lastSeq: number;
  clients: string[];
  warnings: { line: number; message: string }[];
  complete: boolean;
  /** Bytes of the file the index covers, and the file's size. */
  scannedBytes: number;
  size: number;
}

/** The entries of a log that pass a filter, as seqs: what a filtered view pages through. */
export interface LogMatches {
  logId: string;
  /** Seqs of the matching entries, ascending, as runs (app/log/seq-runs.ts: a million seqs fit in far less than 4 MiB). */
  runs: Uint8Array;
  firstSeq: number;
  /** The last seq looked at: entries after it are matched as they arrive. */
  lastSeq: number;
}

export type LogExport =
  | { format: 'session'; session: SessionSummary; entries: number }
  | { format: 'har'; fileName: string; har: string; entries: number };

export interface RecordingInfo {
  /** The connection or server id being recorded. */
  logId: string;
  name: string;
  path: string;
  startedAt: number;
  entries: number;
  recording: boolean;
}

export interface ReplayMismatch {
  /** 1-based index among the recorded incoming messages. */
  index: number;
  /** seq of the recorded message in the session file (0 for an extra message). */
  seq: number;
  problems: string[];
}

export interface ReplayReport {
  url: string;
  connectionId?: string;
  done: boolean;
  ok: boolean;
  speed: number;
  verify: boolean;
  toSend: number;
  sent: number;
  expected: number;
  compared: number;
  matched: number;
  mismatches: ReplayMismatch[];
  /** Per send: actual minus scheduled offset, ms (only when speed > 0). */
  deviationsMs: number[];
  /** Held by session.replayControl pause (or startPaused): no message is sent until resume or step. */
  paused?: boolean;
  /** Ended early by session.replayControl stop. */
  stopped?: boolean;
  error?: ErrorInfo;
}

// ---------------------------------------------------------------------------
// The command table

export const replayActions = ['pause', 'resume', 'step', 'stop'] as const;
export type ReplayAction = (typeof replayActions)[number];

/** Which entries of a log (live or a session file) to read. */
const entryRange = {
  fromSeq: z.number().int().min(0).optional(),
  count: z.number().int().min(1).max(10_000).optional(),
  filter: logFilterSchema.optional(),
};
/** A byte range of one entry's payload (the hex view pages large frames with it). */
const payloadRange = {
  seq: z.number().int().min(1),
  offset: z.number().int().min(0).optional(),
  length: z
    .number()
    .int()
    .min(0)
    .max(16 * 1024 * 1024)
    .optional(),
};
export interface PayloadSlice {
  seq: number;
  size: number;
  offset: number;
  data: Uint8Array;
}

/** A custom issue that carries the typed error of a shared rule; the engine reports that error as is. */
export interface RuleIssueParams {
  errorCode: ErrorCode;
}
function ruleIssue(ctx: z.RefinementCtx, bad: DuplexError): void {
  const params: RuleIssueParams = { errorCode: bad.code };
  ctx.addIssue({ code: 'custom', message: bad.message, params });
}

/** Which variables a connection resolves `{{name}}` with: an environment of the workspace, and overrides. */
const variableChoice = {
  environment: environmentNameSchema.optional(),
  vars: z.record(variableNameSchema, z.string().max(1_000_000)).optional(),
};
/** How a session is replayed (session.replay, file.replay). */
const replayArgs = {
  /** Another target than the recorded URL; checked before the session file is opened. */
  url: z
    .string()
    .min(1)
    .max(8192)
    .superRefine((url, ctx) => {
      // A URL with {{name}} is checked once resolved with environment / vars.
      if (url.includes('{{')) return;
      try {
        parseWebSocketUrl(url);
      } catch (err) {
        ruleIssue(ctx, err as DuplexError);
      }
    })
    .optional(),
  speed: z.number().min(0).max(1000).optional(),
  verify: z.boolean().optional(),
  ignore: z.array(z.string().min(1).max(1000)).max(100).optional(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  clientId: id.optional(),
  ...variableChoice,
};

const environmentRow = z.object({
  name: variableNameSchema,
  /** For a secret: a new value to store (never in the file); absent keeps the stored one. */
  value: z.string().max(1_000_000).optional(),
  secret: z.boolean().optional(),
});

const connectionRef = z.object({ connectionId: id });
const serverRef = z.object({ serverId: id });
const clientRef = z.object({ serverId: id, clientId: id });
const closeArgs = { code: z.number().int().optional(), reason: z.string().optional() };
/** Checks a close's code and reason with the closing side's rule (websocket-rules.ts). */
function closeRule<T extends { code?: number | undefined; reason?: string | undefined }>(
  ruleOf: (input: T) => CloseCodeRule,
) {
  return (input: T, ctx: z.RefinementCtx<T>): void => {
    const bad = checkCloseArgs(input.code, input.reason, ruleOf(input));
    if (bad) ruleIssue(ctx, bad);
  };
}
const clientClose = connectionRef
  .extend({
    ...closeArgs,
    /** Allow every code valid on the wire (1001–1003, 1007–1014 too), not only the browser's. */
    allowWireCodes: z.boolean().optional(),
  })
  .superRefine(closeRule((input) => clientCloseRule(input.allowWireCodes)));
const serverClose = clientRef.extend(closeArgs).superRefine(closeRule(() => 'wire'));

export const commands = {
  'connection.open': {
    /** savedConnectionId: the saved connection the request came from, so a reloaded UI can say so again. */
    /** `{{name}}` in url, headers, origin, subprotocols resolves with `environment` and `vars` first. */
    input: connectOptionsSchema.extend({ savedConnectionId: id.optional(), ...variableChoice }),
    output: {} as ConnectionInfo,
  },
  /** Text with `{{` is rendered with the connection's variables as they are now; `raw` sends it as typed. */
  'connection.send': {
    input: connectionRef.extend({ payload: payloadSchema, raw: z.boolean().optional() }),
    output: {} as { seq: number },
  },
  'connection.ping': {
    input: connectionRef.extend({ payload: payloadSchema.optional() }),
    output: {} as { seq: number },
  },
  /** Closes with the browser's rule (1000, 3000–4999), or any code valid on the wire with allowWireCodes. */
  'connection.close': { input: clientClose, output: {} as ConnectionInfo },
  /** Connects a CLOSED connection again: same id, same log (it continues), attempts reset. */
  'connection.reconnect': { input: connectionRef, output: {} as ConnectionInfo },
  'connection.remove': { input: connectionRef, output: {} as { removed: boolean } },
  'connection.get': { input: connectionRef, output: {} as ConnectionInfo },
  'connection.list': { input: z.object({}), output: {} as ConnectionInfo[] },

  'server.start': { input: serverOptionsSchema, output: {} as ServerInfo },
  'server.stop': { input: serverRef, output: {} as ServerInfo },
  'server.get': { input: serverRef, output: {} as ServerInfo },
  'server.list': { input: z.object({}), output: {} as ServerInfo[] },
  'server.clients': { input: serverRef, output: {} as ServerClientInfo[] },
  'server.send': {
    input: clientRef.extend({ payload: payloadSchema }),
    output: {} as { seq: number },
  },
  'server.broadcast': {
    input: serverRef.extend({ payload: payloadSchema }),
    output: {} as { sent: number },
  },
  /** A server may send every code valid on the wire (1000–1003, 1007–1014, 3000–4999). */
  'server.closeClient': { input: serverClose, output: {} as { closed: boolean } },
  'server.terminateClient': { input: clientRef, output: {} as { terminated: boolean } },
  /** Live hit counts per rule of a server that runs a mock (also sent as server.hits events). */
  'server.hits': { input: serverRef, output: {} as RuleHits },
  /** The PEM certificate of a wss:// server, to give a client so it trusts the mock. */
  'server.certificate': {
    input: serverRef,
    output: {} as { pem: string; fingerprint: string; fileName: string },
  },

  /** The mock files of the workspace's mocks/ folder. */
  'mock.list': { input: z.object({}), output: {} as MockSummary[] },
  'mock.read': {
    input: z.object({ name: mockName }),
    output: {} as { name: string; path: string; text: string },
  },
  /** Writes a mock file (validated first: an invalid mock is refused with file, line and field). */
  'mock.save': {
    input: z.object({
      name: mockName,
      text: z.string().max(16 * 1024 * 1024),
      format: z.enum(['yaml', 'json']).optional(),
    }),
    output: {} as MockSummary,
  },
  'mock.delete': { input: z.object({ name: mockName }), output: {} as { deleted: boolean } },
  /** Starts a mock by name; it reloads when its file changes. */
  /** `environment` / `vars` are laid over the mock file's `vars` (`{{vars.name}}` in its templates). */
  'mock.start': {
    input: z.object({
      name: mockName,
      port: port.optional(),
      host: z.string().min(1).max(255).optional(),
      ...variableChoice,
    }),
    output: {} as ServerInfo,
  },
  /** Which rule a message would hit and what it would send (the "try a message" box). */
  'mock.try': {
    input: z.object({
      name: mockName.optional(),
      text: z
        .string()
        .max(16 * 1024 * 1024)
        .optional(),
      path: z.string().max(8192).optional(),
      message: payloadSchema,
    }),
    output: {} as MockTryResult,
  },

  'log.read': { input: z.object({ logId: id, ...entryRange }), output: {} as LogPage },
  'log.payload': { input: z.object({ logId: id, ...payloadRange }), output: {} as PayloadSlice },
  'log.clear': { input: z.object({ logId: id }), output: {} as { cleared: boolean } },
  /** The seqs of every entry from fromSeq on that passes the filter, in one answer. */
  'log.match': {
    input: z.object({ logId: id, filter: logFilterSchema, fromSeq: z.number().int().min(0).optional() }),
    output: {} as LogMatches,
  },
  /**
   * Writes the entries of a live log that pass `filter` (what the view shows) as a new
   * session file in the workspace, or returns them as a HAR document; no recording needed.
   */
  'log.export': {
    input: z.object({
      logId: id,
      filter: logFilterSchema.optional(),
      format: z.enum(['session', 'har']),
      name: sessionName.optional(),
      redact: z.boolean().optional(),
    }),
    output: {} as LogExport,
  },

  'savedConnection.list': { input: z.object({}), output: {} as SavedConnection[] },
  /** Creates (no id) or updates (id of an existing one) a saved connection. */
  'savedConnection.save': {
    input: z.object({ id: id.optional(), name, options: connectOptionsSchema }),
    output: {} as SavedConnection,
  },
  'savedConnection.rename': { input: z.object({ id, name }), output: {} as SavedConnection },
  /** Copies a saved connection with its own templates. */
  'savedConnection.duplicate': {
    input: z.object({ id, name: name.optional() }),
    output: {} as SavedConnection,
  },
  'savedConnection.delete': { input: z.object({ id }), output: {} as { deleted: boolean } },

  /**
   * The templates a tab offers: with savedConnectionId that connection's own, then the
   * workspace-wide ones (no savedConnectionId, or one whose connection was deleted).
   */
  'template.list': {
    input: z.object({ savedConnectionId: id.optional() }),
    output: {} as MessageTemplate[],
  },
  /** Creates (no id) or updates (id of an existing one) a message template. */
  'template.save': {
    input: z.object({ id: id.optional(), name, savedConnectionId: id.optional(), payload: payloadSchema }),
    output: {} as MessageTemplate,
  },
  'template.delete': { input: z.object({ id }), output: {} as { deleted: boolean } },

  /**
   * The environment the command line chose for this UI (`duplex ui --env NAME`): the
   * request bar starts on it; none when the UI was started without --env.
   */
  'env.launch': { input: z.object({}), output: {} as { environment?: string } },
  /** environments/NAME.json of the workspace; a file that does not load is listed with its error. */
  'env.list': { input: z.object({}), output: {} as (EnvironmentSummary & { error?: string })[] },
  /** One environment; a secret row says whether a value is stored, never the value. */
  'env.read': { input: z.object({ name: environmentNameSchema }), output: {} as EnvironmentView },
  /** Creates or replaces an environment; a secret row's value goes to the secret store, not the file. */
  'env.save': {
    input: z.object({ name: environmentNameSchema, variables: z.array(environmentRow).max(1000) }),
    output: {} as EnvironmentView,
  },
  'env.delete': { input: z.object({ name: environmentNameSchema }), output: {} as { deleted: boolean } },
  /**
   * A text (a URL, a message) resolved as a connection would; secret values come back as
   * `[redacted]` unless `reveal` (an explicit opt-in, e.g. copying runnable code).
   */
  'env.resolve': {
    input: z.object({ ...variableChoice, text: z.string().max(1_000_000), reveal: z.boolean().optional() }),
    output: {} as { text: string; secret: boolean },
  },
  'secret.set': {
    input: z.object({
      environment: environmentNameSchema,
      name: variableNameSchema,
      value: z.string().max(1_000_000),
    }),
    output: {} as { set: boolean },
  },
  'secret.clear': {
    input: z.object({ environment: environmentNameSchema, name: variableNameSchema }),
    output: {} as { cleared: boolean },
  },

  /** Starts recording a connection's or server's log into a new session file. */
  'session.recordStart': {
    /** `redact: false` keeps secret values and Authorization/Cookie values in the file (default: redacted). */
    input: z.object({
      logId: id,
      name: sessionName.optional(),
      includeExisting: z.boolean().optional(),
      redact: z.boolean().optional(),
    }),
    output: {} as RecordingInfo,
  },
  'session.recordStop': { input: z.object({ logId: id }), output: {} as RecordingInfo },
  'session.recordings': { input: z.object({}), output: {} as RecordingInfo[] },
  'session.list': { input: z.object({}), output: {} as SessionSummary[] },
  'session.open': {
    input: z.object({ name: sessionName, count: z.number().int().min(1).max(10_000).optional() }),
    output: {} as SessionView,
  },
  'session.read': { input: z.object({ name: sessionName, ...entryRange }), output: {} as LogPage },
  /** The index of an open session: totals, clients, warnings, and whether the scan is complete. */
  'session.info': { input: z.object({ name: sessionName }), output: {} as SessionIndexInfo },
  /** The first entry at or after a seq, or at or after a time (ms after the recording started). */
  'session.locate': {
    input: z
      .object({
        name: sessionName,
        seq: z.number().int().min(1).optional(),
        offsetMs: z.number().min(0).optional(),
      })
      .refine((i) => (i.seq === undefined) !== (i.offsetMs === undefined), 'give either seq or offsetMs'),
    output: {} as { seq: number; t: number },
  },
  'session.payload': { input: z.object({ name: sessionName, ...payloadRange }), output: {} as PayloadSlice },
  'session.rename': {
    input: z.object({ name: sessionName, newName: sessionName }),
    output: {} as SessionSummary,
  },
  'session.delete': { input: z.object({ name: sessionName }), output: {} as { deleted: boolean } },
  /** Shows the session file in the system's file manager. */
  'session.reveal': { input: z.object({ name: sessionName }), output: {} as { path: string } },
  /** Imports the text of a HAR file: one new session per WebSocket entry. */
  'session.import': {
    input: z.object({
      text: z.string().max(512 * 1024 * 1024),
      sourceName: z.string().max(1000).optional(),
    }),
    output: {} as { sessions: SessionSummary[]; skippedMessages: number },
  },
  /** A HAR document of the session (the UI saves it where the user chooses). */
  'session.export': {
    input: z.object({ name: sessionName, redact: z.boolean().optional() }),
    output: {} as { fileName: string; har: string },
  },
  /** Replays a session into a new connection; follow it with session.replayStatus. */
  'session.replay': {
    input: z.object({
      name: sessionName,
      ...replayArgs,
      /** Open the connection, then wait for resume or step before the first send. */
      startPaused: z.boolean().optional(),
    }),
    output: {} as { replayId: string; connectionId: string },
  },
  'session.replayStatus': { input: z.object({ replayId: id }), output: {} as ReplayReport },
  /** pause: hold before the next send; resume; step: send the next message, stay paused; stop: end now. */
  'session.replayControl': {
    input: z.object({ replayId: id, action: z.enum(replayActions) }),
    output: {} as ReplayReport,
  },
  /** Starts a mock server that serves a session of the workspace back (each client gets its server messages). */
  'mock.serveSession': {
    input: serverOptionsSchema.extend({
      name: sessionName,
      conversation: z.boolean().optional(),
      /** Timed mode: 1 = recorded pace, 0 = all at once. */
      speed: z.number().min(0).max(1000).optional(),
    }),
    output: {} as ServerInfo,
  },
  /** Turns a session into an editable mock: each client message a rule answering what followed it. */
  'mock.fromSession': {
    input: z.object({ name: sessionName, mockName, clientId: id.optional() }),
    output: {} as MockSummary & { rules: number },
  },
  /** The flow files of the workspace's flows/ folder. */
  'flow.list': { input: z.object({}), output: {} as FlowSummary[] },
  /** A flow's text and its steps as a list (empty, with `error`, when the file does not load). */
  'flow.read': {
    input: z.object({ name: flowName }),
    output: {} as { name: string; path: string; text: string; steps: FlowOutlineStep[]; error?: ErrorInfo },
  },
  /** Writes a flow file (validated first: an invalid flow is refused with file, line and field). */
  'flow.save': {
    input: z.object({
      name: flowName,
      text: z.string().max(16 * 1024 * 1024),
      format: z.enum(['yaml', 'json']).optional(),
    }),
    output: {} as FlowSummary,
  },
  'flow.delete': { input: z.object({ name: flowName }), output: {} as { deleted: boolean } },
  /**
   * Starts a run of a workspace flow and answers at once; its report follows as
   * flow.progress events. `mock` starts a workspace mock for the run ({{mock.url}});
   * `keepOpen` leaves its connections open after it for flow.rerunStep, until flow.stop.
   */
  'flow.run': {
    input: z.object({
      name: flowName,
      env: z.string().min(1).max(200).optional(),
      vars: runVars,
      mock: mockName.optional(),
      keepOpen: z.boolean().optional(),
    }),
    output: {} as FlowRunReport,
  },
  'flow.status': { input: z.object({ runId: id }), output: {} as FlowRunReport },
  /** Stops a run (the step running fails as stopped), closes its connections, stops its mock. */
  'flow.stop': { input: z.object({ runId: id }), output: {} as FlowRunReport },
  /** Runs one step of a finished run again, with its variables and open connections (keepOpen). */
  'flow.rerunStep': {
    input: z.object({ runId: id, stepId: z.string().min(1).max(2000) }),
    output: {} as FlowRunReport,
  },
  /** Turns a session into a flow: its sends, and an expect of each message that came back. */
  'flow.fromSession': {
    input: z.object({ name: sessionName, flowName, clientId: id.optional() }),
    output: {} as FlowSummary & { sends: number; expects: number },
  },
  /** Every connection and server the engine runs, with what a reloaded page or new window needs to show them. */
  'live.list': { input: z.object({}), output: {} as LiveState },
} as const;

export type CommandName = keyof typeof commands;

// ---------------------------------------------------------------------------
// Local commands: for front ends in the engine's own process (the CLI). They
// name files on this machine, so no transport (IPC, bridge) offers them, and
// Engine.invoke, which the transports use, refuses them.

const filePath = z.string().min(1, 'a file path cannot be empty').max(4096);

/** A tolerated problem of a session file, e.g. a torn last line. */
export interface FileWarning {
  line: number;
  message: string;
}

export const localCommands = {
  /** Records a connection's or server's log into any file, from its first entry, replacing the file. */
  'file.record': {
    input: z.object({ logId: id, path: filePath, redact: z.boolean().optional() }),
    output: {} as RecordingInfo,
  },
  /** Opens `path` as file.record will (creating it and its folder): a path that cannot be recorded to fails first. */
  'file.recordCheck': { input: z.object({ path: filePath }), output: {} as { path: string } },
  /** Starts a mock server that serves a session file (each client gets the recorded server messages). */
  'file.serve': {
    input: serverOptionsSchema.extend({
      file: filePath,
      /** Wait for each client message that preceded a reply in the recording. */
      conversation: z.boolean().optional(),
    }),
    output: {} as { server: ServerInfo; warnings: FileWarning[] },
  },
  /** Replays a session file into a new engine connection and waits for the report. */
  'file.replay': {
    input: z.object({ file: filePath, ...replayArgs }),
    output: {} as { report: ReplayReport; warnings: FileWarning[] },
  },
  /** Writes one session file into `outDir` per WebSocket entry of a HAR file. */
  'file.import': {
    input: z.object({ file: filePath, outDir: filePath }),
    output: {} as {
      sessions: { path: string; url: string; messages: number }[];
      skippedMessages: number;
    },
  },
  /** Starts a mock file (YAML or JSON) from any path; it reloads when the file changes. */
  'file.serveMock': {
    input: z.object({
      file: filePath,
      port: port.optional(),
      host: z.string().min(1).max(255).optional(),
      ...variableChoice,
    }),
    output: {} as { server: ServerInfo },
  },
  /** Writes one mock file into `outDir` from the WebSocket routes of a Mockoon environment. */
  'file.importMockoon': {
    input: z.object({ file: filePath, outDir: filePath }),
    output: {} as { path: string; name: string; notes: { where: string; what: string }[] },
  },
  /** Writes a session file as a HAR file. */
  'file.export': {
    input: z.object({ file: filePath, out: filePath, redact: z.boolean().optional() }),
    output: {} as { path: string; warnings: FileWarning[] },
  },
  /**
   * Writes a load test from a flow file (.yaml/.yml/.json) or a session file: a k6 script
   * (k6/websockets) or an Artillery scenario (engine: ws). `notes` lists what the tool cannot express.
   */
  'file.exportLoad': {
    input: z.object({
      file: filePath,
      format: z.enum(['k6', 'artillery']),
      out: filePath.optional(),
      env: z.string().min(1).max(200).optional(),
      /** --var overrides: over the environment, they become the script's defaults too. */
      vars: variableChoice.vars,
      workspace: filePath.optional(),
      clientId: z.string().min(1).max(200).optional(),
      vus: z.int().min(1).max(1_000_000).optional(),
      duration: z.int().min(1).max(31_536_000).optional(),
    }),
    output: {} as { path: string; notes: { step: string; what: string }[]; warnings: FileWarning[] },
  },
  /**
   * Runs a flow file and answers with its final report (flow.progress events on the
   * way). `workspace` holds environments/ and secrets.local.json; `mock` a mock file
   * started for the run.
   */
  'file.runFlow': {
    input: z.object({
      file: filePath,
      env: z.string().min(1).max(200).optional(),
      vars: runVars,
      workspace: filePath.optional(),
      mock: filePath.optional(),
    }),
    output: {} as FlowRunReport,
  },
  /** Reads and checks a flow file without running it: its name and steps, or FLOW_FILE with file, line, field. */
  'file.checkFlow': {
    input: z.object({ file: filePath }),
    output: {} as { name: string | undefined; steps: FlowOutlineStep[] },
  },
  /** Writes a flow file made from a session file. */
  'file.flowFromSession': {
    input: z.object({
      file: filePath,
      out: filePath,
      name: z.string().max(200).optional(),
      clientId: id.optional(),
    }),
    output: {} as { path: string; sends: number; expects: number; leftOut: number; warnings: FileWarning[] },
  },
} as const;
export type LocalCommandName = keyof typeof localCommands;
/** Every command an in-process caller (Engine.call) may run. */
export type AnyCommandName = CommandName | LocalCommandName;
type CommandTable = typeof commands & typeof localCommands;
export type CommandSchema<K extends AnyCommandName> = CommandTable[K]['input'];
export type CommandInput<K extends AnyCommandName> = z.input<CommandTable[K]['input']>;
export type CommandOutput<K extends AnyCommandName> = CommandTable[K]['output'];
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };
// ---------------------------------------------------------------------------
// The event table (engine → UI). Events are batched by the transports.

export interface EventPayloads {
  'connection.state': ConnectionInfo;
  'connection.removed': { connectionId: string };
  'server.state': ServerInfo;
  'server.clients': { serverId: string; clients: ServerClientInfo[] };
  /** A rule of a running mock fired (coalesced per batch: the latest counts). */
  'server.hits': RuleHits;
  /** A running mock's file changed: reloaded, or kept its old rules because of `error`. */
  'server.mockReload': { serverId: string; file: string; ok: boolean; error?: ErrorInfo };
  /**
   * New log entries. In a flood only the newest `entries` are sent; `lastSeq`
   * tells the UI how many exist, and it reads older ones with log.read.
   */
  'log.appended': {
    logId: string;
    entries: LogEntryView[];
    firstSeq: number;
    lastSeq: number;
    kindCounts?: KindCounts;
  };
  'log.cleared': { logId: string };
  /** A replay sent, compared, paused, resumed or finished (coalesced per batch: the latest report). */
  'session.replayProgress': { replayId: string; report: ReplayReport };
  /** A flow run's report changed: a step started or ended, the run finished (coalesced per batch). */
  'flow.progress': { runId: string; report: FlowRunReport };
  /**
   * Saved connections, templates or session files changed (through any front end):
   * every window reads that list again.
   */
  'workspace.changed': { what: WorkspacePart };
  /** An app-menu item or its shortcut was used (Electron shell); the UI performs it. */
  'ui.menu': { action: MenuAction };
}
/** The lists a window reads again on workspace.changed. */
export type WorkspacePart =
  'savedConnections' | 'templates' | 'sessions' | 'mocks' | 'flows' | 'environments';
export const menuActions = [
  'connection.new',
  'server.start',
  'theme.toggle',
  'tab.close',
  'tab.next',
  'tab.previous',
  'connection.focusUrl',
  'message.send',
  'log.find',
  'help.shortcuts',
] as const;
export type MenuAction = (typeof menuActions)[number];
export type EventName = keyof EventPayloads;
