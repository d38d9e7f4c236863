/**
 * Argument parsing shared by the `duplex` subcommands: the common options
 * (--json, --port, --header …) and their parsers, in one place so every
 * command spells and checks them the same way. Parsers given to commander
 * throw InvalidArgumentError (exit 2 through main.ts); checks made after
 * parsing throw the engine's DuplexError with a code.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import {
  loadVariableSet,
  parseVarAssignment,
  type SecretSource,
  type VariableSet,
} from '../app/variables/index.js';
import { parseWebSocketUrl } from '../app/websocket-rules.js';

/** The longest delay a Node timer keeps (ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Appends a repeatable option's values: `--protocol a --protocol b` → ['a', 'b']. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * The CLI's one whole-number rule: `value` as a whole number in [min, max], or
 * an INVALID_INPUT error naming the flag and the value.
 */
export function wholeNumberArg(flag: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (/^-?\d+$/.test(value.trim()) && n >= min && n <= max) return n;
  throw new DuplexError(
    ErrorCodes.INVALID_INPUT,
    `${flag} ${JSON.stringify(value)}: expected a whole number${range(min, max)}.`,
  );
}

/** wholeNumberArg as a commander parser (commander prints the reason and main.ts exits 2). */
export function wholeNumberOption(flag: string, min?: number, max?: number): (value: string) => number {
  return (value) => {
    try {
      return wholeNumberArg(flag, value, min, max);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

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
  return new Option('--port <N>', description)
    .argParser(wholeNumberOption('--port', 0, 65535))
    .default(fallback);
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
export function checkWebSocketUrl(url: string): string {
  parseWebSocketUrl(url);
  return url;
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

/** What addVariableOptions adds to a command's parsed options. */
export interface VariableFlags {
  env?: string;
  var?: string[];
  workspace?: string;
}

/**
 * Adds `--env NAME`, repeatable `--var key=value` and (unless the command has
 * its own) `--workspace DIR` (default: the current folder) to a command. Turn
 * the parsed options into a VariableSet with variablesFromFlags.
 */
export function addVariableOptions(
  command: Command,
  options: { workspace?: boolean; envHelp?: string } = {},
): Command {
  command
    .option(
      '--env <NAME>',
      options.envHelp ??
        'environment to resolve {{variables}} from (environments/NAME.json in the workspace)',
    )
    .option('--var <key=value>', 'set a variable, over the environment (repeatable)', collectVar, []);
  if (options.workspace !== false) {
    command.option('--workspace <DIR>', 'workspace folder holding environments/ and secrets.local.json', '.');
  }
  return command;
}

/**
 * The VariableSet the flags choose: the environment's values, its secrets
 * (DUPLEX_SECRET_<NAME>, then <workspace>/secrets.local.json, which must be 0600),
 * then the --var overrides. A missing environment or a bad file throws the
 * engine's DuplexError (exit 2).
 */
export function variablesFromFlags(
  flags: VariableFlags,
  options: { workspace?: string; secrets?: SecretSource } = {},
): Promise<VariableSet> {
  const root = resolve(options.workspace ?? flags.workspace ?? '.');
  const vars = Object.fromEntries((flags.var ?? []).map((text) => parseVarAssignment(text)));
  return loadVariableSet(root, { env: flags.env, vars, secrets: options.secrets });
}

/** `--no-redact`: keep secret values and Authorization/Cookie values in output and recordings. */
export function addRedactOption(command: Command): Command {
  return command.option(
    '--no-redact',
    'print and record secret values and Authorization/Cookie header values as they are (default: [redacted])',
  );
}

/** The engine's `environment` / `vars` inputs for what --env and --var chose (empty when neither). */
export function variableChoiceOf(flags: VariableFlags): {
  environment?: string;
  vars?: Record<string, string>;
} {
  const list = flags.var ?? [];
  return {
    ...(flags.env !== undefined ? { environment: flags.env } : {}),
    ...(list.length > 0 ? { vars: Object.fromEntries(list.map((v) => parseVarAssignment(v))) } : {}),
  };
}

function collectVar(value: string, previous: string[]): string[] {
  try {
    parseVarAssignment(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...previous, value];
}

function range(min: number, max: number): string {
  if (min === -Infinity && max === Infinity) return '';
  return max === Infinity ? ` of at least ${min}` : ` from ${min} to ${max}`;
}
