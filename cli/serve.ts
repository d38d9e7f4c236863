/**
 * `duplex serve`: a mock WebSocket server on the command line. Prints where it
 * listens, echoes every message by default (or runs a mock file's rules with
 * --mock, naming the rule that answered each message), prints one line per
 * client event, and on SIGINT/SIGTERM closes its clients with 1001 and exits 0.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ServerClientInfo, ServerInfo } from '../app/contract.js';
import { Engine } from '../app/engine.js';
import { DuplexError, ErrorCodes, throwFailures, toErrorInfo } from '../app/errors.js';
import type { LogEntry } from '../app/log/message-log.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import {
  collect,
  jsonOption,
  portOption,
  addRedactOption,
  addVariableOptions,
  variableChoiceOf,
  type VariableFlags,
} from './options.js';
import {
  InOrder,
  Output,
  arrow,
  describeMessage,
  messageData,
  oneLine,
  printWarning,
  redactedEntry,
} from './output.js';

export const DEFAULT_PORT = 8080;

export interface ServeOptions {
  host: string;
  port: number;
  path?: string;
  protocols: string[];
  json: boolean;
  /** Record every client's traffic to this session file. */
  record?: string;
  /** Serve this session file as a mock (each client gets the recorded server messages). */
  replay?: string;
  /** With replay: wait for each client message that preceded a reply in the recording. */
  conversation?: boolean;
  /** Run this mock file (YAML or JSON); it reloads when the file changes. */
  mock?: string;
  /** With mock: --port was given (otherwise the mock file's port is used). */
  portGiven?: boolean;
  /** With mock: `--env` / `--var`, laid over the mock file's vars. */
  variables?: { environment?: string; vars?: Record<string, string> };
  /** The workspace folder of `--env` (default: the current folder). */
  workspace?: string;
  /** False with --no-redact: secrets are printed and recorded as they are. */
  redact?: boolean;
}

export interface ServeSession {
  engine: Engine;
  server: ServerInfo;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run a mock WebSocket server that echoes every message and prints each event')
    .option('--host <H>', 'address to listen on', '127.0.0.1')
    .addOption(portOption('port to listen on; 0 picks a free one', DEFAULT_PORT))
    .option('--path <P>', 'accept WebSocket clients only on this path (e.g. /socket)')
    .option('--protocol <P>', 'a subprotocol the server accepts (repeatable)', collect, [] as string[])
    .addOption(jsonOption())
    .option('--record <FILE>', 'record the traffic to FILE (a session, see docs/session-format.md)')
    .option('--replay <FILE>', 'serve a recorded session: each client gets the recorded server messages')
    .option('--conversation', 'with --replay: wait for the client message that preceded each reply')
    .option(
      '--mock <FILE>',
      "run a mock file's rules (docs/mock-format.md); --port overrides the file's port",
    );
  addRedactOption(addVariableOptions(program.commands.at(-1)!)).action(
    async (
      opts: {
        host: string;
        port: number;
        path?: string;
        protocol: string[];
        json?: boolean;
        record?: string;
        replay?: string;
        conversation?: boolean;
        mock?: string;
      } & VariableFlags & { redact?: boolean },
      cmd: Command,
    ) => {
      await runServe({
        host: opts.host,
        port: opts.port,
        path: opts.path,
        protocols: opts.protocol,
        json: opts.json ?? false,
        record: opts.record,
        replay: opts.replay,
        conversation: opts.conversation,
        mock: opts.mock,
        portGiven: cmd.getOptionValueSource('port') !== 'default',
        variables: variableChoiceOf(opts),
        redact: opts.redact ?? true,
        ...(opts.workspace !== undefined ? { workspace: resolve(opts.workspace) } : {}),
      });
    },
  );
}

/** Starts the mock server through the engine's commands (server.start, or file.serve for --replay; file.record). */
export async function startServe(options: ServeOptions): Promise<ServeSession> {
  const engine = new Engine({ workspaceDir: options.workspace ?? resolve('.') });
  const serverOptions = {
    host: options.host,
    port: options.port,
    ...(options.path !== undefined ? { path: options.path } : {}),
    protocols: options.protocols,
  };
  try {
    // A --record path that cannot be written is reported before anything listens.
    if (options.record !== undefined) await engine.call('file.recordCheck', { path: options.record });
    if (options.mock === undefined && Object.keys(options.variables ?? {}).length > 0) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        '--env and --var fill the {{vars.name}} of a mock file: use them with --mock FILE.',
      );
    }
    let server: ServerInfo;
    if (options.mock !== undefined) {
      if (options.replay !== undefined) {
        throw new DuplexError(
          ErrorCodes.INVALID_INPUT,
          '--mock and --replay cannot be used together: choose one.',
        );
      }
      server = (
        await engine.call('file.serveMock', {
          file: options.mock,
          ...options.variables,
          ...(options.portGiven === false ? {} : { port: options.port }),
          ...(options.host !== '127.0.0.1' ? { host: options.host } : {}),
        })
      ).server;
    } else if (options.replay === undefined) {
      server = await engine.call('server.start', serverOptions);
    } else {
      const served = await engine.call('file.serve', {
        ...serverOptions,
        file: options.replay,
        conversation: options.conversation ?? false,
      });
      for (const w of served.warnings) printWarning('duplex serve', w.message);
      server = served.server;
    }
    if (options.record !== undefined) {
      await engine.call('file.record', {
        logId: server.serverId,
        path: options.record,
        ...(options.redact === false ? { redact: false } : {}),
      });
    }
    return { engine, server };
  } catch (err) {
    // The error that stopped the start comes first (it sets the exit code); a failed dispose is added.
    throwFailures([{ status: 'rejected', reason: err }, ...(await Promise.allSettled([engine.dispose()]))]);
    throw err;
  }
}

