/**
 * Builds the Node code once before the CLI tests, which spawn `node dist/cli/main.js`.
 * tsc still writes dist/ when some file elsewhere has a type error; the typecheck
 * step of `npm test` reports those, so here only a missing CLI build is fatal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CLI_PATH, ROOT } from './helpers.js';

export default function setup(): void {
  // Other test runs may build at the same moment; flock keeps two tsc runs from writing dist/ together.
  const build = spawnSync('flock', ['/tmp/duplex-build.lock', 'npm', 'run', '--silent', 'build:node'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.error || !existsSync(CLI_PATH)) {
    throw new Error(`npm run build:node did not produce ${CLI_PATH}:\n${build.stdout}${build.stderr}`);
  }
  if (build.status !== 0) {
    process.stderr.write(
      `[cli tests] build:node reported type errors; testing the emitted build.\n${build.stdout}`,
    );
  }
}
