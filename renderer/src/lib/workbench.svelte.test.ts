/** The workbench state against the fake contract: what closing a tab asks of the engine. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import type { ConnectionTab } from './connection-tab.svelte.js';
import { Workbench } from './workbench.svelte.js';

const closeAndRemove = (calls: [string, unknown][]): [string, unknown][] =>
  calls.filter(([name]) => name === 'connection.close' || name === 'connection.remove');

/** A started workbench with one connection tab, OPEN. */
async function openTab(): Promise<{
  api: ReturnType<typeof createFakeApi>;
  wb: Workbench;
  tab: ConnectionTab;
}> {
  const api = createFakeApi();
  const wb = new Workbench(api);
  await wb.start();
  const tab = wb.newConnection('ws://127.0.0.1:9/echo');
  await wb.connect(tab);
  await waitFor(() => expect(tab.readyState).toBe(1));
  return { api, wb, tab };
}

describe('Workbench: closing a tab', () => {
  it('closes an open connection with 1000, like Disconnect, before removing it', async () => {
    const { api, wb, tab } = await openTab();
    const connectionId = tab.connectionId!;

    await wb.closeTab(tab.id);
    expect(closeAndRemove(api.calls)).toEqual([
      ['connection.close', { connectionId, code: 1000 }],
      ['connection.remove', { connectionId }],
    ]);
    expect(wb.tabs).toEqual([]);
    wb.stop();
  });

  it('only removes a connection that is already closed', async () => {
    const { api, wb, tab } = await openTab();
    expect(await tab.disconnect()).toBe('');
    await waitFor(() => expect(tab.readyState).toBe(3));
    const connectionId = tab.connectionId!;
    api.calls.length = 0;

    await wb.closeTab(tab.id);
    expect(closeAndRemove(api.calls)).toEqual([['connection.remove', { connectionId }]]);
    wb.stop();
  });
});

describe('Workbench: a reloaded page or a second window', () => {
  it('shows the connections and servers the engine runs again, with their logs', async () => {
    const { api, wb: first, tab } = await openTab();
    const saved = await first.api.savedConnection.save({
      name: 'Echo',
      options: { url: 'ws://127.0.0.1:9/saved' },
    });
    if (!saved.ok) throw new Error(saved.error.message);
    const fromSaved = first.openSaved(saved.value);
    await first.connect(fromSaved);
    await waitFor(() => expect(fromSaved.readyState).toBe(1));
    tab.composer.draft = 'before the reload';
    expect(await tab.send()).toBe(true);
    await waitFor(() => expect(tab.log.total).toBe(4)); // connecting, open, out, echoed in
    const server = first.newServer();
    await server.start();
    first.stop(); // the page goes away; the engine keeps it all running

    const again = new Workbench(api);
    await again.start();
    const tabs = again.tabs.filter((t): t is ConnectionTab => t.kind === 'connection');
    expect(tabs.map((t) => t.connectionId)).toEqual([tab.connectionId, fromSaved.connectionId]);
    const [adHoc, reopened] = tabs as [ConnectionTab, ConnectionTab];
    expect(adHoc.readyState).toBe(1);
    expect(adHoc.draft.url).toBe('ws://127.0.0.1:9/echo');
    expect(reopened.savedId).toBe(saved.value.id);
    expect(reopened.title).toBe('Echo');
    expect(reopened.dirty).toBe(false);
    await waitFor(() => expect(adHoc.log.total).toBe(4));
    await waitFor(() => expect(adHoc.log.rowAt(2)?.preview).toBe('before the reload'));
    expect(again.servers.map((s) => s.serverId)).toEqual([server.serverId]);
    await waitFor(() => expect(again.servers[0]!.log.total).toBe(1));

    expect(await adHoc.disconnect()).toBe('');
    await waitFor(() => expect(adHoc.readyState).toBe(3));
    again.stop();
  });

  it('reads saved connections, templates and sessions again when the engine says they changed', async () => {
    const api = createFakeApi();
    const wb = new Workbench(api);
    await wb.start();
    const made = await api.savedConnection.save({ name: 'Elsewhere', options: { url: 'ws://127.0.0.1:9/' } });
    if (!made.ok) throw new Error(made.error.message);
    api.addSession('other-window.jsonl', { url: 'ws://127.0.0.1:9/' });
    expect(wb.saved).toEqual([]);
    expect(wb.sessions.list).toEqual([]);

    api.emit('workspace.changed', { what: 'savedConnections' });
    await waitFor(() => expect(wb.saved.map((s) => s.name)).toEqual(['Elsewhere']));
    api.emit('workspace.changed', { what: 'sessions' });
    await waitFor(() => expect(wb.sessions.list.map((s) => s.name)).toEqual(['other-window.jsonl']));

    const tab = wb.openSaved(made.value);
    await tab.composer.loadTemplates();
    expect(tab.composer.templates).toEqual([]);
    await api.template.save({
      name: 'Hello',
      savedConnectionId: made.value.id,
      payload: { type: 'text', text: 'hi' },
    });
    api.emit('workspace.changed', { what: 'templates' });
    await waitFor(() => expect(tab.composer.templates.map((t) => t.name)).toEqual(['Hello']));
    wb.stop();
  });
});
