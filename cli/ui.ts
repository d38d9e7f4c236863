/**
 * `duplex ui`: browser mode. Serves the built workbench UI and the contract
 * bridge on 127.0.0.1 and prints the one address that works (it carries a
 * random per-run token). Runs until SIGINT/SIGTERM, then closes everything.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { startBridgeServer, type BridgeServer } from '../app/bridge/bridge-server.js';
import { Engine } from '../app/engine.js';
import { ErrorCodes, toErrorInfo } from '../app/errors.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import {
  addVariableOptions,
  portOption,
  variableChoiceOf,
  variablesFromFlags,
  type VariableFlags,
} from './options.js';
import { printError } from './output.js';

export interface UiOptions {
  port: number;
  /** The port was not asked for: when it is taken, serve on a free one instead of failing. */
  portFallback?: boolean;
  workspace: string;
  renderer: string;
  /** `--env` / `--var`: the environment the request bar starts on, and values over every resolution. */
  variables?: VariableFlags;
}

export interface UiSession {
  engine: Engine;
  bridge: BridgeServer;
  /** Said before the URL: the default port was taken, so the UI serves on another. */
  notice?: string | undefined;
  close: () => Promise<void>;
}

/**
 * The port `duplex ui` serves on unless told: the same one each run, because the
 * page keeps its tabs, drafts and pane sizes in the browser's storage for its
 * origin, and a new port is a new origin. Below the ports systems hand out for
 * "any free port" (32768+ on Linux, 49152+ on macOS and Windows), so another
 * program's port 0 does not take it.
 */
export const DEFAULT_UI_PORT = 27474;

export function registerUi(program: Command): void {
  const command = program
    .command('ui')
    .description('Serve the workbench UI in your browser (127.0.0.1 only, with a per-run token)')
    .addOption(
      portOption(
        `port on 127.0.0.1 (the page's saved tabs and sizes belong to its port); 0 picks a free one`,
        DEFAULT_UI_PORT,
      ),
    )
    .option('--workspace <DIR>', 'folder of saved connections and templates', defaultWorkspaceDir());
  addVariableOptions(command, {
    workspace: false,
    envHelp: 'environment the request bar starts on (environments/NAME.json in the workspace)',
  })
    .option('--renderer <DIR>', 'the built UI to serve', defaultRendererDir())
    .action(async (opts: { port: number; workspace: string; renderer: string } & VariableFlags) => {
      await runUi({
        port: opts.port,
        portFallback: command.getOptionValueSource('port') === 'default',
        workspace: resolve(opts.workspace),
        renderer: resolve(opts.renderer),
        variables: { env: opts.env, var: opts.var },
      });
    });
}

export async function startUi(options: UiOptions): Promise<UiSession> {
  const flags = options.variables ?? {};
  // A missing environment, a bad --var or an unreadable secret is said now (exit 2), not at first connect.
  if (flags.env !== undefined || (flags.var ?? []).length > 0) {
    await variablesFromFlags(flags, { workspace: options.workspace });
  }
  const engine = new Engine({ workspaceDir: options.workspace, launch: variableChoiceOf(flags) });
  try {
    let notice: string | undefined;
    const bridge = await startBridgeServer({ engine, staticDir: options.renderer, port: options.port }).catch(
      (err: unknown) => {
        if (!options.portFallback || toErrorInfo(err).code !== ErrorCodes.PORT_IN_USE) throw err;
        notice = `Port ${options.port} is in use (another duplex ui?), so this one serves on a free port; the tabs and sizes a page saved belong to port ${options.port}. Pass --port N to choose.`;
        return startBridgeServer({ engine, staticDir: options.renderer, port: 0 });
      },
    );
    return {
      engine,
      bridge,
      notice,
      close: async () => {
        await bridge.stop();
        await engine.dispose();
      },
    };
  } catch (err) {
    await engine.dispose();
    throw err;
  }
}

async function runUi(options: UiOptions): Promise<void> {
  // Serving a folder without the UI would answer every page with 503: say what to do instead.
  if (!existsSync(join(options.renderer, 'index.html'))) {
    printError(
      'duplex ui',
      `the UI is not built (${join(options.renderer, 'index.html')} is missing); run "npm run build:renderer" in the Duplex folder (npm install does it too), or pass --renderer DIR.`,
    );
    process.exit(ExitCode.FAILED);
  }
  let session: UiSession;
  try {
    session = await startUi(options);
  } catch (err) {
    const info = toErrorInfo(err);
    printError('duplex ui', info.message);
    process.exit(exitCodeFor(info.code));
  }
  // On stderr: a script that reads the first line of stdout still gets the address.
  if (session.notice) process.stderr.write(`duplex ui: ${session.notice}\n`);
  process.stdout.write(`Duplex UI: ${session.bridge.url}\n`);
  process.stdout.write(`Workspace: ${options.workspace}\n`);
  if (options.variables?.env !== undefined) process.stdout.write(`Environment: ${options.variables.env}\n`);
  const stop = (): void => {
    void session.close().then(() => process.exit(ExitCode.OK));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** The same folder the desktop app uses: <Electron userData for "Duplex">/workspace. */
export function defaultWorkspaceDir(): string {
  const home = homedir();
  const base =
    process.platform === 'win32'
      ? (process.env['APPDATA'] ?? join(home, 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? join(home, 'Library', 'Application Support')
        : (process.env['XDG_CONFIG_HOME'] ?? join(home, '.config'));
  return join(base, 'Duplex', 'workspace');
}

/** out/renderer of the package, whether this runs from dist/cli/ or from cli/ (tsx, tests). */
function defaultRendererDir(): string {
  const candidates = ['../../out/renderer', '../out/renderer'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}
