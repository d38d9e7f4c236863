/**
 * Text / JSON / hex / base64 codecs. Runtime-free (no Node APIs): the renderer
 * imports this file too, so it works on Uint8Array, TextEncoder and TextDecoder.
 */
import { DuplexError, ErrorCodes } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function utf8ByteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

/** Where hex input goes wrong: a message naming the character, and its offset (UTF-16 index) and length. */
export interface HexProblem {
  message: string;
  offset: number;
  length: number;
}

/**
 * Reads hex such as `00 ff 10`, `00ff10`, `0x00,0xff` (whitespace, commas,
 * colons and `0x` prefixes allowed): its digits, or the first problem, located.
 */
export function scanHex(hex: string): { digits: string; problem?: undefined } | { problem: HexProblem } {
  let digits = '';
  let lastDigitAt = -1;
  for (let i = 0; i < hex.length; i++) {
    const c = hex[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || c === ':') continue;
    if (c === '0' && (hex[i + 1] === 'x' || hex[i + 1] === 'X')) {
      i++;
      continue;
    }
    if (/[0-9a-fA-F]/.test(c)) {
      digits += c;
      lastDigitAt = i;
      continue;
    }
    const cp = hex.codePointAt(i)!;
    const char = String.fromCodePoint(cp);
    return {
      problem: {
        message: `Hex input has "${char}" ${where(hex, i)}, which is not a hex digit; use 0-9 and a-f.`,
        offset: i,
        length: char.length,
      },
    };
  }
  if (digits.length % 2 !== 0) {
    return {
      problem: {
        message: `Hex input has an odd number of digits (${digits.length}): the "${hex[lastDigitAt]}" ${where(hex, lastDigitAt)} has no pair; every byte needs two digits, e.g. "0a" not "a".`,
        offset: lastDigitAt,
        length: 1,
      },
    };
  }
  return { digits };
}

/** Parses hex (see scanHex); a SYNTAX error names the bad character and where it is (details.offset). */
export function hexToBytes(hex: string): Uint8Array {
  const scan = scanHex(hex);
  if (scan.problem) {
    const { message, offset, length } = scan.problem;
    throw new DuplexError(ErrorCodes.SYNTAX, message, { offset, length });
  }
  const clean = scan.digits;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** "at column 5", or "at line 2, column 3" in text of several lines (1-based, as editors count). */
function where(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const column = offset - lineStart + 1;
  if (!text.includes('\n')) return `at column ${column}`;
  const line = text.slice(0, offset).split('\n').length;
  return `at line ${line}, column ${column}`;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToHex(bytes: Uint8Array, separator = ''): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]!]!;
  return parts.join(separator);
}

const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;
const B64URL_RE = /^[A-Za-z0-9_-]*={0,2}$/;
const B64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Uint8Array.from(B64_DIGITS, (c) => c.charCodeAt(0));
/** Value of each base64 digit by its character code. */
const B64_VALUES = new Uint8Array(128);
for (let i = 0; i < B64_DIGITS.length; i++) B64_VALUES[B64_DIGITS.charCodeAt(i)] = i;
const PAD = 0x3d; // '='

/** Parses standard or URL-safe base64; whitespace is ignored, padding optional. */
export function base64ToBytes(b64: string): Uint8Array {
  let clean = b64.replace(/\s/g, '');
  if (!B64_RE.test(clean)) {
    if (!B64URL_RE.test(clean)) {
      throw new DuplexError(
        ErrorCodes.SYNTAX,
        'Base64 input contains characters outside A-Z a-z 0-9 + / = (or - _ for URL-safe base64).',
      );
    }
    clean = clean.replace(/-/g, '+').replace(/_/g, '/');
  }
  let digits = clean.length;
  while (digits > 0 && clean.charCodeAt(digits - 1) === PAD) digits--;
  if (digits % 4 === 1) {
    throw new DuplexError(
      ErrorCodes.SYNTAX,
      `Base64 input has ${digits} digits, which cannot encode whole bytes; it looks truncated.`,
    );
  }
  // Four digits make three bytes; the bits of a last, partial group that make no whole byte are dropped.
  const out = new Uint8Array((digits * 3) >> 2);
  let j = 0;
  let i = 0;
  for (; i + 4 <= digits; i += 4) {
    const v =
      (B64_VALUES[clean.charCodeAt(i)]! << 18) |
      (B64_VALUES[clean.charCodeAt(i + 1)]! << 12) |
      (B64_VALUES[clean.charCodeAt(i + 2)]! << 6) |
      B64_VALUES[clean.charCodeAt(i + 3)]!;
    out[j++] = v >> 16;
    out[j++] = (v >> 8) & 0xff;
    out[j++] = v & 0xff;
  }
  if (i < digits) {
    let v = 0;
    for (let k = 0; k < 4; k++) v = (v << 6) | (i + k < digits ? B64_VALUES[clean.charCodeAt(i + k)]! : 0);
    out[j++] = v >> 16;
    if (j < out.length) out[j++] = (v >> 8) & 0xff;
  }
  return out;
}

/** Standard base64 with padding. */
export function bytesToBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let j = 0;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[j++] = B64_CODES[v >> 18]!;
    out[j++] = B64_CODES[(v >> 12) & 63]!;
    out[j++] = B64_CODES[(v >> 6) & 63]!;
    out[j++] = B64_CODES[v & 63]!;
  }
  if (i < n) {
    const two = i + 1 < n;
    const v = (bytes[i]! << 16) | (two ? bytes[i + 1]! << 8 : 0);
    out[j++] = B64_CODES[v >> 18]!;
    out[j++] = B64_CODES[(v >> 12) & 63]!;
    out[j++] = two ? B64_CODES[(v >> 6) & 63]! : PAD;
    out[j++] = PAD;
  }
  // The digits are ASCII, which UTF-8 decodes as it is.
  return decoder.decode(out);
}

/** Validates JSON and returns it pretty-printed; the error names line and column. */
export function formatJson(text: string, indent = 2): string {
  try {
    return JSON.stringify(JSON.parse(text), null, indent);
  } catch (err) {
    throw new DuplexError(ErrorCodes.SYNTAX, `Invalid JSON: ${(err as Error).message}`);
  }
}

/** True when the text parses as JSON (object or array), used to pick a pretty view. */
export function looksLikeJson(text: string): boolean {
  const t = text.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
