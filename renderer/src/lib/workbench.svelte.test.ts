/** The workbench state against the fake contract: what closing a tab asks of the engine. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { createFakeApi } from './fake-api.js';
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
