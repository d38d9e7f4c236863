/**
 * `duplex replay FILE`: re-sends a recorded session's outgoing messages to the
 * recorded URL (or --url) at the recorded pace scaled by --speed, and with
 * --verify compares what comes back with the recording. Exit 0 = replayed and
 * (with --verify) everything matched, 1 = a mismatch or a connection failure,
 * 2 = bad arguments or an unreadable session file.
 */
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_REPLAY_TIMEOUT_MS } from '../app/api.js';
import { ErrorCodes, toErrorInfo } from '../app/errors.js';
import { openSessionSource } from '../app/sessions/session-reader.js';
import { formatReplayReport, replaySession, timingStats } from '../app/sessions/replay.js';

interface ReplayCliOptions {
  url?: string;
  speed: number;
  verify?: boolean;
  ignore: string[];
  timeout: number;
  client?: string;
  json?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'Re-send a recorded session to a server; with --verify compare the answers with the recording',
    )
    .argument('<file>', 'session file (.jsonl) recorded by Duplex or imported from HAR')
    .option('--url <URL>', 'send to this URL instead of the recorded one')
    .option('--speed <F>', 'pace: 1 = as recorded, 2 = twice as fast, 0 = no waiting', parseSpeed, 1)
    .option('--verify', 'wait for the recorded incoming messages and compare them')
    .option(
      '--ignore <PATH>',
      'JSON path skipped by --verify, e.g. $.timestamp (repeatable)',
      collect,
      [] as string[],
    )
    .option(
      '--timeout <MS>',
      'how long --verify waits for each incoming message',
      parseTimeout,
      DEFAULT_REPLAY_TIMEOUT_MS,
    )
    .option('--client <ID>', 'which client of a server recording to replay (default the first)')
    .option('--json', 'print the report as one JSON object')
    .action(async (file: string, opts: ReplayCliOptions) => {
      process.exitCode = await runReplay(file, opts);
    });
}

export async function runReplay(file: string, opts: ReplayCliOptions): Promise<number> {
  let session;
  try {
    session = await openSessionSource(file);
  } catch (err) {
    return fail(toErrorInfo(err).message, 2);
  }
  let report;
  try {
    report = await replaySession(session, {
      ...(opts.url !== undefined ? { url: opts.url } : {}),
      speed: opts.speed,
      verify: opts.verify ?? false,
      ignore: opts.ignore,
      timeoutMs: opts.timeout,
      ...(opts.client !== undefined ? { clientId: opts.client } : {}),
    });
  } catch (err) {
    const info = toErrorInfo(err);
    return fail(
      info.message,
      info.code === ErrorCodes.INVALID_INPUT ||
        info.code === ErrorCodes.NOT_FOUND ||
        info.code === ErrorCodes.FILE
        ? 2
        : 1,
    );
  }
  // The file streams through the replay, so what it tolerated is known at the end.
  for (const w of session.warnings) process.stderr.write(`duplex replay: warning: ${w.message}\n`);
  if (opts.json) {
    const timing = report.deviationsMs.length > 0 ? timingStats(report.deviationsMs) : undefined;
    process.stdout.write(JSON.stringify({ ...report, timing }) + '\n');
  } else {
    process.stdout.write(formatReplayReport(report) + '\n');
  }
  if (report.error && report.error.code === ErrorCodes.SYNTAX) return 2; // malformed --url
  return report.ok ? 0 : 1;
}

function fail(message: string, code: number): number {
  process.stderr.write(`duplex replay: ${message}\n`);
  return code;
}

function parseSpeed(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('speed is a number ≥ 0 (1 = recorded pace, 0 = no waiting).');
  }
  return n;
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InvalidArgumentError('the timeout is a whole number of ms ≥ 1.');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
