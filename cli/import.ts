/**
 * `duplex import FILE.har [--out DIR]`: one session file per WebSocket entry of
 * a HAR file saved by browser developer tools. `duplex import mockoon ENV.json
 * --out mocks/`: a mock file from a Mockoon environment's WebSocket routes,
 * listing on stderr what was not carried over. `duplex export SESSION --out
 * FILE.har`: the reverse, a HAR file those tools open. Both run the engine's
 * file.import / file.export commands. Exit USAGE for a file that cannot be
 * read or parsed, FAILED when a HAR has no WebSocket entries (exitCodeFor).
 */
import type { Command } from 'commander';
import { ExitCode, runCommand } from './exit-codes.js';
import { addRedactOption, jsonOption } from './options.js';
import { printError, printWarning } from './output.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'Import the WebSocket traffic of a HAR file as session files (one per WebSocket), ' +
        'or with `import mockoon ENV.json` a Mockoon environment as a mock file',
    )
    .argument('<file>', 'HAR file saved from a browser Network panel, or the word mockoon')
    .argument('[environment]', 'with mockoon: the Mockoon environment file (JSON)')
    .option('--out <DIR>', 'folder for the session files or the mock file', '.')
    .addOption(jsonOption('print one JSON object per written file'))
    .action(async (file: string, environment: string | undefined, opts: { out: string; json?: boolean }) => {
      if (file === 'mockoon') {
        if (environment === undefined) {
          printError(
            'duplex import',
            'import mockoon needs the environment file: duplex import mockoon ENV.json --out mocks/',
          );
          process.exitCode = ExitCode.USAGE;
          return;
        }
        process.exitCode = await runImportMockoon(environment, opts.out, opts.json ?? false);
        return;
      }
      if (environment !== undefined) {
        printError(
          'duplex import',
          `unexpected argument ${JSON.stringify(environment)}: import takes one HAR file.`,
        );
        process.exitCode = ExitCode.USAGE;
        return;
      }
      process.exitCode = await runImport(file, opts.out, opts.json ?? false);
    });
  program
    .command('export')
    .description('Export a session file as HAR, for browser developer tools and other HAR viewers')
    .argument('<session>', 'session file (.jsonl)')
    .requiredOption('--out <FILE>', 'HAR file to write');
  // Authorization / Cookie values are [redacted] in the HAR unless --no-redact.
  addRedactOption(program.commands.at(-1)!).action(
    async (session: string, opts: { out: string; redact?: boolean }) => {
      process.exitCode = await runExport(session, opts.out, opts.redact ?? true);
    },
  );
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

export function runImportMockoon(file: string, outDir: string, json: boolean): Promise<ExitCode> {
  return runCommand('duplex import', async (engine) => {
    const { path, name, notes } = await engine.call('file.importMockoon', { file, outDir });
    process.stdout.write(
      json
        ? JSON.stringify({ event: 'imported', path, name, notCarriedOver: notes }) + '\n'
        : `${path}: mock "${name}"\n`,
    );
    if (!json) {
      for (const n of notes) printWarning('duplex import', `not carried over: ${n.where}: ${n.what}`);
    }
    return ExitCode.OK;
  });
}

export function runExport(sessionFile: string, out: string, redact = true): Promise<ExitCode> {
  return runCommand('duplex export', async (engine) => {
    const { path, warnings } = await engine.call('file.export', { file: sessionFile, out, redact });
    for (const w of warnings) printWarning('duplex export', w.message);
    process.stdout.write(`${path}\n`);
    return ExitCode.OK;
  });
}
