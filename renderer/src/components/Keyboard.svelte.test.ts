import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';

async function app(saved: string[] = []) {
  const api = createFakeApi();
  for (const name of saved) {
    await api.savedConnection.save({ name, options: { url: `ws://127.0.0.1:9/${name}` } });
  }
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  if (saved.length) await waitFor(() => expect(within(sidebar).getByText(saved[0]!)).toBeTruthy());
  return { api, sidebar };
}

const key = (init: KeyboardEventInit) => fireEvent.keyDown(document.activeElement ?? document.body, init);
const focused = () => document.activeElement as HTMLElement;

describe('keyboard', () => {
  it('after "New connection" the URL field has focus', async () => {
    const { sidebar } = await app();
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    await waitFor(() => expect(focused().getAttribute('aria-label')).toBe('URL'));
  });

  it('closing a tab moves focus to the tab that takes its place; the last one to "New connection"', async () => {
    const { sidebar } = await app();
    for (let i = 0; i < 3; i++)
      await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    const tabs = () => screen.getAllByRole('tab', { name: /New connection/ });
    await fireEvent.click(tabs()[1]!);
    const third = tabs()[2]!.id;
    await fireEvent.click(screen.getAllByRole('button', { name: /Close tab/ })[1]!);
    await waitFor(() => expect(focused().id).toBe(third));
    expect(focused().getAttribute('aria-selected')).toBe('true');
    for (const b of screen.getAllByRole('button', { name: /Close tab/ })) await fireEvent.click(b);
    await waitFor(() =>
      expect(focused()).toBe(within(sidebar).getByRole('button', { name: 'New connection' })),
    );
  });

  it('"Save as template" puts focus in its name field; Escape leaves it', async () => {
    const { sidebar } = await app();
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Save as template' }));
    await waitFor(() => expect(focused()).toBe(screen.getByRole('textbox', { name: 'Template name' })));
    await key({ key: 'Escape' });
    expect(screen.queryByRole('textbox', { name: 'Template name' })).toBeNull();
  });

  it('a sidebar list is one tab stop; arrows move inside it and to a row’s buttons', async () => {
    const { sidebar } = await app(['alpha', 'beta', 'gamma']);
    const list = within(sidebar).getByText('alpha').closest('ul')!;
    const stops = () => [...list.querySelectorAll<HTMLElement>('button')].filter((b) => b.tabIndex === 0);
    await waitFor(() => expect(stops()).toHaveLength(1));
    const items = [...list.querySelectorAll<HTMLElement>('[data-roving]')];
    expect(stops()[0]).toBe(items[0]);
    items[0]!.focus();
    await key({ key: 'ArrowDown' });
    expect(focused()).toBe(items[1]);
    expect(stops()).toEqual([items[1]]);
    await key({ key: 'End' });
    expect(focused()).toBe(items[2]);
    await key({ key: 'ArrowRight' });
    expect(focused().getAttribute('aria-label')).toBe('Rename gamma');
    await key({ key: 'Home' });
    expect(focused()).toBe(items[0]);
  });

  it('shortcuts: new connection, focus URL, find in log, next / previous tab, and ? lists them', async () => {
    await app();
    await key({ key: 'n', code: 'KeyN', ctrlKey: true, altKey: true });
    await waitFor(() => expect(focused().getAttribute('aria-label')).toBe('URL'));
    await key({ key: 'f', code: 'KeyF', ctrlKey: true });
    await waitFor(() => expect(focused().getAttribute('aria-label')).toBe('Search messages'));
    await key({ key: 'l', code: 'KeyL', ctrlKey: true });
    await waitFor(() => expect(focused().getAttribute('aria-label')).toBe('URL'));
    await key({ key: 'n', code: 'KeyN', ctrlKey: true, altKey: true });
    const tabs = () => screen.getAllByRole('tab', { name: /New connection/ });
    await waitFor(() => expect(tabs()).toHaveLength(2));
    expect(tabs()[1]!.getAttribute('aria-selected')).toBe('true');
    await key({ key: '}', code: 'BracketRight', ctrlKey: true, shiftKey: true });
    await waitFor(() => expect(focused()).toBe(tabs()[0]));
    expect(tabs()[0]!.getAttribute('aria-selected')).toBe('true');
    await key({ key: '{', code: 'BracketLeft', ctrlKey: true, shiftKey: true });
    await waitFor(() => expect(focused()).toBe(tabs()[1]));
    await key({ key: '?', code: 'Slash', shiftKey: true });
    const help = await screen.findByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const label of [
      'New connection',
      'Focus the URL',
      'Send the message',
      'Find in log',
      'Next tab',
      'Previous tab',
    ]) {
      expect(within(help).getByRole('rowheader', { name: label })).toBeTruthy();
    }
    expect(within(help).getByRole('row', { name: /New connection/ }).textContent).toContain('Ctrl+Alt+N');
    await key({ key: 'Escape' });
    expect(screen.queryByRole('dialog', { name: 'Keyboard shortcuts' })).toBeNull();
  });

  it('Ctrl+Enter sends from anywhere in a connected tab, and "?" typed in a field stays text', async () => {
    const { api, sidebar } = await app();
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    const url = screen.getByRole('textbox', { name: 'URL' });
    await fireEvent.input(url, { target: { value: 'ws://127.0.0.1:9/echo' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    url.focus();
    await key({ key: '?', code: 'Slash', shiftKey: true });
    expect(screen.queryByRole('dialog')).toBeNull();
    await key({ key: 'Enter', code: 'Enter', ctrlKey: true });
    // An empty text draft is sent as an empty message: the command is what the shortcut must reach.
    await waitFor(() => expect(api.calls.some(([name]) => name === 'connection.send')).toBe(true));
  });
});
