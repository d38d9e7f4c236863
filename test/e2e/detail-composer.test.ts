/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (page.evaluate callbacks run in the browser)
/**
 * The composer's code editor and the detail's JSON tree in real Chromium under
 * the app's Content-Security-Policy: JSON typed with the keyboard is
 * highlighted, a bad draft is marked, Ctrl+Enter sends, the echo opens as a
 * tree that folds and copies a path, and edit-and-resend puts a message back
 * in the composer. Screenshots in light and dark go to test-results/screenshots/.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { missingPrerequisite } from './browser-harness.js';
import {
  connectToNewEchoServer,
  SHOTS,
  shootBothThemes,
  useWorkbench,
  fillComposer,
} from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `composer and detail in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    const shoot = (page: Page, name: string): Promise<void> => shootBothThemes(page, SHOTS, name);

    it('types JSON into the CodeMirror composer, marks bad JSON, sends with Ctrl+Enter, shows the echo as a tree', async () => {
      const { page, pageErrors } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await connectToNewEchoServer(page);

      // The editor is CodeMirror, styled (its stylesheet was not refused by the CSP).
      await page.getByRole('button', { name: 'JSON', exact: true }).first().click();
      const editor = page.getByRole('textbox', { name: 'Message' });
      await editor.click();
      expect(await editor.getAttribute('contenteditable')).toBe('true');
      await page.keyboard.type('{"type": "tick", "n": 1,');
      const alert = page.locator('#composer-error');
      await expect.poll(() => alert.textContent()).toMatch(/^Invalid JSON/);
      const marker = page.locator('.cm-lintRange-error');
      await expect.poll(() => marker.count()).toBe(1);
      await shoot(page, 'composer-json-error');
      await page.keyboard.type(
        ' "items": [{"id": 7, "tags": ["a", "b"]}, {"id": 8, "ok": true}], "none": null}',
      );
      await expect.poll(() => alert.textContent()).toBe('');
      await expect.poll(() => marker.count()).toBe(0);
      // The key "type" is coloured differently from the string "tick".
      const colours = await page.evaluate(() => {
        const root = document.querySelector('.code-editor')!.shadowRoot!;
        const spans = [...root.querySelectorAll('.cm-line span')];
        const colour = (text: string) => getComputedStyle(spans.find((s) => s.textContent === text)!).color;
        return {
          key: colour('"type"'),
          string: colour('"tick"'),
          editorPosition: getComputedStyle(root.querySelector('.cm-editor')!).position,
        };
      });
      expect(colours.key).not.toBe(colours.string);
      expect(colours.editorPosition).toBe('relative'); // from CodeMirror's base theme
      await page.keyboard.press('Control+Enter');

      const log = page.getByRole('log', { name: 'Messages' });
      await expect.poll(() => log.locator('button.row.k-text').count()).toBe(2);
      await log.locator('button.row.in.k-text').last().click();

      // The echo as a tree: open to a few levels, a container folds, a path is copied.
      const tree = page.getByRole('tree', { name: 'JSON' });
      await tree.waitFor();
      const row = (path: string) => tree.locator(`[role=treeitem][data-path="${path}"]`);
      // Three levels open at first; the tags array is the fourth.
      expect(await row('$.items[0].tags').textContent()).toContain('"tags": […] 2 items');
      await tree.getByRole('button', { name: 'Expand $.items[0].tags', exact: true }).click();
      expect(await row('$.items[0].tags[1]').textContent()).toContain('1: "b"');
      expect(await row('$.none').textContent()).toContain('"none": null');
      const keyColour = await row('$.type')
        .locator('.key')
        .evaluate((el) => getComputedStyle(el).color);
      const stringColour = await row('$.type')
        .locator('.v-string')
        .evaluate((el) => getComputedStyle(el).color);
      expect(keyColour).not.toBe(stringColour);
      await shoot(page, 'detail-json-tree');
      await tree.getByRole('button', { name: 'Collapse $.items', exact: true }).click();
      await expect.poll(() => row('$.items').textContent()).toContain('[…] 2 items');
      expect(await row('$.items[0]').count()).toBe(0);
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: new URL(page.url()).origin,
      });
      await row('$.items').click();
      await page
        .getByRole('region', { name: 'Payload as JSON' })
        .getByRole('button', { name: 'Copy path', exact: true })
        .click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('$.items');
      await tree.getByRole('button', { name: 'Expand $.items', exact: true }).click();
      await row('$.items[0].id').hover();
      await shoot(page, 'detail-json-tree-collapsed-hover');

      // Edit and resend: the message goes back into the composer and out again.
      await editor.click();
      await page.keyboard.press('Control+a');
      await page.keyboard.press('Delete');
      await page.getByRole('button', { name: 'Edit and resend' }).click();
      await expect.poll(() => editor.textContent()).toContain('"items": [{"id": 7');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await expect.poll(() => log.locator('button.row.k-text').count()).toBe(4);

      // Copy as code for the request.
      await page.getByRole('button', { name: 'Copy as code' }).click();
      const panel = page.getByRole('region', { name: 'Copy as code' });
      await panel.getByRole('button', { name: 'Python (websockets)' }).click();
      await expect
        .poll(() => panel.getByLabel('Generated code').textContent())
        .toContain('from websockets.asyncio.client import connect');
      await shoot(page, 'copy-as-code');
      await panel.getByRole('button', { name: 'wscat' }).click();
      await panel.getByRole('button', { name: 'Copy', exact: true }).click();
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toMatch(/^wscat -c ws:\/\/127\.0\.0\.1:\d+\/ \\\n {2}-x '\{"type": "tick"/);
      await panel.getByRole('button', { name: 'Close', exact: true }).click();

      // The close dialog names a code that is not a number.
      await page.getByRole('button', { name: 'Close…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Close connection' });
      expect(await dialog.getByRole('textbox', { name: 'Close code' }).inputValue()).toBe('1000');
      await dialog.getByRole('textbox', { name: 'Close code' }).fill('abc');
      await expect
        .poll(() => dialog.getByRole('alert').textContent())
        .toBe('Close code "abc" is not a number: type a code such as 1000 or 4000.');
      await shoot(page, 'close-dialog-abc');
      await dialog.getByRole('button', { name: 'Cancel' }).click();

      // Hex: the bad character is named with its place and marked in the editor.
      await page.getByRole('button', { name: 'Hex', exact: true }).first().click();
      await fillComposer(page, '00 ff 10\n2a zq');
      await expect
        .poll(() => alert.textContent())
        .toBe('Hex input has "z" at line 2, column 4, which is not a hex digit; use 0-9 and a-f.');
      await expect.poll(() => marker.allTextContents()).toEqual(['z']);
      await shoot(page, 'composer-hex-error');

      expect(pageErrors).toEqual([]);
    }, 60_000);

    it('a 16 MiB JSON message pages as text and opens as a tree that scrolls and folds without long tasks', async () => {
      const { page, pageErrors } = workbench;
      const serverUrl = await connectToNewEchoServer(page);
      // A peer outside the workbench sends the big message to the mock server.
      const items = Array.from({ length: 160_000 }, (_, i) => ({
        id: i,
        name: `item ${i}`,
        tags: ['a', 'b'],
        ok: i % 2 === 0,
      }));
      let text = JSON.stringify({ kind: 'bulk', items });
      text =
        text.slice(0, -1) + `, "pad": "${'x'.repeat(Math.max(0, 16 * 1024 * 1024 - text.length - 12))}"}`;
      const peer = new WebSocket(serverUrl);
      await new Promise((resolve, reject) => peer.once('open', resolve).once('error', reject));
      peer.send(text);

      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      const port = new URL(serverUrl).port;
      await sidebar.getByRole('button', { name: new RegExp(`Mock :${port}\\b`) }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await log.locator('button.row.in.k-text').first().click();
      // It looks like JSON, so the JSON view offers the tree; the text view pages.
      const views = page.getByRole('group', { name: 'Payload view' });
      await page.getByRole('button', { name: 'Open as tree' }).waitFor();
      await views.getByRole('button', { name: 'Text' }).click();
      const pages = page.getByRole('navigation', { name: 'Pages of the payload' });
      await expect.poll(() => pages.getByRole('status').textContent()).toMatch(/^Page 1 of 16 · /);
      await pages.getByRole('button', { name: 'Next' }).click();
      await expect.poll(() => pages.getByRole('status').textContent()).toMatch(/^Page 2 of 16 · /);
      await views.getByRole('button', { name: 'JSON' }).click();

      const started = Date.now();
      await page.getByRole('button', { name: 'Open as tree' }).click();
      const tree = page.getByRole('tree', { name: 'JSON' });
      await tree.waitFor({ timeout: 30_000 });
      const openMs = Date.now() - started;
      expect(await tree.locator('[data-path="$.items"]').textContent()).toContain('"items": [');
      // Only the rows in view exist, whatever is open.
      const rendered = () => tree.getByRole('treeitem').count();

      // From here on the main thread stays free: no task over 100 ms while scrolling and folding.
      await page.evaluate(() => {
        const w = window as unknown as { longTasks: number[] };
        w.longTasks = [];
        new PerformanceObserver((list) => {
          for (const e of list.getEntries()) w.longTasks.push(Math.round(e.duration));
        }).observe({ type: 'longtask' });
      });
      // 160,000 items do not fit the first row budget: the array starts closed.
      await tree.getByRole('button', { name: 'Expand $.items', exact: true }).click();
      for (let i = 0; i < 10; i++) await tree.evaluate((el, top) => el.scrollTo({ top }), i * 400);
      await tree.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
      await tree.getByRole('button', { name: 'Show 200 more' }).click();
      await expect.poll(() => tree.getByText('(400 of 160000 shown)').count()).toBe(1);
      await tree.evaluate((el) => el.scrollTo({ top: 0 }));
      await tree.getByRole('button', { name: 'Collapse $.items', exact: true }).click();
      await page.getByRole('button', { name: 'Expand all' }).click();
      expect(await rendered()).toBeLessThan(60);
      await shoot(page, 'detail-json-tree-16mib');
      await page.getByRole('button', { name: 'Collapse all' }).click();
      await page.waitForTimeout(300);
      const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
      expect(
        longTasks.filter((ms) => ms > 100),
        `opened in ${openMs} ms; long tasks ${longTasks.join(', ')}`,
      ).toEqual([]);
      console.log(
        `16 MiB JSON: tree open in ${openMs} ms (read + parse); long tasks after: [${longTasks.join(', ')}]`,
      );
      peer.close();
      expect(pageErrors).toEqual([]);
    }, 120_000);
  },
);
