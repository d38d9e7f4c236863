/**
 * `duplex import FILE.har [--out DIR]`: one session file per WebSocket entry of
 * a HAR file saved by browser developer tools. `duplex export SESSION --out
 * FILE.har`: the reverse, a HAR file those tools open. Both run the engine's
 * file.import / file.export commands. Exit USAGE for a file that cannot be
 * read or parsed, FAILED when a HAR has no WebSocket entries (exitCodeFor).
 */
import type { Command } from 'commander';
import { ExitCode, runCommand } from './exit-codes.js';
import { jsonOption } from './options.js';
import { printWarning } from './output.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('Import the WebSocket traffic of a HAR file as session files (one per WebSocket)')
    .argument('<file>', 'HAR file saved from a browser Network panel')
    .option('--out <DIR>', 'folder for the session files', '.')
    .addOption(jsonOption('print one JSON object per written session'))
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

export function runImport(file: string, outDir: string, json: boolean): Promise<ExitCode> {
  return runCommand('duplex import', async (engine) => {
    const { sessions, skippedMessages } = await engine.call('file.import', { file, outDir });
    for (const s of sessions) {
      process.stdout.write(
        json
          ? JSON.stringify({ event: 'imported', path: s.path, url: s.url, messages: s.messages }) + '\n'
          : `${s.path}: ${s.url}, ${s.messages} messages\n`,
      );
    }
    if (skippedMessages > 0) {
      printWarning('duplex import', `skipped ${skippedMessages} messages without time, opcode or data`);
    }
    return ExitCode.OK;
  });
}

export function runExport(sessionFile: string, out: string): Promise<ExitCode> {
  return runCommand('duplex export', async (engine) => {
    const { path, warnings } = await engine.call('file.export', { file: sessionFile, out });
    for (const w of warnings) printWarning('duplex export', w.message);
    process.stdout.write(`${path}\n`);
    return ExitCode.OK;
  });
}
