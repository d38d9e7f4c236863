/**
 * Payload codecs: UTF-8, hex, base64 (standard and URL-safe), JSON.
 */
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  bytesToBase64,
  bytesToHex,
  formatJson,
  hexToBytes,
  scanHex,
  looksLikeJson,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
} from '../../app/payload/codecs.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';

function syntaxError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DuplexError);
    expect((err as DuplexError).code).toBe(ErrorCodes.SYNTAX);
    return (err as DuplexError).message;
  }
  throw new Error('expected a SYNTAX DuplexError');
}

describe('utf8', () => {
  it('encodes, decodes and counts bytes of multi-byte text', () => {
    expect([...utf8Encode('é€😀')]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect(utf8Decode(utf8Encode('é€😀'))).toBe('é€😀');
    expect(utf8ByteLength('é€😀')).toBe(9);
    expect(utf8ByteLength('')).toBe(0);
  });

  it('decodes invalid UTF-8 with replacement characters instead of throwing', () => {
    expect(utf8Decode(new Uint8Array([0x61, 0xff, 0x62]))).toBe('a\uFFFDb');
  });
});

describe('hex', () => {
  it('parses spaced, packed, 0x-prefixed, comma and colon separated hex in either case', () => {
    expect([...hexToBytes('00 ff 10')]).toEqual([0, 255, 16]);
    expect([...hexToBytes('00FF10')]).toEqual([0, 255, 16]);
    expect([...hexToBytes('0x00, 0xFf,0x10')]).toEqual([0, 255, 16]);
    expect([...hexToBytes('de:ad:be:ef')]).toEqual([0xde, 0xad, 0xbe, 0xef]);
    expect([...hexToBytes('  0a\n0b\t')]).toEqual([10, 11]);
    expect(hexToBytes('')).toHaveLength(0);
  });

  it('refuses an odd number of digits and non-hex characters with SYNTAX', () => {
    expect(syntaxError(() => hexToBytes('abc'))).toContain('odd number of digits (3)');
    expect(syntaxError(() => hexToBytes('0 ff'))).toContain('odd');
    expect(syntaxError(() => hexToBytes('zz'))).toContain('"z"');
    expect(syntaxError(() => hexToBytes('12 3g'))).toContain('"g"');
  });

  it('names the bad character and where it is, so an editor can mark it', () => {
    expect(syntaxError(() => hexToBytes('00 zz'))).toBe(
      'Hex input has "z" at column 4, which is not a hex digit; use 0-9 and a-f.',
    );
    expect(syntaxError(() => hexToBytes('00 ff\n10 q1'))).toContain('"q" at line 2, column 4');
    expect(syntaxError(() => hexToBytes('00 ff 1'))).toBe(
      'Hex input has an odd number of digits (5): the "1" at column 7 has no pair; every byte needs two digits, e.g. "0a" not "a".',
    );
    // A character outside the BMP is named whole, not as half a surrogate pair.
    expect(scanHex('0a 😀')).toEqual({
      problem: expect.objectContaining({ offset: 3, length: 2, message: expect.stringContaining('"😀"') }),
    });
    expect(scanHex('0x0a, 0xfF')).toEqual({ digits: '0afF' });
    try {
      hexToBytes('ab cd eg');
      expect.unreachable();
    } catch (err) {
      expect((err as DuplexError).details).toEqual({ offset: 7, length: 1 });
    }
  });

  it('formats bytes as hex with an optional separator and round-trips', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesToHex(new Uint8Array([0, 255, 16]))).toBe('00ff10');
    expect(bytesToHex(new Uint8Array([0, 255, 16]), ' ')).toBe('00 ff 10');
    expect(bytesToHex(new Uint8Array(0))).toBe('');
    expect(hexToBytes(bytesToHex(all, ' '))).toEqual(all);
  });
});

describe('base64', () => {
  it('parses standard base64 with or without padding, ignoring whitespace', () => {
    expect(utf8Decode(base64ToBytes('aGVsbG8='))).toBe('hello');
    expect(utf8Decode(base64ToBytes('aGVsbG8'))).toBe('hello');
    expect(utf8Decode(base64ToBytes('aGVs\nbG8g d29y bGQ='))).toBe('hello world');
    expect(base64ToBytes('')).toHaveLength(0);
    expect([...base64ToBytes('+/8=')]).toEqual([0xfb, 0xff]);
  });

  it('parses URL-safe base64 (- and _)', () => {
    expect([...base64ToBytes('-_8')]).toEqual([0xfb, 0xff]);
    expect([...base64ToBytes('-_8=')]).toEqual([0xfb, 0xff]);
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => i * 4 + 3);
    const urlSafe = bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    expect(base64ToBytes(urlSafe)).toEqual(bytes);
  });

  it('refuses bad characters, mixed alphabets and truncated input with SYNTAX', () => {
    expect(syntaxError(() => base64ToBytes('abc$'))).toContain('outside');
    expect(syntaxError(() => base64ToBytes('ab+_'))).toContain('outside');
    expect(syntaxError(() => base64ToBytes('ab=c'))).toContain('outside');
    expect(syntaxError(() => base64ToBytes('abcde'))).toContain('truncated');
  });

  it('matches Node’s base64 for every length of a group and its remainders, padded or not', () => {
    for (let n = 0; n <= 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n * 13) & 0xff);
      const expected = Buffer.from(bytes).toString('base64');
      expect(bytesToBase64(bytes)).toBe(expected);
      expect(base64ToBytes(expected)).toEqual(bytes);
      expect(base64ToBytes(expected.replace(/=+$/, ''))).toEqual(bytes);
      expect(base64ToBytes(Buffer.from(bytes).toString('base64url'))).toEqual(bytes);
    }
    // Bits of the last digit that make no whole byte are dropped, as atob does.
    expect(utf8Decode(base64ToBytes('aGVsbG9='))).toBe('hello');
  });

  it('encodes and round-trips large buffers (more than one 32 KiB chunk)', () => {
    expect(bytesToBase64(utf8Encode('hello'))).toBe('aGVsbG8=');
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
    const big = Uint8Array.from({ length: 100_003 }, (_, i) => (i * 31) & 0xff);
    const b64 = bytesToBase64(big);
    expect(b64).toBe(Buffer.from(big).toString('base64'));
    expect(Buffer.from(base64ToBytes(b64)).equals(big)).toBe(true);
  });
});

describe('json', () => {
  it('pretty-prints valid JSON and names the problem in invalid JSON', () => {
    expect(formatJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(formatJson('[1]', 0)).toBe('[1]');
    expect(syntaxError(() => formatJson('{"a":'))).toMatch(/^Invalid JSON: /);
  });

  it('recognises objects and arrays only', () => {
    expect(looksLikeJson(' {"a":1}')).toBe(true);
    expect(looksLikeJson('[1,2]')).toBe(true);
    expect(looksLikeJson('42')).toBe(false);
    expect(looksLikeJson('"str"')).toBe(false);
    expect(looksLikeJson('{not json')).toBe(false);
    expect(looksLikeJson('')).toBe(false);
  });
});
