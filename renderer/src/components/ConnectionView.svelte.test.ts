import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { composerEditor, typeInComposer } from '../../test-support/code-editor-testing.js';

async function connectedTab(url = 'ws://127.0.0.1:9/echo') {
  const api = createFakeApi();
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
  await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), { target: { value: url } });
  await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
  await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
  return api;
}

const textRows = () => screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row.k-text');
const callNames = (api: ReturnType<typeof createFakeApi>) => api.calls.map(([name]) => name);

async function disconnect(): Promise<void> {
  await fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
  await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: CLOSED' })).toBeTruthy());
}

describe('ConnectionView', () => {
  it('copies the request as code: its URL, headers and the text draft', async () => {
    await connectedTab('ws://127.0.0.1:9/feed?x=1');
    await fireEvent.click(screen.getByRole('tab', { name: 'Headers' }));
    await fireEvent.click(screen.getByRole('button', { name: /add header/i }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Header 1 name' }), {
      target: { value: 'X-Key' },
    });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Header 1 value' }), {
      target: { value: "it's" },
    });
    await fireEvent.click(screen.getByRole('tab', { name: 'Message' }));
    await typeInComposer('hello there');
    await fireEvent.click(screen.getByRole('button', { name: 'Copy as code' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Generated code').textContent).toBe(
        `wscat -c 'ws://127.0.0.1:9/feed?x=1' -H 'X-Key: it'\\''s' -x 'hello there' -w -1`,
      ),
    );
  });

  it(
    'edit and resend puts a logged JSON message back in the composer, in JSON mode',
    { timeout: 15_000 },
    async () => {
      const api = await connectedTab();
      await fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
      await typeInComposer('{"op":"sub","n":1}');
      await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
      await waitFor(() => expect(textRows().length).toBe(2));
      await typeInComposer('');
      await fireEvent.click(screen.getByRole('button', { name: 'Text' }));
      await fireEvent.click(textRows()[1]!);
      await fireEvent.click(screen.getByRole('button', { name: 'Edit and resend' }));
      await waitFor(() => expect(composerEditor().state.doc.toString()).toBe('{"op":"sub","n":1}'));
      const format = screen.getByRole('group', { name: 'Message format' });
      expect(within(format).getByRole('button', { name: 'JSON' }).getAttribute('aria-pressed')).toBe('true');
      await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
      await waitFor(() => expect(textRows().length).toBe(4));
      expect(api.calls.filter(([n]) => n === 'connection.send')).toHaveLength(2);
    },
  );

  it('Disconnect then Connect reconnects the same connection: the log keeps its messages', async () => {
    const api = await connectedTab();
    await typeInComposer('first');
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(textRows().length).toBe(2));
    await disconnect();

    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    expect(callNames(api).filter((n) => n === 'connection.open')).toHaveLength(1);
    expect(callNames(api)).toContain('connection.reconnect');
    expect(callNames(api)).not.toContain('connection.remove');

    await typeInComposer('second');
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(textRows().length).toBe(4));
    const log = screen.getByRole('log', { name: 'Messages' }).textContent ?? '';
    expect(log.indexOf('first')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('first')).toBeLessThan(log.indexOf('second'));
    expect(log).toMatch(/reconnecting/i);
  });

  it('a changed request opens a new connection instead', async () => {
    const api = await connectedTab();
    await disconnect();
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://127.0.0.1:9/other' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    expect(callNames(api).filter((n) => n === 'connection.open')).toHaveLength(2);
    expect(callNames(api)).toContain('connection.remove');
    expect(callNames(api)).not.toContain('connection.reconnect');
  });

  it('the close dialog gives focus back: to Close… on Escape, to Connect after the close', async () => {
    await connectedTab();
    const opener = screen.getByRole('button', { name: 'Close…' });
    opener.focus();
    await fireEvent.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'Close connection' });
    expect(document.activeElement).toBe(within(dialog).getByRole('textbox', { name: 'Close code' }));
    await fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(opener));

    opener.focus();
    await fireEvent.click(opener);
    await fireEvent.input(screen.getByRole('textbox', { name: 'Close code' }), { target: { value: '4000' } });
    await fireEvent.click(
      within(screen.getByRole('dialog')).getByRole('button', { name: 'Close connection' }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Connect' })));
  });

  it('the request sections are one tab stop; arrow keys, Home and End move between them', async () => {
    await connectedTab();
    const tabs = within(screen.getByRole('tablist', { name: 'Request' })).getAllByRole('tab');
    expect(tabs.map((t) => t.tabIndex)).toEqual([0, -1, -1, -1]);
    tabs[0]!.focus();
    await fireEvent.keyDown(tabs[0]!, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Headers' }));
    expect(screen.getByRole('tab', { name: 'Headers' }).getAttribute('aria-selected')).toBe('true');
    await fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Handshake' }));
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowRight' });
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Message' }));
    await fireEvent.keyDown(document.activeElement!, { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(screen.getByRole('tab', { name: 'Handshake' }));
  });
});

describe('app menu events (ui.menu)', () => {
  it('connection.new opens a connection tab, server.start a mock server tab, theme.toggle flips the theme', async () => {
    const api = createFakeApi();
    render(App, { api });
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Duplex' })).toBeTruthy());
    api.emit('ui.menu', { action: 'connection.new' });
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'URL' })).toBeTruthy());
    api.emit('ui.menu', { action: 'server.start' });
    await waitFor(() => expect(screen.getByRole('textbox', { name: 'Port' })).toBeTruthy());
    expect(within(screen.getByRole('tablist', { name: 'Open tabs' })).getAllByRole('tab')).toHaveLength(2);
    const before = document.documentElement.dataset['theme'];
    api.emit('ui.menu', { action: 'theme.toggle' });
    await waitFor(() => expect(document.documentElement.dataset['theme']).not.toBe(before));
    expect(['light', 'dark']).toContain(document.documentElement.dataset['theme']);
  });
});
