/**
 * Layout and keyboard in Chromium (browser mode): shortcuts and focus, panes
 * that resize and come back after a reload, and after duplex ui restarts, with
 * the tabs and drafts, tabs that
 * overflow into a menu, and the new request views. Screenshots of each view in
 * both themes go to test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { freePort } from '../cli/helpers.js';
import { buildAll, launchChromium, missingPrerequisite, startUi } from './browser-harness.js';
import { connectToNewEchoServer, SHOTS, shootBothThemes, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `layout and keyboard in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    const shoot = (page: Page, name: string): Promise<void> => shootBothThemes(page, SHOTS, name);
    const focusedLabel = (page: Page) =>
      page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.id);

    it('shortcuts and focus in the page: new connection, focus URL, next / previous tab, find in log, ? overlay, close tab, save as template, sidebar arrows', async () => {
      const { page, pageErrors } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      const tabs = page.locator('[id^="tabbtn-"]');
      const selected = () => page.locator('[id^="tabbtn-"][aria-selected="true"]').getAttribute('id');
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Control+Alt+KeyN');
        await page.waitForFunction((n) => document.querySelectorAll('[id^="tabbtn-"]').length === n, i + 1);
        expect(await focusedLabel(page)).toBe('URL');
      }
      const ids = await tabs.evaluateAll((els) => els.map((e) => e.id));
      expect(await selected()).toBe(ids[2]);
      await page.keyboard.press('Control+Shift+BracketLeft');
      await page.waitForFunction(
        (id) => document.getElementById(id)?.getAttribute('aria-selected') === 'true',
        ids[1]!,
      );
      await page.keyboard.press('Control+Shift+BracketRight');
      await page.waitForFunction(
        (id) => document.getElementById(id)?.getAttribute('aria-selected') === 'true',
        ids[2]!,
      );
      await page.keyboard.press('Control+PageUp');
      await page.waitForFunction(
        (id) => document.getElementById(id)?.getAttribute('aria-selected') === 'true',
        ids[1]!,
      );
      // Ctrl+L from outside any field puts focus in the URL.
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Control+KeyL');
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
      // Closing the middle tab: it goes, and focus is on the tab that took its place.
      await page.keyboard.press('Control+Alt+KeyW');
      await page.waitForFunction(() => document.querySelectorAll('[id^="tabbtn-"]').length === 2);
      expect(await tabs.evaluateAll((els) => els.map((e) => e.id))).toEqual([ids[0], ids[2]]);
      expect(await focusedLabel(page)).toBe(ids[2]);
      expect(await selected()).toBe(ids[2]);
      // "Save as template" puts focus in its name field.
      await page.getByRole('button', { name: 'Save as template' }).click();
      expect(await focusedLabel(page)).toBe('Template name');
      await page.keyboard.press('Escape');
      // A sidebar list is one tab stop, and the arrows move inside it.
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      for (const name of ['first', 'second']) {
        await page.getByRole('textbox', { name: 'URL' }).fill(`ws://127.0.0.1:9/${name}`);
        await page.getByRole('button', { name: 'Save', exact: true }).click();
        await sidebar.getByRole('button', { name: new RegExp(`127\\.0\\.0\\.1:9/${name}`) }).waitFor();
        await page.keyboard.press('Control+Alt+KeyN');
      }
      const saved = sidebar.getByRole('region', { name: 'Connections' }).locator('[data-roving]');
      expect(await saved.evaluateAll((els) => els.map((e) => (e as HTMLElement).tabIndex))).toEqual([0, -1]);
      await saved.first().focus();
      await page.keyboard.press('ArrowDown');
      expect(await saved.nth(1).evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await saved.evaluateAll((els) => els.map((e) => (e as HTMLElement).tabIndex))).toEqual([-1, 0]);
      for (let i = (await tabs.count()) - 1; i > 0; i--) await page.keyboard.press('Control+Alt+KeyW');
      expect(pageErrors).toEqual([]);
    });

    it('the request sent, client certificate options and a not-applied URL, in both themes', async () => {
      const { page } = workbench;
      const url = await connectToNewEchoServer(page);
      await page.getByRole('tab', { name: 'Handshake' }).click();
      const sent = page.getByLabel('Request headers');
      expect(await sent.textContent()).toContain('Sec-WebSocket-Key');
      expect(await sent.textContent()).toMatch(/Sec-WebSocket-Version\s*13/);
      expect(await page.getByText(`GET ${url}`, { exact: true }).count()).toBe(1);
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
      const shown = await page.getByLabel('Heartbeat').evaluate((el) => {
        let pane = el.parentElement;
        while (pane && !['auto', 'scroll'].includes(getComputedStyle(pane).overflowY))
          pane = pane.parentElement;
        if (!pane) return 'no scrolling pane holds the field';
        const r = el.getBoundingClientRect();
        const c = pane.getBoundingClientRect();
        return r.top >= c.top && r.bottom <= c.bottom
          ? 'in view'
          : `cut: ${r.top}-${r.bottom} in ${c.top}-${c.bottom}`;
      });
      expect(shown).toBe('in view');
      await page.getByRole('textbox', { name: 'URL' }).fill(url);
    });

    it('panes resize and come back after a reload, with the tabs and their drafts; the live tab stays OPEN', async () => {
      const { page } = workbench;
      const width = await dragSidebar(page, 100);
      expect(width).toBeGreaterThan(300);
      const upper = page.getByRole('separator', { name: 'Resize composer' });
      const before = Number(await upper.getAttribute('aria-valuenow'));
      const paneTop = (await upper.boundingBox())!.y;
      await upper.focus();
      for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowDown');
      const height = Number(await upper.getAttribute('aria-valuenow'));
      expect(height).toBeGreaterThan(before);
      expect((await upper.boundingBox())!.y).toBeGreaterThan(paneTop);
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

describe.skipIf(missing)(
  `the workbench after duplex ui restarts (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    it('tabs, their drafts and pane sizes come back when duplex ui starts again on its port', async () => {
      buildAll();
      // duplex ui serves on one port unless told (test/cli/ui.test.ts); the page keeps its state by that origin.
      const port = await freePort();
      let ui = await startUi({ args: ['--port', String(port)] });
      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const page = await context.newPage();
        await page.goto(ui.url);
        await page.getByRole('navigation', { name: 'Workspace' }).waitFor();
        await page.keyboard.press('Control+Alt+KeyN');
        await page.getByRole('textbox', { name: 'URL' }).fill('ws://127.0.0.1:9/kept-over-restart');
        await page.getByRole('textbox', { name: 'Message' }).click();
        await page.keyboard.type('draft kept over a restart');
        const width = await dragSidebar(page, 90);
        // Saved a moment after the last change: wait for a save with both the draft and the width.
        await page.waitForFunction((w) => {
          const saved = localStorage.getItem('duplex.ui') ?? '';
          return saved.includes('draft kept over a restart') && saved.includes(`"sidebarWidth":${w}`);
        }, width);

        await ui.stop();
        ui = await startUi({ args: ['--port', String(port)] });
        expect(new URL(ui.url).port).toBe(String(port));
        // The new run has a new token: open the address it printed, as a person would.
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        await page.goto(ui.url);
        const tab = page.getByRole('tab', { name: /kept-over-restart/ });
        await tab.waitFor();
        expect(await tab.getAttribute('aria-selected')).toBe('true');
        expect(await page.getByRole('textbox', { name: 'URL' }).inputValue()).toBe(
          'ws://127.0.0.1:9/kept-over-restart',
        );
        expect(await page.getByRole('textbox', { name: 'Message' }).textContent()).toContain(
          'draft kept over a restart',
        );
        expect(await page.locator('aside.side').evaluate((el) => el.getBoundingClientRect().width)).toBe(
          width,
        );
        expect(width).toBeGreaterThan(300);
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
        await ui.stop();
      }
    });
  },
);

/** Drags the sidebar's edge `dx` pixels to the right; returns the sidebar's width after. */
async function dragSidebar(page: Page, dx: number): Promise<number> {
  const box = (await page.getByRole('separator', { name: 'Resize sidebar' }).boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 200);
  await page.mouse.down();
  await page.mouse.move(box.x + dx, box.y + 200, { steps: 5 });
  await page.mouse.up();
  return page.locator('aside.side').evaluate((el) => el.getBoundingClientRect().width);
}
