/**
 * What a receive failure reported by `ws` means for a person: a Duplex error
 * code, the close code ws sends when it fails the connection (RFC 6455 §7.4.1),
 * and a message. ws's `WS_ERR_*` codes are its documented error codes; zlib's
 * `Z_*` codes come from inflating a permessage-deflate message.
 */
import { ErrorCodes, type ErrorCode, type ErrorInfo } from '../errors.js';

interface Failure {
  code: ErrorCode;
  closeCode: number;
  what: string;
}

const MALFORMED = failure(ErrorCodes.PROTOCOL, 1002, 'The server broke the WebSocket protocol');
const NOT_UTF8 = failure(
  ErrorCodes.INVALID_PAYLOAD,
  1007,
  'The server sent text (a message or a close reason) that is not valid UTF-8',
);
const TOO_BIG = failure(
  ErrorCodes.MESSAGE_TOO_BIG,
  1009,
  'The server sent a message larger than this client accepts',
);
const TOO_MANY_PARTS = failure(
  ErrorCodes.MESSAGE_TOO_BIG,
  1008,
  'The server sent a message in more fragments than this client accepts',
);

/** `WS_ERR_*` codes that are not a malformed frame (1002). */
const FAILURE_OF: Record<string, Failure> = {
  WS_ERR_INVALID_UTF8: NOT_UTF8,
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: TOO_BIG,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: TOO_BIG,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: TOO_MANY_PARTS,
};

/**
 * The ErrorInfo of an error ws emitted on an open connection, or undefined when
 * it is not a protocol failure (a reset, a timeout: the socket's own errors).
 */
export function protocolFailure(err: Error & { code?: string }): ErrorInfo | undefined {
  const wsCode = err.code;
  if (wsCode === undefined) return undefined;
  if (wsCode.startsWith('WS_ERR_')) {
    const failure = FAILURE_OF[wsCode] ?? MALFORMED;
    return {
      code: failure.code,
      message: `${failure.what}: ${err.message} (${wsCode}); the connection was failed with close code ${failure.closeCode}.`,
      details: { wsCode, closeCode: failure.closeCode },
    };
  }
  if (/^Z_[A-Z_]+$/.test(wsCode)) {
    const closeCode = NOT_UTF8.closeCode; // 1007: data inconsistent with the message, as for bad UTF-8
    return {
      code: ErrorCodes.INVALID_PAYLOAD,
      message: `The server sent permessage-deflate data that does not inflate (${err.message}, ${wsCode}); the connection was failed with close code ${closeCode}. Connect with permessage-deflate off to compare.`,
      details: { wsCode, closeCode },
    };
  }
  return undefined;
}

function failure(code: ErrorCode, closeCode: number, what: string): Failure {
  return { code, closeCode, what };
}