export async function runServe(options: ServeOptions): Promise<void> {
  const out = new Output(options.json);
  let session: ServeSession;
  try {
    session = await startServe(options);
  } catch (err) {
    const info = toErrorInfo(err);
    // A mock file's error names its file, line and field in details.
    out.error(info, 'duplex serve', true);
    // Bad options (e.g. a path without a leading /) are usage errors; a taken port is a failure.
    return out.exit(exitCodeFor(info.code));
  }
  const { engine, server } = session;
  // Whole payloads are printed, not the events' previews: the CLI follows the server's log in-process.
  // Lines keep log order; a connection line waits for server.clients (the client's address).
  const printer = new InOrder((err) => out.error(toErrorInfo(err), 'duplex serve'));
  // A mock run with --env may send its secrets: what is printed has them redacted.
  const redact = engine.variables.redactor(server.serverId, options.redact);
  engine.log(server.serverId).on('entry', (full: LogEntry) => {
    const entry = redactedEntry(full, redact);
    if (entry.kind !== 'open') return printer.run(() => printServerEntry(out, entry));
    const clients = engine.call('server.clients', { serverId: server.serverId });
    printer.run(async () => printServerEntry(out, entry, await clients));
  });
  engine.subscribe((events) => {
    for (const e of events) {
      if (e.name !== 'server.mockReload') continue;
      const { ok, file, error } = e.payload;
      out.emit({ event: 'reload', file, ok, ...(error ? { error } : {}) }, () =>
        ok ? `reloaded ${file}` : `kept the previous rules: ${error?.message ?? ''}`,
      );
    }
  });
  out.emit(
    {
      event: 'listening',
      url: server.url,
      ...(server.tls ? { fingerprint: server.tls.fingerprint } : {}),
      ...(server.mock ? { mock: server.mock.file } : {}),
    },
    () => `listening on ${server.url}${server.tls ? ` (certificate SHA-256 ${server.tls.fingerprint})` : ''}`,
  );
  out.flush();

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return out.exit(ExitCode.OK); // a second signal: do not wait for slow clients
    stopping = true;
    void out.disposed(engine, 'duplex serve').then(async (ok) => {
      await printer.idle();
      out.emit({ event: 'stopped', signal }, () => `stopped (${signal})`);
      out.exit(ok ? ExitCode.OK : ExitCode.FAILED);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** One output line per client event of the server's log. */
function printServerEntry(out: Output, entry: LogEntry, clients?: ServerClientInfo[]): void {
  const clientId = entry.clientId;
  if (clientId === undefined) return; // server-level notes (listening, stopped)
  const tag = `[client ${clientId}]`;
  switch (entry.kind) {
    case 'text':
    case 'binary':
      return out.emit(
        {
          event: 'message',
          clientId,
          dir: entry.dir,
          type: entry.kind,
          data: messageData(entry),
          size: entry.size,
          ...(entry.rule === undefined ? {} : { rule: entry.rule }),
        },
        () =>
          `${tag} ${arrow(entry.dir)} ${describeMessage(entry)}${entry.rule === undefined ? '' : `  [${entry.rule}]`}`,
      );
    case 'open': {
      const info = clients?.find((c) => c.clientId === clientId);
      return out.emit(
        {
          event: 'connection',
          clientId,
          remoteAddress: info?.remoteAddress ?? '',
          remotePort: info?.remotePort ?? 0,
          path: info?.path ?? '/',
          protocol: info?.protocol ?? '',
        },
        () =>
          `${tag} connected from ${info?.remoteAddress}:${info?.remotePort} path ${info?.path}` +
          (info?.protocol ? ` protocol ${info.protocol}` : ''),
      );
    }
    case 'close':
      if (entry.dir === 'out') return; // the closing handshake ends with the peer's close (or a 1006)
      return out.emit(
        { event: 'disconnect', clientId, code: entry.code ?? 1005, reason: entry.reason ?? '' },
        () => `${tag} disconnected: ${entry.code ?? 1005}${entry.reason ? ` ${oneLine(entry.reason)}` : ''}`,
      );
    case 'ping':
    case 'pong':
      return out.emit(
        { event: entry.kind, clientId, dir: entry.dir, size: entry.size },
        () => `${tag} ${arrow(entry.dir)} ${entry.kind} ${entry.size} B`,
      );
    case 'error':
      return out.emit(
        { event: 'error', clientId, code: ErrorCodes.PROTOCOL, message: entry.note ?? '' },
        () => `${tag} error: ${entry.note ?? ''}`,
      );
    default:
      return;
  }
}
