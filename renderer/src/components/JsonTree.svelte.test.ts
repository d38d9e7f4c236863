import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import JsonTree from './JsonTree.svelte';
import {
  childPath,
  CHILD_PAGE,
  EXPAND_ALL_ROWS,
  JsonTreeModel,
  type JsonValue,
} from '../lib/json-tree.svelte.js';

function setup(value: JsonValue) {
  const copy = vi.fn(async (_text: string) => undefined);
  const onstatus = vi.fn();
  render(JsonTree, { value, copy, onstatus });
  const tree = screen.getByRole('tree', { name: 'JSON' });
  const items = () => within(tree).queryAllByRole('treeitem');
  const item = (path: string) => {
    const found = items().find((el) => el.querySelector(`[aria-label="Copy path ${path}"]`));
    if (!found)
      throw new Error(
        `No row for ${path}; rows: ${items()
          .map((i) => i.textContent)
          .join(' | ')}`,
      );
    return found;
  };
  return { copy, onstatus, tree, items, item };
}

describe('JSONPath of a child', () => {
  it('uses dots for names, brackets for indexes and quoted names otherwise', () => {
    expect(childPath('$', 'a')).toBe('$.a');
    expect(childPath('$.a', 0)).toBe('$.a[0]');
    expect(childPath('$.a[0]', 'b')).toBe('$.a[0].b');
    expect(childPath('$', 'a b')).toBe("$['a b']");
    expect(childPath('$', "it's")).toBe("$['it\\'s']");
    expect(childPath('$', '1x')).toBe("$['1x']");
    expect(childPath('$', 'back\\slash')).toBe("$['back\\\\slash']");
  });
});

