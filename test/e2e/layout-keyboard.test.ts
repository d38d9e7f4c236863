/**
 * Layout and keyboard in Chromium (browser mode): shortcuts and focus, panes
 * that resize and come back after a reload with the tabs and drafts, tabs that
 * overflow into a menu, and the new request views. Screenshots of each view in
 * both themes go to test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { missingPrerequisite } from './browser-harness.js';
import { connectToNewEchoServer, SHOTS, shootBothThemes, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `layout and keyboard in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    const shoot = (page: Page, name: string): Promise<void> => shootBothThemes(page, SHOTS, name);
    const focusedLabel = (page: Page) =>
      page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id);

    it('shortcuts work in the page: new connection focuses the URL, find in log, the ? overlay', async () => {
      const { page } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await page.keyboard.press('Control+Alt+KeyN');
      await page.getByRole('textbox', { name: 'URL' }).waitFor();
      expect(await focusedLabel(page)).toBe('URL');
      await page.keyboard.press('Control+KeyF');
      expect(await focusedLabel(page)).toBe('Search messages');
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Shift+Slash');
      const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
      await help.waitFor();
      expect(await help.getByRole('row', { name: /Next tab/ }).textContent()).toContain('Ctrl+Shift+]');
      await shoot(page, 'shortcuts-help');
      await page.keyboard.press('Escape');
      await help.waitFor({ state: 'detached' });
      await page.keyboard.press('Control+Alt+KeyW');
      await page.getByRole('button', { name: 'New connection' }).first().waitFor();
    });

    it('the request sent, client certificate options and a not-applied URL, in both themes', async () => {
      const { page } = workbench;
      const url = await connectToNewEchoServer(page);
      await page.getByRole('tab', { name: 'Handshake' }).click();
      const sent = page.getByLabel('Request headers');
      expect(await sent.textContent()).toContain('Sec-WebSocket-Key');
      await shoot(page, 'handshake-request');
      await page.getByRole('tab', { name: 'Options' }).click();
      await page.getByLabel('Auto-reconnect').fill('3');
      await page
        .getByLabel('Certificate (PEM)')
        .fill('-----BEGIN CERTIFICATE-----\nMIIB…\n-----END CERTIFICATE-----');
      await page.getByRole('textbox', { name: 'URL' }).fill(`${url}other`);
      await page.getByRole('status').filter({ hasText: 'Not applied' }).waitFor();
      await shoot(page, 'options-client-cert-unapplied');
      // The options pane scrolls to its last field: nothing is cut off.
      await page.getByLabel('Heartbeat').scrollIntoViewIfNeeded();
      expect(await page.getByLabel('Heartbeat').isVisible()).toBe(true);
      await page.getByRole('textbox', { name: 'URL' }).fill(url);
    });

    it('panes resize and come back after a reload, with the tabs and their drafts; the live tab stays OPEN', async () => {
      const { page } = workbench;
      const sidebar = page.getByRole('separator', { name: 'Resize sidebar' });
      const box = (await sidebar.boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + 200);
      await page.mouse.down();
      await page.mouse.move(box.x + 100, box.y + 200, { steps: 5 });
      await page.mouse.up();
      const width = await page.locator('aside.side').evaluate((el) => el.getBoundingClientRect().width);
      expect(width).toBeGreaterThan(300);
      const upper = page.getByRole('separator', { name: 'Resize composer' });
      await upper.focus();
      for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
      const height = Number(await upper.getAttribute('aria-valuenow'));
      await page.getByRole('tab', { name: 'Message' }).click();
      await page.getByRole('textbox', { name: 'Message' }).click();
      await page.keyboard.type('draft kept across reloads');
      // The window saves a moment after the last change.
      await page.waitForFunction(() =>
        localStorage.getItem('duplex.ui')?.includes('draft kept across reloads'),
      );

      await page.reload();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      expect(await page.locator('aside.side').evaluate((el) => el.getBoundingClientRect().width)).toBe(width);
      expect(
        Number(await page.getByRole('separator', { name: 'Resize composer' }).getAttribute('aria-valuenow')),
      ).toBe(height);
      expect(await page.getByRole('textbox', { name: 'Message' }).textContent()).toContain(
        'draft kept across reloads',
      );
      expect(await page.getByRole('tab', { name: /127\.0\.0\.1/ }).count()).toBe(1);
    });

    it('tabs that do not fit go into a menu; picking one there activates it', async () => {
      const { page, pageErrors } = workbench;
      for (let i = 0; i < 14; i++) await page.keyboard.press('Control+Alt+KeyN');
      const more = page.getByRole('button', { name: /^All tabs/ });
      await more.waitFor();
      await more.click();
      const menu = page.getByRole('menu', { name: 'All tabs' });
      await shoot(page, 'tab-overflow-menu');
      const items = menu.getByRole('menuitem');
      expect(await items.count()).toBe(
        await page.getByRole('tab', { name: /./ }).and(page.locator('[id^="tabbtn-"]')).count(),
      );
      await items.first().click();
      const first = page.locator('[id^="tabbtn-"]').first();
      expect(await first.getAttribute('aria-selected')).toBe('true');
      expect(await first.isVisible()).toBe(true);
      expect(await focusedLabel(page)).toBe(await first.getAttribute('id'));
      expect(pageErrors).toEqual([]);
    });
  },
);
