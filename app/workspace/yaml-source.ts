/**
 * A YAML (or JSON) file read against a zod schema, with errors that name the
 * file, the line and the field: what the mock files and the flow files share.
 *
 * parseYamlSource validates the text; the `locate` it returns points a field
 * path at its line for the checks a caller makes after the schema (compiling
 * templates, matchers, references between fields).
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { DuplexError, type ErrorCode } from '../errors.js';
import type { TemplateError } from '../templates/template-error.js';

export interface SourcePlace {
  line?: number;
  column?: number;
}

/** A problem at a place of a file; the message reads `file:line:column: field: problem`. */
export class SourceFileError extends DuplexError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The field as a path, e.g. `routes[0].rules[1].when.json.path`; empty for the whole file. */
  readonly field: string;
  readonly problem: string;

  constructor(
    code: ErrorCode,
    file: string,
    where: { line?: number; column?: number; field: string },
    problem: string,
  ) {
    const at = where.line === undefined ? file : `${file}:${where.line}:${where.column ?? 1}`;
    super(code, `${at}: ${where.field ? `${where.field}: ` : ''}${problem}`, {
      file,
      line: where.line,
      column: where.column,
      field: where.field,
    });
    this.name = 'SourceFileError';
    this.file = file;
    this.line = where.line;
    this.column = where.column;
    this.field = where.field;
    this.problem = problem;
  }
}

export type MakeSourceError = (
  where: { line?: number; column?: number; field: string },
  problem: string,
) => SourceFileError;

export interface ParsedSource<T> {
  value: T;
  /** Points a field path at its place in the text, for errors found after parsing. */
  locate: (path: readonly PropertyKey[]) => SourcePlace;
}

/**
 * Parses YAML or JSON text (JSON is read as YAML 1.2) and validates it against
 * `schema`; the first problem is thrown through `makeError` with its line and field.
 */
export function parseYamlSource<S extends z.ZodType>(
  text: string,
  schema: S,
  makeError: MakeSourceError,
): ParsedSource<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = lineCounter.linePos(yamlError.pos[0]);
    throw makeError({ line: pos.line, column: pos.col, field: '' }, firstLine(yamlError.message));
  }
  const locate = (path: readonly PropertyKey[]) => locateIn(doc, lineCounter, path);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const problem = issueMessage(issue, valueAt(raw, issue.path) === undefined);
    // An unknown key is best shown where it is written, not where its map starts.
    const at =
      issue.code === 'unrecognized_keys'
        ? locateKey(doc, lineCounter, issue.path, issue.keys[0]!)
        : locate(issue.path);
    throw makeError({ ...at, field: fieldName(issue.path) }, problem);
  }
  return { value: result.data as z.output<S>, locate };
}

/** `routes[0].rules[1].when`: how a field path is written in messages. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/** A template's compile error as the problem of the field that holds the template. */
export function templateProblem(err: TemplateError): string {
  const at = err.line === undefined ? '' : ` at line ${err.line}, column ${err.column} of the template`;
  return `${err.message.replace(/ \(line \d+, column \d+\)$/, '')}${at}`;
}

function issueMessage(issue: z.core.$ZodIssue, missing: boolean): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && missing) return `is required (${issue.expected})`;
  return issue.message;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** The line of the deepest node the path reaches (the parent map for a missing key). */
function locateIn(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): SourcePlace {
  let node: unknown = doc.contents;
  let found = node as Node | null;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === key);
      if (!pair) break;
      found = (pair.value as Node | null) ?? (pair.key as Node);
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (item === undefined) break;
      found = item as Node;
      node = item;
    } else break;
  }
  const offset = found?.range?.[0];
  if (offset === undefined) return {};
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function locateKey(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  key: string,
): SourcePlace {
  const map = doc.getIn(path as unknown[], true);
  const pair = isMap(map)
    ? map.items.find((item) => isScalar(item.key) && item.key.value === key)
    : undefined;
  const offset = (pair?.key as Node | undefined)?.range?.[0];
  if (offset === undefined) return locateIn(doc, lines, path);
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}
