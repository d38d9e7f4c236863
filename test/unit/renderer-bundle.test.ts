/**
 * The production UI bundle carries no fake of the contract: the fake lives in
 * renderer/test-support/ for component tests, and nothing the entry reaches
 * imports it. Builds the renderer into a temporary folder and scans every file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FAKE_FILES = ['renderer/test-support/fake-api.ts', 'renderer/test-support/fake-sessions.ts'];
/** String literals of the fake that survive minification if its code is bundled. */
const MARKERS = [
  'The server answered 401 Unauthorized.',
  'The connection is not CLOSED.',
  '/workspace/sessions/',
];

let outDir: string;
let bundle: { file: string; text: string }[];

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), 'duplex-renderer-'));
  const build = spawnSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'build',
      '-c',
      'renderer/vite.config.ts',
      '--outDir',
      outDir,
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}${build.stderr}`);
  bundle = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      // Source maps name every source file; the code that runs is what matters.
      else if (!e.name.endsWith('.map')) bundle.push({ file: p, text: readFileSync(p, 'utf8') });
    }
  };
  walk(outDir);
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('production renderer bundle', () => {
  it('the markers are the fake’s own strings (so their absence means something)', () => {
    const fake = FAKE_FILES.map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    for (const marker of MARKERS) expect(fake).toContain(marker);
  });

  it('holds the workbench and none of the fake contract', () => {
    expect(bundle.some((f) => f.file.endsWith('.js'))).toBe(true);
    const found = bundle.flatMap(({ file, text }) =>
      MARKERS.filter((m) => text.includes(m)).map((m) => `${file}: ${m}`),
    );
    expect(found).toEqual([]);
  });
});
