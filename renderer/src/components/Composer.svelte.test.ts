import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { tick } from 'svelte';
import Composer from './Composer.svelte';
import { ComposerState } from '../lib/composer.svelte.js';
import { createFakeApi } from '../../test-support/fake-api.js';

function setup() {
  const composer = new ComposerState(createFakeApi());
  const onsend = vi.fn(async () => true);
  render(Composer, { composer, onsend, onping: () => undefined });
  return { composer, onsend, textbox: () => screen.getByRole('textbox', { name: 'Message' }) };
}

describe('Composer', () => {
  it('offers text, JSON, hex, base64 and file modes', () => {
    setup();
    const group = screen.getByRole('group', { name: 'Message format' });
    const names = [...group.querySelectorAll('button')].map((b) => b.textContent?.trim());
    expect(names).toEqual(['Text', 'JSON', 'Hex', 'Base64', 'File']);
  });

  it('shows an inline error for bad hex and builds bytes from good hex', async () => {
    const { composer, textbox } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Hex' }));
    await fireEvent.input(textbox(), { target: { value: '00 ff 1' } });
    expect(screen.getByRole('alert').textContent).toMatch(/odd number of digits/);
    await fireEvent.input(textbox(), { target: { value: '00 zz' } });
    expect(screen.getByRole('alert').textContent).toMatch(/"z", which is not a hex digit/);
    await fireEvent.input(textbox(), { target: { value: '00 ff 10' } });
    expect(screen.getByRole('alert').textContent).toBe('');
    expect(composer.build()).toEqual({ type: 'binary', data: new Uint8Array([0, 255, 16]) });
  });

  it('validates JSON, formats it, and refuses to send invalid JSON', async () => {
    const { composer, onsend, textbox } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
    await fireEvent.input(textbox(), { target: { value: '{"a": 1,' } });
    expect(screen.getByRole('alert').textContent).toMatch(/^Invalid JSON/);
    await fireEvent.input(textbox(), { target: { value: '{"a":[1,2]}' } });
    expect(screen.getByRole('alert').textContent).toBe('');
    await fireEvent.click(screen.getByRole('button', { name: 'Format' }));
    expect(composer.draft).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(onsend).not.toHaveBeenCalled();
  });

  it('flags bad base64', async () => {
    const { textbox } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'Base64' }));
    await fireEvent.input(textbox(), { target: { value: 'abc$' } });
    expect(screen.getByRole('alert').textContent).toMatch(/Base64 input contains characters/);
  });

  it('sends with Ctrl+Enter and with the Send button', async () => {
    const { onsend, textbox } = setup();
    await fireEvent.input(textbox(), { target: { value: 'hello' } });
    await fireEvent.keyDown(textbox(), { key: 'Enter', ctrlKey: true });
    await tick();
    expect(onsend).toHaveBeenCalledTimes(1);
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await tick();
    expect(onsend).toHaveBeenCalledTimes(2);
  });

  it('file mode asks for a file before sending', async () => {
    const { composer } = setup();
    await fireEvent.click(screen.getByRole('button', { name: 'File' }));
    expect(screen.queryByRole('textbox', { name: 'Message' })).toBeNull();
    expect(composer.build()).toBeUndefined();
    await tick();
    expect(screen.getByRole('alert').textContent).toMatch(/Choose a file/);
  });

  it('saves a template, then renames it, replaces its message with the draft and deletes it', async () => {
    const api = createFakeApi();
    const composer = new ComposerState(api);
    render(Composer, { composer, onsend: vi.fn(async () => true) });
    const textbox = () => screen.getByRole('textbox', { name: 'Message' });
    await fireEvent.input(textbox(), { target: { value: 'subscribe' } });
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

    await fireEvent.input(textbox(), { target: { value: 'unsubscribe' } });
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
});
