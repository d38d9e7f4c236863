/**
 * Argument parsing shared by the `duplex` subcommands: the common options
 * (--json, --port, --header …) and their parsers, in one place so every
 * command spells and checks them the same way. Parsers given to commander
 * throw InvalidArgumentError (exit 2 through main.ts); checks made after
 * parsing throw the engine's DuplexError with a code.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { parseWebSocketUrl } from '../app/websocket-rules.js';

/** The longest delay a Node timer keeps (ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Appends a repeatable option's values: `--protocol a --protocol b` → ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** A commander parser for a whole number in [min, max]; `what` names it in the reason. */
export function wholeNumber(what: string, min = 0, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!isWhole(value, min, max))
      throw new InvalidArgumentError(`${what} is a whole number ${range(min, max)}.`);
    return Number(value);
  };
}

/** A TCP port, 0 picking a free one. */
export const parsePort = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one).');
  }
  return Number(value);
};

/** A number ≥ 0 (replay pace). */
export const parseSpeed = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new InvalidArgumentError('speed is a number ≥ 0 (1 = recorded pace, 0 = no waiting).');
  }
  return n;
};

/** `--json`: one JSON object per line instead of readable lines. */
export function jsonOption(description = 'print one JSON object per line'): Option {
  return new Option('--json', description);
}

/** `--port <N>` with the shared port parser. */
export function portOption(description: string, fallback: number): Option {
  return new Option('--port <N>', description).argParser(parsePort).default(fallback);
}

/**
 * `--header "Name: value"` values merged into one record, names compared
 * without case (repeats are joined with ", " as HTTP does). Values are checked
 * by the engine's schema (no line breaks) when the connection opens.
 */
export function parseHeaders(list: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const text of list) {
    const colon = text.indexOf(':');
    const name = colon > 0 ? text.slice(0, colon).trim() : '';
    if (!name) {
      throw new DuplexError(
        ErrorCodes.SYNTAX,
        `--header ${JSON.stringify(text)} is not "Name: value"; write it like --header "Authorization: Bearer abc".`,
      );
    }
    const value = text.slice(colon + 1).trim();
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return headers;
}

/** Checks a ws:// or wss:// URL with the browser's rules; throws the SYNTAX DuplexError. */
export function checkWebSocketUrl(url: string, flag?: string): string {
  try {
    parseWebSocketUrl(url);
  } catch (err) {
    if (flag === undefined || !(err instanceof DuplexError)) throw err;
    throw new DuplexError(err.code, `${flag} ${JSON.stringify(url)}: ${err.message}`);
  }
  return url;
}

/** A whole number from a flag checked after parsing (so the error carries a code). */
export function integerArg(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!isWhole(value, min, max)) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `${flag} ${JSON.stringify(value)}: expected a whole number ${range(min, max)}.`,
    );
  }
  return Number(value);
}

/** The contents of a file named by a flag, as UTF-8 (PEM) or base64 (binary, e.g. PFX); FILE error when unreadable. */
export function readFlagFile(flag: string, file: string, as: 'utf8' | 'base64', what: string): string {
  try {
    return readFileSync(file).toString(as);
  } catch (err) {
    throw new DuplexError(
      ErrorCodes.FILE,
      `${flag} ${file}: cannot read it (${(err as Error).message}); pass the path of ${what}.`,
    );
  }
}

function isWhole(value: string, min: number, max: number): boolean {
  const n = Number(value);
  return /^-?\d+$/.test(value.trim()) && n >= min && n <= max;
}

function range(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
}
