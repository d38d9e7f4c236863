/**
 * `duplex import FILE.har [--out DIR]`: one session file per WebSocket entry of
 * a HAR file saved by browser developer tools. `duplex import mockoon ENV.json
 * --out mocks/`: a mock file from a Mockoon environment's WebSocket routes,
 * listing on stderr what was not carried over. `duplex export SESSION --out
 * FILE.har`: the reverse, a HAR file those tools open. `duplex import session
 * FILE.jsonl --to flow --out flows/`: a flow file (docs/flow-format.md) of the
 * session's sends and expects of what came back. Both run the engine's
 * file.import / file.export commands. Exit USAGE for a file that cannot be
 * read or parsed, FAILED when a HAR has no WebSocket entries (exitCodeFor).
 */
import { basename, join } from 'node:path';
import { Option, type Command } from 'commander';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { isFlowFile } from '../app/load/load-export.js';
import { withoutSessionExt } from '../app/vocabulary.js';
import { ExitCode, runCommand } from './exit-codes.js';
import {
  addRedactOption,
  addVariableOptions,
  jsonOption,
  variableChoiceOf,
  wholeNumberArg,
  type VariableFlags,
} from './options.js';
import { printError, printWarning } from './output.js';

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'Import the WebSocket traffic of a HAR file as session files (one per WebSocket), ' +
        'with `import mockoon ENV.json` a Mockoon environment as a mock file, ' +
        'or with `import session FILE.jsonl --to flow` a recorded session as a flow',
    )
    .argument('<file>', 'HAR file saved from a browser Network panel, or the word mockoon or session')
    .argument(
      '[environment]',
      'with mockoon: the Mockoon environment file (JSON); with session: the session file',
    )
    .option('--out <DIR>', 'folder for the session files, the mock file or the flow file', '.')
    .addOption(
      new Option('--to <FORMAT>', 'with session: what to make of it').choices(['flow']).default('flow'),
    )
    .addOption(jsonOption('print one JSON object per written file'))
    .action(async (file: string, environment: string | undefined, opts: { out: string; json?: boolean }) => {
      if (file === 'session') {
        if (environment === undefined) {
          printError(
            'duplex import',
            'import session needs the session file: duplex import session FILE.jsonl --to flow --out flows/',
          );
          process.exitCode = ExitCode.USAGE;
          return;
        }
        process.exitCode = await runImportSession(environment, opts.out, opts.json ?? false);
        return;
      }
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
    .description(
      'Export a session file as HAR (for browser developer tools), or a flow or session as a load test: ' +
        'a k6 script (--format k6) or an Artillery scenario (--format artillery)',
    )
    .argument(
      '<file>',
      'session file (.jsonl), or with --format k6|artillery a flow file (.yaml, .yml, .json)',
    )
    .addOption(new Option('--format <F>', 'what to write').choices(['har', 'k6', 'artillery']).default('har'))
    .option('--out <FILE>', 'file to write (required for har; default FILE.k6.js / FILE.artillery.yml)')
    .option('--vus <N>', 'k6: virtual users (default 1); Artillery: new virtual users per second (default 1)')
    .option('--duration <S>', 'seconds the load runs (default 30)')
    .addOption(jsonOption('print one JSON object with the path and what was not expressed'));
  // A flow's environment and --var overrides become the script's defaults; the workspace is found from the flow.
  addVariableOptions(program.commands.at(-1)!, {
    workspace: false,
    envHelp:
      "a flow's environment (environments/NAME.json): its values become the script's defaults, its secrets env lookups",
  });
  // Authorization / Cookie values are [redacted] in a HAR unless --no-redact.
  addRedactOption(program.commands.at(-1)!).action(async (file: string, opts: ExportFlags) => {
    process.exitCode =
      opts.format === 'har' ? await runExport(file, opts) : await runExportLoad(file, opts.format, opts);
  });
}

interface ExportFlags extends VariableFlags {
  format: 'har' | 'k6' | 'artillery';
  out?: string;
  vus?: string;
  duration?: string;
  json?: boolean;
  /** False with --no-redact (HAR only: a load script holds no recorded header values). */
  redact?: boolean;
}

/** `--format k6|artillery`: the script, and each check or step the tool cannot express on stderr (never dropped silently). */
export function runExportLoad(
  file: string,
  format: 'k6' | 'artillery',
  opts: ExportFlags,
): Promise<ExitCode> {
  return runCommand('duplex export', async (engine) => {
    const { path, notes, warnings } = await engine.call('file.exportLoad', {
      file,
      format,
      out: opts.out,
      env: opts.env,
      vars: variableChoiceOf(opts).vars,
      vus: opts.vus === undefined ? undefined : wholeNumberArg('--vus', opts.vus, 1, 1_000_000),
      duration:
        opts.duration === undefined ? undefined : wholeNumberArg('--duration', opts.duration, 1, 31_536_000),
    });
    for (const w of warnings) printWarning('duplex export', w.message);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ event: 'exported', format, path, notExpressed: notes }) + '\n');
      return ExitCode.OK;
    }
    process.stdout.write(`${path}\n`);
    for (const n of notes) printWarning('duplex export', `not expressed in ${format}: ${n.step}: ${n.what}`);
    return ExitCode.OK;
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

/** A flow file in outDir, named after the session: its sends, and expects of what came back. */
export function runImportSession(file: string, outDir: string, json: boolean): Promise<ExitCode> {
  return runCommand('duplex import', async (engine) => {
    const name = withoutSessionExt(basename(file));
    const out = join(outDir, `${name}.yaml`);
    const made = await engine.call('file.flowFromSession', { file, out, name });
    for (const w of made.warnings) printWarning('duplex import', `${file}:${w.line}: ${w.message}`);
    if (made.leftOut > 0)
      printWarning('duplex import', `left out ${made.leftOut} messages after the first 10,000`);
    process.stdout.write(
      json
        ? JSON.stringify({ event: 'imported', path: made.path, sends: made.sends, expects: made.expects }) +
            '\n'
        : `${made.path}: flow with ${made.sends} sends and ${made.expects} expects\n`,
    );
    return ExitCode.OK;
  });
}

export function runExport(sessionFile: string, opts: ExportFlags): Promise<ExitCode> {
  return runCommand('duplex export', async (engine) => {
    const { out } = opts;
    if (isFlowFile(sessionFile)) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        `${sessionFile} is a flow: export it with --format k6 or --format artillery.`,
      );
    }
    if (out === undefined) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        'export to HAR needs --out FILE.har (or --format k6|artillery for a load test).',
      );
    }
    const { path, warnings } = await engine.call('file.export', {
      file: sessionFile,
      out,
      redact: opts.redact ?? true,
    });
    for (const w of warnings) printWarning('duplex export', w.message);
    process.stdout.write(`${path}\n`);
    return ExitCode.OK;
  });
}
