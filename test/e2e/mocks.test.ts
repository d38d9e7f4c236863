/**
 * Mocks in real Chromium through browser mode (`duplex ui`): write a mock in
 * the UI (a new mock from the sidebar, a rule added through the form), see a
 * validation error with its line and field, try a message, save, start it,
 * connect a Duplex client tab and a `ws` client from Node, and see the rules
 * fire: their hit counts grow and the log names the rule that answered.
 * Screenshots of the mock tab in both themes go to SHOTS (and to
 * DUPLEX_SHOTS_DIR when it is set).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { missingPrerequisite } from './browser-harness.js';
import {
  connectToNewEchoServer,
  SHOTS,
  shootBothThemes,
  useWorkbench,
  fillComposer,
} from './workbench-fixture.js';

const missing = missingPrerequisite();
const SHOT_DIR = process.env['DUPLEX_SHOTS_DIR'] ?? SHOTS;

describe.skipIf(missing)(`mocks in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`, () => {
  const workbench = useWorkbench({ acceptDownloads: true });

  it('builds a mock with the form, tries it, starts it, and counts the rules that answer real clients', async () => {
    const { page, pageErrors } = workbench;
    const sidebar = page.getByRole('navigation', { name: 'Workspace' });
    const mocks = sidebar.getByRole('region', { name: 'Mocks' });
    await page.getByRole('heading', { name: 'Duplex' }).waitFor();

    // A new mock from the sidebar: the starter file, open in a tab.
    await mocks.getByRole('button', { name: 'New mock' }).click();
    await mocks.getByRole('textbox', { name: 'Name of the new mock' }).fill('chat');
    await mocks.getByRole('textbox', { name: 'Name of the new mock' }).press('Enter');
    await mocks.getByRole('button', { name: 'Open mock chat' }).waitFor();
    const panel = page.getByRole('tabpanel');
    expect(await panel.getByRole('textbox', { name: 'Name of rule 1' }).inputValue()).toBe('ping');

    // A second rule, written with the form.
    await panel.getByRole('button', { name: 'Add rule' }).click();
    await panel.getByRole('textbox', { name: 'Name of rule 2' }).fill('hello');
    await panel.getByRole('combobox', { name: 'Text test of rule 2' }).selectOption('regex');
    await panel.getByRole('textbox', { name: 'Text of rule 2' }).fill('(hello');
    await panel.getByRole('textbox', { name: 'send of action 1' }).last().fill('hi {{client.id}}');

    // A bad regular expression: the engine's error, with line and field, next to the rule; not saved.
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    const problem = panel.getByRole('alert', { name: 'Mock file problem' });
    await expect.poll(() => problem.textContent()).toContain('not saved');
    const problemText = (await problem.textContent())!;
    expect(problemText).toMatch(/Line \d+/);
    expect(problemText).toContain('routes[0].rules[1].when.text.regex');
    expect(problemText).toContain('Invalid regular expression');
    const card = panel.getByRole('article', { name: 'Rule hello' });
    expect(await card.getByRole('alert').textContent()).toContain('Invalid regular expression');
    expect(await panel.getByRole('textbox', { name: 'Text of rule 2' }).inputValue()).toBe('(hello');
    await shootBothThemes(page, SHOT_DIR, 'mockui-validation');

    await panel.getByRole('button', { name: 'Show in source' }).click();
    await panel.locator('.source-editor').waitFor();
    await expect.poll(() => panel.locator('.line-error').textContent()).toMatch(/^Line \d+: /);
    await shootBothThemes(page, SHOT_DIR, 'mockui-source');
    await panel.getByRole('button', { name: 'Rules', exact: true }).click();

    await panel.getByRole('textbox', { name: 'Text of rule 2' }).fill('^hello');
    await expect.poll(() => problem.count()).toBe(0);
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await panel.getByText('Saved.').waitFor();

    // Try a message: the rule that matches and the reply it would send.
    const tryBox = panel.getByRole('form', { name: 'Try a message' });
    await tryBox.getByRole('textbox', { name: 'Message to try' }).fill('hello there');
    await tryBox.getByRole('button', { name: 'Try' }).click();
    const result = panel.getByRole('status', { name: 'Try result' });
    await expect.poll(() => result.textContent()).toContain('Matches rule hello');
    expect(await result.textContent()).toContain('hi try');
    await shootBothThemes(page, SHOT_DIR, 'mockui-form');
    await tryBox.getByRole('textbox', { name: 'Message to try' }).fill('nothing matches');
    await tryBox.getByRole('button', { name: 'Try' }).click();
    await expect.poll(() => result.textContent()).toContain('No rule matched → otherwise: echo');

    // Start it: the tab shows its server, with live hit counts.
    await panel.getByRole('button', { name: 'Start mock' }).click();
    await panel.getByRole('status', { name: 'Mock state: running' }).waitFor();
    const url = (await panel.locator('code.url').textContent())!.trim();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const hits = panel.getByRole('table', { name: 'Hits on /' });
    await expect.poll(() => hits.getByRole('row', { name: 'hello 0' }).count()).toBe(1);

    // A Duplex client tab.
    await panel.getByRole('button', { name: 'New client' }).click();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
    await fillComposer(page, 'hello mock');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const clientLog = page.getByRole('log', { name: 'Messages' });
    await expect
      .poll(() => clientLog.locator('button.row.in.k-text').first().textContent())
      .toMatch(/hi \S+/);

    // A ws client from Node.
    const ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('{"type":"ping"}');
    expect(await reply).toBe('{"type":"pong"}');
    ws.close();

    // Back in the mock tab: the hits and the log name the rules.
    await page.getByRole('tab', { name: /^chat/ }).click();
    await expect.poll(() => hits.getByRole('row', { name: 'hello 1' }).count()).toBe(1);
    await expect.poll(() => hits.getByRole('row', { name: 'ping 1' }).count()).toBe(1);
    const serverLog = panel.getByRole('log', { name: 'Messages' });
    await expect
      .poll(async () => (await serverLog.locator('.rule').allTextContents()).sort())
      .toEqual(expect.arrayContaining(['hello', 'ping']));
    await shootBothThemes(page, SHOT_DIR, 'mockui-running');

    // The form shows the same counts on the rule cards.
    await panel.getByRole('button', { name: 'Rules', exact: true }).click();
    await panel.getByLabel('1 hit of rule hello').waitFor();
    expect(await panel.locator('.hits.hot').count()).toBe(2);
    await shootBothThemes(page, SHOT_DIR, 'mockui-form-hits');

    await panel.getByRole('button', { name: 'Stop mock' }).click();
    await panel.getByRole('status', { name: 'Mock state: stopped' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('serves wss:// with a self-signed certificate: its fingerprint shown, the PEM exported and trusted by a client', async () => {
    const { page, pageErrors } = workbench;
    const mocks = page.getByRole('navigation', { name: 'Workspace' }).getByRole('region', { name: 'Mocks' });
    await mocks.getByRole('button', { name: 'Open mock chat' }).click();
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('button', { name: 'Rules', exact: true }).click();
    await panel.getByRole('combobox', { name: 'TLS' }).selectOption('selfSigned');
    await panel.getByRole('button', { name: 'Save', exact: true }).click();
    await panel.getByText('Saved.').waitFor();
    await panel.getByRole('button', { name: 'Start mock' }).click();
    await panel.getByRole('status', { name: 'Mock state: running' }).waitFor();
    const url = (await panel.locator('code.url').textContent())!.trim();
    expect(url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const fingerprint = (await panel.getByLabel('Certificate fingerprint').textContent())!.trim();
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    await shootBothThemes(page, SHOT_DIR, 'mockui-tls');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Export certificate (PEM)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/\.crt$/);
    const pem = readFileSync((await download.path())!, 'utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);

    // A client that trusts only this certificate gets through, and the rules answer.
    const ws = new WebSocket(url, { ca: pem });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    ws.send('{"type":"ping"}');
    expect(await reply).toBe('{"type":"pong"}');
    ws.close();
    await panel.getByRole('button', { name: 'Stop mock' }).click();
    await panel.getByRole('status', { name: 'Mock state: stopped' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('a recorded session becomes an editable mock, and is served back as a mock', async () => {
    const { page, pageErrors } = workbench;
    const sidebar = page.getByRole('navigation', { name: 'Workspace' });
    await connectToNewEchoServer(page);
    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await page.getByRole('button', { name: 'Stop recording' }).waitFor();
    await fillComposer(page, '{"op":"subscribe"}');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    const rows = page.getByRole('log', { name: 'Messages' }).locator('button.row.k-text');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    const sessions = sidebar.getByRole('region', { name: 'Sessions' });
    await sessions
      .getByRole('button', { name: /^Open session / })
      .first()
      .click();
    const panel = page.getByRole('tabpanel');

    await panel.getByRole('button', { name: 'Turn this recording into rules…' }).click();
    await panel.getByRole('textbox', { name: 'Name of the new mock' }).fill('recorded');
    await panel.getByRole('button', { name: 'Create mock' }).click();
    await sidebar
      .getByRole('region', { name: 'Mocks' })
      .getByRole('button', { name: 'Open mock recorded' })
      .waitFor();
    await expect
      .poll(() => panel.getByRole('textbox', { name: 'Name of rule 1' }).inputValue())
      .toBe('message 1');
    expect(await panel.getByRole('textbox', { name: 'Text of rule 1' }).inputValue()).toBe(
      '{"op":"subscribe"}',
    );
    expect(await panel.getByRole('textbox', { name: 'send of action 1' }).first().inputValue()).toBe(
      '{"op":"subscribe"}',
    );
    await shootBothThemes(page, SHOT_DIR, 'mockui-from-session');

    await sessions
      .getByRole('button', { name: /^Open session / })
      .first()
      .click();
    await panel.getByRole('button', { name: 'Serve this session as a mock' }).click();
    await page.getByRole('button', { name: 'Stop server' }).waitFor();
    const url = (await page.locator('code.url').first().textContent())!.trim();
    const ws = new WebSocket(url);
    const reply = new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send('{"op":"subscribe"}');
    expect(await reply).toBe('{"op":"subscribe"}');
    ws.close();
    expect(pageErrors).toEqual([]);
  });
});
