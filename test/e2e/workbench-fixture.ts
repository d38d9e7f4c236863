/**
 * The setup both browser-mode suites share: before their tests, build what is
 * missing, start `duplex ui` with a scratch workspace, launch Chromium and open
 * the workbench; after them, close it all. Tests take `page` (and `ui`) from
 * the fixture, and check `pageErrors` (page and console errors, CSP violations
 * among them) at the end. Screenshots go to SHOTS.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import {
  buildAll,
  launchChromium,
  openWorkbenchPage,
  ROOT,
  startUi,
  type UiProcess,
  type UiStartOptions,
} from './browser-harness.js';

export const SHOTS = join(ROOT, 'test-results/screenshots');

export interface WorkbenchFixture {
  readonly page: Page;
  readonly ui: UiProcess;
  readonly pageErrors: string[];
}

/**
 * From the sidebar: starts an echo mock server on a free port, opens a new
 * connection to it and waits until it is OPEN. Returns the server's URL.
 */
export async function connectToNewEchoServer(page: Page): Promise<string> {
  const serverUrl = await startNewEchoServer(page);
  await connectTo(page, serverUrl);
  return serverUrl;
}

/** From the sidebar: opens a new connection to `url` and waits until it is OPEN. */
export async function connectTo(page: Page, url: string): Promise<void> {
  const sidebar = page.getByRole('navigation', { name: 'Workspace' });
  await sidebar.getByRole('button', { name: 'New connection', exact: true }).click();
  await page.getByRole('textbox', { name: 'URL' }).fill(url);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
}

/** From the sidebar: starts an echo mock server on a free port; returns its URL. */
export async function startNewEchoServer(page: Page): Promise<string> {
  const sidebar = page.getByRole('navigation', { name: 'Workspace' });
  await sidebar.getByRole('button', { name: 'New mock server' }).click();
  await page.getByRole('textbox', { name: 'Port' }).fill('0');
  await page.getByRole('button', { name: 'Start server' }).click();
  await page.getByRole('button', { name: 'Stop server' }).waitFor();
  return (await page.locator('code.url').first().textContent())!.trim();
}

/**
 * Puts `text` in the composer as a person would: select all and delete it with
 * CodeMirror's own commands, then type. Playwright's fill() replaces the selection
 * through Chromium's editing engine, which then tries to set a style attribute on
 * CodeMirror's line (refused by the page's CSP and reported as a console error).
 * Text with line breaks is typed key by key: in JSON mode the editor's indenting
 * and bracket closing would change it (hex and text are safe).
 */
export async function fillComposer(page: Page, text: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Message' }).click();
  await page.keyboard.press('ControlOrMeta+KeyA');
  await page.keyboard.press('Backspace');
  if (text.includes('\n')) await page.keyboard.type(text);
  else if (text) await page.keyboard.insertText(text);
}

/** Screenshots of the page in the light and the dark theme: `<dir>/<name>-light.png`, `-dark.png`. */
export async function shootBothThemes(page: Page, dir: string, name: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => (document.documentElement.dataset['theme'] = t), theme);
    await page.screenshot({ path: join(dir, `${name}-${theme}.png`) });
  }
  await page.evaluate(() => (document.documentElement.dataset['theme'] = 'light'));
}

/** Call inside a describe: registers its beforeAll / afterAll and returns what they make. */
export function useWorkbench(
  options: { acceptDownloads?: boolean; ui?: UiStartOptions } = {},
): WorkbenchFixture {
  let ui: UiProcess | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    buildAll();
    mkdirSync(SHOTS, { recursive: true });
    ui = await startUi(options.ui);
    browser = await launchChromium();
    const { acceptDownloads } = options;
    page = await openWorkbenchPage(browser, ui.url, pageErrors, acceptDownloads ? { acceptDownloads } : {});
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await ui?.stop();
  });
  const made = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('The workbench is opened in beforeAll, which failed or has not run.');
    return value;
  };
  return {
    get page() {
      return made(page);
    },
    get ui() {
      return made(ui);
    },
    pageErrors,
  };
}
