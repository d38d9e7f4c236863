/**
 * A parsed JSON value as the rows of a tree: only expanded containers have
 * rows for their children, and those come a page at a time, so a payload of
 * millions of values shows as a few hundred rows until the person opens more.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonContainer = JsonValue[] | { [key: string]: JsonValue };
type PathPart = string | number;

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export interface JsonNodeRow {
  type: 'node';
  /** The node's JSONPath, also its stable id. */
  path: string;
  parent: string | undefined;
  depth: number;
  /** The key in its object or index in its array; undefined for the root. */
  key: PathPart | undefined;
  value: JsonValue;
  kind: JsonKind;
  /** Children of an object or array (0 for other values). */
  size: number;
  expanded: boolean;
}

export interface JsonMoreRow {
  type: 'more';
  path: string;
  parent: string;
  depth: number;
  shown: number;
  total: number;
}

export type JsonRow = JsonNodeRow | JsonMoreRow;

/** Children rendered per page of a container. */
export const CHILD_PAGE = 200;
/** Rows opened at first: breadth-first until about this many are visible. */
export const INITIAL_ROWS = 200;
/** Depth below which nothing is opened at first. */
export const INITIAL_DEPTH = 3;
/** "Expand all" stops opening containers once about this many rows are visible. */
export const EXPAND_ALL_ROWS = 5000;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** JSONPath of a child: `$.a`, `$[0]`, `$['a b']` (RFC 9535 quoting for other names). */
export function childPath(parent: string, key: PathPart): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return `${parent}.${key}`;
  return `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

export function kindOf(value: JsonValue): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as 'object' | 'string' | 'number' | 'boolean';
}

/** Text to put on the clipboard for a value: a string as itself, anything else as (pretty) JSON. */
export function copyText(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

export class JsonTreeModel {
  readonly root: JsonValue;
  /** Paths of open containers. Replaced, not mutated. */
  expanded = $state.raw<ReadonlySet<string>>(new Set());
  /** Children shown per open container beyond the first page. Replaced, not mutated. */
  shown = $state.raw<ReadonlyMap<string, number>>(new Map());
  readonly rows: JsonRow[] = $derived(this.#flatten());
  #keys = new WeakMap<object, string[]>();

  constructor(root: JsonValue) {
    this.root = root;
    this.expanded = this.#initiallyOpen();
  }

  toggle(path: string): void {
    const row = this.rows.find((r) => r.type === 'node' && r.path === path);
    if (row?.type !== 'node' || row.size === 0) return;
    this.setExpanded(path, !row.expanded);
  }

  setExpanded(path: string, open: boolean): void {
    if (this.expanded.has(path) === open) return;
    const next = new Set(this.expanded);
    if (open) next.add(path);
    else next.delete(path);
    this.expanded = next;
  }

  /** Shows the next page of a container's children. */
  showMore(path: string): void {
    const next = new Map(this.shown);
    next.set(path, (next.get(path) ?? CHILD_PAGE) + CHILD_PAGE);
    this.shown = next;
  }

  /**
   * Opens containers down to `depth` levels below the root, in document order, until about
   * EXPAND_ALL_ROWS rows are visible (children still come a page at a time): a deep payload
   * opens as far as can be read, not into millions of rows.
   */
  expandAll(depth = Infinity): void {
    const next = new Set<string>();
    let visible = 1;
    const walk = (value: JsonValue, path: string, level: number): void => {
      if (level >= depth || visible >= EXPAND_ALL_ROWS || !isContainer(value) || this.#size(value) === 0)
        return;
      next.add(path);
      const limit = this.shown.get(path) ?? CHILD_PAGE;
      visible += Math.min(limit, this.#size(value));
      this.#children(value, path, limit, (child, p) => walk(child, p, level + 1));
    };
    walk(this.root, '$', 0);
    this.expanded = next;
  }

  collapseAll(): void {
    this.expanded = new Set();
  }

  #initiallyOpen(): Set<string> {
    const open = new Set<string>();
    let visible = 1;
    let level: [JsonValue, string][] = [[this.root, '$']];
    for (let depth = 0; depth < INITIAL_DEPTH && level.length > 0; depth++) {
      const next: [JsonValue, string][] = [];
      for (const [value, path] of level) {
        if (!isContainer(value)) continue;
        const count = Math.min(this.#size(value), CHILD_PAGE);
        if (count === 0) continue;
        if (visible + count > INITIAL_ROWS && open.size > 0) return open;
        open.add(path);
        visible += count;
        this.#children(value, path, CHILD_PAGE, (child, p) => next.push([child, p]));
      }
      level = next;
    }
    return open;
  }

  #flatten(): JsonRow[] {
    const rows: JsonRow[] = [];
    const visit = (
      value: JsonValue,
      path: string,
      parent: string | undefined,
      key: PathPart | undefined,
      depth: number,
    ): void => {
      const kind = kindOf(value);
      const size = isContainer(value) ? this.#size(value) : 0;
      const expanded = size > 0 && this.expanded.has(path);
      rows.push({ type: 'node', path, parent, depth, key, value, kind, size, expanded });
      if (!expanded) return;
      const limit = this.shown.get(path) ?? CHILD_PAGE;
      const shown = this.#children(value as JsonContainer, path, limit, (child, p, k) =>
        visit(child, p, path, k, depth + 1),
      );
      if (shown < size) {
        rows.push({ type: 'more', path: `${path}…`, parent: path, depth: depth + 1, shown, total: size });
      }
    };
    visit(this.root, '$', undefined, undefined, 0);
    return rows;
  }

  /** Calls `each` for the first `limit` children; returns how many it visited. */
  #children(
    value: JsonContainer,
    path: string,
    limit: number,
    each: (child: JsonValue, path: string, key: PathPart) => void,
  ): number {
    if (Array.isArray(value)) {
      const n = Math.min(limit, value.length);
      for (let i = 0; i < n; i++) each(value[i]!, childPath(path, i), i);
      return n;
    }
    const keys = this.#keysOf(value);
    const n = Math.min(limit, keys.length);
    for (let i = 0; i < n; i++) each(value[keys[i]!]!, childPath(path, keys[i]!), keys[i]!);
    return n;
  }

  #size(value: JsonContainer): number {
    return Array.isArray(value) ? value.length : this.#keysOf(value).length;
  }

  /** Object.keys once per object: an open object of a million keys is not listed again on every change. */
  #keysOf(value: { [key: string]: JsonValue }): string[] {
    let keys = this.#keys.get(value);
    if (!keys) this.#keys.set(value, (keys = Object.keys(value)));
    return keys;
  }
}

function isContainer(value: JsonValue): value is JsonContainer {
  return typeof value === 'object' && value !== null;
}

/** What marks the matches of a log search in the tree's keys and values, or undefined for none. */
export function treeMarks(
  search: { mode: string; ranges(text: string): [number, number][] } | undefined,
  value: JsonValue,
): { ranges(text: string): [number, number][] } | undefined {
  if (!search || search.mode !== 'jsonpath') return search;
  // A JSON path matches the document, not a row: mark the values it selected wherever a row shows them.
  const whole = JSON.stringify(value);
  const needles = [...new Set(search.ranges(whole).map(([a, b]) => whole.slice(a, b)))];
  if (needles.length === 0) return undefined;
  return {
    ranges(text) {
      const out: [number, number][] = [];
      for (const needle of needles) {
        for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
          out.push([at, at + needle.length]);
        }
      }
      out.sort((a, b) => a[0] - b[0]);
      const merged: [number, number][] = [];
      for (const r of out) if (merged.length === 0 || r[0] >= merged.at(-1)![1]) merged.push(r);
      return merged;
    },
  };
}
