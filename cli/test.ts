/**
 * `duplex test FLOW... [--env NAME] [--var k=v] [--mock FILE] [--reporter
 * pretty|json|junit] [--out FILE]`: runs flow files (docs/flow-format.md) one
 * after the other through the engine's file.runFlow. Every file is read and
 * checked before the first runs. Exit codes (cli/exit-codes.ts): OK every step
 * passed, FAILED a check failed, USAGE a bad flow file (file:line:column:
 * field), environment, mock file or argument.
 */
import { stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { FlowRunReport } from '../app/contract.js';
import type { Engine } from '../app/engine.js';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { junitReport, stepLine, summaryLine } from '../app/flows/flow-reporters.js';
import { parseVarAssignment } from '../app/variables/index.js';
import { FLOW_FILE_EXTS, flowPathOf } from '../app/vocabulary.js';
import { ExitCode, runCommand } from './exit-codes.js';
import { addVariableOptions, type VariableFlags } from './options.js';

export const REPORTERS = ['pretty', 'json', 'junit'] as const;
type Reporter = (typeof REPORTERS)[number];

interface TestCliOptions extends VariableFlags {
  mock?: string;
  reporter: Reporter;
  out?: string;
}

export function registerTest(program: Command): void {
  const command = program
    .command('test')
    .description(
      'Run flow files (scripted WebSocket checks); exit 0 when every step passed, 1 when one failed',
    )
    .argument('<flow...>', 'flow files (.yaml / .json), or names of flows in the workspace flows/ folder')
    .option(
      '--mock <FILE>',
      'start this mock file for the run ({{mock.url}} is its address) and stop it after',
    )
    .addOption(
      new Option('--reporter <NAME>', 'pretty (step lines), json (one report object) or junit (XML)')
        .choices(REPORTERS)
        .default('pretty'),
    )
    .option('--out <FILE>', 'write the json or junit report to FILE (the pretty lines still print)');
  addVariableOptions(command);
  command.action(async (flows: string[], opts: TestCliOptions) => {
    process.exitCode = await runTest(flows, opts);
  });
}

export function runTest(flows: string[], opts: TestCliOptions): Promise<ExitCode> {
  return runCommand('duplex test', async (engine) => {
    const workspace = resolve(opts.workspace ?? '.');
    const vars = Object.fromEntries(opts.var.map((text) => parseVarAssignment(text)));
    const files: string[] = [];
    for (const flow of flows) files.push(await flowFile(flow, workspace));
    // Every file is checked before anything runs: a typo in the third is reported at once.
    for (const file of files) await engine.call('file.checkFlow', { file });
    const pretty = opts.reporter === 'pretty' || opts.out !== undefined;
    const reports: FlowRunReport[] = [];
    for (const file of files) {
      const stopPrinting = pretty ? printSteps(engine) : () => undefined;
      try {
        const report = await engine.call('file.runFlow', {
          file,
          vars,
          workspace,
          ...(opts.env !== undefined ? { env: opts.env } : {}),
          ...(opts.mock !== undefined ? { mock: opts.mock } : {}),
        });
        stopPrinting(report);
        reports.push(report);
      } catch (err) {
        stopPrinting(undefined);
        throw err;
      }
    }
    if (opts.reporter !== 'pretty') {
      const text =
        opts.reporter === 'junit'
          ? junitReport(reports)
          : JSON.stringify(
              {
                passed: reports.every((r) => r.status === 'passed'),
                flows: reports,
              },
              null,
              2,
            ) + '\n';
      if (opts.out !== undefined) await writeReport(opts.out, text);
      else process.stdout.write(text);
    }
    return reports.every((r) => r.status === 'passed') ? ExitCode.OK : ExitCode.FAILED;
  });
}

/** A path as given, or the name of a flow in the workspace's flows/ folder. */
async function flowFile(arg: string, workspace: string): Promise<string> {
  const isFile = (path: string) =>
    stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
  if (await isFile(arg)) return resolve(arg);
  if (!/[\\/]/.test(arg)) {
    for (const ext of FLOW_FILE_EXTS) {
      let path: string;
      try {
        path = join(workspace, flowPathOf(arg, ext));
      } catch {
        break;
      }
      if (await isFile(path)) return path;
    }
  }
  throw new DuplexError(
    ErrorCodes.NOT_FOUND,
    `No flow file ${arg}: give a path to a .yaml or .json flow, or the name of one in ${join(workspace, 'flows')}.`,
  );
}

/**
 * Prints each step as it finishes, from the run's flow.progress events. The
 * returned function prints what is left from the final report and the summary.
 */
function printSteps(engine: Engine): (final: FlowRunReport | undefined) => void {
  let printed = 0;
  let headed = false;
  const print = (report: FlowRunReport) => {
    if (!headed) {
      process.stdout.write(`${report.flow} (${report.file})\n`);
      headed = true;
    }
    while (printed < report.steps.length && report.steps[printed]!.status !== 'running') {
      process.stdout.write(`${stepLine(report.steps[printed]!)}\n`);
      printed++;
    }
  };
  const unsubscribe = engine.subscribe((events) => {
    for (const e of events) if (e.name === 'flow.progress') print(e.payload.report);
  });
  return (final) => {
    unsubscribe();
    if (!final) return;
    print(final);
    process.stdout.write(`${summaryLine(final)}\n`);
  };
}

async function writeReport(out: string, text: string): Promise<void> {
  try {
    await writeFile(resolve(out), text);
  } catch (err) {
    throw new DuplexError(ErrorCodes.FILE, `Cannot write the report to ${out}: ${(err as Error).message}.`);
  }
}
