/**
 * Packaging config and the security gate, checked without an Electron binary:
 * electron-builder.yml passes electron-builder's own validation; the
 * electronegativity gate fails on an insecure app (so its green run on out/
 * means something).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duplex-pack-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('electron-builder.yml', () => {
  it('is valid for electron-builder, packages out/ only, with the icon and hardened fuses', async () => {
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      getConfig: (dir: string, file: string, extra: null) => Promise<Record<string, unknown>>;
      validateConfiguration: (config: unknown, logger: unknown) => Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await getConfig(process.cwd(), join(process.cwd(), 'electron-builder.yml'), null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(JSON.stringify(config['files'])).toBe('[{"filter":["out/**/*","!out/**/*.map","package.json"]}]');
    expect(config['electronFuses']).toMatchObject({ runAsNode: false, onlyLoadAppFromAsar: true });
    const icon = await readFile('build/icon.png');
    expect([...icon.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(icon.readUInt32BE(16)).toBe(512); // IHDR width
    expect(icon.readUInt32BE(20)).toBe(512); // IHDR height
  });
});

describe('the electronegativity gate', () => {
  it('fails (exit 1) on an app without isolation, sandbox, CSP, navigation and permission guards', async () => {
    const app = join(dir, 'insecure');
    await mkdir(join(app, 'main'), { recursive: true });
    await mkdir(join(app, 'preload'), { recursive: true });
    await writeFile(
      join(app, 'main', 'index.js'),
      `import { app, BrowserWindow } from 'electron';
app.whenReady().then(() => {
  const w = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } });
  w.loadURL('http://example.com/');
});
`,
    );
    await writeFile(join(app, 'preload', 'preload.cjs'), '');
    const failed = await run('node', ['scripts/electronegativity.js', app, join(dir, 'insecure.sarif')]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    for (const rule of [
      'CONTEXT_ISOLATION_JS_CHECK',
      'SANDBOX_JS_CHECK',
      'CSP_GLOBAL_CHECK',
      'LIMIT_NAVIGATION_GLOBAL_CHECK',
      'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK',
      'HTTP_RESOURCES_JS_CHECK',
    ]) {
      expect(failed?.stderr).toContain(rule);
    }
  });
});
