/**
 * Message matchers of a mock's rules, compiled once from the mock file into
 * plain functions over a MessageView. Pure: no socket, no clock.
 *
 * - text:   equals / contains / regex, on text messages
 * - json:   a JSONPath with equals / exists / regex, on any text message that parses
 *           as JSON (whatever the handshake said its Content-Type was)
 * - binary: prefixHex / equalsHex, on binary messages
 * - kind:   text | binary
 * - all / any / not; several keys in one matcher must all hold
 */
import { JSONPath } from 'jsonpath-plus';
import { hexToBytes } from '../payload/codecs.js';
import type { MessageKind, MessageView } from '../payload/message-view.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface TextMatcherSpec {
  equals?: string;
  contains?: string;
  regex?: string;
  /** RegExp flags for `regex`, e.g. "i". */
  flags?: string;
}

export interface JsonMatcherSpec {
  /** A JSONPath starting at `$`, e.g. `$.type`, `$.items[*].id`. */
  path: string;
  equals?: JsonValue;
  exists?: boolean;
  regex?: string;
  flags?: string;
}

export interface BinaryMatcherSpec {
  prefixHex?: string;
  equalsHex?: string;
}

export interface MatcherSpec {
  text?: TextMatcherSpec;
  json?: JsonMatcherSpec;
  binary?: BinaryMatcherSpec;
  kind?: MessageKind;
  all?: MatcherSpec[];
  any?: MatcherSpec[];
  not?: MatcherSpec;
}

export type Matcher = (msg: MessageView) => boolean;

/** A matcher that cannot be compiled; `path` leads from the matcher to the bad field. */
export class MatcherError extends Error {
  readonly path: (string | number)[];

  constructor(path: (string | number)[], message: string) {
    super(message);
    this.name = 'MatcherError';
    this.path = path;
  }
}

/** Compiles a matcher once; the result is called for every message. */
export function compileMatcher(spec: MatcherSpec, path: (string | number)[] = []): Matcher {
  const parts: Matcher[] = [];
  if (spec.kind !== undefined) {
    const kind = spec.kind;
    if (kind !== 'text' && kind !== 'binary')
      throw new MatcherError([...path, 'kind'], 'kind is text or binary');
    parts.push((msg) => msg.kind === kind);
  }
  if (spec.text !== undefined) parts.push(textMatcher(spec.text, [...path, 'text']));
  if (spec.json !== undefined) parts.push(jsonMatcher(spec.json, [...path, 'json']));
  if (spec.binary !== undefined) parts.push(binaryMatcher(spec.binary, [...path, 'binary']));
  if (spec.all !== undefined) {
    const all = spec.all.map((s, i) => compileMatcher(s, [...path, 'all', i]));
    parts.push((msg) => all.every((m) => m(msg)));
  }
  if (spec.any !== undefined) {
    const any = spec.any.map((s, i) => compileMatcher(s, [...path, 'any', i]));
    parts.push((msg) => any.some((m) => m(msg)));
  }
  if (spec.not !== undefined) {
    const not = compileMatcher(spec.not, [...path, 'not']);
    parts.push((msg) => !not(msg));
  }
  if (parts.length === 0) {
    throw new MatcherError(path, 'a matcher needs one of text, json, binary, kind, all, any, not');
  }
  return parts.length === 1 ? parts[0]! : (msg) => parts.every((m) => m(msg));
}

function textMatcher(spec: TextMatcherSpec, path: (string | number)[]): Matcher {
  const test = oneOf(spec, ['equals', 'contains', 'regex'], path);
  if (test === 'equals') {
    const expected = spec.equals!;
    return (msg) => msg.kind === 'text' && msg.text === expected;
  }
  if (test === 'contains') {
    const needle = spec.contains!;
    return (msg) => msg.kind === 'text' && msg.text.includes(needle);
  }
  const regex = compileRegex(spec.regex!, spec.flags, path);
  return (msg) => msg.kind === 'text' && regex.test(msg.text);
}

