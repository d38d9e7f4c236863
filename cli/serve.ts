/**
 * `duplex serve`: a mock WebSocket server on the command line. Prints where it
 * listens, echoes every message by default, prints one line per client event,
 * and on SIGINT/SIGTERM closes its clients with 1001 and exits 0.
 */
import { Command, InvalidArgumentError } from 'commander';
import { Engine } from '../app/engine.js';
import { ErrorCodes, toErrorInfo } from '../app/errors.js';
import type { LogEntry } from '../app/log/message-log.js';
import type { MockServer } from '../app/server/mock-server.js';
import { Output, arrow, describeMessage, messageData, oneLine } from './output.js';
import { readSessionFile } from '../app/sessions/session-reader.js';
import { serveRecording } from '../app/sessions/mock-replay.js';

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
}

export interface ServeSession {
  engine: Engine;
  server: MockServer;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run a mock WebSocket server that echoes every message and prints each event')
    .option('--host <H>', 'address to listen on', '127.0.0.1')
    .option('--port <N>', `port to listen on; 0 picks a free one`, parsePort, DEFAULT_PORT)
    .option('--path <P>', 'accept WebSocket clients only on this path (e.g. /socket)')
    .option('--protocol <P>', 'a subprotocol the server accepts (repeatable)', collect, [] as string[])
    .option('--json', 'print one JSON object per line')
    .option('--record <FILE>', 'record the traffic to FILE (a session, see docs/session-format.md)')
    .option('--replay <FILE>', 'serve a recorded session: each client gets the recorded server messages')
    .option('--conversation', 'with --replay: wait for the client message that preceded each reply')
    .action(
      async (opts: {
        host: string;
        port: number;
        path?: string;
        protocol: string[];
        json?: boolean;
        record?: string;
        replay?: string;
        conversation?: boolean;
      }) => {
        await runServe({
          host: opts.host,
          port: opts.port,
          path: opts.path,
          protocols: opts.protocol,
          json: opts.json ?? false,
          record: opts.record,
          replay: opts.replay,
          conversation: opts.conversation,
        });
      },
    );
}

/**
 * Builds the engine and starts the mock server. The one place where engine
 * objects are made, so options such as recording or replay hook in here.
 */
export async function startServe(options: ServeOptions): Promise<ServeSession> {
  // A bad recording to serve is reported before anything listens.
  const replay = options.replay === undefined ? undefined : await readSessionFile(options.replay);
  for (const w of replay?.warnings ?? []) process.stderr.write(`duplex serve: warning: ${w.message}\n`);
  const engine = new Engine();
  try {
    const info = await engine.call('server.start', {
      host: options.host,
      port: options.port,
      ...(options.path !== undefined ? { path: options.path } : {}),
      protocols: options.protocols,
    });
    const server = engine.server(info.serverId);
    if (replay) serveRecording(server, replay, { conversation: options.conversation ?? false });
    if (options.record !== undefined) engine.sessions.recordToFile(info.serverId, options.record);
    return { engine, server };
  } catch (err) {
    await engine.dispose();
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
    out.error(info, 'duplex serve');
    // Bad options (e.g. a path without a leading /) are usage errors; a taken port is a failure.
    return out.exit(info.code === ErrorCodes.INVALID_INPUT || info.code === ErrorCodes.FILE ? 2 : 1);
  }
  const { engine, server } = session;
  server.log.on('entry', (entry) => printServerEntry(out, server, entry));
  out.emit({ event: 'listening', url: server.url }, () => `listening on ${server.url}`);
  out.flush();

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return out.exit(0); // a second signal: do not wait for slow clients
    stopping = true;
    void engine.dispose().then(() => {
      out.emit({ event: 'stopped', signal }, () => `stopped (${signal})`);
      out.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** One output line per client event of the server's log. */
function printServerEntry(out: Output, server: MockServer, entry: LogEntry): void {
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
        },
        () => `${tag} ${arrow(entry.dir)} ${describeMessage(entry)}`,
      );
    case 'open': {
      const info = clientInfo(server, clientId);
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

function clientInfo(server: MockServer, clientId: string) {
  try {
    return server.client(clientId).info;
  } catch {
    return undefined;
  }
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free port).');
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
