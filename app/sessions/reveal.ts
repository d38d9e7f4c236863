/**
 * Shows a file in the system's file manager. Runs in the engine, so it works
 * the same from the desktop app (Electron main) and from browser mode (the
 * `duplex ui` process runs on the user's machine too).
 */
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';

/** The command that reveals `path` on `platform`: macOS and Windows select the file; elsewhere its folder opens. */
export function revealCommand(
  path: string,
  platform: NodeJS.Platform = process.platform,
): [string, string[]] {
  if (platform === 'darwin') return ['open', ['-R', path]];
  if (platform === 'win32') return ['explorer.exe', [`/select,${path}`]];
  return ['xdg-open', [dirname(path)]];
}

/** Starts the file manager; rejects with DUPLEX_ERR_FILE naming the path when none can be started. */
export function revealInFileManager(
  path: string,
  platform: NodeJS.Platform = process.platform,
): Promise<void> {
  const [command, args] = revealCommand(path, platform);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' });
    child.once('error', (err) =>
      reject(
        new DuplexError(
          ErrorCodes.FILE,
          `Could not open a file manager (${command}: ${err.message}); the file is at ${path}.`,
          { path },
        ),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
