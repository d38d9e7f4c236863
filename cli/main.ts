#!/usr/bin/env node
/**
 * The `duplex` command. Thin over app/: each subcommand lives in its own file
 * and registers itself here, and each runs through the engine's commands
 * (engine.call), like the UI. Bad arguments exit USAGE (2, cli/exit-codes.ts)
 * with a one-line reason on stderr, before any connection is made.
 */
import { Command, CommanderError } from 'commander';
import { registerServe } from './serve.js';
import { registerConnect } from './connect.js';
import { registerReplay } from './replay.js';
import { registerImport } from './import.js';
import { registerUi } from './ui.js';
import { registerTest } from './test.js';
import { ExitCode } from './exit-codes.js';

const program = new Command('duplex')
  .description('Duplex — WebSocket workbench: client, mock server and session recorder')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str.trim() + '\n') });

registerServe(program);
registerConnect(program);
registerReplay(program);
registerImport(program);
registerTest(program);
registerUi(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version arrive here too, with exit code 0.
    process.exit(err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE);
  }
  throw err;
}
