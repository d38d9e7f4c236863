/**
 * Shared setup of the end-to-end tests and the UI bench: builds what is
 * missing, starts `duplex ui` on a free port with a scratch workspace, and
 * launches Debian's Chromium through playwright-core.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, missingChromium } from '../support/chromium.js';

export { launchChromium };

/** The package root, found from here whether this runs from test/e2e/ or from dist/test/e2e/. */
export const ROOT = findRoot(fileURLToPath(new URL('.', import.meta.url)));

function findRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'tsconfig.build.json')) === false) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error(`no package root above ${from}`);
    dir = up;
  }
  return dir;
}
/** Why browser tests cannot run here, or undefined when they can. */
export function missingPrerequisite(): string | undefined {
  const chromiumMissing = missingChromium();
  if (chromiumMissing) return chromiumMissing;
  return undefined;
}

/** Builds the CLI and the renderer (set DUPLEX_E2E_NO_BUILD=1 to use existing builds). */
export function buildAll(): void {
  if (process.env['DUPLEX_E2E_NO_BUILD'] && existsSync(join(ROOT, 'out/renderer/index.html'))) return;
  for (const script of ['build:node', 'build:renderer']) {
    const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm run ${script} failed:\n${r.stdout}\n${r.stderr}`);
  }
}

export interface UiProcess {
  url: string;
  workspace: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface UiStartOptions {
  renderer?: string;
  /** More arguments of `duplex ui` (e.g. --env NAME). */
  args?: string[];
  /** Fills the scratch workspace before the UI starts. */
  prepare?: (workspace: string) => void;
}

/** Spawns `node dist/cli/main.js ui --port 0 --workspace <tmp>` and waits for its URL line. */
export async function startUi(options: UiStartOptions = {}): Promise<UiProcess> {
  const workspace = mkdtempSync(join(tmpdir(), 'duplex-ui-'));
  options.prepare?.(workspace);
  const args = [join(ROOT, 'dist/cli/main.js'), 'ui', '--port', '0', '--workspace', workspace];
  if (options.renderer) args.push('--renderer', options.renderer);
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error(`duplex ui printed no URL in 15 s. stderr: ${stderr}`)),
      15_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Duplex UI: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`duplex ui exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    workspace,
    child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(workspace, { recursive: true, force: true });
    },
  };
}

/**
 * A 1440×900 light-theme page on the UI; page errors and console errors (CSP
 * violations among them) are pushed to `pageErrors` so a test can assert none.
 */
export async function openWorkbenchPage(
  browser: Browser,
  url: string,
  pageErrors: string[],
  options: { acceptDownloads?: boolean } = {},
): Promise<Page> {
  const page = await browser.newPage({
    viewport: { width: 1440, height: 900 },
    colorScheme: 'light',
    ...options,
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  // Chromium's console line for a CSP violation names neither the element nor what it held; this does.
  // The event is retargeted to the shadow host when it happens inside a shadow root (CodeMirror's): composedPath()[0] is the element.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    const first = e.composedPath()[0];
    const el = first instanceof Element ? first : e.target instanceof Element ? e.target : null;
    const path = [];
    for (let n = el; n && path.length < 6; n = n.parentElement) path.push(n.nodeName.toLowerCase() + (n.className && typeof n.className === 'string' ? '.' + n.className.trim().split(/ +/).join('.') : ''));
    console.error('CSP ' + e.effectiveDirective + ' blocked on ' + (el ? path.join(' < ') + ': ' + el.outerHTML.slice(0, 300) : String(e.target)) + (e.sample ? ' (sample: ' + e.sample + ')' : '') + (el && el.getRootNode() instanceof ShadowRoot ? ' [in a shadow root]' : ''));
  });`);
  // E2E_CPU_THROTTLE=N runs the page N times slower (Chromium's throttling), to hunt timing faults.
  if (process.env['E2E_CPU_THROTTLE']) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: Number(process.env['E2E_CPU_THROTTLE']) });
  }
  await page.goto(url);
  return page;
}
