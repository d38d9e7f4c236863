/**
 * `duplex replay FILE`: re-sends a recorded session's outgoing messages to the
 * recorded URL (or --url) at the recorded pace scaled by --speed, and with
 * --verify compares what comes back with the recording. Runs the engine's
 * file.replay command. Exit codes (cli/exit-codes.ts): OK replayed and (with
 * --verify) everything matched, FAILED a mismatch or a connection failure,
 * USAGE bad arguments or an unreadable session file.
 */
import type { Command } from 'commander';
import { DEFAULT_REPLAY_TIMEOUT_MS } from '../app/api.js';
import type { ReplayReport } from '../app/contract.js';
import { formatReplayReport, timingStats } from '../app/sessions/replay.js';
import { createRedactor, NO_REDACTION, redactError } from '../app/variables/redact.js';
import { secretValues } from '../app/variables/variable-set.js';
import { ExitCode, runCommand } from './exit-codes.js';
import { resolve } from 'node:path';
import {
  addRedactOption,
  addVariableOptions,
  variableChoiceOf,
  variablesFromFlags,
  collect,
  jsonOption,
  parseSpeed,
  wholeNumberOption,
  type VariableFlags,
} from './options.js';
import { printError, printWarning } from './output.js';

interface ReplayCliOptions extends VariableFlags {
  url?: string;
  speed: number;
  verify?: boolean;
  ignore: string[];
  timeout: number;
  client?: string;
  json?: boolean;
  /** False with --no-redact. */
  redact?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'Re-send a recorded session to a server; with --verify compare the answers with the recording',
    )
    .argument('<file>', 'session file (.jsonl) recorded by Duplex or imported from HAR')
    .option(
      '--url <URL>',
      'send to this URL instead of the recorded one ({{name}} resolves with --env / --var)',
    )
    .option('--speed <F>', 'pace: 1 = as recorded, 2 = twice as fast, 0 = no waiting', parseSpeed, 1)
    .option('--verify', 'wait for the recorded incoming messages and compare them')
    .option(
      '--ignore <PATH>',
      'JSON path skipped by --verify, e.g. $.timestamp (repeatable)',
      collect,
      [] as string[],
    )
    .option(
      '--timeout <MS>',
      'how long --verify waits for each incoming message',
      wholeNumberOption('--timeout', 1),
      DEFAULT_REPLAY_TIMEOUT_MS,
    )
    .option('--client <ID>', 'which client of a server recording to replay (default the first)')
    .addOption(jsonOption('print the report as one JSON object'));
  addRedactOption(addVariableOptions(program.commands.at(-1)!)).action(
    async (file: string, opts: ReplayCliOptions) => {
      process.exitCode = await runReplay(file, opts);
    },
  );
}

export function runReplay(file: string, opts: ReplayCliOptions): Promise<ExitCode> {
  return runCommand(
    'duplex replay',
    async (engine) => {
      const replayed = await engine.call('file.replay', {
        file,
        ...(opts.url !== undefined ? { url: opts.url } : {}),
        speed: opts.speed,
        verify: opts.verify ?? false,
        ignore: opts.ignore,
        timeoutMs: opts.timeout,
        ...(opts.client !== undefined ? { clientId: opts.client } : {}),
        ...variableChoiceOf(opts),
      });
      for (const w of replayed.warnings) printWarning('duplex replay', w.message);
      const report = await redactedReport(replayed.report, opts);
      if (opts.json) {
        const timing = report.deviationsMs.length > 0 ? timingStats(report.deviationsMs) : undefined;
        process.stdout.write(JSON.stringify({ ...report, timing }) + '\n');
      } else {
        process.stdout.write(formatReplayReport(report) + '\n');
      }
      if (report.error) printError('duplex replay', report.error.message);
      return report.ok ? ExitCode.OK : ExitCode.FAILED;
    },
    { workspaceDir: resolve(opts.workspace ?? '.') },
  );
}

/** The report as printed: a secret that --url resolved is hidden in its URL and error. */
async function redactedReport(report: ReplayReport, opts: ReplayCliOptions): Promise<ReplayReport> {
  if (opts.redact === false || opts.url === undefined || !opts.url.includes('{{')) return report;
  const secrets = secretValues(await variablesFromFlags(opts));
  const redactor = secrets.length > 0 ? createRedactor({ secrets, credentialHeaders: false }) : NO_REDACTION;
  if (!redactor.active) return report;
  return {
    ...report,
    url: redactor.text(report.url),
    ...(report.error ? { error: redactError(report.error, redactor) } : {}),
  };
}
