import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from './App.svelte';
import { createFakeApi } from '../test-support/fake-api.js';
import { typeInComposer } from '../test-support/code-editor-testing.js';

async function openConnection(url: string) {
  const api = createFakeApi();
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
  await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), { target: { value: url } });
  await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
  return { api, sidebar };
}

describe('App with the fake contract', () => {
  it('connects, shows the state badge, sends, and refuses close code 999 inline', async () => {
    const { api } = await openConnection('ws://127.0.0.1:9/echo');
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    await typeInComposer('ping me');
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row.k-text').length).toBe(
        2,
      ),
    );
    expect(api.calls.find(([n]) => n === 'connection.send')?.[1]).toMatchObject({
      payload: { type: 'text', text: 'ping me' },
    });

    await fireEvent.click(screen.getByRole('button', { name: 'Close…' }));
    const dialog = screen.getByRole('dialog', { name: 'Close connection' });
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Close code' }), {
      target: { value: '999' },
    });
    expect(within(dialog).getByRole('alert').textContent).toMatch(/Close code 999 is not allowed/);
    await fireEvent.submit(dialog.querySelector('form')!);
    expect(api.calls.some(([n]) => n === 'connection.close')).toBe(false);
  });

  it('shows the handshake of a rejected upgrade: status and body', async () => {
    await openConnection('ws://127.0.0.1:9/reject');
    await waitFor(() => expect(screen.getByText(/HTTP 401/)).toBeTruthy());
    expect(screen.getByRole('tab', { name: 'Handshake' }).getAttribute('aria-selected')).toBe('true');
    expect(screen.getByText('missing token')).toBeTruthy();
    expect(screen.getAllByRole('alert').some((a) => a.textContent?.includes('401 Unauthorized'))).toBe(true);
  });

  it('saves a connection to the sidebar and starts a mock server', async () => {
    const { sidebar } = await openConnection('ws://127.0.0.1:9/echo');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(within(sidebar).getByRole('button', { name: /^WS 127\.0\.0\.1:9\/echo/ })).toBeTruthy(),
    );
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New mock server' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Port' }), { target: { value: '0' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start server' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Stop server' })).toBeTruthy());
  });
});
