import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Composer from './Composer.svelte';
import { ComposerState } from '../lib/composer.svelte.js';
import { createFakeApi } from '../../test-support/fake-api.js';
import { highlightingFor } from '@codemirror/language';
import { forceLinting } from '@codemirror/lint';
import type { EditorView } from '@codemirror/view';
import { tags } from '@lezer/highlight';
import { composerEditor, typeInComposer } from '../../test-support/code-editor-testing.js';

const editor = (): EditorView => composerEditor();
const type = (text: string): Promise<void> => typeInComposer(text);

/** The text under each lint marker in the editor. */
function markers(): string[] {
  return [...editor().contentDOM.querySelectorAll('.cm-lintRange-error')].map((m) => m.textContent ?? '');
}

function setup() {
  const composer = new ComposerState(createFakeApi());
  const onsend = vi.fn(async () => true);
  render(Composer, { composer, onsend, onping: () => undefined });
  return { composer, onsend };
}

describe('Composer', () => {
  it('offers text, JSON, hex, base64 and file modes', () => {
    setup();
    const group = screen.getByRole('group', { name: 'Message format' });
    const names = [...group.querySelectorAll('button')].map((b) => b.textContent?.trim());
    expect(names).toEqual(['Text', 'JSON', 'Hex', 'Base64', 'File']);
  });

  it('shows an inline error for bad hex and builds bytes from good hex', async () => {
    const { composer } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Hex' }));
    await type('00 ff 1');
    expect(screen.getByRole('alert').textContent).toMatch(/odd number of digits/);
    await type('00 zz');
    expect(screen.getByRole('alert').textContent).toBe(
      'Hex input has "z" at column 4, which is not a hex digit; use 0-9 and a-f.',
    );
    await type('00 ff 10');
    expect(screen.getByRole('alert').textContent).toBe('');
    expect(composer.build()).toEqual({ type: 'binary', data: new Uint8Array([0, 255, 16]) });
  });

  it('marks the bad hex character in the editor, and clears the marker once the hex is fixed', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Hex' }));
    await type('00 ff\n1g 2a');
    expect(screen.getByRole('alert').textContent).toMatch(/^Hex input has "g" at line 2, column 2,/);
    forceLinting(editor());
    await waitFor(() => expect(markers()).toEqual(['g']));
    expect(editor().contentDOM.getAttribute('aria-invalid')).toBe('true');
    await type('00 ff 10 2');
    forceLinting(editor());
    await waitFor(() => expect(markers()).toEqual(['2']));
    await type('00 ff 10 2a');
    forceLinting(editor());
    await waitFor(() => expect(markers()).toEqual([]));
    expect(editor().contentDOM.getAttribute('aria-invalid')).toBe('false');
  });

  it('highlights JSON and marks where it stops being valid', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
    await type('{"type": "tick", "n": 1, "ok": true,}');
    const state = editor().state;
    const keyClass = highlightingFor(state, [tags.propertyName]);
    const stringClass = highlightingFor(state, [tags.string]);
    expect(keyClass).toBeTruthy();
    expect(keyClass).not.toBe(stringClass);
    const span = (text: string) =>
      [...editor().contentDOM.querySelectorAll('span')].find((s) => s.textContent === text);
    expect(span('"type"')?.className).toContain(keyClass);
    expect(span('"tick"')?.className).toContain(stringClass);
    forceLinting(editor());
    // The parser stops at the closing brace after the trailing comma.
    await waitFor(() => expect(markers()).toEqual(['}']));
    // A parser message without a position ("Unexpected token") is placed by the syntax tree.
    await type('{"ok": tru}');
    expect(screen.getByRole('alert').textContent).not.toMatch(/position/);
    forceLinting(editor());
    await waitFor(() => expect(markers()).toEqual(['t']));
    // Text mode has neither highlighting nor markers.
    await fireEvent.click(screen.getByRole('button', { name: 'Text' }));
    await tick();
    expect(span('"type"')).toBeUndefined();
    expect(markers()).toEqual([]);
  });

  it('applies typing over a selection itself, so the browser copies no style onto the line', async () => {
    setup();
    await type('{"a": 12}');
    const view = editor();
    view.dispatch({ selection: { anchor: 6, head: 8 } }); // "12"
    const event = new InputEvent('beforeinput', {
      inputType: 'insertText',
      data: '7',
      cancelable: true,
      bubbles: true,
    });
    view.contentDOM.dispatchEvent(event);
    expect(event.defaultPrevented).toBe(true);
    expect(view.state.doc.toString()).toBe('{"a": 7}');
    // Typing at a caret is left to the browser (and read back by CodeMirror).
    const atCaret = new InputEvent('beforeinput', {
      inputType: 'insertText',
      data: '8',
      cancelable: true,
      bubbles: true,
    });
    view.contentDOM.dispatchEvent(atCaret);
    expect(atCaret.defaultPrevented).toBe(false);
  });

  it('validates JSON, formats it, and refuses to send invalid JSON', async () => {
    const { composer, onsend } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
    await type('{"a": 1,');
    expect(screen.getByRole('alert').textContent).toMatch(/^Invalid JSON/);
    await type('{"a":[1,2]}');
    expect(screen.getByRole('alert').textContent).toBe('');
    await fireEvent.click(screen.getByRole('button', { name: 'Format' }));
    expect(composer.draft).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(onsend).not.toHaveBeenCalled();
  });

  it('flags bad base64', async () => {
    setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Base64' }));
    await type('abc$');
    expect(screen.getByRole('alert').textContent).toMatch(/Base64 input contains characters/);
  });

  it('sends with Ctrl+Enter and with the Send button', async () => {
    const { onsend } = setup();
    await type('hello');
    await fireEvent.keyDown(editor().contentDOM, { key: 'Enter', ctrlKey: true });
    await tick();
    expect(onsend).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await tick();
    expect(onsend).toHaveBeenCalledTimes(2);
  });

  it('file mode asks for a file before sending', async () => {
    const { composer } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'File' }));
    expect(document.querySelector('.code-editor')).toBeNull();
    expect(composer.build()).toBeUndefined();
    await tick();
    expect(screen.getByRole('alert').textContent).toMatch(/Choose a file/);
  });

  it('saves a template, then renames it, replaces its message with the draft and deletes it', async () => {
    const api = createFakeApi();
    const composer = new ComposerState(api);
    render(Composer, { composer, onsend: vi.fn(async () => true) });
    await type('subscribe');
    await fireEvent.click(screen.getByRole('button', { name: 'Save as template' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Template name' }), {
      target: { value: 'sub' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save template' }));
    await waitFor(() => expect(composer.templates.map((t) => t.name)).toEqual(['sub']));
    const id = composer.templates[0]!.id;

    await fireEvent.click(screen.getByRole('button', { name: 'Manage' }));
    const panel = screen.getByRole('region', { name: 'Manage templates' });
    await fireEvent.input(within(panel).getByRole('textbox', { name: 'Name of template sub' }), {
      target: { value: 'subscribe ticker' },
    });
    await fireEvent.click(within(panel).getByRole('button', { name: 'Rename' }));
    await waitFor(() => expect(composer.templates.map((t) => t.name)).toEqual(['subscribe ticker']));
    expect(composer.templates[0]).toMatchObject({ id, payload: { type: 'text', text: 'subscribe' } });

    await type('unsubscribe');
    await fireEvent.click(within(panel).getByRole('button', { name: 'Replace with draft' }));
    await waitFor(() =>
      expect(composer.templates[0]).toMatchObject({
        id,
        name: 'subscribe ticker',
        payload: { type: 'text', text: 'unsubscribe' },
      }),
    );
    expect(
      api.calls.filter(([n]) => n === 'template.save').map(([, i]) => (i as { id?: string }).id),
    ).toEqual([undefined, id, id]);

    await fireEvent.input(within(panel).getByRole('textbox', { name: 'Name of template subscribe ticker' }), {
      target: { value: '  ' },
    });
    await fireEvent.click(within(panel).getByRole('button', { name: 'Rename' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Give the template a name/);

    await fireEvent.click(within(panel).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(composer.templates).toEqual([]));
    expect(screen.queryByRole('region', { name: 'Manage templates' })).toBeNull();
  });

  /** Saves the draft as a template through the form; `own` sets "Only this connection" (undefined: not offered). */
  async function saveAsTemplate(draft: string, name: string, own?: boolean): Promise<void> {
    await type(draft);
    await fireEvent.click(screen.getByRole('button', { name: 'Save as template' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Template name' }), {
      target: { value: name },
    });
    if (own !== undefined) {
      const box = screen.getByRole('checkbox', { name: 'Only this connection' }) as HTMLInputElement;
      if (box.checked !== own) await fireEvent.click(box);
    } else {
      expect(screen.queryByRole('checkbox', { name: 'Only this connection' })).toBeNull();
      expect(screen.getByText('Saved for the whole workspace')).toBeTruthy();
    }
    await fireEvent.click(screen.getByRole('button', { name: 'Save template' }));
    await waitFor(() => expect(screen.queryByRole('textbox', { name: 'Template name' })).toBeNull());
  }

  const offered = (): string[] =>
    [...(screen.getByRole('combobox', { name: 'Insert template' }) as HTMLSelectElement).options]
      .filter((o) => o.value !== '')
      .map((o) => `${(o.parentElement as HTMLOptGroupElement).label ?? ''}: ${o.textContent}`);

  it('a template saved where there is no saved connection is workspace-wide and offered in a new tab', async () => {
    const api = createFakeApi();
    // An unsaved connection's composer, or a mock server's: no connection to keep it with.
    const first = render(Composer, { composer: new ComposerState(api), onsend: vi.fn(async () => true) });
    await saveAsTemplate('ping', 'keepalive');
    expect(api.calls.find(([n]) => n === 'template.save')?.[1]).not.toHaveProperty('savedConnectionId');
    first.unmount();

    // Another tab (or the same after a reload) offers it again.
    render(Composer, { composer: new ComposerState(api), onsend: vi.fn(async () => true) });
    await waitFor(() => expect(offered()).toEqual([': keepalive']));
  });

  it('a saved connection keeps a template with itself or for the whole workspace, and offers both', async () => {
    const api = createFakeApi();
    const [one, two] = await savedConnections(api, 2);
    const composer = new ComposerState(api, one);
    render(Composer, { composer, onsend: vi.fn(async () => true) });
    await saveAsTemplate('mine', 'own one', true);
    await saveAsTemplate('ours', 'shared one', false);
    const saves = api.calls.filter(([n]) => n === 'template.save').map(([, i]) => i);
    expect(saves[0]).toMatchObject({ name: 'own one', savedConnectionId: one });
    expect(saves[1]).not.toHaveProperty('savedConnectionId');
    expect(offered()).toEqual(['This connection: own one', 'Workspace: shared one']);

    // Another saved connection is offered only the workspace-wide one.
    const other = new ComposerState(api, two);
    await other.loadTemplates();
    expect(other.templates.map((t) => t.name)).toEqual(['shared one']);
  });

  it('renaming a workspace-wide template from a saved connection keeps it workspace-wide', async () => {
    const api = createFakeApi();
    await api.template.save({ name: 'shared', payload: { type: 'text', text: 'x' } });
    const [one] = await savedConnections(api, 1);
    const composer = new ComposerState(api, one);
    render(Composer, { composer, onsend: vi.fn(async () => true) });
    await waitFor(() => expect(composer.templates.map((t) => t.name)).toEqual(['shared']));
    await fireEvent.click(screen.getByRole('button', { name: 'Manage' }));
    const panel = screen.getByRole('region', { name: 'Manage templates' });
    expect(panel.textContent).toContain('Workspace');
    await fireEvent.input(within(panel).getByRole('textbox', { name: 'Name of template shared' }), {
      target: { value: 'renamed' },
    });
    await fireEvent.click(within(panel).getByRole('button', { name: 'Rename' }));
    await waitFor(() => expect(composer.templates.map((t) => t.name)).toEqual(['renamed']));
    expect(api.calls.filter(([n]) => n === 'template.save').at(-1)?.[1]).not.toHaveProperty(
      'savedConnectionId',
    );
  });
});

/** Saves `n` connections in the fake (a template's own connection must exist to keep it). */
async function savedConnections(api: ReturnType<typeof createFakeApi>, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await api.savedConnection.save({ name: `c${i}`, options: { url: 'ws://127.0.0.1:9/' } });
    if (!r.ok) throw new Error(r.error.message);
    ids.push(r.value.id);
  }
  return ids;
}