describe('JsonTree', () => {
  const sample = { type: 'tick', n: 1.5, ok: true, none: null, a: [{ b: 'deep' }], 'odd key': {} };

  it('shows keys and values with their syntax classes, open to a small depth', () => {
    const { item } = setup(sample);
    const type = item('$.type');
    expect(type.querySelector('.key')?.textContent).toBe('"type"');
    expect(type.querySelector('.v-string')?.textContent).toBe('"tick"');
    expect(item('$.n').querySelector('.v-number')?.textContent).toBe('1.5');
    expect(item('$.ok').querySelector('.v-boolean')?.textContent).toBe('true');
    expect(item('$.none').querySelector('.v-null')?.textContent).toBe('null');
    expect(item("$['odd key']").querySelector('.v-object')?.textContent).toBe('{…} 0 keys');
    // Small enough to open fully within the initial depth.
    expect(item('$.a[0].b').querySelector('.v-string')?.textContent).toBe('"deep"');
    expect(item('$.a').getAttribute('aria-expanded')).toBe('true');
    expect(item('$.a[0].b').getAttribute('aria-level')).toBe('4');
  });

  it('collapses and expands a container with its toggle', async () => {
    const { item, items } = setup(sample);
    const before = items().length;
    await fireEvent.click(screen.getByRole('button', { name: 'Collapse $.a' }));
    expect(item('$.a').getAttribute('aria-expanded')).toBe('false');
    expect(item('$.a').querySelector('.v-array')?.textContent).toBe('[…] 1 item');
    expect(items().length).toBe(before - 2);
    expect(() => item('$.a[0]')).toThrow();
    await fireEvent.click(screen.getByRole('button', { name: 'Expand $.a' }));
    expect(item('$.a[0].b')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Collapse all' }));
    expect(items()).toHaveLength(1);
    expect(items()[0]!.textContent).toContain('{…} 6 keys');
    await fireEvent.click(screen.getByRole('button', { name: 'Expand all' }));
    expect(items().length).toBe(before);
  });

  it('copies a value (strings as themselves, the rest as JSON) and its JSONPath', async () => {
    const { copy, onstatus } = setup(sample);
    await fireEvent.click(screen.getByRole('button', { name: 'Copy value of $.a[0].b' }));
    expect(copy).toHaveBeenLastCalledWith('deep');
    await fireEvent.click(screen.getByRole('button', { name: 'Copy value of $.a' }));
    expect(copy).toHaveBeenLastCalledWith('[\n  {\n    "b": "deep"\n  }\n]');
    await fireEvent.click(screen.getByRole('button', { name: 'Copy path $.a[0].b' }));
    expect(copy).toHaveBeenLastCalledWith('$.a[0].b');
    expect(onstatus).toHaveBeenLastCalledWith('Copied the path $.a[0].b.');
    await fireEvent.click(screen.getByRole('button', { name: "Copy path $['odd key']" }));
    expect(copy).toHaveBeenLastCalledWith("$['odd key']");
  });

  it('reports a failed copy', async () => {
    const onstatus = vi.fn();
    render(JsonTree, { value: [1], copy: async () => Promise.reject(new Error('denied')), onstatus });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy value of $[0]' }));
    expect(onstatus).toHaveBeenLastCalledWith('Copy failed: denied');
  });

  it('moves with the arrow keys, opens with → and closes with ←, and the toolbar copies the selection', async () => {
    const { tree, item, copy } = setup({ a: { b: [10, 20] }, c: 3 });
    const activePath = () =>
      tree.querySelector('.jt-row.active [aria-label^="Copy path "]')?.getAttribute('aria-label');
    expect(activePath()).toBe('Copy path $');
    await fireEvent.keyDown(tree, { key: 'ArrowDown' });
    expect(activePath()).toBe('Copy path $.a');
    const described = document.getElementById(tree.getAttribute('aria-activedescendant') ?? '');
    expect(described?.getAttribute('data-path')).toBe('$.a');
    await fireEvent.keyDown(tree, { key: 'ArrowLeft' });
    expect(item('$.a').getAttribute('aria-expanded')).toBe('false');
    await fireEvent.keyDown(tree, { key: 'ArrowRight' });
    expect(item('$.a').getAttribute('aria-expanded')).toBe('true');
    await fireEvent.keyDown(tree, { key: 'ArrowRight' });
    expect(activePath()).toBe('Copy path $.a.b');
    await fireEvent.keyDown(tree, { key: 'ArrowDown' });
    expect(activePath()).toBe('Copy path $.a.b[0]');
    await fireEvent.keyDown(tree, { key: 'ArrowLeft' }); // a leaf: to its parent
    expect(activePath()).toBe('Copy path $.a.b');
    await fireEvent.keyDown(tree, { key: 'Enter' });
    expect(item('$.a.b').getAttribute('aria-expanded')).toBe('false');
    expect(screen.getByText('$.a.b', { selector: 'code' })).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Copy path' }));
    expect(copy).toHaveBeenLastCalledWith('$.a.b');
  });

  it('renders a big array a page at a time and only the rows in view', async () => {
    const big = Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `item ${i}` }));
    const started = performance.now();
    const { tree, items } = setup(big);
    expect(performance.now() - started).toBeLessThan(2000);
    // The root is open with its first page; the items themselves stay closed.
    const model = new JsonTreeModel(big);
    expect(model.rows).toHaveLength(CHILD_PAGE + 2);
    expect(model.rows.at(-1)).toMatchObject({ type: 'more', shown: CHILD_PAGE, total: 100_000 });
    model.showMore('$');
    expect(model.rows).toHaveLength(2 * CHILD_PAGE + 2);
    // The view renders only what fits (jsdom's fallback height), not 200 rows.
    expect(items().length).toBeLessThan(40);
    expect(tree.querySelectorAll('[role=treeitem]')[1]!.textContent).toContain('{…} 2 keys');
  });

  it('"Expand all" on a deep, wide payload stops near the row budget', () => {
    // 200 × 200 × 200 leaves if everything opened: eight million rows.
    const level = (depth: number): JsonValue =>
      depth === 0 ? 1 : Array.from({ length: 200 }, () => level(depth - 1));
    const started = performance.now();
    const model = new JsonTreeModel(level(3));
    model.expandAll();
    expect(model.rows.length).toBeGreaterThan(EXPAND_ALL_ROWS / 2);
    expect(model.rows.length).toBeLessThan(EXPAND_ALL_ROWS + 2 * CHILD_PAGE);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('a million-item array opens with a first page of rows, at once', () => {
    const million = Array.from({ length: 1_000_000 }, (_, i) => i);
    const started = performance.now();
    const model = new JsonTreeModel(million);
    expect(model.rows).toHaveLength(CHILD_PAGE + 2);
    model.toggle('$');
    expect(model.rows).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('"Show more" adds the next page of children', async () => {
    const model = new JsonTreeModel(Array.from({ length: CHILD_PAGE + 5 }, (_, i) => i));
    const more = model.rows.at(-1)!;
    expect(more).toMatchObject({ type: 'more', shown: CHILD_PAGE, total: CHILD_PAGE + 5 });
    model.showMore('$');
    expect(model.rows.filter((r) => r.type === 'more')).toEqual([]);
    expect(model.rows).toHaveLength(CHILD_PAGE + 6);
    expect(model.rows.at(-1)).toMatchObject({ path: `$[${CHILD_PAGE + 4}]`, value: CHILD_PAGE + 4 });
  });

  it('opens a wide object only as far as the initial row budget allows', () => {
    const wide = {
      list: Array.from({ length: 150 }, (_, i) => ({ i })),
      other: Array.from({ length: 150 }, (_, i) => i),
    };
    const model = new JsonTreeModel(wide);
    expect(model.expanded.has('$')).toBe(true);
    expect(model.expanded.has('$.list')).toBe(true);
    // Opening $.other as well would pass the budget: it stays closed, and no item of $.list is opened.
    expect(model.expanded.has('$.other')).toBe(false);
    expect(model.expanded.has('$.list[0]')).toBe(false);
  });
});
