/**
 * The log at the widths people use, in Chromium (browser mode): its toolbar
 * fits in two rows at 1280×800 and 1024×768 (screenshots in both themes), any
 * message row can be put back in the composer and sent again, and after a
 * reload the mock server's tab and the pins of both logs come back.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { missingPrerequisite } from './browser-harness.js';
import { connectToNewEchoServer, SHOTS, shootBothThemes, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();

/** Each log toolbar: its height, and whether any control sticks out of it. */
function toolbarBoxes(page: Page): Promise<{ label: string; height: number; overflow: boolean }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.log-column [role="toolbar"]')].map((bar) => {
      const box = bar.getBoundingClientRect();
      const outside = [...bar.children].some((c) => {
        const r = c.getBoundingClientRect();
        return r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5);
      });
      return {
        label: bar.getAttribute('aria-label') ?? '',
        height: Math.round(box.height),
        overflow: outside || bar.scrollWidth > bar.clientWidth + 1,
      };
    }),
  );
}

describe.skipIf(missing)(
  `log toolbar, row resend and restore in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    it('any message row goes back into the composer and is sent again', async () => {
      const { page, pageErrors } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await connectToNewEchoServer(page);
      const message = page.getByRole('textbox', { name: 'Message' });
      for (const text of ['{"n":1}', '{"n":2}']) {
        await message.click();
        await page.keyboard.press('ControlOrMeta+a');
        await page.keyboard.type(text);
        await page.getByRole('button', { name: 'Send', exact: true }).click();
      }
      const log = page.getByRole('log', { name: 'Messages' });
      const texts = log.locator('button.row.k-text');
      await expect.poll(() => texts.count()).toBe(4); // each sent, and its echo
      await message.click();
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.type('something else');

      // The first echo (received): its row's action, shown on hover.
      const received = log.locator('.slot', { has: page.locator('button.row.in.k-text') }).first();
      await received.hover();
      const action = received.getByRole('button', { name: /^Edit message \d+ and resend$/ });
      expect(await action.isVisible()).toBe(true);
      await action.click();
      await expect.poll(() => message.textContent()).toBe('{"n":1}');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await expect.poll(() => texts.count()).toBe(6);
      expect(await log.locator('button.row.out.k-text .preview').last().textContent()).toBe('{"n":1}');
      expect(pageErrors).toEqual([]);
    });

    it('the toolbar fits in two rows at 1280×800 and 1024×768, in both themes', async () => {
      const { page, pageErrors } = workbench;
      for (const [width, height] of [
        [1280, 800],
        [1024, 768],
      ] as const) {
        await page.setViewportSize({ width, height });
        await expect
          .poll(() => toolbarBoxes(page))
          .toEqual([
            { label: 'Log filters', height: expect.any(Number), overflow: false },
            { label: 'Log view', height: expect.any(Number), overflow: false },
          ]);
        // One line of 26 px controls each (a wrapped toolbar is twice as high).
        for (const bar of await toolbarBoxes(page)) expect(bar.height).toBeLessThanOrEqual(40);
        await shootBothThemes(page, SHOTS, `log-toolbar-${width}`);
      }
      // What left the toolbar is one click away.
      await page.getByRole('button', { name: 'More log options' }).click();
      await page.getByRole('combobox', { name: 'Time column' }).waitFor();
      await shootBothThemes(page, SHOTS, 'log-toolbar-more-1024');
      await page.keyboard.press('Escape');
      await page.setViewportSize({ width: 1440, height: 900 });
      expect(pageErrors).toEqual([]);
    });

    it('after a reload the mock server tab is back, and the pins of both logs', async () => {
      const { page, pageErrors } = workbench;
      const log = page.getByRole('log', { name: 'Messages' });
      // The connection tab is active: pin its first text row.
      await log.locator('button.row.k-text').first().click();
      await log.press('p');
      await expect.poll(() => log.locator('button.row.pinned').count()).toBe(1);
      // The mock server's tab: pin a row of its log.
      await page.getByRole('tab', { name: /^Mock :\d+/ }).click();
      const serverLog = page.getByRole('log', { name: 'Messages' });
      await serverLog.locator('button.row.k-text').first().click();
      await serverLog.press('p');
      await expect.poll(() => serverLog.locator('button.row.pinned').count()).toBe(1);
      await page.waitForFunction(
        () => (localStorage.getItem('duplex.ui')?.match(/"pins"/g) ?? []).length === 2,
      );

      await page.reload();
      const mockTab = page.getByRole('tab', { name: /^Mock :\d+/ });
      await mockTab.waitFor();
      expect(await mockTab.getAttribute('aria-selected')).toBe('true');
      await page.getByRole('button', { name: 'Stop server' }).waitFor();
      await expect
        .poll(() => page.getByRole('log', { name: 'Messages' }).locator('button.row.pinned').count())
        .toBe(1);
      await page.getByRole('tab', { name: /127\.0\.0\.1/ }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      await expect
        .poll(() => page.getByRole('log', { name: 'Messages' }).locator('button.row.pinned').count())
        .toBe(1);
      expect(
        await page.getByRole('log', { name: 'Messages' }).locator('button.row.pinned .preview').textContent(),
      ).toBe('{"n":1}');
      expect(pageErrors).toEqual([]);
    });
  },
);
