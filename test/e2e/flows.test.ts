/**
 * Flows in real Chromium through browser mode (`duplex ui`): a flow of the
 * workspace opens from the sidebar, runs against a workspace mock chosen in
 * the tab (alice and bob chat), each step shows passed with its timing, the
 * connections' logs show what went over the wire; a failing flow shows what
 * was expected and what arrived, and one step runs again on the open
 * connection. Screenshots in light and dark go to the helpers' shots folder
 * (DUPLEX_SHOTS) or test-results/screenshots/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { missingPrerequisite, ROOT } from './browser-harness.js';
import { SHOTS, shootBothThemes, useWorkbench } from './workbench-fixture.js';

const missing = missingPrerequisite();
const shots = process.env['DUPLEX_SHOTS'] ?? SHOTS;

describe.skipIf(missing)(`flows in Chromium (browser mode)${missing ? ` — skipped: ${missing}` : ''}`, () => {
  const workbench = useWorkbench();

  it('runs a flow with a mock: every step passes with its timing, the logs show the chat; a failure and a re-run', async () => {
    const { page, pageErrors, ui } = workbench;
    mkdirSync(join(ui.workspace, 'flows'), { recursive: true });
    mkdirSync(join(ui.workspace, 'mocks'), { recursive: true });
    const fixtures = join(ROOT, 'test/fixtures/flows');
    writeFileSync(join(ui.workspace, 'mocks', 'chat.yaml'), readFileSync(join(fixtures, 'chat-mock.yaml')));
    // The docs example, with the mock chosen in the tab instead of named in the file.
    const chat = readFileSync(join(fixtures, 'chat.yaml'), 'utf8').replace(/^mock: .*\n/m, '');
    writeFileSync(join(ui.workspace, 'flows', 'chat.yaml'), chat);
    writeFileSync(
      join(ui.workspace, 'flows', 'wrong.yaml'),
      `name: a wrong answer
steps:
  - connect: { url: "{{mock.url}}/rooms/lobby" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: hello
  - expect: { text: { equals: goodbye }, within: 500 }
  - close: { code: 1000 }
`,
    );
    await page.reload();
    const sidebar = page.getByRole('navigation', { name: 'Workspace' });
    const flows = sidebar.getByRole('region', { name: 'Flows' });
    await flows.getByRole('button', { name: 'Open flow chat' }).click();

    const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
    await expect.poll(() => steps.count()).toBe(14);
    await page.getByRole('combobox', { name: 'Mock to start for the run' }).selectOption('chat');
    await page.getByRole('button', { name: 'Run flow' }).click();
    await page.getByRole('status', { name: 'Flow state: Passed' }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('li.step.passed').count()).toBe(14);
    for (const time of await page.locator('li.step .time').allTextContents())
      expect(time).toMatch(/^\d+ ms$/);
    expect(await page.getByText(/14 passed · 0 failed · 0 skipped/).count()).toBe(1);
    await shootBothThemes(page, shots, 'flows-passed');

    // Bob's log: the welcome, alice's message broadcast to him, his own echo, the close 4000.
    await page.getByRole('tab', { name: 'Log: bob' }).click();
    const log = page.getByRole('log', { name: 'Messages' });
    await expect.poll(() => log.locator('button.row.in.k-text').count()).toBe(3);
    expect(await log.locator('button.row.in.k-text').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('hello from lobby')]),
    );
    await shootBothThemes(page, shots, 'flows-log');

    // A failing flow: what was expected and what arrived; the rest is skipped.
    await flows.getByRole('button', { name: 'Open flow wrong' }).click();
    await page.getByRole('combobox', { name: 'Mock to start for the run' }).selectOption('chat');
    await page.getByRole('button', { name: 'Run flow' }).click();
    await page.getByRole('status', { name: 'Flow state: Failed' }).waitFor({ timeout: 20_000 });
    const failure = page.locator('li.step.failed [role="alert"]');
    expect(await failure.textContent()).toBe(
      'expected a message matching text equals "goodbye" on main; none within 500 ms; 1 arrived that did not match: "hello"',
    );
    expect(await page.locator('li.step.skipped').count()).toBe(1);
    await shootBothThemes(page, shots, 'flows-failed');

    // The connection stayed open: the send runs again, and its echo arrives.
    await page.getByRole('button', { name: 'Run step steps[2] again' }).click();
    await expect.poll(() => page.locator('li.step[data-step="steps[2]"] .runs').textContent()).toBe('×2');
    // Still open after the re-run: the step buttons stay usable until the connections are closed.
    await page.getByRole('button', { name: 'Close connections' }).waitFor();
    expect(await page.getByRole('button', { name: 'Run step steps[2] again' }).isEnabled()).toBe(true);
    await page.getByRole('tab', { name: 'Log: main' }).click();
    await expect
      .poll(() => page.getByRole('log', { name: 'Messages' }).locator('button.row.out.k-text').count())
      .toBe(2);
    await page.getByRole('tab', { name: /^Source/ }).click();
    await shootBothThemes(page, shots, 'flows-source');
    expect(pageErrors).toEqual([]);
  });
});
