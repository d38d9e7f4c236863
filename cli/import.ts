/**
 * `duplex import FILE.har [--out DIR]`: one session file per WebSocket entry of
 * a HAR file saved by browser developer tools. `duplex export SESSION --out
 * FILE.har`: the reverse, a HAR file those tools open. Exit 2 for a file that
 * cannot be read or parsed, 1 when a HAR has no WebSocket entries.
 */
import { resolve } from 'node:path';
import { Command } from 'commander';
import { toErrorInfo } from '../app/errors.js';
import { exportHarFile, importHarToFolder } from '../app/sessions/session-store.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('Import the WebSocket traffic of a HAR file as session files (one per WebSocket)')
    .argument('<file>', 'HAR file saved from a browser Network panel')
    .option('--out <DIR>', 'folder for the session files', '.')
    .option('--json', 'print one JSON object per written session')
    .action(async (file: string, opts: { out: string; json?: boolean }) => {
      process.exitCode = await runImport(file, opts.out, opts.json ?? false);
    });
  program
    .command('export')
    .description('Export a session file as HAR, for browser developer tools and other HAR viewers')
    .argument('<session>', 'session file (.jsonl)')
    .requiredOption('--out <FILE>', 'HAR file to write')
    .action(async (session: string, opts: { out: string }) => {
      process.exitCode = await runExport(session, opts.out);
    });
}

export async function runImport(file: string, outDir: string, json: boolean): Promise<number> {
  try {
    const { sessions, skippedMessages } = await importHarToFolder(file, resolve(outDir));
    if (sessions.length === 0) {
      process.stderr.write(
        `duplex import: ${file} has no WebSocket entries with _webSocketMessages; record the page with the Network panel open and the WS filter off.\n`,
      );
      return 1;
    }
    for (const s of sessions) {
      const path = resolve(outDir, s.name);
      const messages = s.entries;
      process.stdout.write(
        json
          ? JSON.stringify({ event: 'imported', path, url: s.header.url, messages }) + '\n'
          : `${path}: ${s.header.url}, ${messages} messages\n`,
      );
    }
    if (skippedMessages > 0) {
      process.stderr.write(
        `duplex import: skipped ${skippedMessages} messages without time, opcode or data\n`,
      );
    }
    return 0;
  } catch (err) {
    process.stderr.write(`duplex import: ${readError(err, file)}\n`);
    return 2;
  }
}

export async function runExport(sessionFile: string, out: string): Promise<number> {
  try {
    const warnings = await exportHarFile(sessionFile, resolve(out));
    for (const w of warnings) process.stderr.write(`duplex export: warning: ${w.message}\n`);
    process.stdout.write(`${resolve(out)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`duplex export: ${readError(err, sessionFile)}\n`);
    return 2;
  }
}

function readError(err: unknown, file: string): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return `${file} does not exist; check the path.`;
  return toErrorInfo(err).message;
}
