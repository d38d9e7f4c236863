/**
 * The log view's filter (direction, kinds shown or hidden, client, pinned
 * entries, search as text, regex or JSON path): one implementation for live
 * logs, session files and the UI's match of entries as they arrive. Runtime-free
 * (no Node), so the renderer imports it too.
 */
import { JSONPath } from 'jsonpath-plus';
import { bytesToHex, utf8Decode } from '../payload/codecs.js';
import type { Direction, LogFilter, LogKind, SearchMode } from '../contract.js';

/** What the filter looks at in an entry, wherever it is stored. */
export interface FilterableEntry {
  readonly seq: number;
  readonly dir: Direction;
  readonly kind: LogKind;
  readonly clientId?: string | undefined;
  readonly note?: string | undefined;
}

/** Kinds that are WebSocket messages (what "N messages" counts), control frames, and events of Duplex. */
export const messageKinds = ['text', 'binary'] as const satisfies readonly LogKind[];
export const controlKinds = ['ping', 'pong'] as const satisfies readonly LogKind[];
export const eventKinds = ['open', 'close', 'error', 'info'] as const satisfies readonly LogKind[];
/** The groups cover every kind, once (a kind added to the contract must be placed in a group). */
type Grouped = (typeof messageKinds | typeof controlKinds | typeof eventKinds)[number];
const everyKindGrouped: [LogKind] extends [Grouped] ? true : never = true;
void everyKindGrouped;

export function isMessageKind(kind: LogKind): boolean {
  return kind === 'text' || kind === 'binary';
}

/** A search that cannot be compiled (a bad regex or JSON path), with a message for a person. */
export class SearchSyntaxError extends Error {
  override readonly name = 'SearchSyntaxError';
}

/** A compiled search: whether a text matches, and where (for highlighting). */
export interface SearchMatcher {
  readonly mode: SearchMode;
  /**
   * Text every matching text contains (lower case when `caseless`), so a store can skip
   * entries without decoding them; `orBackslash`: a text with a \\ may match anyway (JSON escapes).
   */
  readonly mustContain?: { text: string; caseless: boolean; orBackslash: boolean } | undefined;
  test(text: string): boolean;
  /** [start, end) ranges of the matches in `text`, in order, not overlapping. */
  ranges(text: string): [number, number][];
}

const MAX_RANGES = 200;

/** Compiles a search; throws SearchSyntaxError for a regex or JSON path that does not parse. */
export function compileSearch(query: string, mode: SearchMode = 'text'): SearchMatcher {
  if (mode === 'regex') return regexSearch(query);
  if (mode === 'jsonpath') return jsonPathSearch(query);
  return textSearch(query);
}

/** The search of a filter, or undefined when it has none. */
function searchOf(filter: LogFilter): SearchMatcher | undefined {
  return filter.search ? compileSearch(filter.search, filter.searchMode) : undefined;
}

/**
 * A predicate over entries. `textOf` gives the searchable text of an entry (its
 * payload as text, or hex for binary); it is called only when the filter searches.
 */
export function compileMatcher<E extends FilterableEntry>(
  filter: LogFilter,
  textOf: (entry: E) => string,
): (entry: E) => boolean {
  const kinds = filter.kinds && filter.kinds.length > 0 ? new Set(filter.kinds) : undefined;
  const hidden = filter.hideKinds && filter.hideKinds.length > 0 ? new Set(filter.hideKinds) : undefined;
  const seqs = filter.seqs ? new Set(filter.seqs) : undefined;
  const search = searchOf(filter);
  // A JSON path looks at payloads only; text and regex also find words of notes ("closed cleanly").
  const searchNotes = search !== undefined && search.mode !== 'jsonpath';
  return (e) => {
    if (filter.dir && e.dir !== filter.dir) return false;
    if (kinds && !kinds.has(e.kind)) return false;
    if (hidden && hidden.has(e.kind)) return false;
    if (filter.clientId !== undefined && e.clientId !== filter.clientId) return false;
    if (seqs && !seqs.has(e.seq)) return false;
    if (search && !search.test(textOf(e)) && !(searchNotes && e.note && search.test(e.note))) return false;
    return true;
  };
}

