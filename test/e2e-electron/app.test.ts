/**
 * The built desktop app in a real Electron, driven by Playwright's `_electron`.
 * Runs where the Electron binary exists (or ELECTRON_OVERRIDE_DIST_PATH points
 * at one) and the app is built (`npm run build`); otherwise it is reported as
 * skipped with the reason. Where the binary is missing, the `npm start`
 * fallback to browser mode is tested instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { _electron as electron, type ElectronApplication } from 'playwright-core';

const root = process.cwd();
const built =
  existsSync(join(root, 'out/main/index.js')) && existsSync(join(root, 'out/renderer/index.html'));

/** The Electron binary, asked of the electron package in a child (it tries to download on first use). */
function probeElectron(): { path?: string; reason?: string } {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (probe.status === 0 && probe.stdout && existsSync(probe.stdout)) return { path: probe.stdout };
  const message = /Electron failed to install correctly[^\n]*/.exec(probe.stderr ?? '')?.[0];
  return { reason: message ?? `require('electron') failed (exit ${probe.status})` };
}

const binary = probeElectron();
const skipReason = !binary.path
  ? `the Electron binary is not available here: ${binary.reason}`
  : !built
    ? 'the app is not built: run "npm run build" first'
    : undefined;
if (skipReason) console.warn(`e2e-electron: skipped — ${skipReason}`);

describe.skipIf(skipReason !== undefined)(
  `Electron app${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let app: ElectronApplication;
    let userData: string;

    afterAll(async () => {
      await app?.close();
      if (userData) await rm(userData, { recursive: true, force: true });
    });

    it('opens one sandboxed window on app://duplex whose page talks to the engine only through window.duplex', async () => {
      userData = await mkdtemp(join(tmpdir(), 'duplex-electron-'));
      app = await electron.launch({
        executablePath: binary.path!,
        args: ['.', `--user-data-dir=${userData}`],
        cwd: root,
      });
      const page = await app.firstWindow();
      await page.waitForLoadState('domcontentloaded');
      expect(page.url()).toBe('app://duplex/index.html');
      const prefs = await app.evaluate(({ BrowserWindow }) => {
        const [win] = BrowserWindow.getAllWindows();
        // Not in electron.d.ts, but present at runtime: the preferences the page really got.
        return (win!.webContents as unknown as { getLastWebPreferences(): object }).getLastWebPreferences();
      });
      expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });

      const probe = await page.evaluate(async () => {
        const w = globalThis as unknown as {
          open: (url: string) => unknown;
          duplex: { server: { start: (i: unknown) => Promise<{ ok: boolean; value?: { port: number } }> } };
          require?: unknown;
          process?: unknown;
        };
        const started = await w.duplex.server.start({ port: 0 });
        return {
          node: typeof w.require !== 'undefined' || typeof w.process !== 'undefined',
          started: started.ok,
          popup: w.open('https://example.com/') === null,
        };
      });
      expect(probe).toEqual({ node: false, started: true, popup: true });
      await page.screenshot({ path: join(root, 'test-results', 'electron-main-window.png') });
    });
  },
);

describe.skipIf(binary.path !== undefined)(
  `npm start without the Electron binary${binary.path ? ' (skipped: Electron is available here)' : ''}`,
  () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill('SIGTERM');
    });

    it('says so in one line and starts browser mode, printing a working URL', async () => {
      // The build itself is `npm run build`; here the already-built dist/ and out/ are used.
      child = spawn(
        process.execPath,
        ['scripts/start.js', '--port', '0', '--workspace', join(tmpdir(), 'duplex-start')],
        {
          cwd: root,
          env: { ...process.env, DUPLEX_SKIP_BUILD: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed; got:\n${out}`)), 30_000);
        child!.stdout!.on('data', () => {
          const m = /Duplex UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const lines = out.split('\n').filter((l) => /Electron/.test(l));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^Electron is not available on this machine \(.+\); starting browser mode instead\.$/,
      );
      expect(out.indexOf(lines[0]!)).toBeLessThan(out.indexOf('Duplex UI:'));
      const page = await fetch(url);
      expect(page.status).toBe(built ? 200 : 503);
      expect((await fetch(url.replace(/\?token=.*/, ''))).status).toBe(403);
    });
  },
);
