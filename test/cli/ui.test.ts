/**
 * `duplex ui` after the README's set-up: `npm install` runs `prepare`, which
 * builds the CLI and the renderer, and `duplex ui` then serves a working UI.
 * Without a built renderer it says what to run and exits, instead of serving
 * a page that answers 503.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UI_PORT } from '../../cli/ui.js';
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

  it('without --port: the same port every run (the page keeps its tabs by origin); a taken one falls back and says so', async () => {
    const portOf = async (ui: ReturnType<typeof duplex>): Promise<number> =>
      Number(new URL((await ui.waitForLine(/^Duplex UI: /)).slice('Duplex UI: '.length)).port);
    const workspace = join(dir, 'ws-port');
    // The default port must be free to be seen as the default: a duplex ui of your own holds it.
    const probe = createServer();
    await new Promise<void>((ok, fail) => {
      probe.once('error', () =>
        fail(
          new Error(
            `port ${DEFAULT_UI_PORT} is in use on 127.0.0.1 (a duplex ui of yours?); stop it to run this test`,
          ),
        ),
      );
      probe.listen(DEFAULT_UI_PORT, '127.0.0.1', () => probe.close(() => ok()));
    });
    const ports: number[] = [];
    for (let run = 0; run < 2; run++) {
      const ui = duplex('ui', '--workspace', workspace);
      try {
        ports.push(await portOf(ui));
      } finally {
        ui.kill('SIGTERM');
        await ui.exit();
      }
    }
    expect(ports).toEqual([DEFAULT_UI_PORT, DEFAULT_UI_PORT]);
    // A second duplex ui while the first runs: served on a free port, with the reason.
    const first = duplex('ui', '--workspace', workspace);
    let second: ReturnType<typeof duplex> | undefined;
    try {
      expect(await portOf(first)).toBe(DEFAULT_UI_PORT);
      second = duplex('ui', '--workspace', workspace);
      expect(await portOf(second)).not.toBe(DEFAULT_UI_PORT);
      // The reason goes to stderr, so the first line of stdout is still the address.
      await expect
        .poll(() => second!.stderrLines)
        .toContainEqual(
          expect.stringMatching(
            new RegExp(`^duplex ui: Port ${DEFAULT_UI_PORT} is in use .*Pass --port N to choose\\.$`),
          ),
        );
      expect(second.stdoutLines[0]).toMatch(/^Duplex UI: /);
    } finally {
      for (const ui of [first, second]) ui?.kill('SIGTERM');
      await Promise.all([first.exit(), second?.exit()]);
    }
    // Asked for by --port, a taken port is an error, not a silent move.
    const holder = duplex('ui', '--workspace', workspace);
    try {
      await portOf(holder);
      const p = await runDuplexRaw('ui', '--port', String(DEFAULT_UI_PORT), '--workspace', workspace);
      expect(p.code).toBe(1);
      expect(p.stderr).toMatch(new RegExp(`Port ${DEFAULT_UI_PORT} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      holder.kill('SIGTERM');
      await holder.exit();
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
