/**
 * A mock file's text as the rules form edits it: parsed with the `yaml`
 * library's Document API, so an edit in the form changes only the node it
 * names and keeps the person's comments, order and flow style elsewhere.
 * The engine validates (mock.save, mock.try); this module only reads and
 * writes the tree, and names fields as the engine's errors do
 * (`routes[0].rules[1].when.text.regex`).
 */
import { isMap, isSeq, LineCounter, parseDocument, type Document, type YAMLMap } from 'yaml';

export type Path = (string | number)[];

/** What a new mock file starts as: one route that answers a ping and echoes the rest. */
export const STARTER_MOCK = `# A Duplex mock (format: docs/mock-format.md)
port: 0 # 0 picks a free port
routes:
  - path: /
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then:
          - send: '{"type":"pong"}'
    otherwise: echo
`;

export interface ParsedMock {
  /** The file as plain data (undefined when the YAML cannot be read). */
  value: Record<string, unknown> | undefined;
  /** A YAML syntax error, with its 1-based line. */
  syntaxError?: { message: string; line: number; column: number };
}

export function parseMock(text: string): ParsedMock {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    return {
      value: undefined,
      syntaxError: { message: err.message.split('\n')[0]!, line: pos.line, column: pos.col },
    };
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return { value: value && typeof value === 'object' && !Array.isArray(value) ? (value as never) : {} };
}

/** The field name the engine's errors use for a path. */
export function fieldName(path: Path): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : key;
  return out;
}

