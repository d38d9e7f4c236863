/**
 * Exit codes of every `duplex` command, listed in docs/cli.md. Scripts rely on
 * them: 0 done, 1 the run failed (connection, mismatch, nothing to import),
 * 2 the command was wrong (arguments, an unreadable or invalid input file).
 */
import { ErrorCodes, type ErrorCode } from '../app/errors.js';

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
  ErrorCodes.TEMPLATE,
]);

/** The exit code for an error a command could not get past. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  return USAGE_ERRORS.has(code) ? ExitCode.USAGE : ExitCode.FAILED;
}
