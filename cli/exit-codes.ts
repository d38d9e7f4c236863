/**
 * Exit codes of every `duplex` command, listed in docs/cli.md. Scripts rely on
 * them: 0 done, 1 the run failed (connection, mismatch, nothing to import),
 * 2 the command was wrong (arguments, an unreadable or invalid input file).
 */
import { Engine } from '../app/engine.js';
import { ErrorCodes, toErrorInfo, type ErrorCode } from '../app/errors.js';
import { printError } from './output.js';

export const ExitCode = {
  /** Done: the connection closed cleanly, the replay matched, the files were written. */
  OK: 0,
  /** The run failed: connection refused or aborted, a --verify mismatch, a port in use, no WebSocket entries. */
  FAILED: 1,
  /** Bad arguments or an input file that cannot be read or parsed; nothing was attempted. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Errors that mean "fix the command line or the input file", not "the run went wrong". */
const USAGE_ERRORS: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.INVALID_INPUT,
  ErrorCodes.SYNTAX,
  ErrorCodes.INVALID_ACCESS,
  ErrorCodes.FILE,
  ErrorCodes.NOT_FOUND,
  ErrorCodes.MOCK_FILE,
  ErrorCodes.FLOW_FILE,
  ErrorCodes.TEMPLATE,
]);

/** The exit code for an error a command could not get past. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  return USAGE_ERRORS.has(code) ? ExitCode.USAGE : ExitCode.FAILED;
}

/**
 * Runs a one-shot command on its own engine: an error it throws is one line on
 * stderr and its exit code; a failure while disposing the engine is FAILED.
 */
export async function runCommand(
  prefix: string,
  run: (engine: Engine) => Promise<ExitCode>,
): Promise<ExitCode> {
  const engine = new Engine();
  let code: ExitCode;
  try {
    code = await run(engine);
  } catch (err) {
    const info = toErrorInfo(err);
    printError(prefix, info.message);
    code = exitCodeFor(info.code);
  }
  try {
    await engine.dispose();
  } catch (err) {
    printError(prefix, toErrorInfo(err).message);
    return ExitCode.FAILED;
  }
  return code;
}
