/**
 * Environments in Chromium (browser mode, `duplex ui`): make an environment in
 * the editor (a plain variable and a secret), pick it in the request bar,
 * connect to ws://{{host}}/, see the resolved URL on hover and in the
 * connection, send a message with {{room}} and see the resolved text in the
 * log. The secret lands in the workspace's 0600 secrets.local.json, never in
 * environments/dev.json. Screenshots of the picker and the editor, light and
 * dark, go to test-results/screenshots/vars-*.png.
 *
 * Then `duplex ui --env dev --var room=kitchen` on a workspace that already has
 * environments/dev.json: the request bar starts on dev (over what the page
 * remembered) and the --var value wins over the file's.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { missingPrerequisite } from './browser-harness.js';
import { SHOTS, shootBothThemes, startNewEchoServer, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();

describe.skipIf(missing)(
  `environments in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    const workbench = useWorkbench();

    it('pick an environment, connect to a URL with {{host}}, see the resolved value', async () => {
      const { page, pageErrors, ui } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      const serverUrl = await startNewEchoServer(page);
      const host = new URL(serverUrl).host;

      await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
      await page.getByRole('button', { name: 'Edit environments' }).click();
      const dialog = page.getByRole('dialog', { name: 'Environments' });
      await dialog.getByRole('button', { name: '+ New environment' }).click();
      await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('dev');
      await dialog.getByRole('textbox', { name: 'Variable name' }).nth(0).fill('host');
      await dialog.getByRole('textbox', { name: 'Value of host' }).fill(host);
      await dialog.getByRole('button', { name: '+ Variable' }).click();
      await dialog.getByRole('textbox', { name: 'Variable name' }).nth(1).fill('room');
      await dialog.getByRole('textbox', { name: 'Value of room' }).fill('lobby');
      await dialog.getByRole('button', { name: '+ Variable' }).click();
      await dialog.getByRole('textbox', { name: 'Variable name' }).nth(2).fill('token');
      await dialog.getByRole('checkbox', { name: 'token is secret' }).check();
      await dialog.getByLabel('Secret value of token').fill('e2e-secret-77');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => dialog.getByRole('status').textContent()).toBe('Saved dev.');
      await expect
        .poll(() => dialog.getByLabel('Secret value of token').getAttribute('placeholder'))
        .toBe('set — type to replace');
      await shootBothThemes(page, SHOTS, 'vars-editor');
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });

      const envFile = readFileSync(join(ui.workspace, 'environments', 'dev.json'), 'utf8');
      expect(JSON.parse(envFile)).toEqual({
        version: 1,
        variables: [
          { name: 'host', value: host },
          { name: 'room', value: 'lobby' },
          { name: 'token', secret: true },
        ],
      });
      const secretsFile = join(ui.workspace, 'secrets.local.json');
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(ui.workspace, '.gitignore'), 'utf8')).toContain('secrets.local.json');

      const picker = page.getByRole('combobox', { name: 'Environment' });
      await picker.selectOption('dev');
      const url = page.getByRole('textbox', { name: 'URL' });
      await url.fill('ws://{{host}}/rooms/{{room}}');
      await expect.poll(() => url.getAttribute('title')).toBe(`Resolves to ws://${host}/rooms/lobby`);
      await url.hover();
      expect(await page.getByLabel('Resolved URL').textContent()).toBe(
        `Resolves to ws://${host}/rooms/lobby`,
      );
      await shootBothThemes(page, SHOTS, 'vars-picker');

      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      // The typed request with {{name}} is what runs: no "not applied" note.
      expect(await page.getByText('Edits not applied').count()).toBe(0);
      const editor = page.getByRole('textbox', { name: 'Message' });
      await editor.click();
      await page.keyboard.type('hello {{room}}');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await expect.poll(() => log.locator('button.row.k-text').count()).toBe(2);
      expect(await log.locator('button.row.k-text').first().textContent()).toContain('hello lobby');
      // The log's detail shows the resolved message and what it was resolved from.
      await log.locator('button.row.k-text').first().click();
      await expect
        .poll(() => page.getByText('Resolved with environment dev from: hello {{room}}').count())
        .toBe(1);
      await page.getByRole('tab', { name: 'Handshake' }).click();
      const request = page.getByRole('region', { name: 'Request' });
      expect(await request.locator('p.line').textContent()).toBe(`GET ws://${host}/rooms/lobby`);
      await shootBothThemes(page, SHOTS, 'vars-connected');
      expect(pageErrors).toEqual([]);
    });
  },
);

describe.skipIf(missing)(
  `duplex ui --env in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    // A peer of its own, so its address can be in the environment file before the UI starts.
    let server: WebSocketServer;
    const paths: string[] = [];
    const rooms: unknown[] = [];
    beforeAll(async () => {
      server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await new Promise((r) => server.once('listening', r));
      server.on('connection', (_ws, req) => {
        paths.push(req.url ?? '');
        rooms.push(req.headers['x-room']);
      });
    });
    afterAll(() => new Promise((r) => server.close(r)));
    const host = (): string => `127.0.0.1:${(server.address() as { port: number }).port}`;

    const workbench = useWorkbench({
      ui: {
        args: ['--env', 'dev', '--var', 'room=kitchen'],
        prepare: (workspace) => {
          mkdirSync(join(workspace, 'environments'));
          for (const [name, h] of [
            ['dev', host()],
            ['other', 'nowhere.invalid'],
          ]) {
            writeFileSync(
              join(workspace, 'environments', `${name}.json`),
              JSON.stringify({
                version: 1,
                variables: [
                  { name: 'host', value: h },
                  { name: 'room', value: 'lobby' },
                ],
              }),
            );
          }
        },
      },
    });

    it('the request bar starts on --env, lists the workspace environments, and --var wins over the file', async () => {
      const { page, pageErrors } = workbench;
      await page.getByRole('heading', { name: 'Duplex' }).waitFor();
      const sidebar = page.getByRole('navigation', { name: 'Workspace' });
      await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
      const picker = page.getByRole('combobox', { name: 'Environment' });
      await expect.poll(() => picker.inputValue()).toBe('dev');
      expect(await picker.locator('option').allTextContents()).toEqual(['No environment', 'dev', 'other']);
      const url = page.getByRole('textbox', { name: 'URL' });
      await url.fill('ws://{{host}}/rooms/{{room}}');
      await expect.poll(() => url.getAttribute('title')).toBe(`Resolves to ws://${host()}/rooms/kitchen`);
      // A header value shows what it resolves to on hover too.
      await page.getByRole('tab', { name: 'Headers' }).click();
      await page.getByRole('button', { name: '+ Add header' }).click();
      await page.getByRole('textbox', { name: 'Header 1 name' }).fill('X-Room');
      const value = page.getByRole('textbox', { name: 'Header 1 value' });
      await value.fill('{{room}}');
      await value.hover();
      await expect.poll(() => value.getAttribute('title')).toBe('Resolves to kitchen');
      await page.getByRole('button', { name: 'Connect', exact: true }).click();
      await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
      expect(paths).toEqual(['/rooms/kitchen']);
      expect(rooms).toEqual(['kitchen']);
      // A reload keeps the launch environment even if the page had picked another one.
      await picker.selectOption('other');
      await page.reload(); // the connection's tab comes back, with its request bar
      await expect.poll(() => page.getByRole('combobox', { name: 'Environment' }).inputValue()).toBe('dev');
      expect(pageErrors).toEqual([]);
    });
  },
);
