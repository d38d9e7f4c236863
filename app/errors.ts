/**
 * Typed errors of the engine. Every error that crosses a boundary (IPC, the
 * browser bridge, the CLI) carries one of these stable codes and a message a
 * person can act on. The list is documented in docs/errors.md.
 */
export const ErrorCodes = {
  /** A command's input failed schema validation. */
  INVALID_INPUT: 'DUPLEX_ERR_INVALID_INPUT',
  /** close(): a code the closing side's rule refuses (websocket-rules.ts; the browser's InvalidAccessError). */
  INVALID_ACCESS: 'DUPLEX_ERR_INVALID_ACCESS',
  /** Reason over 123 UTF-8 bytes, unpaired surrogate, malformed URL (the browser's SyntaxError). */
  SYNTAX: 'DUPLEX_ERR_SYNTAX',
  /** send()/ping() while the connection is not OPEN (the browser's InvalidStateError). */
  INVALID_STATE: 'DUPLEX_ERR_INVALID_STATE',
  /** The server answered the upgrade with something other than 101. */
  HANDSHAKE_REJECTED: 'DUPLEX_ERR_HANDSHAKE_REJECTED',
  /** The server did not complete the handshake in time. */
  HANDSHAKE_TIMEOUT: 'DUPLEX_ERR_HANDSHAKE_TIMEOUT',
  /** TCP/TLS level failure: refused, reset, DNS, certificate. */
  CONNECTION_FAILED: 'DUPLEX_ERR_CONNECTION_FAILED',
  /** Heartbeat: no pong within the timeout. */
  HEARTBEAT_TIMEOUT: 'DUPLEX_ERR_HEARTBEAT_TIMEOUT',
  /** A server could not listen because the port is taken. */
  PORT_IN_USE: 'DUPLEX_ERR_PORT_IN_USE',
  /** A server could not listen for another reason (permission, bad host). */
  LISTEN_FAILED: 'DUPLEX_ERR_LISTEN_FAILED',
  /** An id (connection, server, client, log entry) that does not exist. */
  NOT_FOUND: 'DUPLEX_ERR_NOT_FOUND',
  /** The peer sent a malformed frame (reported by ws; close code 1002). */
  PROTOCOL: 'DUPLEX_ERR_PROTOCOL',
  /** The peer sent text that is not UTF-8, or compressed data that does not inflate (close code 1007). */
  INVALID_PAYLOAD: 'DUPLEX_ERR_INVALID_PAYLOAD',
  /** The peer sent a message over the receiver's limit: size (1009) or fragment count (1008). */
  MESSAGE_TOO_BIG: 'DUPLEX_ERR_MESSAGE_TOO_BIG',
  /** A file could not be read or parsed (session, workspace). */
  FILE: 'DUPLEX_ERR_FILE',
  /** A HAR file parsed but holds no WebSocket entries, so an import would create nothing. */
  HAR_NO_WEBSOCKET: 'DUPLEX_ERR_HAR_NO_WEBSOCKET',
  /** A template failed to compile or render (syntax, unknown helper or variable); details say where. */
  TEMPLATE: 'DUPLEX_ERR_TEMPLATE',
  /** A mock file is not valid YAML/JSON or breaks the schema; details name the file, line and field. */
  MOCK_FILE: 'DUPLEX_ERR_MOCK_FILE',
  /** A flow file is not valid YAML/JSON or breaks the schema; details name the file, line and field. */
  FLOW_FILE: 'DUPLEX_ERR_FLOW_FILE',
  /** An IPC / bridge message from a sender we do not trust. */
  FORBIDDEN: 'DUPLEX_ERR_FORBIDDEN',
  /** Anything else; the message says what happened. */
  INTERNAL: 'DUPLEX_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Plain-data form of an error, safe to send across IPC or the bridge. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Extra facts, e.g. the HTTP status and body of a rejected handshake. */
  details?: Record<string, unknown>;
}

export class DuplexError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'DuplexError';
    this.code = code;
    this.details = details;
  }

  toInfo(): ErrorInfo {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Turns anything thrown into ErrorInfo, keeping DuplexError codes. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof DuplexError) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCodes.INTERNAL, message };
}

/**
 * Throws the failures of tasks that were all let finish (Promise.allSettled):
 * the one failure as it is, several as one DuplexError with the first one's
 * code and every message, so a shutdown reports everything that went wrong.
 */
export function throwFailures(results: readonly PromiseSettledResult<unknown>[]): void {
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length === 0) return;
  if (errors.length === 1) throw errors[0];
  const infos = errors.map(toErrorInfo);
  throw new DuplexError(infos[0]!.code, infos.map((i) => i.message).join(' '), { errors: infos });
}
