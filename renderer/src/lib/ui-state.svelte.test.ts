/** Restoring the window after a reload: the stored tabs merged with the connections the engine still runs. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import type { ConnectionTab } from './connection-tab.svelte.js';
import type { ServerTab } from './server-tab.svelte.js';
import { UiState } from './ui-state.svelte.js';
import { Workbench } from './workbench.svelte.js';

function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (k) => map.get(k) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (k) => void map.delete(k),
    setItem: (k, v) => void map.set(k, String(v)),
  };
}

describe('UiState and the workbench: restore after a reload', () => {
  it('tabs come back in order with their drafts; a live connection is the reattached tab; sizes are kept', async () => {
    const storage = memoryStorage();
    const api = createFakeApi();
    const first = new Workbench(api, new UiState(storage));
    await first.start();
    const live = first.newConnection('ws://127.0.0.1:9/live');
    await first.connect(live);
    await waitFor(() => expect(live.readyState).toBe(1));
    live.draft.url = 'ws://127.0.0.1:9/edited-while-live';
    live.composer.draft = '{"op":"hello"}';
    const closed = first.newConnection('ws://127.0.0.1:9/never-connected');
    closed.draft.headers.push({ id: 1, name: 'X-Key', value: 'k' });
    closed.draft.headers.push({ id: 2, name: 'Authorization', value: 'Bearer tok-secret' });
    closed.draft.headers.push({ id: 3, name: 'cookie', value: '{{session}}' });
    closed.draft.passphrase = 'pfx-secret';
    closed.draft.clientKey = '-----BEGIN PRIVATE KEY-----key-secret';
    closed.draft.pfx = 'cGZ4LXNlY3JldA==';
    closed.markDirty();
    first.activate(live.id);
    first.ui.sidebarWidth = 330;
    first.ui.upperHeight = 410;
    first.ui.save(first.windowSnapshot());
    first.stop();

    // The page reloads: a new workbench on the same engine (the fake keeps the live connection).
    const second = new Workbench(api, new UiState(storage));
    await second.start();
    const tabs = second.tabs as ConnectionTab[];
    expect(tabs.map((t) => t.draft.url)).toEqual([
      'ws://127.0.0.1:9/edited-while-live',
      'ws://127.0.0.1:9/never-connected',
    ]);
    expect(tabs[0]!.connectionId).toBe(live.connectionId);
    expect(tabs[0]!.readyState).toBe(1);
    expect(tabs[0]!.unappliedUrl).toBe('ws://127.0.0.1:9/live');
    expect(tabs[0]!.composer.draft).toBe('{"op":"hello"}');
    expect(tabs[1]!.connectionId).toBeUndefined();
    // Credentials are not kept in the browser's storage (a credential header's value unless it is a {{variable}}).
    expect(tabs[1]!.draft.headers.map((h) => [h.name, h.value])).toEqual([
      ['X-Key', 'k'],
      ['Authorization', ''],
      ['cookie', '{{session}}'],
    ]);
    expect(tabs[1]!.dirty).toBe(true);
    expect([tabs[1]!.draft.passphrase, tabs[1]!.draft.clientKey, tabs[1]!.draft.pfx]).toEqual(['', '', '']);
    for (const secret of ['pfx-secret', 'tok-secret', 'key-secret', 'cGZ4LXNlY3JldA'])
      expect(storage.getItem('duplex.ui')).not.toContain(secret);
    expect(second.activeId).toBe(tabs[0]!.id);
    expect([second.ui.sidebarWidth, second.ui.upperHeight]).toEqual([330, 410]);
  });

  it('mock server tabs come back (a running one shows its server, one not started its options), and pins with them', async () => {
    const storage = memoryStorage();
    const api = createFakeApi();
    const first = new Workbench(api, new UiState(storage));
    await first.start();
    const live = first.newConnection('ws://127.0.0.1:9/live');
    await first.connect(live);
    await waitFor(() => expect(live.readyState).toBe(1));
    live.log.togglePin(2);
    live.log.togglePin(5);
    const running = first.newServer();
    running.path = '/feed';
    await running.start();
    expect(running.running).toBe(true);
    running.log.togglePin(1);
    running.composer.draft = '{"to":"all"}';
    const draft = first.newServer();
    draft.port = '9123';
    draft.path = '/later';
    draft.protocols = 'chat';
    draft.echo = false;
    first.activate(running.id);
    first.ui.save(first.windowSnapshot());
    first.stop();

    const second = new Workbench(api, new UiState(storage));
    await second.start();
    expect(second.tabs.map((t) => t.kind)).toEqual(['connection', 'server', 'server']);
    const [conn, server, notStarted] = second.tabs as [ConnectionTab, ServerTab, ServerTab];
    expect(conn.connectionId).toBe(live.connectionId);
    expect([...conn.log.pinned].sort()).toEqual([2, 5]);
    expect(server.serverId).toBe(running.serverId);
    expect(server.running).toBe(true);
    expect(server.path).toBe('/feed');
    expect([...server.log.pinned]).toEqual([1]);
    expect(server.composer.draft).toBe('{"to":"all"}');
    expect(notStarted.running).toBe(false);
    expect(notStarted.draft).toEqual({ port: '9123', path: '/later', protocols: 'chat', echo: false });
    expect(notStarted.log.pinned.size).toBe(0);
    // Both are in the sidebar's server list once, and the running one is the active tab again.
    expect(second.servers.filter((s) => s === server || s === notStarted)).toHaveLength(2);
    expect(second.servers.filter((s) => s.serverId === running.serverId)).toHaveLength(1);
    expect(second.activeId).toBe(server.id);
  });

  it('pins of a connection that no longer runs are not put on the tab that opens closed', async () => {
    const storage = memoryStorage();
    const api = createFakeApi();
    const first = new Workbench(api, new UiState(storage));
    await first.start();
    const live = first.newConnection('ws://127.0.0.1:9/live');
    await first.connect(live);
    await waitFor(() => expect(live.readyState).toBe(1));
    live.log.togglePin(3);
    first.ui.save(first.windowSnapshot());
    expect(storage.getItem('duplex.ui')).toContain('"pins":[3]');
    await first.closeTab(live.id); // the engine connection is gone; the stored window still names it
    const second = new Workbench(api, new UiState(storage));
    await second.start();
    const [tab] = second.tabs as [ConnectionTab];
    expect(tab.connectionId).toBeUndefined();
    expect(tab.log.pinned.size).toBe(0);
  });

  it('a connection the engine runs that the stored window did not know is added after the stored tabs', async () => {
    const storage = memoryStorage();
    const api = createFakeApi();
    const first = new Workbench(api, new UiState(storage));
    await first.start();
    first.newConnection('ws://127.0.0.1:9/stored');
    first.ui.save(first.windowSnapshot());
    const other = await api.connection.open({ url: 'ws://127.0.0.1:9/from-another-window' });
    expect(other.ok).toBe(true);
    const second = new Workbench(api, new UiState(storage));
    await second.start();
    expect((second.tabs as ConnectionTab[]).map((t) => t.draft.url)).toEqual([
      'ws://127.0.0.1:9/stored',
      'ws://127.0.0.1:9/from-another-window',
    ]);
  });

  it('sizes out of range are clamped, and a value that is not ours is ignored', () => {
    const storage = memoryStorage();
    storage.setItem(
      'duplex.ui',
      JSON.stringify({ version: 1, sidebarWidth: 5000, upperHeight: 3, window: { tabs: [], active: 0 } }),
    );
    const ui = new UiState(storage);
    expect([ui.sidebarWidth, ui.upperHeight]).toEqual([480, 120]);
    storage.setItem('duplex.ui', '{not json');
    expect(new UiState(storage).restored).toBeUndefined();
  });
});
