/**
 * The workbench in real Chromium through browser mode: a mock server started
 * from the UI, a saved connection to it, text and binary both ways, the hex
 * view, a close with code and reason, and the inline error for code 999.
 * Screenshots of the main views go to test-results/screenshots/.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { missingPrerequisite, openWorkbenchPage } from './browser-harness.js';
import { SHOTS, useWorkbench, fillComposer } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `workbench in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    it('starts a mock server, connects a saved connection, sends text and binary, closes with 4000, is kicked with 1011', async () => {
      const { page, pageErrors } = workbench;
      // Mock server from the sidebar.
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'welcome.png') });
      await sidebar.getByRole('button', { name: 'New mock server' }).click();
      await page.getByRole('textbox', { name: 'Port' }).fill('0');
      await page.getByRole('button', { name: 'Start server' }).click();
      await page.getByRole('button', { name: 'Stop server' }).waitFor();
      const serverUrl = (await page.locator('code.url').first().textContent())!.trim();
      expect(serverUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);

      // A saved connection pointing at it.
      await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
      await page.getByRole('textbox', { name: 'URL' }).fill(serverUrl);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      const host = serverUrl.replace('ws://', '');
      await sidebar.getByRole('button', { name: new RegExp(host.replace(/[./]/g, '\\$&')) }).waitFor();
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      await page.getByRole('button', { name: 'Disconnect' }).waitFor();

      // Record this connection's log to a session file while it runs.
      await page.getByRole('button', { name: 'Record', exact: true }).click();
      await page.getByRole('button', { name: 'Stop recording' }).waitFor();

      // Text, then binary as hex.
      await fillComposer(page, 'hello from the workbench');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByRole('button', { name: 'Hex', exact: true }).click();
      await fillComposer(page, '00 ff 10 2a 44 75 70 6c 65 78');
      await page.getByRole('textbox', { name: 'Message' }).press('Control+Enter');

      const log = page.getByRole('log', { name: 'Messages' });
      const rows = log.locator('button.row');
      const binaryRows = log.locator('button.row.k-binary');
      await expect.poll(() => binaryRows.count()).toBe(2); // out and echoed in
      const texts = await rows.allTextContents();
      expect(texts.filter((t) => t.includes('hello from the workbench'))).toHaveLength(2);
      expect(texts.filter((t) => t.includes('00 ff 10 2a 44 75 70 6c 65 78'))).toHaveLength(2);
      expect(await log.locator('button.row.out.k-binary').count()).toBe(1);
      expect(await log.locator('button.row.in.k-binary').count()).toBe(1);

      // The hex view of the echoed binary message.
      await log.locator('button.row.in.k-binary').click();
      const hex = page.getByRole('region', { name: 'Hex view' });
      await expect
        .poll(() => hex.locator('.hex-row').first().textContent())
        .toBe('00000000  00 ff 10 2a 44 75 70 6c 65 78                    |...*Duplex|');
      await page.screenshot({ path: join(SHOTS, 'connection-hex.png') });

      // JSON text gets the pretty view.
      await page.getByRole('button', { name: 'JSON', exact: true }).first().click();
      await page
        .getByRole('textbox', { name: 'Message' })
        .fill('{"type":"subscribe","channels":["ticker","trades"],"depth":20}');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await expect.poll(() => log.locator('button.row.k-text').count()).toBe(4);
      await log.locator('button.row.in.k-text').last().click();
      await expect.poll(() => page.getByLabel('Payload as JSON').textContent()).toContain('"channels": [');
      await page.screenshot({ path: join(SHOTS, 'connection-json.png') });

      // Close: 999 is refused inline, 4000 with a reason goes out.
      await page.getByRole('button', { name: 'Close…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Close connection' });
      await dialog.getByRole('textbox', { name: 'Close code' }).fill('999');
      await expect
        .poll(() => dialog.getByRole('alert').textContent())
        .toBe(
          'Close code 999 is not allowed: use 1000 (normal closure) or an application code from 3000 to 4999.',
        );
      expect(await dialog.getByRole('button', { name: 'Close connection' }).isDisabled()).toBe(true);
      await page.screenshot({ path: join(SHOTS, 'close-dialog-999.png') });
      await dialog.getByRole('textbox', { name: 'Close code' }).fill('4000');
      await dialog.getByRole('textbox', { name: 'Reason' }).fill('done testing');
      expect(await dialog.locator('#close-error').textContent()).toBe('');
      await dialog.getByRole('button', { name: 'Close connection' }).click();
      await page.getByRole('status', { name: 'Connection state: CLOSED' }).waitFor();
      await expect
        .poll(async () => (await rows.allTextContents()).join('\n'))
        .toContain('code 4000 · done testing');
      await page.getByRole('button', { name: 'Connect', exact: true }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'connection-closed.png') });
      await page.getByRole('button', { name: 'Stop recording' }).click();
      const sessions = sidebar.getByRole('region', { name: 'Sessions' });
      await expect.poll(() => sessions.locator('li:not(.empty)').count()).toBe(1);

      // Connect again: the same connection reconnects and its log continues (nothing is lost).
      const rowsBefore = await rows.count();
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      await expect.poll(async () => (await rows.allTextContents()).join('\n')).toMatch(/reconnecting/i);
      expect(await rows.count()).toBeGreaterThan(rowsBefore);
      expect(
        (await rows.allTextContents()).filter((t) => t.includes('hello from the workbench')),
      ).toHaveLength(2);

      // The server saw it all in its own log.
      await sidebar.getByRole('button', { name: /Mock :\d+/ }).click();
      const serverLog = page.getByRole('log', { name: 'Messages' });
      await expect
        .poll(async () => (await serverLog.locator('button.row').allTextContents()).join('\n'))
        .toContain('hello from the workbench');
      await page.screenshot({ path: join(SHOTS, 'mock-server.png') });

      // The connected client in detail, then disconnected from here with a code and reason.
      const clients = page.getByRole('region', { name: 'Clients' });
      await clients.locator('button.client').nth(1).click(); // [0] is "All clients"
      const details = page.getByRole('region', { name: /^Client / });
      await details.waitFor();
      const headerTable = details.getByRole('table', { name: /^Request headers of / });
      expect(await headerTable.getByRole('rowheader', { name: 'sec-websocket-key' }).count()).toBe(1);
      expect(await details.textContent()).toMatch(/127\.0\.0\.1:\d+/);
      await page.screenshot({ path: join(SHOTS, 'mock-server-client.png') });
      await details.getByRole('button', { name: 'Disconnect…' }).click();
      const kick = page.getByRole('dialog', { name: /^Disconnect / });
      await kick.getByRole('textbox', { name: 'Close code' }).fill('1011'); // a server code the browser's rule refuses
      await kick.getByRole('textbox', { name: 'Reason' }).fill('kicked');
      await kick.getByRole('button', { name: 'Disconnect client' }).click();
      await details.waitFor({ state: 'detached' });
      await expect
        .poll(async () => (await serverLog.locator('button.row').allTextContents()).join('\n'))
        .toContain('code 1011 · kicked');

      // Dark theme.
      await page.getByRole('button', { name: /Toggle theme/ }).click();
      expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
      await page.getByRole('tab', { name: /127\.0\.0\.1/ }).click();
      // That client was this connection: it was closed with the server's 1011.
      await expect
        .poll(() => page.locator('[aria-label="Connection facts"]').textContent())
        .toContain('closed 1011 · kicked');
      await page.screenshot({ path: join(SHOTS, 'connection-dark.png') });

      expect(pageErrors).toEqual([]);
    });

    it('renames, duplicates and deletes saved connections, and keeps them across a reload', async () => {
      const { page, pageErrors } = workbench;
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      const saved = sidebar.getByRole('region', { name: 'Connections' });
      const items = saved.locator('li:not(.empty)');
      expect(await items.count()).toBe(1);

      await items.first().hover();
      await saved.getByRole('button', { name: /^Rename / }).click();
      await saved.getByRole('textbox', { name: /^New name for / }).fill('Local echo');
      await saved.getByRole('textbox', { name: /^New name for / }).press('Enter');
      await saved
        .getByRole('button', { name: /Local echo/ })
        .first()
        .waitFor();

      await items.first().hover();
      await saved.getByRole('button', { name: 'Duplicate Local echo' }).click();
      await expect.poll(() => items.count()).toBe(2);
      expect((await items.allTextContents()).some((t) => t.includes('Local echo copy'))).toBe(true);

      await page.reload();
      await expect.poll(() => items.count()).toBe(2);
      await items.nth(1).hover();
      await saved.getByRole('button', { name: 'Delete Local echo copy' }).click();
      await saved
        .getByRole('group', { name: 'Delete Local echo copy?' })
        .getByRole('button', { name: 'Delete' })
        .click();
      await expect.poll(() => items.count()).toBe(1);
      await page.reload();
      await expect.poll(() => items.count()).toBe(1);
      expect(await items.first().textContent()).toContain('Local echo');
      await page.screenshot({ path: join(SHOTS, 'sidebar-after-reload.png') });
      expect(pageErrors).toEqual([]);
    });
  },
);

describe.skipIf(missing)(
  `workbench lifecycle in Chromium: closing tabs, reloads, two pages${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    /** A new connection tab aimed at `url`, connected. */
    async function connect(page: Page, url: string): Promise<void> {
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
      await page.getByRole('textbox', { name: 'URL' }).fill(url);
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
    }

    it('closing the tab of an open connection closes it with 1000, as Disconnect does', async () => {
      const { page, pageErrors } = workbench;
      const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      try {
        await once(server, 'listening');
        const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        const closed = once(server, 'connection').then(([socket]) =>
          once(socket as import('ws').WebSocket, 'close'),
        );
        await page.getByRole('heading', { name: 'Duplex' }).waitFor();
        await connect(page, url);
        await page.getByRole('button', { name: `Close tab ${url}` }).click();
        const [code] = (await closed) as [number, Buffer];
        expect(code).toBe(1000);
        expect(await page.getByRole('tab').count()).toBe(0);
      } finally {
        server.close();
      }
      expect(pageErrors).toEqual([]);
    });

    it('after a reload, shows the open connection again with its log, and Disconnect still works', async () => {
      const { page, pageErrors } = workbench;
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      await sidebar.getByRole('button', { name: 'New mock server' }).click();
      await page.getByRole('textbox', { name: 'Port' }).fill('0');
      await page.getByRole('button', { name: 'Start server' }).click();
      await page.getByRole('button', { name: 'Stop server' }).waitFor();
      const serverUrl = (await page.locator('code.url').first().textContent())!.trim();
      await connect(page, serverUrl);
      await fillComposer(page, 'sent before the reload');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      const sentRows = log.locator('button.row.k-text', { hasText: 'sent before the reload' });
      await expect.poll(() => sentRows.count()).toBe(2); // out, and the echo in

      await page.reload();
      const tab = page.getByRole('tab', { name: new RegExp(serverUrl.replace(/[./]/g, '\\$&')) });
      await tab.click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      await expect.poll(() => sentRows.count()).toBe(2);
      // The mock server's log is back too.
      await sidebar.getByRole('button', { name: /Mock :\d+/ }).click();
      await expect.poll(() => sentRows.count()).toBe(2);

      await tab.click();
      await page.getByRole('button', { name: 'Disconnect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: CLOSED' }).waitFor();
      await expect
        .poll(async () => (await log.locator('button.row').allTextContents()).join('\n'))
        .toContain('code 1000');
      expect(pageErrors).toEqual([]);
    });

    it('shows a connection saved in one page in another page, without a reload', async () => {
      const { page, ui, pageErrors } = workbench;
      const saved = (p: Page) =>
        p.getByRole('navigation', { name: 'Workspace' }).getByRole('region', { name: 'Connections' });
      const savedAs = (p: Page, path: string) =>
        saved(p).getByRole('button', { name: new RegExp(`127\\.0\\.0\\.1:9/${path}`) });
      async function save(path: string): Promise<void> {
        const sidebar = page.getByRole('navigation', { name: 'Workspace' });
        await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
        await page.getByRole('textbox', { name: 'URL' }).fill(`ws://127.0.0.1:9/${path}`);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await savedAs(page, path).waitFor();
      }
      await save('saved-before');
      const otherErrors: string[] = [];
      const other = await openWorkbenchPage(page.context().browser()!, ui.url, otherErrors);
      try {
        // The other page has read the saved connections; what follows can only reach it as an event.
        await savedAs(other, 'saved-before').waitFor();
        await save('saved-after');
        await savedAs(other, 'saved-after').waitFor();
        expect(await saved(other).locator('li:not(.empty)').count()).toBe(2);

        // And back: a rename in the other page shows here.
        await saved(other).locator('li:not(.empty)').first().hover();
        await saved(other)
          .getByRole('button', { name: /^Rename / })
          .first()
          .click();
        await saved(other)
          .getByRole('textbox', { name: /^New name for / })
          .fill('Renamed elsewhere');
        await saved(other)
          .getByRole('textbox', { name: /^New name for / })
          .press('Enter');
        await saved(page)
          .getByRole('button', { name: /Renamed elsewhere/ })
          .waitFor();
      } finally {
        await other.close();
      }
      expect(otherErrors).toEqual([]);
      expect(pageErrors).toEqual([]);
    });
  },
);
