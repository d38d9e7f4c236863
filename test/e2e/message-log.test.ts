/**
 * The message log in real Chromium through browser mode, against a real
 * server that streams JSON messages and pings: selecting a row stops
 * following and offers "N new", which follows again; one click hides pings
 * and pongs; a JSON path search filters the rows and marks the match.
 */
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { missingPrerequisite } from './browser-harness.js';
import { connectTo, SHOTS, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `message log in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();
    let server: WebSocketServer | undefined;
    let timer: NodeJS.Timeout | undefined;

    beforeAll(async () => {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise((r) => server!.once('listening', r));
      // Every connection gets a message every 20 ms, alternately a tick and a trade, and a ping every fifth.
      server.on('connection', (ws) => {
        let n = 0;
        const send = setInterval(() => {
          n++;
          ws.send(JSON.stringify({ type: n % 2 ? 'tick' : 'trade', n }));
          if (n % 5 === 0) ws.ping();
        }, 20);
        ws.on('close', () => clearInterval(send));
      });
    });
    afterAll(() => {
      clearInterval(timer);
      for (const c of server?.clients ?? []) c.terminate();
      server?.close();
    });

    it('stops following on select, resumes from "N new" or End, hides pings, filters by regex and JSON path', async () => {
      const { page, pageErrors } = workbench;
      const url = `ws://127.0.0.1:${(server!.address() as AddressInfo).port}/`;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await connectTo(page, url);

      const log = page.getByRole('log', { name: 'Messages' });
      const rows = log.locator('button.row');
      const follow = page.getByRole('button', { name: 'Follow new messages' });
      await expect.poll(() => rows.count()).toBeGreaterThan(10);
      expect(await follow.getAttribute('aria-pressed')).toBe('true');
      // Pings arrived and were answered.
      await expect.poll(() => log.locator('button.row.k-ping').count()).toBeGreaterThan(0);

      // Selecting a row stops following; what streams in is counted.
      const picked = rows.nth(3);
      const pickedText = await picked.locator('.preview').textContent();
      await picked.click();
      expect(await follow.getAttribute('aria-pressed')).toBe('false');
      const more = page.getByRole('button', { name: /^[\d,]+ new$/ });
      await more.waitFor();
      expect(await log.locator('button.row.selected .preview').textContent()).toBe(pickedText);
      await page.screenshot({ path: join(SHOTS, 'log-new-rows.png') });
      await more.click();
      await more.waitFor({ state: 'detached' });
      expect(await follow.getAttribute('aria-pressed')).toBe('true');
      // End in the list follows again too.
      await rows.nth(2).click();
      await more.waitFor();
      await page.keyboard.press('End');
      await more.waitFor({ state: 'detached' });
      expect(await follow.getAttribute('aria-pressed')).toBe('true');

      // One click hides pings and pongs; messages keep streaming in.
      await page.getByRole('button', { name: 'Hide pings' }).click();
      await expect.poll(() => page.locator('.count').textContent()).toMatch(/shown of/);
      await expect
        .poll(
          async () =>
            (await log.locator('button.row.k-ping, button.row.k-pong').count()) === 0 &&
            (await rows.count()) > 5,
        )
        .toBe(true);

      // A regex: only trades with an even n under 100, the match marked.
      await page.getByRole('combobox', { name: 'Search mode' }).selectOption('regex');
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('"trade","n":\\d?[02468]}');
      await expect
        .poll(async () => {
          const texts = await rows.locator('.preview').allTextContents();
          return texts.length > 3 && texts.every((t) => /"type":"trade","n":\d?[02468]}/.test(t));
        })
        .toBe(true);
      expect(await rows.first().locator('mark').first().textContent()).toMatch(/^"trade","n":\d+}$/);

      // A JSON path filter: only ticks, the match marked.
      await page.getByRole('combobox', { name: 'Search mode' }).selectOption('jsonpath');
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('$.type == "tick"');
      await expect
        .poll(async () => {
          const texts = await rows.locator('.preview').allTextContents();
          return texts.length > 3 && texts.every((t) => t.includes('"type":"tick"'));
        })
        .toBe(true);
      expect(await rows.first().locator('mark').first().textContent()).toBe('"tick"');
      await rows.first().click();
      await expect
        .poll(() => page.getByLabel('Payload as JSON').locator('mark').first().textContent())
        .toBe('"tick"');
      await page.screenshot({ path: join(SHOTS, 'log-jsonpath.png') });
      await page.getByRole('button', { name: /Toggle theme/ }).click();
      await page.screenshot({ path: join(SHOTS, 'log-jsonpath-dark.png') });
      await page.getByRole('button', { name: /Toggle theme/ }).click();
      expect(pageErrors).toEqual([]);
    });
  },
);
