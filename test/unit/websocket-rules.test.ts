/**
 * The browser WebSocket API's argument rules: close code and reason, well-formed text, URLs.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_REASON_BYTES,
  READY_STATE_NAMES,
  ReadyState,
  checkCloseArgs,
  checkWellFormed,
  isFailureCloseCode,
  clientCloseRule,
  isAllowedCloseCode,
  parseWebSocketUrl,
} from '../../app/websocket-rules.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';

function thrown(fn: () => unknown): DuplexError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DuplexError);
    return err as DuplexError;
  }
  throw new Error('expected a DuplexError');
}

describe('ReadyState', () => {
  it('matches the browser constants', () => {
    expect(ReadyState).toEqual({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    expect(READY_STATE_NAMES[ReadyState.CLOSING]).toBe('CLOSING');
  });
});

describe('checkCloseArgs', () => {
  it('accepts no code, 1000 and 3000–4999', () => {
    for (const code of [undefined, 1000, 3000, 3999, 4000, 4999]) {
      expect(checkCloseArgs(code), `code ${code}`).toBeUndefined();
    }
  });

  it('refuses 999, 1001, 1005, 1006, 2999, 5000, non-integers with INVALID_ACCESS', () => {
    for (const code of [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, 65535, 3000.5, NaN, Infinity, -1000]) {
      const err = checkCloseArgs(code);
      expect(err?.code, `code ${code}`).toBe(ErrorCodes.INVALID_ACCESS);
      expect(err?.message).toContain('3000 to 4999');
    }
  });

  it('limits the reason to 123 UTF-8 bytes (SYNTAX beyond), counting bytes not characters', () => {
    expect(MAX_REASON_BYTES).toBe(123);
    expect(checkCloseArgs(1000, 'a'.repeat(123))).toBeUndefined();
    expect(checkCloseArgs(1000, '')).toBeUndefined();
    expect(checkCloseArgs(1000, 'a'.repeat(124))?.code).toBe(ErrorCodes.SYNTAX);
    expect(checkCloseArgs(1000, 'a'.repeat(124))?.message).toContain('124 bytes');
    expect(checkCloseArgs(1000, '€'.repeat(41))).toBeUndefined(); // 123 bytes
    expect(checkCloseArgs(1000, '€'.repeat(41) + 'a')?.code).toBe(ErrorCodes.SYNTAX);
    expect(checkCloseArgs(undefined, 'x'.repeat(200))?.code).toBe(ErrorCodes.SYNTAX);
  });

  it('checks the code before the reason, and refuses a reason with an unpaired surrogate', () => {
    expect(checkCloseArgs(999, 'x'.repeat(200))?.code).toBe(ErrorCodes.INVALID_ACCESS);
    expect(checkCloseArgs(1000, 'bad \uD800')?.code).toBe(ErrorCodes.SYNTAX);
    expect(checkCloseArgs(1000, 'bad \uD800')?.message).toMatch(/^Close reason/);
  });
});

describe('close-code rules per side', () => {
  // Every code that can appear in a close frame, as ws itself accepts them on receipt.
  const wire = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999];
  const neverOnTheWire = [999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 1011.5, NaN];

  it('the wire rule (a server, or a client that opted in) accepts every code valid in a close frame', () => {
    for (const code of wire) expect(checkCloseArgs(code, 'bye', 'wire'), `code ${code}`).toBeUndefined();
    for (const code of neverOnTheWire) {
      const err = checkCloseArgs(code, undefined, 'wire');
      expect(err?.code, `code ${code}`).toBe(ErrorCodes.INVALID_ACCESS);
      expect(err?.message).toContain('1000–1003, 1007–1014');
    }
    expect(checkCloseArgs(1011, 'r'.repeat(124), 'wire')?.code).toBe(ErrorCodes.SYNTAX);
    expect(checkCloseArgs(1011, 'bad \uD800', 'wire')?.code).toBe(ErrorCodes.SYNTAX);
  });

  it('matches what ws accepts in a close frame, code by code', () => {
    // ws's own check of a received close frame's code (not exported: loaded by path).
    const require = createRequire(import.meta.url);
    const { isValidStatusCode } = require(join(dirname(require.resolve('ws')), 'lib', 'validation.js')) as {
      isValidStatusCode: (code: number) => boolean;
    };
    for (let code = 0; code <= 5100; code++) {
      expect(isAllowedCloseCode(code, 'wire'), `code ${code}`).toBe(isValidStatusCode(code));
    }
  });

  it('the browser rule is the default and refuses wire codes, saying how to opt in', () => {
    expect(checkCloseArgs(1011)?.code).toBe(ErrorCodes.INVALID_ACCESS);
    expect(checkCloseArgs(1001, undefined, 'browser')?.message).toMatch(/valid on the wire/);
    expect(checkCloseArgs(999, undefined, 'browser')?.message).not.toMatch(/valid on the wire/);
    for (const code of [1000, 3000, 4999]) expect(isAllowedCloseCode(code, 'browser')).toBe(true);
    for (const code of [1001, 1008, 1011, 1014]) expect(isAllowedCloseCode(code, 'browser')).toBe(false);
  });

  it('a client uses the browser rule unless it opted in to every wire code', () => {
    expect(clientCloseRule(undefined)).toBe('browser');
    expect(clientCloseRule(false)).toBe('browser');
    expect(clientCloseRule(true)).toBe('wire');
  });
});

describe('checkWellFormed', () => {
  it('accepts well-formed text including surrogate pairs', () => {
    for (const t of ['', 'plain', 'é€', '😀', '\uD83D\uDE00\uD83D\uDE00'])
      expect(checkWellFormed(t)).toBeUndefined();
  });

  it('names the unpaired surrogate and its index', () => {
    const cases: [string, string, number][] = [
      ['a\uD800b', 'D800', 1],
      ['end\uDBFF', 'DBFF', 3],
      ['\uDC00start', 'DC00', 0],
      ['😀\uDE00', 'DE00', 2],
      ['\uDE00\uD83D', 'DE00', 0],
    ];
    for (const [text, hex, index] of cases) {
      const err = checkWellFormed(text);
      expect(err?.code).toBe(ErrorCodes.SYNTAX);
      expect(err?.message).toContain(`U+${hex} at index ${index}`);
    }
  });
});

describe('parseWebSocketUrl', () => {
  it('accepts ws and wss URLs as they are', () => {
    expect(parseWebSocketUrl('ws://localhost:8080/path?x=1').href).toBe('ws://localhost:8080/path?x=1');
    expect(parseWebSocketUrl('wss://example.com/socket').href).toBe('wss://example.com/socket');
    expect(parseWebSocketUrl('WS://EXAMPLE.com').href).toBe('ws://example.com/');
    expect(parseWebSocketUrl('ws://[::1]:9000/').host).toBe('[::1]:9000');
  });

  it('rewrites http to ws and https to wss, keeping host, port, path and query', () => {
    expect(parseWebSocketUrl('http://127.0.0.1:3000/a/b?c=d').href).toBe('ws://127.0.0.1:3000/a/b?c=d');
    expect(parseWebSocketUrl('https://example.com/live').href).toBe('wss://example.com/live');
    expect(parseWebSocketUrl('HTTPS://example.com:8443').href).toBe('wss://example.com:8443/');
  });

  it('refuses malformed URLs, other schemes and fragments with SYNTAX and an example', () => {
    const bad = thrown(() => parseWebSocketUrl('localhost:8080'));
    expect(bad.code).toBe(ErrorCodes.SYNTAX);
    expect(thrown(() => parseWebSocketUrl('not a url')).message).toContain('ws://localhost:8080/path');
    expect(thrown(() => parseWebSocketUrl('')).code).toBe(ErrorCodes.SYNTAX);
    expect(thrown(() => parseWebSocketUrl('ws://')).code).toBe(ErrorCodes.SYNTAX);
    expect(thrown(() => parseWebSocketUrl('ftp://example.com/')).message).toContain('ftp://');
    expect(thrown(() => parseWebSocketUrl('ws://example.com/#frag')).message).toContain('#frag');
  });
});

describe('isFailureCloseCode', () => {
  it('is a failure for 1006 and protocol or server errors, not for normal, no-code or application closes', () => {
    for (const code of [1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 1015]) {
      expect(isFailureCloseCode(code)).toBe(true);
    }
    for (const code of [1000, 1001, 1005, 3000, 4000, 4999, undefined])
      expect(isFailureCloseCode(code)).toBe(false);
  });
});
