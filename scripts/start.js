#!/usr/bin/env node
/**
 * `npm start`: builds the app (engine, main + preload, renderer) and launches
 * Electron. Where the Electron binary cannot be obtained (an offline machine:
 * the electron package downloads it on first use), says so in one line and
 * starts browser mode (`duplex ui`) instead, which prints its URL.
 *
 * DUPLEX_SKIP_BUILD=1 skips the build (the out/ and dist/ folders must exist).
 * Extra arguments go to `duplex ui` in browser mode (e.g. -- --port 8765).
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

if (process.env.DUPLEX_SKIP_BUILD !== '1') {
  for (const script of ['build:node', 'build']) {
    const built = spawnSync(npm, ['run', '--silent', script], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) {
      console.error(`npm start: "npm run ${script}" failed; fix the errors above and run npm start again.`);
      process.exit(built.status ?? 1);
    }
  }
}

const electron = locateElectron();
const child = electron.path
  ? spawn(electron.path, ['.'], { cwd: root, stdio: 'inherit' })
  : (console.log(
      `Electron is not available on this machine (${electron.reason}); starting browser mode instead.`,
    ),
    spawn(process.execPath, ['dist/cli/main.js', 'ui', ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
    }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 0 : (code ?? 0)));

/**
 * Asks the electron package for its binary in a child process, so its download
 * attempt and stack traces stay out of the terminal; returns the path or why not.
 */
function locateElectron() {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (probe.status === 0 && probe.stdout) return { path: probe.stdout };
  const text = `${probe.stderr ?? ''}`;
  const known = /Electron failed to install correctly/.exec(text);
  return {
    reason: known
      ? 'its binary could not be downloaded: "Electron failed to install correctly"'
      : probe.error
        ? probe.error.message
        : 'require("electron") failed',
  };
}
