/**
 * `duplex import FILE.har [--out DIR]`: one session file per WebSocket entry of
 * a HAR file saved by browser developer tools. `duplex import mockoon ENV.json
 * --out mocks/`: a mock file from a Mockoon environment's WebSocket routes,
 * listing on stderr what was not carried over. `duplex export SESSION --out
 * FILE.har`: the reverse, a HAR file those tools open. Both run the engine's
 * file.import / file.export commands. Exit USAGE for a file that cannot be
 * read or parsed, FAILED when a HAR has no WebSocket entries.
 */
import type { Command } from 'commander';
import { Engine } from '../app/engine.js';
import { toErrorInfo } from '../app/errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { jsonOption } from './options.js';
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
    .requiredOption('--out <FILE>', 'HAR file to write')
    .action(async (session: string, opts: { out: string }) => {
      process.exitCode = await runExport(session, opts.out);
    });
}

export async function runImport(file: string, outDir: string, json: boolean): Promise<ExitCode> {
  const engine = new Engine();
  try {
    const { sessions, skippedMessages } = await engine.call('file.import', { file, outDir });
    if (sessions.length === 0) {
      printError(
        'duplex import',
        `${file} has no WebSocket entries with _webSocketMessages; record the page with the Network panel open and the WS filter off.`,
      );
      return ExitCode.FAILED;
    }
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
  } catch (err) {
    const info = toErrorInfo(err);
    printError('duplex import', info.message);
    return exitCodeFor(info.code);
  } finally {
    await engine.dispose();
  }
}

export function runImportMockoon(file: string, outDir: string, json: boolean): Promise<ExitCode> {
  return withEngine('duplex import', async (engine) => {
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

/** Runs `work` with an engine; an error is printed and mapped to its exit code; the engine is disposed. */
async function withEngine(prefix: string, work: (engine: Engine) => Promise<ExitCode>): Promise<ExitCode> {
  const engine = new Engine();
  try {
    return await work(engine);
  } catch (err) {
    const info = toErrorInfo(err);
    printError(prefix, info.message);
    return exitCodeFor(info.code);
  } finally {
    await engine.dispose();
  }
}

export async function runExport(sessionFile: string, out: string): Promise<ExitCode> {
  const engine = new Engine();
  try {
    const { path, warnings } = await engine.call('file.export', { file: sessionFile, out });
    for (const w of warnings) printWarning('duplex export', w.message);
    process.stdout.write(`${path}\n`);
    return ExitCode.OK;
  } catch (err) {
    const info = toErrorInfo(err);
    printError('duplex export', info.message);
    return exitCodeFor(info.code);
  } finally {
    await engine.dispose();
  }
}