/** Reads the value at `path` of parsed data. */
export function valueAt(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

function edit(text: string, change: (doc: Document) => void): string {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error('The source has a YAML error; fix it in Source first.');
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  change(doc);
  return doc.toString();
}

/**
 * Sets (or with `undefined` removes) the value at `path`. A new `name` key goes
 * first in its map, where a person reads it.
 */
export function setAt(text: string, path: Path, value: unknown): string {
  return edit(text, (doc) => {
    if (value === undefined) {
      doc.deleteIn(path);
      return;
    }
    const parent = doc.getIn(path.slice(0, -1), true);
    const key = path.at(-1)!;
    if (key === 'name' && isMap(parent) && !parent.has(key)) {
      const map = parent as YAMLMap;
      map.items.unshift(doc.createPair(key, value) as never);
      return;
    }
    doc.setIn(path, value);
  });
}

/** Inserts `value` into the list at `path` (created when missing) at `index` (the end by default). */
export function insertAt(text: string, path: Path, value: unknown, index?: number): string {
  return edit(text, (doc) => {
    const seq = doc.getIn(path, true);
    if (!isSeq(seq)) {
      doc.setIn(path, [value]);
      return;
    }
    seq.items.splice(index ?? seq.items.length, 0, doc.createNode(value) as never);
  });
}

/** Moves item `from` of the list at `path` to `to`. */
export function moveAt(text: string, path: Path, from: number, to: number): string {
  return edit(text, (doc) => {
    const seq = doc.getIn(path, true);
    if (!isSeq(seq) || to < 0 || to >= seq.items.length) return;
    const [item] = seq.items.splice(from, 1);
    seq.items.splice(to, 0, item!);
  });
}

/** Removes item `index` of the list at `path`; a list left empty is removed too. */
export function removeAt(text: string, path: Path, index: number): string {
  return edit(text, (doc) => {
    const seq = doc.getIn(path, true);
    if (!isSeq(seq)) return;
    seq.items.splice(index, 1);
    if (seq.items.length === 0) doc.deleteIn(path);
  });
}

/** A value as YAML text for a raw field (a combination matcher, a responses action). */
export function toYaml(value: unknown): string {
  if (value === undefined) return '';
  const doc = parseDocument('');
  doc.contents = doc.createNode(value) as never;
  return doc.toString().trimEnd();
}

/** YAML text of a raw field back to data; the error names the line. */
export function fromYaml(text: string): { value: unknown } | { error: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const err = doc.errors[0];
  if (err) return { error: `line ${lines.linePos(err.pos[0]).line}: ${err.message.split('\n')[0]}` };
  return { value: doc.toJS() };
}

/** The JSON matcher's `equals` as typed: JSON when it reads as JSON (5, true, "5", {…}), else text. */
export function parseJsonValue(typed: string): unknown {
  try {
    return JSON.parse(typed);
  } catch {
    return typed;
  }
}

/** The inverse of parseJsonValue: a string shows as typed unless it would read as JSON. */
export function showJsonValue(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') {
    try {
      JSON.parse(value);
      return JSON.stringify(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------
// Matchers and actions as the form shows them

export type MatcherForm =
  | { type: 'text'; op: 'equals' | 'contains' | 'regex'; value: string; flags: string }
  | { type: 'json'; path: string; op: 'equals' | 'exists' | 'regex'; value: unknown; flags: string }
  | { type: 'binary'; op: 'prefixHex' | 'equalsHex'; value: string }
  | { type: 'kind'; value: 'text' | 'binary' }
  | { type: 'raw' };

export const MATCHER_TYPES = [
  ['text', 'Text'],
  ['json', 'JSON path'],
  ['binary', 'Binary'],
  ['kind', 'Message kind'],
  ['raw', 'Combination (YAML)'],
] as const;

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : String(v));

/** How the form shows a `when`: one simple matcher, or raw YAML for combinations and several keys. */
export function matcherForm(when: unknown): MatcherForm {
  if (!when || typeof when !== 'object' || Array.isArray(when)) return { type: 'raw' };
  const w = when as Record<string, unknown>;
  const keys = Object.keys(w);
  if (keys.length !== 1) return { type: 'raw' };
  const inner = w[keys[0]!];
  if (keys[0] === 'kind' && (inner === 'text' || inner === 'binary')) return { type: 'kind', value: inner };
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) return { type: 'raw' };
  const m = inner as Record<string, unknown>;
  const tests = Object.keys(m).filter((k) => k !== 'flags' && k !== 'path');
  if (tests.length !== 1) return { type: 'raw' };
  const op = tests[0]!;
  if (keys[0] === 'text' && (op === 'equals' || op === 'contains' || op === 'regex'))
    return { type: 'text', op, value: str(m[op]), flags: str(m['flags']) };
  if (keys[0] === 'json' && (op === 'equals' || op === 'exists' || op === 'regex'))
    return { type: 'json', path: str(m['path']), op, value: m[op], flags: str(m['flags']) };
  if (keys[0] === 'binary' && (op === 'prefixHex' || op === 'equalsHex'))
    return { type: 'binary', op, value: str(m[op]) };
  return { type: 'raw' };
}

/** The `when` a matcher form writes. */
export function matcherValue(form: MatcherForm, previous: unknown): unknown {
  switch (form.type) {
    case 'text':
      return {
        text: { [form.op]: form.value, ...(form.op === 'regex' && form.flags ? { flags: form.flags } : {}) },
      };
    case 'json':
      return {
        json: {
          path: form.path,
          [form.op]: form.op === 'exists' ? form.value !== false : form.value,
          ...(form.op === 'regex' && form.flags ? { flags: form.flags } : {}),
        },
      };
    case 'binary':
      return { binary: { [form.op]: form.value } };
    case 'kind':
      return { kind: form.value };
    case 'raw':
      return previous;
  }
}

/** The matcher a type starts as when the person picks it. */
export function defaultMatcher(type: MatcherForm['type'], previous: unknown): unknown {
  switch (type) {
    case 'text':
      return { text: { equals: '' } };
    case 'json':
      return { json: { path: '$.type', equals: '' } };
    case 'binary':
      return { binary: { prefixHex: '' } };
    case 'kind':
      return { kind: 'text' };
    case 'raw':
      return { all: [previous ?? { kind: 'text' }] };
  }
}

/** Action verbs the form offers, with what a new one of each is. */
export const ACTION_DEFAULTS: Record<string, Record<string, unknown>> = {
  send: { send: '' },
  sendJson: { sendJson: { type: 'reply' } },
  sendHex: { sendHex: '00' },
  sendBase64: { sendBase64: '' },
  sendFile: { sendFile: 'file.bin' },
  echo: { echo: true },
  broadcast: { broadcast: '{{msg.text}}', to: 'room' },
  delay: { delay: 100 },
  close: { close: { code: 1000, reason: '' } },
  terminate: { terminate: true },
  drop: { drop: true },
  answerPings: { answerPings: false },
  responses: { responses: { pick: 'sequence', from: [{ send: 'first' }, { send: 'second' }] } },
};
export const ACTION_VERBS = Object.keys(ACTION_DEFAULTS);

/** The verb of an action (the one key that is not a modifier), or undefined. */
export function actionVerb(action: unknown): string | undefined {
  if (!action || typeof action !== 'object' || Array.isArray(action)) return undefined;
  const verbs = Object.keys(action).filter((k) => ACTION_VERBS.includes(k));
  return verbs.length === 1 ? verbs[0] : undefined;
}
