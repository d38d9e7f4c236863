/**
 * `duplex ui` after the README's set-up: `npm install` runs `prepare`, which
 * builds the CLI and the renderer, and `duplex ui` then serves a working UI.
 * Without a built renderer it says what to run and exits, instead of serving
 * a page that answers 503.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, duplex, runDuplexRaw } from './helpers.js';

const RENDERER_INDEX = join(ROOT, 'out/renderer/index.html');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-cli-ui-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('duplex ui', () => {
  it('npm install (its prepare script) builds the renderer that duplex ui serves by default', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const prepare = pkg.scripts['prepare'] ?? '';
    expect(prepare).toMatch(/\bbuild:node\b/);
    expect(prepare).toMatch(/\bbuild:renderer\b/);
    // build:renderer writes where `duplex ui` looks without --renderer.
    const viteConfig = readFileSync(join(ROOT, 'renderer/vite.config.ts'), 'utf8');
    expect(viteConfig).toContain("outDir: here('../out/renderer')");
  });

  it('serves the built UI on the printed address (200 and the app page)', async () => {
    if (!existsSync(RENDERER_INDEX)) {
      // What `npm install` did on a fresh checkout; another test run may build at the same moment.
      const built = spawnSync(
        'flock',
        ['/tmp/duplex-build.lock', 'npm', 'run', '--silent', 'build:renderer'],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      expect(built.status, `${built.stdout}${built.stderr}`).toBe(0);
    }
    const ui = duplex('ui', '--port', '0', '--workspace', join(dir, 'workspace'));
    try {
      const line = await ui.waitForLine(/^Duplex UI: /);
      const url = line.slice('Duplex UI: '.length);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<div id="app"');
    } finally {
      ui.kill('SIGTERM');
      await ui.exit();
    }
  });

  it('--env NAME that the workspace lacks: exit 2 naming it and where it was looked for, nothing served', async () => {
    const p = await runDuplexRaw('ui', '--port', '0', '--workspace', join(dir, 'ws-env'), '--env', 'nope');
    expect(p.code).toBe(2);
    expect(p.stdout).not.toContain('Duplex UI:');
    expect(p.stderr).toMatch(/nope/);
    expect(p.stderr).toMatch(/environments[\\/]nope\.json/);
  });

  it('--env NAME that exists: served, and the environment is said under the address', async () => {
    const workspace = join(dir, 'ws-dev');
    mkdirSync(join(workspace, 'environments'), { recursive: true });
    writeFileSync(
      join(workspace, 'environments', 'dev.json'),
      JSON.stringify({ version: 1, variables: [{ name: 'host', value: 'h:1' }] }),
    );
    const ui = duplex('ui', '--port', '0', '--workspace', workspace, '--env', 'dev', '--var', 'room=kitchen');
    try {
      await ui.waitForLine(/^Duplex UI: /);
      await ui.waitForLine(/^Environment: dev$/);
    } finally {
      ui.kill('SIGTERM');
      await ui.exit();
    }
  });

  it('without a built renderer: one line naming the build step, exit 1, nothing served', async () => {
    const empty = mkdtempSync(join(dir, 'renderer-'));
    const p = await runDuplexRaw('ui', '--port', '0', '--renderer', empty, '--workspace', join(dir, 'ws'));
    expect(p.code).toBe(1);
    expect(p.stdout).not.toContain('Duplex UI:');
    expect(p.stderr).toMatch(/^duplex ui: the UI is not built .*npm run build:renderer.*\n$/);
  });
});