function jsonMatcher(spec: JsonMatcherSpec, path: (string | number)[]): Matcher {
  if (typeof spec.path !== 'string' || !spec.path.startsWith('$')) {
    throw new MatcherError([...path, 'path'], 'a JSON path starts at $, e.g. "$.type"');
  }
  const jsonPath = JSONPath.toPathArray(spec.path);
  const direct = directPath(jsonPath);
  const select = (msg: MessageView): unknown[] => {
    if (!msg.isJson) return [];
    if (direct) return walk(msg.json, direct);
    try {
      return (
        (JSONPath({ path: jsonPath, json: msg.json as JsonValue, wrap: true, eval: 'safe' }) as unknown[]) ??
        []
      );
    } catch {
      // A filter expression that fails on this message (e.g. reads a field of a string) selects nothing.
      return [];
    }
  };
  const test = oneOf(spec, ['equals', 'exists', 'regex'], path);
  if (test === 'exists') {
    const wanted = spec.exists!;
    return (msg) => msg.isJson && select(msg).length > 0 === wanted;
  }
  if (test === 'equals') {
    const expected = spec.equals!;
    return (msg) => select(msg).some((value) => jsonEquals(value, expected));
  }
  const regex = compileRegex(spec.regex!, spec.flags, path);
  return (msg) => select(msg).some((value) => regexMatchesValue(regex, value));
}

function binaryMatcher(spec: BinaryMatcherSpec, path: (string | number)[]): Matcher {
  const test = oneOf(spec, ['prefixHex', 'equalsHex'], path);
  const expected = parseHex(spec[test]!, [...path, test]);
  if (test === 'prefixHex') {
    return (msg) => msg.kind === 'binary' && startsWith(msg.bytes, expected);
  }
  return (msg) => msg.kind === 'binary' && msg.size === expected.length && startsWith(msg.bytes, expected);
}

/**
 * The segments of a path made only of names and indexes (`$.a.b[0]`), which is most
 * rule paths: those are read directly, at a small fraction of a JSONPath evaluation's
 * cost, since every rule runs on every message. Anything else returns undefined.
 */
function directPath(path: string[]): string[] | undefined {
  if (path[0] !== '$') return undefined;
  const rest = path.slice(1);
  return rest.every((segment) => segment !== '' && segment !== '..' && !/[*?()@~^`,:$]/.test(segment))
    ? rest
    : undefined;
}

/** What JSONPath selects for a direct path: the value if every step is an own property, else nothing. */
function walk(value: unknown, segments: string[]): unknown[] {
  for (const segment of segments) {
    // Like jsonpath-plus: own properties, of a string too (`$.name.length`).
    if (
      value === null ||
      value === undefined ||
      !Object.prototype.hasOwnProperty.call(Object(value), segment)
    ) {
      return [];
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return [value];
}

/** A regex is tested on a scalar's text (null as ""), and on each element of an array. */
function regexMatchesValue(regex: RegExp, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((item) => !isObject(item) && regexMatchesValue(regex, item));
  if (isObject(value)) return false;
  return regex.test(value === null ? '' : String(value));
}

export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  if (isObject(a) && isObject(b) && !Array.isArray(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && jsonEquals(a[key], b[key]))
    );
  }
  return false;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function oneOf<K extends string>(spec: object, keys: readonly K[], path: (string | number)[]): K {
  const present = keys.filter((key) => (spec as Record<string, unknown>)[key] !== undefined);
  if (present.length !== 1) {
    const found = present.length === 0 ? 'none' : present.join(' and ');
    throw new MatcherError(path, `give exactly one of ${keys.join(', ')} (found ${found})`);
  }
  return present[0]!;
}

function compileRegex(source: string, flags: string | undefined, path: (string | number)[]): RegExp {
  if (flags !== undefined && /[gy]/.test(flags)) {
    // A global or sticky regex keeps lastIndex between messages and would answer every other one.
    throw new MatcherError(
      [...path, 'flags'],
      'flags g and y are not allowed: a rule tests each message afresh',
    );
  }
  try {
    return new RegExp(source, flags);
  } catch (err) {
    const field = flags !== undefined && /flag/i.test((err as Error).message) ? 'flags' : 'regex';
    throw new MatcherError([...path, field], (err as Error).message);
  }
}

function parseHex(hex: string, path: (string | number)[]): Uint8Array {
  try {
    return hexToBytes(hex);
  } catch (err) {
    throw new MatcherError(path, (err as Error).message);
  }
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