/** The filter over stored entries: search covers the text of a payload, or the spaced hex of a binary one's first 4 KiB. */
export function compileFilter<E extends FilterableEntry>(
  filter: LogFilter,
  payloadOf: (entry: E) => Uint8Array,
): (entry: E) => boolean {
  return compileMatcher<E>(filter, (e) => searchableText(e.kind, payloadOf(e)));
}

/** The filter over entries as the UI holds them (previews: the first KiBs of text, 64 bytes of binary as hex). */
export function compileViewFilter<E extends FilterableEntry & { readonly preview: string }>(
  filter: LogFilter,
): (entry: E) => boolean {
  return compileMatcher<E>(filter, (e) => e.preview);
}

export function searchableText(kind: LogKind, payload: Uint8Array): string {
  return kind === 'binary' ? bytesToHex(payload.subarray(0, 4096), ' ') : utf8Decode(payload);
}

function textSearch(query: string): SearchMatcher {
  const needle = query.toLowerCase();
  return {
    mode: 'text',
    mustContain: needle ? { text: needle, caseless: true, orBackslash: false } : undefined,
    test: (text) => needle === '' || text.toLowerCase().includes(needle),
    ranges: (text) => {
      const out: [number, number][] = [];
      if (needle === '') return out;
      const hay = text.toLowerCase();
      for (let at = hay.indexOf(needle); at >= 0 && out.length < MAX_RANGES; at = hay.indexOf(needle, at)) {
        out.push([at, at + needle.length]);
        at += needle.length;
      }
      return out;
    },
  };
}

function regexSearch(query: string): SearchMatcher {
  let re: RegExp;
  try {
    re = new RegExp(query, 'i');
  } catch (err) {
    throw new SearchSyntaxError(`Not a regular expression: ${(err as Error).message}`);
  }
  const global = new RegExp(re.source, 'gi');
  return {
    mode: 'regex',
    test: (text) => re.test(text),
    ranges: (text) => {
      const out: [number, number][] = [];
      for (const m of text.matchAll(global)) {
        if (m[0].length === 0) continue;
        out.push([m.index, m.index + m[0].length]);
        if (out.length >= MAX_RANGES) break;
      }
      return out;
    },
  };
}

type Comparison = '==' | '!=' | '<' | '<=' | '>' | '>=' | '=~';
const COMPARISONS: readonly Comparison[] = ['==', '!=', '<=', '>=', '=~', '<', '>'];

/**
 * `$.path` (matches when the path finds a value) or `$.path OP literal`, OP one of
 * == != < <= > >= and =~ (a /regex/). The path is JSONPath (jsonpath-plus); the
 * literal is JSON ("tick", 3, true, null) or a 'single-quoted' string.
 */
function jsonPathSearch(query: string): SearchMatcher {
  const { path, op, literal } = parseJsonPathQuery(query.trim());
  try {
    JSONPath({ path, json: {}, wrap: true, eval: 'safe' });
  } catch (err) {
    throw new SearchSyntaxError(`Not a JSON path: ${(err as Error).message}`);
  }
  const compare = comparator(op, literal);
  // Cheap test before parsing: a string literal compared with == appears in the text as is (unless escaped).
  const mustContain = op === '==' && typeof literal === 'string' ? literal : lastName(path);
  const names = plainNames(path);
  const evaluate = names
    ? (json: unknown): unknown[] => followNames(json, names)
    : (json: unknown): unknown[] =>
        JSONPath({ path, json: json as object, wrap: true, eval: 'safe' }) as unknown[];
  const valuesOf = (text: string): unknown[] | undefined => {
    const first = text.charCodeAt(0);
    if (first !== 0x7b && first !== 0x5b) return undefined; // { or [: only objects and arrays have paths
    if (mustContain !== undefined && !text.includes(mustContain) && !text.includes('\\')) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return undefined;
    }
    return evaluate(json);
  };
  const matching = (text: string): unknown[] => (valuesOf(text) ?? []).filter(compare);
  return {
    mode: 'jsonpath',
    mustContain: mustContain ? { text: mustContain, caseless: false, orBackslash: true } : undefined,
    test: (text) => matching(text).length > 0,
    ranges: (text) => {
      const out: [number, number][] = [];
      for (const value of matching(text)) {
        const needle = typeof value === 'object' && value !== null ? undefined : JSON.stringify(value);
        if (needle === undefined) continue;
        for (
          let at = text.indexOf(needle);
          at >= 0 && out.length < MAX_RANGES;
          at = text.indexOf(needle, at)
        ) {
          out.push([at, at + needle.length]);
          at += needle.length;
        }
      }
      return mergeRanges(out);
    },
  };
}

