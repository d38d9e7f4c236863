/**
 * Sessions in real Chromium through browser mode (`duplex ui`): record a
 * connection to a mock server, open the recording read-only in the log and
 * detail views, export it as a HAR download, replay it with verify against the
 * same mock server (the report says all matched), step through a paused replay,
 * and import a HAR file from the file picker. Screenshots go to
 * test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPrerequisite, ROOT } from './browser-harness.js';
import { connectToNewEchoServer, SHOTS, useWorkbench, fillComposer } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `sessions in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench({ acceptDownloads: true });

    it('records, opens read-only, exports, replays with verify (all matched), steps, and imports a HAR', async () => {
      const { page, pageErrors, ui } = workbench;
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      const sessions = sidebar.getByRole('region', { name: 'Sessions' });
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();

      // An echo mock server and a connection to it, recorded.
      const serverUrl = await connectToNewEchoServer(page);
      await page.getByRole('button', { name: 'Record', exact: true }).click();
      await page.getByRole('button', { name: 'Stop recording' }).waitFor();
      await fillComposer(page, '{"op":"subscribe","topic":"prices","depth":5}');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await fillComposer(page, 'second message');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const liveRows = page.getByRole('log', { name: 'Messages' }).locator('button.row.k-text');
      await expect.poll(() => liveRows.count()).toBe(4);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      const openButtons = sessions.getByRole('button', { name: /^Open session / });
      await expect.poll(() => openButtons.count()).toBe(1);

      // Open it read-only: header facts, the same log, the detail pane; no composer, no Record.
      await openButtons.first().click();
      const facts = page.getByLabel('Session facts');
      await facts.waitFor();
      expect(await facts.textContent()).toContain(serverUrl);
      expect(await facts.textContent()).toContain('client');
      const log = page.getByRole('log', { name: 'Messages' });
      await expect.poll(() => log.locator('button.row.k-text').count()).toBe(4);
      expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Record', exact: true }).count()).toBe(0);
      await log.locator('button.row.in.k-text').first().click();
      await expect
        .poll(() => page.getByLabel('Payload as JSON').textContent())
        .toContain('"topic": "prices"');
      const path = (await page.getByLabel('Session file path').textContent())!;
      expect(path.startsWith(join(ui.workspace, 'sessions'))).toBe(true);
      await page.getByRole('searchbox', { name: 'Search messages' }).fill('second');
      await expect.poll(() => log.locator('button.row').count()).toBe(2);
      await page.screenshot({ path: join(SHOTS, 'session-read-only.png') });

      // Export HAR: a download of the HAR text.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Export HAR' }).click(),
      ]);
      expect(download.suggestedFilename()).toMatch(/\.har$/);
      const har = JSON.parse(readFileSync((await download.path())!, 'utf8'));
      expect(har.log.entries[0]._webSocketMessages).toHaveLength(4);

      // Replay with verify at full speed against the same echo server.
      await page.getByRole('button', { name: 'Replay…' }).click();
      const form = page.getByRole('form', { name: 'Replay settings' });
      expect(await form.getByRole('textbox', { name: 'Target URL' }).inputValue()).toBe(serverUrl);
      await form.getByRole('spinbutton', { name: 'Speed' }).fill('0');
      expect(await form.getByRole('checkbox', { name: 'Verify incoming messages' }).isChecked()).toBe(true);
      await form.getByRole('button', { name: 'Start replay' }).click();
      await page.getByRole('status', { name: 'Replay state: Finished' }).waitFor();
      const report = page.getByRole('region', { name: 'Verify report' });
      expect(await report.textContent()).toContain('All matched: 2 of 2 incoming messages.');
      expect(await page.getByText('2 of 2 sent').count()).toBe(1);
      await expect
        .poll(() => page.getByRole('log', { name: 'Messages' }).locator('button.row.k-text').count())
        .toBe(4);
      await page.screenshot({ path: join(SHOTS, 'session-replay-verified.png') });

      // Again, paused: step sends one message, resume finishes.
      await page.getByRole('button', { name: 'Replay again…' }).click();
      await form.getByRole('spinbutton', { name: 'Speed' }).fill('1');
      await form.getByRole('checkbox', { name: /Start paused/ }).check();
      await form.getByRole('button', { name: 'Start replay' }).click();
      await page.getByRole('status', { name: 'Replay state: Paused' }).waitFor();
      const controls = page.getByRole('toolbar', { name: 'Replay controls' });
      await controls.getByRole('button', { name: 'Step' }).click();
      await expect
        .poll(() => page.locator('.progress .counts').textContent())
        .toBe('1 of 2 sent · 1 of 2 compared, 1 matched');
      await page.screenshot({ path: join(SHOTS, 'session-replay-paused.png') });
      await controls.getByRole('button', { name: 'Resume' }).click();
      await page.getByRole('status', { name: 'Replay state: Finished' }).waitFor();
      expect(await report.textContent()).toContain('All matched: 2 of 2');

      // Import a HAR saved by Chrome through the file picker.
      const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/har/chrome-text.har'), 'utf8'));
      const textMessages = (fixture.log.entries[1]._webSocketMessages as { opcode?: number }[]).filter(
        (m) => m.opcode === 1,
      ).length;
      await sidebar
        .getByLabel('HAR file to import')
        .setInputFiles(join(ROOT, 'test/fixtures/har/chrome-text.har'));
      await expect
        .poll(() => sessions.getByRole('status').textContent())
        .toBe('Imported 1 session from chrome-text.har (1 message skipped).'); // it has no opcode
      await expect.poll(() => openButtons.count()).toBe(2);
      const imported = sessions
        .locator('li', { hasText: 'HAR' })
        .getByRole('button', { name: /^Open session / });
      await imported.click();
      await expect
        .poll(() => page.getByLabel('Session facts').textContent())
        .toContain('wss://chat.example.test/socket');
      await expect
        .poll(() => page.getByRole('log', { name: 'Messages' }).locator('button.row.k-text').count())
        .toBe(textMessages);
      await page.screenshot({ path: join(SHOTS, 'session-imported-har.png') });

      expect(pageErrors).toEqual([]);
    });
  },
);
