/**
 * Compares a received message with the recorded one, for replay --verify:
 * binary byte for byte, JSON structurally (key order and spacing do not count;
 * values under ignored JSON paths such as `$.timestamp` are skipped), other text
 * exactly. Returns readable differences, not a boolean.
 */
import { bytesToHex, utf8Decode } from '../payload/codecs.js';
import { DuplexError, ErrorCodes } from '../errors.js';

export interface Message {
  kind: 'text' | 'binary';
  data: Uint8Array;
}

/** A compiled JSON path: `$.a.b[0]`, `$.items[*].id`, `$..timestamp`. */
type Segment = { any: boolean; key: string | number | '*' };
export type JsonPath = Segment[];

const MAX_DIFFS = 10;

export function parseJsonPath(path: string): JsonPath {
  const bad = (why: string): DuplexError =>
    new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `Ignore path "${path}" ${why}; write paths like $.timestamp, $.items[*].id or $..requestId.`,
    );
  if (!path.startsWith('$')) throw bad('does not start with $');
  const out: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    let any = false;
    if (path.startsWith('..', i)) {
      any = true;
      i += 2;
    } else if (path[i] === '.') i += 1;
    else if (path[i] !== '[') throw bad(`has an unexpected "${path[i]}" at position ${i}`);
    if (path[i] === '[') {
      const end = path.indexOf(']', i);
      if (end === -1) throw bad('has a [ without ]');
      const inner = path.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') out.push({ any, key: '*' });
      else if (/^\d+$/.test(inner)) out.push({ any, key: Number(inner) });
      else if (/^(['"]).*\1$/.test(inner)) out.push({ any, key: inner.slice(1, -1) });
      else throw bad(`has [${inner}], which is neither an index, * nor a quoted name`);
    } else {
      const m = /^[^.[\]]+/.exec(path.slice(i));
      if (!m) throw bad('has an empty name');
      out.push({ any, key: m[0] === '*' ? '*' : m[0] });
      i += m[0].length;
    }
  }
  return out;
}

function matches(pattern: JsonPath, at: (string | number)[]): boolean {
  const go = (p: number, a: number): boolean => {
    if (p === pattern.length) return a === at.length;
    const seg = pattern[p]!;
    for (let j = a; j < at.length; j++) {
      const k = at[j]!;
      if (seg.key === '*' || seg.key === k || String(seg.key) === String(k)) {
        if (go(p + 1, j + 1)) return true;
      }
      if (!seg.any) break;
    }
    return false;
  };
  return go(0, 0);
}

function formatPath(at: (string | number)[]): string {
  return (
    '$' +
    at
      .map((k) =>
        typeof k === 'number' ? `[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`,
      )
      .join('')
  );
}

function short(value: unknown): string {
  const s = value === undefined ? 'nothing' : JSON.stringify(value);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
}

/** Differences between two JSON values, as lines `$.path: expected X, got Y`. */
export function diffJson(expected: unknown, actual: unknown, ignore: JsonPath[] = []): string[] {
  const out: string[] = [];
  const walk = (e: unknown, a: unknown, at: (string | number)[]): void => {
    if (out.length >= MAX_DIFFS) return;
    if (ignore.some((p) => matches(p, at))) return;
    const eArr = Array.isArray(e);
    const aArr = Array.isArray(a);
    const eObj = typeof e === 'object' && e !== null && !eArr;
    const aObj = typeof a === 'object' && a !== null && !aArr;
    if (eArr && aArr) {
      for (let i = 0; i < Math.max(e.length, a.length); i++) {
        if (i >= a.length) {
          if (!ignore.some((p) => matches(p, [...at, i])))
            out.push(`${formatPath([...at, i])}: missing (expected ${short(e[i])})`);
        } else if (i >= e.length) {
          if (!ignore.some((p) => matches(p, [...at, i])))
            out.push(`${formatPath([...at, i])}: unexpected element ${short(a[i])}`);
        } else walk(e[i], a[i], [...at, i]);
        if (out.length >= MAX_DIFFS) return;
      }
      return;
    }
    if (eObj && aObj) {
      const eo = e as Record<string, unknown>;
      const ao = a as Record<string, unknown>;
      for (const k of Object.keys(eo)) {
        if (!(k in ao)) {
          if (!ignore.some((p) => matches(p, [...at, k])))
            out.push(`${formatPath([...at, k])}: missing (expected ${short(eo[k])})`);
        } else walk(eo[k], ao[k], [...at, k]);
        if (out.length >= MAX_DIFFS) return;
      }
      for (const k of Object.keys(ao)) {
        if (!(k in eo) && !ignore.some((p) => matches(p, [...at, k])))
          out.push(`${formatPath([...at, k])}: unexpected key, got ${short(ao[k])}`);
        if (out.length >= MAX_DIFFS) return;
      }
      return;
    }
    if (eArr || aArr || eObj || aObj || e !== a) {
      out.push(`${formatPath(at)}: expected ${short(e)}, got ${short(a)}`);
    }
  };
  walk(expected, actual, []);
  return out;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trimStart();
  if (!(t.startsWith('{') || t.startsWith('['))) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Differences between the recorded message and the received one; empty when they match. */
export function compareMessages(expected: Message, actual: Message, ignore: JsonPath[] = []): string[] {
  if (expected.kind !== actual.kind) {
    return [`expected a ${expected.kind} message, got ${actual.kind} (${actual.data.byteLength} bytes)`];
  }
  if (expected.kind === 'binary') return diffBytes(expected.data, actual.data);
  const e = utf8Decode(expected.data);
  const a = utf8Decode(actual.data);
  const ej = parseJson(e);
  if (ej.ok) {
    const aj = parseJson(a);
    if (!aj.ok) return [`expected JSON ${short(ej.value)}, got text that is not JSON: ${short(a)}`];
    return diffJson(ej.value, aj.value, ignore);
  }
  if (e === a) return [];
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  return [`text differs at character ${i}: expected ${short(e)}, got ${short(a)}`];
}

function diffBytes(e: Uint8Array, a: Uint8Array): string[] {
  let i = 0;
  const n = Math.min(e.byteLength, a.byteLength);
  while (i < n && e[i] === a[i]) i++;
  if (i === e.byteLength && i === a.byteLength) return [];
  const from = Math.max(0, i - 4);
  const out = [`bytes differ at offset ${i} (expected ${e.byteLength} bytes, got ${a.byteLength})`];
  out.push(`  expected …${bytesToHex(e.subarray(from, i + 12), ' ')}`);
  out.push(`  got      …${bytesToHex(a.subarray(from, i + 12), ' ')}`);
  return out;
}
