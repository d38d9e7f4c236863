/**
 * The browser WebSocket API's argument rules, shared by the engine, the CLI
 * and the UI's inline validation. Runtime-free.
 */
import { DuplexError, ErrorCodes } from './errors.js';
import { utf8ByteLength } from './payload/codecs.js';

export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];
export const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

export const MAX_REASON_BYTES = 123;
/** Reported when a close frame carried no status code. */
export const NO_STATUS_CODE = 1005;

/** Returns the error close(code, reason) would throw, or undefined when valid. */
export function checkCloseArgs(code?: number, reason?: string): DuplexError | undefined {
  if (code !== undefined) {
    if (!Number.isInteger(code) || !(code === 1000 || (code >= 3000 && code <= 4999))) {
      return new DuplexError(
        ErrorCodes.INVALID_ACCESS,
        `Close code ${code} is not allowed: use 1000 (normal closure) or an application code from 3000 to 4999.`,
      );
    }
  }
  if (reason !== undefined) {
    const surrogate = checkWellFormed(reason, 'Close reason');
    if (surrogate) return surrogate;
    const bytes = utf8ByteLength(reason);
    if (bytes > MAX_REASON_BYTES) {
      return new DuplexError(
        ErrorCodes.SYNTAX,
        `Close reason is ${bytes} bytes of UTF-8; the limit is ${MAX_REASON_BYTES} bytes. Shorten it.`,
      );
    }
  }
  return undefined;
}

/** A text message must be well-formed UTF-16 (no unpaired surrogate). */
export function checkWellFormed(text: string, what = 'Text message'): DuplexError | undefined {
  if (text.isWellFormed()) return undefined;
  const at = findUnpairedSurrogate(text);
  return new DuplexError(
    ErrorCodes.SYNTAX,
    `${what} contains an unpaired surrogate (U+${text.charCodeAt(at).toString(16).toUpperCase()} at index ${at}), which cannot be encoded as UTF-8; remove it or send the data as binary.`,
  );
}

function findUnpairedSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = text.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) {
        i++;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/** Parses and checks a ws:// or wss:// URL; throws a SYNTAX error that says how to fix it. */
export function parseWebSocketUrl(input: string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new DuplexError(
      ErrorCodes.SYNTAX,
      `"${input}" is not a valid URL; write it like ws://localhost:8080/path or wss://example.com/socket.`,
    );
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new DuplexError(
      ErrorCodes.SYNTAX,
      `"${input}" uses ${url.protocol.replace(':', '')}://; a WebSocket URL starts with ws:// or wss://.`,
    );
  }
  if (url.hash) {
    throw new DuplexError(
      ErrorCodes.SYNTAX,
      `"${input}" has a fragment (${url.hash}); WebSocket URLs cannot carry one. Remove it.`,
    );
  }
  return url;
}
