/**
 * The browser WebSocket API's argument rules, and the close-code rule of each
 * side, shared by the engine, the CLI and the UI's inline validation. Runtime-free.
 */
import { DuplexError, ErrorCodes } from './errors.js';
import { utf8ByteLength } from './payload/codecs.js';

export const ReadyState = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];
export const READY_STATE_NAMES = ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'] as const;

export const MAX_REASON_BYTES = 123;
/** Reported when a close frame carried no status code. */
export const NO_STATUS_CODE = 1005;

/**
 * Which close codes a side may send. `browser`: what the browser's close()
 * accepts (1000, 3000–4999), a client's default. `wire`: every code that may
 * appear in a close frame (RFC 6455 §7.4 and the IANA registry, as ws accepts
 * them on receipt): a server always, a client only when it opted in.
 */
export type CloseCodeRule = 'browser' | 'wire';

/** A client's rule: the browser's, unless it explicitly allowed every code valid on the wire. */
export function clientCloseRule(allowWireCodes: boolean | undefined): CloseCodeRule {
  return allowWireCodes ? 'wire' : 'browser';
}

export function isAllowedCloseCode(code: number, rule: CloseCodeRule): boolean {
  if (!Number.isInteger(code)) return false;
  if (code === 1000 || (code >= 3000 && code <= 4999)) return true;
  // 1004 is reserved; 1005, 1006 and 1015 stand for "no frame / no code" and are never sent.
  return rule === 'wire' && code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/**
 * Whether a close code reports a failure: 1006 (no close frame), a protocol or
 * server error (1002, 1003, 1007–1015). 1000, 1001, 1005 (no code) and the
 * application's 3000–4999 are ordinary ends of a connection.
 */
export function isFailureCloseCode(code: number | undefined): boolean {
  return code !== undefined && code >= 1002 && code <= 1015 && code !== NO_STATUS_CODE;
}

/** Returns the error close(code, reason) would throw under the side's rule, or undefined when valid. */
export function checkCloseArgs(
  code?: number,
  reason?: string,
  rule: CloseCodeRule = 'browser',
): DuplexError | undefined {
  if (code !== undefined && !isAllowedCloseCode(code, rule)) {
    const message =
      rule === 'wire'
        ? `Close code ${code} cannot be sent: use 1000–1003, 1007–1014 or an application code from 3000 to 4999 (1004, 1005, 1006 and 1015 never appear in a close frame).`
        : `Close code ${code} is not allowed: use 1000 (normal closure) or an application code from 3000 to 4999.` +
          (isAllowedCloseCode(code, 'wire')
            ? ` ${code} is valid on the wire: allow any code valid on the wire to send it.`
            : '');
    return new DuplexError(ErrorCodes.INVALID_ACCESS, message);
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