function parseJsonPathQuery(query: string): { path: string; op?: Comparison; literal?: unknown } {
  if (!query.startsWith('$')) {
    throw new SearchSyntaxError('A JSON path starts with $, e.g. $.type == "tick".');
  }
  // The first comparison outside brackets and quotes ends the path.
  let depth = 0;
  let quote = '';
  for (let i = 1; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (depth === 0) {
      const op = COMPARISONS.find((o) => query.startsWith(o, i));
      if (op) {
        const path = query.slice(0, i).trim();
        const rest = query.slice(i + op.length).trim();
        return { path, op, literal: parseLiteral(rest, op) };
      }
    }
  }
  return { path: query };
}

function parseLiteral(text: string, op: Comparison): unknown {
  if (op === '=~') {
    const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
    try {
      return m ? new RegExp(m[1]!, m[2]) : new RegExp(text);
    } catch (err) {
      throw new SearchSyntaxError(`Not a regular expression after =~: ${(err as Error).message}`);
    }
  }
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) {
    return text.slice(1, -1).replace(/\\'/g, "'");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SearchSyntaxError(
      `After ${op} comes a value: "text" in quotes, a number, true, false or null (got ${text || 'nothing'}).`,
    );
  }
}

function comparator(op: Comparison | undefined, literal: unknown): (value: unknown) => boolean {
  switch (op) {
    case undefined:
      return () => true;
    case '==':
      return (v) => sameValue(v, literal);
    case '!=':
      return (v) => !sameValue(v, literal);
    case '=~':
      return (v) => typeof v === 'string' && (literal as RegExp).test(v);
    default: {
      const order = (v: unknown): number | undefined => {
        if (typeof v === 'number' && typeof literal === 'number') return v - literal;
        if (typeof v === 'string' && typeof literal === 'string')
          return v < literal ? -1 : v > literal ? 1 : 0;
        return undefined;
      };
      const holds = { '<': (d: number) => d < 0, '<=': (d: number) => d <= 0, '>': (d: number) => d > 0 }[
        op as '<' | '<=' | '>'
      ];
      return (v) => {
        const d = order(v);
        return d !== undefined && (holds ? holds(d) : d >= 0);
      };
    }
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

/**
 * The names of a path made only of `.name` steps (`$.a.b` → ['a', 'b']), which is most
 * searches; undefined for any other path, which jsonpath-plus evaluates.
 */
function plainNames(path: string): string[] | undefined {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path)) return undefined;
  return path.split('.').slice(1);
}

/** What jsonpath-plus finds for a plain-names path (a property is followed when it is the value's own), without its general machinery. */
function followNames(json: unknown, names: readonly string[]): unknown[] {
  let value = json;
  for (const name of names) {
    if (!value || !Object.hasOwn(value, name)) return [];
    value = (value as Record<string, unknown>)[name];
  }
  return [value];
}

/** The property a dotted path ends with (`$.a.price` → `price`), which the JSON text must contain. */
function lastName(path: string): string | undefined {
  const m = /\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(path);
  // `length` is also the own property of every array and string, written nowhere in the text.
  return m && m[1] !== 'length' ? `"${m[1]}"` : undefined;
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  ranges.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}
