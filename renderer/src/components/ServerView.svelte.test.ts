import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { ServerClientInfo } from '../../../app/contract.js';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { typeInComposer } from '../../test-support/code-editor-testing.js';

const client: ServerClientInfo = {
  clientId: 'client-7',
  remoteAddress: '127.0.0.1',
  remotePort: 51234,
  path: '/feed',
  protocol: 'chat.v2',
  connectedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  readyState: 1,
  headers: {
    host: '127.0.0.1:40001',
    'user-agent': 'duplex-test/1.0',
    'sec-websocket-protocol': 'chat.v2, chat.v1',
    cookie: ['a=1', 'b=2'],
  },
};

async function runningServer() {
  const api = createFakeApi();
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(within(sidebar).getByRole('button', { name: 'New mock server' }));
  await fireEvent.click(screen.getByRole('button', { name: 'Start server' }));
  await waitFor(() => expect(screen.getByRole('button', { name: 'Stop server' })).toBeTruthy());
  const listed = await api.server.list({});
  const serverId = listed.ok ? listed.value[0]!.serverId : '';
  api.emit('server.clients', { serverId, clients: [client] });
  const clients = screen.getByRole('region', { name: 'Clients' });
  await waitFor(() => expect(within(clients).getByRole('button', { name: /^client-7/ })).toBeTruthy());
  return { api, clients, serverId };
}

describe('ServerView client details', () => {
  it('selecting a client shows its address, path, subprotocol, time and request headers', async () => {
    const { clients } = await runningServer();
    expect(screen.queryByRole('region', { name: /^Client client-7/ })).toBeNull();
    await fireEvent.click(within(clients).getByRole('button', { name: /^client-7/ }));
    const details = screen.getByRole('region', { name: 'Client client-7' });
    const text = details.textContent ?? '';
    expect(text).toContain('127.0.0.1:51234');
    expect(text).toContain('/feed');
    expect(text).toContain('chat.v2');
    expect(text).toContain('OPEN');
    expect(details.querySelector('time')?.getAttribute('datetime')).toBe('2025-01-02T03:04:05.000Z');

    const table = within(details).getByRole('table', { name: 'Request headers of client-7' });
    const rows = within(table)
      .getAllByRole('row')
      .map((r) => [within(r).getByRole('rowheader').textContent, within(r).getByRole('cell').textContent]);
    expect(rows).toEqual([
      ['cookie', 'a=1, b=2'],
      ['host', '127.0.0.1:40001'],
      ['sec-websocket-protocol', 'chat.v2, chat.v1'],
      ['user-agent', 'duplex-test/1.0'],
    ]);

    // Back to all clients: the details close.
    await fireEvent.click(within(clients).getByRole('button', { name: /^All clients/ }));
    expect(screen.queryByRole('region', { name: 'Client client-7' })).toBeNull();
  });

  it('disconnects the selected client with a code and reason, and terminates it', async () => {
    const { api, clients, serverId } = await runningServer();
    await fireEvent.click(within(clients).getByRole('button', { name: /^client-7/ }));
    const details = screen.getByRole('region', { name: 'Client client-7' });

    await fireEvent.click(within(details).getByRole('button', { name: 'Terminate' }));
    await waitFor(() =>
      expect(api.calls.find(([n]) => n === 'server.terminateClient')?.[1]).toEqual({
        serverId,
        clientId: 'client-7',
      }),
    );

    await fireEvent.click(within(details).getByRole('button', { name: 'Disconnect…' }));
    const dialog = screen.getByRole('dialog', { name: 'Disconnect client-7' });
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Close code' }), {
      target: { value: '4001' },
    });
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Reason' }), {
      target: { value: 'kicked' },
    });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Disconnect client' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls.find(([n]) => n === 'server.closeClient')?.[1]).toEqual({
      serverId,
      clientId: 'client-7',
      code: 4001,
      reason: 'kicked',
    });

    // The client leaves: the details go, and so does the selection.
    api.emit('server.clients', { serverId, clients: [] });
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Client client-7' })).toBeNull());
    expect(
      within(clients)
        .getByRole('button', { name: /^All clients/ })
        .getAttribute('aria-pressed'),
    ).toBe('true');
  });

  it('disconnects a client with 1011 (a server code the browser rule refuses)', async () => {
    const { api, clients, serverId } = await runningServer();
    await fireEvent.click(within(clients).getByRole('button', { name: /^client-7/ }));
    const details = screen.getByRole('region', { name: 'Client client-7' });
    await fireEvent.click(within(details).getByRole('button', { name: 'Disconnect…' }));
    const dialog = screen.getByRole('dialog', { name: 'Disconnect client-7' });
    await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Close code' }), {
      target: { value: '1011' },
    });
    expect(within(dialog).getByRole('alert').textContent).toBe('');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Disconnect client' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(api.calls.find(([n]) => n === 'server.closeClient')?.[1]).toEqual({
      serverId,
      clientId: 'client-7',
      code: 1011,
    });
  });

  it('a template saved in a mock-server tab is offered again in a new connection tab', async () => {
    await runningServer();
    await typeInComposer('tick');
    await fireEvent.click(screen.getByRole('button', { name: 'Save as template' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'Template name' }), {
      target: { value: 'tick' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save template' }));
    await waitFor(() => expect(screen.queryByRole('textbox', { name: 'Template name' })).toBeNull());

    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    await waitFor(() => expect(screen.getByRole('button', { name: 'Connect' })).toBeTruthy());
    const select = await screen.findByRole('combobox', { name: 'Insert template' });
    expect([...(select as HTMLSelectElement).options].map((o) => o.textContent)).toEqual([
      'Templates…',
      'tick',
    ]);
  });
});
