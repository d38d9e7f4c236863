/**
 * The log's rows in real Chromium through browser mode, against a plain `ws`
 * echo server: the time column in its three modes; events of Duplex shown as
 * events (not received), alike in a client's and a mock server's log, a clean
 * close not styled as a failure and a connection cut under it (1006) styled as
 * one; a size on every frame; the rows shown exported as a session without
 * recording; Rec from the moment it is pressed, and with history; a live
 * bufferedAmount against a peer that stops reading.
 */
import { readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { readSessionFile } from '../support/read-session.js';
import { missingPrerequisite } from './browser-harness.js';
import {
  SHOTS,
  shootBothThemes,
  startNewEchoServer,
  useWorkbench,
  fillComposer,
  connectTo,
} from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `log rows, time column, export and Rec in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();
    let server: WebSocketServer | undefined;
    let url = '';

    beforeAll(async () => {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise((r) => server!.once('listening', r));
      url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      // An echo; "cut" makes the server drop the TCP connection without a close frame.
      server.on('connection', (ws) =>
        ws.on('message', (data, isBinary) =>
          String(data) === 'cut' ? ws.terminate() : ws.send(data, { binary: isBinary }),
        ),
      );
    });
    afterAll(() => {
      for (const c of server?.clients ?? []) c.terminate();
      server?.close();
    });

    const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
    const rows = (page: Page) => log(page).locator('button.row');
    /** Per row: direction class, kind, size text, whether styled as a failure. */
    const rowFacts = (page: Page) =>
      rows(page).evaluateAll((els) =>
        els.map((el) => ({
          dir: ['in', 'out', 'none'].find((d) => el.classList.contains(d)),
          kind: el.querySelector('.kind')?.textContent,
          size: el.querySelector('.num')?.textContent,
          failure: el.classList.contains('failure'),
          icon: el.querySelector('.arrow svg')?.getAttribute('data-icon'),
        })),
      );
    const send = async (page: Page, text: string): Promise<void> => {
      await fillComposer(page, text);
      await page.getByRole('button', { name: 'Send', exact: true }).click();
    };
    const sessionFiles = (): string[] => {
      try {
        return readdirSync(join(workbench.ui.workspace, 'sessions')).sort();
      } catch {
        return [];
      }
    };

    it('the time column shows the clock, the time since open, or the delta to the previous row', async () => {
      const { page } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      await connectTo(page, url);
      for (const text of ['one', 'two', 'three']) await send(page, text);
      await expect.poll(() => log(page).locator('button.row.k-text').count()).toBe(6);
      // "N messages" counts messages, not the info and open events; Kinds counts each kind.
      await expect.poll(() => page.locator('.count').textContent()).toBe('6 messages');
      await page.getByRole('button', { name: /^Kinds/ }).click();
      const counts = await page
        .getByRole('group', { name: 'Kinds shown' })
        .locator('label')
        .evaluateAll((els) =>
          Object.fromEntries(
            els.map((el) => [
              el.querySelector('.kind-name')?.textContent,
              el.querySelector('.kind-count')?.textContent,
            ]),
          ),
        );
      expect(counts).toMatchObject({ text: '6', info: '1', open: '1', ping: '0', binary: '0' });
      await page.keyboard.press('Escape');
      const times = () => rows(page).locator('.time').allTextContents();
      for (const t of await times()) expect(t).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);

      await page.getByRole('button', { name: 'More log options' }).click();
      const mode = page.getByRole('combobox', { name: 'Time column' });
      await mode.selectOption('open');
      // "Connecting…" comes before the open, the open row is its own zero, the rest count from it.
      const sinceOpen = await times();
      expect(sinceOpen[0]).toBe('—');
      expect(sinceOpen[1]).toBe('+0 ms');
      for (const t of sinceOpen.slice(2)) expect(t).toMatch(/^\+\d+ ms$|^\+\d+\.\d{3} s$/);
      const ms = (t: string): number =>
        t.endsWith(' s') ? parseFloat(t.slice(1)) * 1000 : parseFloat(t.slice(1));
      const offsets = sinceOpen.slice(1).map(ms);
      expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);

      await mode.selectOption('delta');
      const deltas = await times();
      expect(deltas[0]).toBe('+0 ms');
      for (const t of deltas.slice(1)) expect(t).toMatch(/^\+\d+ ms$|^\+\d+\.\d{3} s$/);
      // Deltas add up to the time since the first row (each is rounded: allow 1 ms a row).
      const total = deltas
        .slice(1)
        .map(ms)
        .reduce((a, b) => a + b, 0);
      expect(Math.abs(total - (offsets.at(-1)! + (ms(deltas[1]!) - offsets[0]!)))).toBeLessThanOrEqual(
        deltas.length,
      );
      await shootBothThemes(page, SHOTS, 'log-time-delta');
      await mode.selectOption('absolute');
      await page.keyboard.press('Escape');
    });

    it('events of Duplex are events, alike in client and server logs; a clean close is no failure, a cut (1006) is; frames have sizes', async () => {
      const { page, pageErrors } = workbench;
      // The client log of the first test: Connecting…, open, then text frames out and in.
      const facts = await rowFacts(page);
      expect(facts.slice(0, 2)).toEqual([
        { dir: 'none', kind: 'info', size: '', failure: false, icon: 'dot' },
        { dir: 'none', kind: 'open', size: '', failure: false, icon: 'dot' },
      ]);
      expect(facts.slice(2, 4)).toEqual([
        { dir: 'out', kind: 'text', size: '3 B', failure: false, icon: 'arrow-up' },
        { dir: 'in', kind: 'text', size: '3 B', failure: false, icon: 'arrow-down' },
      ]);
      await page.getByRole('button', { name: 'Ping', exact: true }).click();
      await expect.poll(async () => (await rowFacts(page)).some((f) => f.kind === 'pong')).toBe(true);
      for (const f of await rowFacts(page))
        if (f.kind === 'ping' || f.kind === 'pong') expect(f.size).toBe('0 B');

      // A clean close (the client's 1000, answered) is not a failure.
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await page.getByRole('status', { name: 'Connection state: CLOSED' }).waitFor();
      // The close frame sent and the peer's answer: real frames, each with its direction, neither a failure.
      await expect
        .poll(async () =>
          (await rowFacts(page)).filter((f) => f.kind === 'close').map((f) => [f.dir, f.failure]),
        )
        .toEqual([
          ['out', false],
          ['in', false],
        ]);
      expect(
        await rows(page)
          .filter({ hasText: /code 1000/ })
          .count(),
      ).toBe(2);

      // A server that drops the TCP connection: Duplex detects 1006 itself; it is not "received".
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      await send(page, 'cut');
      await page.getByRole('status', { name: 'Connection state: CLOSED' }).waitFor();
      const cut = rows(page).filter({ hasText: /code 1006/ });
      await cut.first().waitFor();
      expect(
        await cut.first().evaluate((el) => [el.classList.contains('none'), el.classList.contains('failure')]),
      ).toEqual([true, true]);

      // A mock server's log shows its client's open the way a client log shows its own.
      const serverUrl = await startNewEchoServer(page);
      const peer = new (await import('ws')).WebSocket(serverUrl);
      await new Promise((r) => peer.once('open', r));
      try {
        await expect.poll(async () => (await rowFacts(page)).some((f) => f.kind === 'open')).toBe(true);
        const open = (await rowFacts(page)).find((f) => f.kind === 'open');
        expect(open).toEqual({ dir: 'none', kind: 'open', size: '', failure: false, icon: 'dot' });
      } finally {
        peer.close();
      }
      expect(pageErrors).toEqual([]);
    });

    it('exports the rows shown as a session without recording; Rec records from the moment it is pressed, or with history', async () => {
      const { page, pageErrors } = workbench;
      await connectTo(page, url);
      for (const text of ['alpha', 'beta', 'alpha again']) await send(page, text);
      await expect.poll(() => log(page).locator('button.row.k-text').count()).toBe(6);

      // Filter to "alpha", export what is shown.
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('alpha');
      await page.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
      await expect.poll(() => log(page).locator('button.row.k-text').count()).toBe(4);
      const before = sessionFiles();
      await page.getByRole('button', { name: 'More log options' }).click();
      await page
        .getByRole('group', { name: 'Export shown rows' })
        .getByRole('button', { name: 'Session' })
        .click();
      await expect.poll(() => sessionFiles().length).toBe(before.length + 1);
      const exported = sessionFiles().find((f) => !before.includes(f))!;
      const texts = (file: string) =>
        readSessionFile(join(workbench.ui.workspace, 'sessions', file)).then((s) =>
          s.entries.filter((e) => e.kind === 'text').map((e) => `${e.dir} ${Buffer.from(e.data).toString()}`),
        );
      expect(await texts(exported)).toEqual(['out alpha', 'in alpha', 'out alpha again', 'in alpha again']);
      await page.keyboard.press('Escape');
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('');
      await page.getByRole('searchbox', { name: 'Search messages' }).press('Enter');

      // Rec from now on: only what comes after the press.
      const recorded = async (history: boolean, message: string): Promise<string[]> => {
        const was = sessionFiles();
        if (history) {
          await page.getByRole('button', { name: 'More log options' }).click();
          await page.getByRole('checkbox', { name: 'Rec with history' }).check();
          await page.keyboard.press('Escape');
        }
        await page.getByRole('button', { name: 'Record', exact: true }).click();
        await page.getByRole('button', { name: 'Stop recording' }).waitFor();
        await send(page, message);
        await expect.poll(() => rows(page).filter({ hasText: message }).count()).toBe(2);
        await page.getByRole('button', { name: 'Stop recording' }).click();
        await page.getByRole('button', { name: 'Record', exact: true }).waitFor();
        await expect.poll(() => sessionFiles().length).toBe(was.length + 1);
        return texts(sessionFiles().find((f) => !was.includes(f))!);
      };
      expect(await recorded(false, 'after rec')).toEqual(['out after rec', 'in after rec']);
      const withHistory = await recorded(true, 'with history');
      expect(withHistory.slice(0, 2)).toEqual(['out alpha', 'in alpha']);
      expect(withHistory.slice(-2)).toEqual(['out with history', 'in with history']);
      expect(withHistory).toContain('in after rec');
      expect(pageErrors).toEqual([]);
    });

    it('bufferedAmount is live: it grows while the peer does not read, and falls back to 0 as the socket drains', async () => {
      const { page, pageErrors } = workbench;
      // A peer that stops reading (ws's pause(): the TCP window fills) until told to go on.
      const slow = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise((r) => slow.once('listening', r));
      const peers: import('ws').WebSocket[] = [];
      slow.on('connection', (ws) => {
        ws.pause();
        peers.push(ws);
      });
      try {
        await connectTo(page, `ws://127.0.0.1:${(slow.address() as AddressInfo).port}/`);
        const buffered = page.getByTitle('Bytes queued but not yet sent').locator('b');
        expect(await buffered.textContent()).toBe('0 B');
        await fillComposer(page, 'x'.repeat(1024 * 1024));
        // More than loopback's socket buffers hold: the rest waits in ws's queue.
        for (let i = 0; i < 32; i++) await page.getByRole('button', { name: 'Send', exact: true }).click();
        await expect.poll(() => buffered.textContent(), { timeout: 15_000 }).toMatch(/MiB$/);
        for (const ws of peers) ws.resume();
        await expect.poll(() => buffered.textContent(), { timeout: 15_000 }).toBe('0 B');
      } finally {
        for (const c of slow.clients) c.terminate();
        slow.close();
      }
      expect(pageErrors).toEqual([]);
    });
  },
);
