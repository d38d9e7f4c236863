/**
 * The engine's flow commands: flow files in the workspace's flows/ folder
 * (list, read with their outline, save, delete), runs (start, status, stop,
 * re-run one step) that publish their report as `flow.progress` events, a
 * session turned into a flow, and for the CLI a flow run from any file.
 *
 * A run's variables come from one place, app/variables (the environment,
 * secrets, `--var`); its mock is started through the engine's mocks and
 * stopped with the run; its connections are engine connections, so their logs
 * are read like any other (log.read, log.appended).
 */
import { existingNamedFile, namedFileSummary, workspaceRelativePath } from '../workspace/named-files.js';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { CommandInput, ConnectOptions, FlowSummary } from '../contract.js';
import type { Engine } from '../engine.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import type { MockServer } from '../server/mock-server.js';
import { openSessionSource } from '../sessions/session-reader.js';
import { loadVariableSet, type SecretSource, type VariableSet } from '../variables/index.js';
import { FLOWS_DIR, flowNameOf, flowPathOf, withoutSessionExt } from '../vocabulary.js';
import { writeFileAtomic } from '../workspace/json-file.js';
import { FlowFileError, loadFlowFile, parseFlowFile, type Flow } from './flow-file.js';
import { flowOutline } from './flow-outline.js';
import type { FlowRunReport } from './flow-report.js';
import { FlowRun, type FlowHost } from './flow-runner.js';
import { sessionToFlow } from './session-to-flow.js';

/** Finished runs kept for flow.status and flow.rerunStep; the oldest goes first. */
const KEPT_RUNS = 20;

interface RunEntry {
  run: FlowRun;
  mock: MockServer | undefined;
  /** Resolves when the run has finished (and, without keepOpen, cleaned up). */
  done: Promise<FlowRunReport>;
  keepOpen: boolean;
  closed: boolean;
}

export interface FlowRunRequest {
  flow: Flow;
  /** The flow's name in reports. */
  name: string;
  env?: string | undefined;
  vars?: Record<string, string> | undefined;
  /** Where environments/ and secrets.local.json are; the engine's workspace by default. */
  workspaceDir?: string | undefined;
  /** A mock file to start for the run (replaces the flow's own `mock:`). */
  mockFile?: string | undefined;
  /** Leave the connections open after the run, for flow.rerunStep, until flow.stop. */
  keepOpen?: boolean | undefined;
  secrets?: SecretSource | undefined;
}

export class EngineFlows {
  readonly #engine: Engine;
  readonly #runs = new Map<string, RunEntry>();
  #nextRun = 1;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Connections through the engine, saved connections from its workspace. */
  readonly host: FlowHost = {
    openConnection: (options) => this.#engine.openConnection(options),
    removeConnection: async (connectionId) => {
      if (this.#engine.connections.has(connectionId))
        await this.#engine.call('connection.remove', { connectionId });
    },
    savedConnection: async (name): Promise<ConnectOptions> => {
      const saved = await this.#engine.workspace().listConnections();
      const found = saved.find((c) => c.name === name);
      if (!found) {
        throw new DuplexError(
          ErrorCodes.NOT_FOUND,
          `No saved connection named "${name}"; the saved ones are ${saved.map((c) => `"${c.name}"`).join(', ') || 'none'}.`,
        );
      }
      return found.options;
    },
  };

  /**
   * Starts a run and returns at once; `done` resolves with the final report.
   * A bad environment or a mock that does not start throws here, before any step.
   */
  async start(request: FlowRunRequest): Promise<{ runId: string; done: Promise<FlowRunReport> }> {
    const { flow } = request;
    const workspaceDir =
      request.workspaceDir ?? this.#workspaceDirOrUndefined() ?? dirname(resolve(flow.file));
    const env = request.env ?? flow.env;
    const variables: VariableSet = await loadVariableSet(workspaceDir, {
      env,
      vars: request.vars,
      secrets: request.secrets,
    });
    const mockFile =
      request.mockFile ??
      (flow.mock === undefined ? undefined : resolve(dirname(resolve(flow.file)), flow.mock));
    const mock = mockFile === undefined ? undefined : await this.#engine.mocks.start(mockFile, { port: 0 });
    const runId = `flow-${this.#nextRun++}`;
    // `entry` is made below; onChange is first called when the run starts, after that.
    const run = new FlowRun(flow, this.host, {
      runId,
      flowName: request.name,
      variables,
      ...(mock ? { mock: mockAddress(mock) } : {}),
      // The report a command answers with: an event must not drop its `open` (a re-run's last one came after).
      onChange: () => this.#engine.publish('flow.progress', runId, { runId, report: this.#reportOf(entry) }),
    });
    const keepOpen = request.keepOpen ?? false;
    const entry: RunEntry = { run, mock, keepOpen, closed: false, done: Promise.resolve(run.report) };
    entry.done = (async () => {
      try {
        return await run.run();
      } finally {
        if (!keepOpen) await this.#finish(entry);
        this.#publish(entry);
      }
    })();
    this.#runs.set(runId, entry);
    this.#forgetOld();
    return { runId, done: entry.done };
  }

  /** Stops a run (its current step fails as stopped), closes its connections and stops its mock. */
  async stop(runId: string): Promise<FlowRunReport> {
    const entry = this.#run(runId);
    entry.run.stop();
    await entry.done.catch(() => undefined);
    await this.#finish(entry);
    this.#publish(entry);
    return this.#reportOf(entry);
  }

  readonly handlers = {
    'flow.list': async (): Promise<FlowSummary[]> => {
      const dir = this.#dir();
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new DuplexError(ErrorCodes.FILE, `Cannot list ${dir}: ${(err as Error).message}.`);
      }
      const out: FlowSummary[] = [];
      for (const fileName of names.sort()) {
        const name = flowNameOf(`${FLOWS_DIR}/${fileName}`);
        if (name !== undefined) out.push(await this.#summary(name, join(dir, fileName), true));
      }
      return out;
    },
    'flow.read': async ({ name }: { name: string }) => {
      const path = await this.#existing(name);
      const text = await readFile(path, 'utf8');
      const relative = relativeFlowPath(path);
      try {
        return { name, path: relative, text, steps: flowOutline(parseFlowFile(text, relative).flow) };
      } catch (err) {
        if (!(err instanceof FlowFileError)) throw err;
        return { name, path: relative, text, steps: [], error: err.toInfo() };
      }
    },
    'flow.save': async ({ name, text, format }: CommandInput<'flow.save'>) => {
      const existing = await this.#existing(name).catch(() => undefined);
      const path =
        existing ??
        join(this.#engine.workspace().dir, flowPathOf(name, format === 'json' ? '.json' : '.yaml'));
      parseFlowFile(text, relativeFlowPath(path)); // refuses an invalid flow, nothing written
      await writeFileAtomic(path, text);
      return this.#summary(name, path, false);
    },
    'flow.delete': async ({ name }: { name: string }) => {
      await unlink(await this.#existing(name));
      return { deleted: true };
    },
    'flow.run': async (input: CommandInput<'flow.run'>) => {
      const path = await this.#existing(input.name);
      const flow = parseFlowFile(await readFile(path, 'utf8'), relativeFlowPath(path)).flow;
      // The flow's own mock: is relative to its file, so the flow is read where it lies.
      flow.file = path;
      const mockFile = input.mock === undefined ? undefined : await this.#engine.mocks.existing(input.mock);
      const { runId } = await this.start({
        flow,
        name: input.name,
        env: input.env,
        vars: this.#engine.variables.withLaunchVars(input.vars),
        mockFile,
        keepOpen: input.keepOpen,
      });
      return this.#reportOf(this.#run(runId));
    },
    'flow.status': ({ runId }: { runId: string }) => this.#reportOf(this.#run(runId)),
    'flow.stop': ({ runId }: { runId: string }) => this.stop(runId),
    'flow.rerunStep': async ({ runId, stepId }: { runId: string; stepId: string }) => {
      const entry = this.#run(runId);
      if (entry.closed) {
        throw new DuplexError(
          ErrorCodes.INVALID_STATE,
          `Run ${runId} has ended and closed its connections; run the flow again (with keepOpen to re-run steps after it).`,
        );
      }
      await entry.done;
      await entry.run.rerun(stepId);
      return this.#reportOf(entry);
    },
    'flow.fromSession': async ({ name, flowName, clientId }: CommandInput<'flow.fromSession'>) => {
      const session = await openSessionSource(this.#engine.sessions.store().pathOf(name));
      const made = await sessionToFlow(session, { name: flowName, ...(clientId ? { clientId } : {}) });
      const path = join(this.#engine.workspace().dir, flowPathOf(flowName));
      parseFlowFile(made.yaml, relativeFlowPath(path)); // what we write must load
      await writeFileAtomic(path, made.yaml);
      return { ...(await this.#summary(flowName, path, false)), sends: made.sends, expects: made.expects };
    },
  };

  /** The local commands (files on this machine): the CLI's `duplex test` and `duplex import session`. */
  readonly localHandlers = {
    'file.runFlow': async (input: CommandInput<'file.runFlow'>): Promise<FlowRunReport> => {
      const { flow } = await loadFlowFile(input.file);
      const { done } = await this.start({
        flow,
        name: flow.name ?? basename(input.file).replace(/\.(ya?ml|json)$/i, ''),
        env: input.env,
        vars: input.vars,
        workspaceDir: input.workspace === undefined ? undefined : resolve(input.workspace),
        mockFile: input.mock === undefined ? undefined : resolve(input.mock),
      });
      return done;
    },
    'file.checkFlow': async ({ file }: { file: string }) => {
      const { flow } = await loadFlowFile(file);
      return { name: flow.name, steps: flowOutline(flow) };
    },
    'file.flowFromSession': async (input: CommandInput<'file.flowFromSession'>) => {
      const session = await openSessionSource(resolve(input.file));
      const name = input.name ?? withoutSessionExt(basename(input.file));
      const made = await sessionToFlow(session, {
        name,
        ...(input.clientId ? { clientId: input.clientId } : {}),
      });
      const path = resolve(input.out);
      parseFlowFile(made.yaml, path);
      await writeFileAtomic(path, made.yaml);
      return {
        path,
        sends: made.sends,
        expects: made.expects,
        leftOut: made.leftOut,
        warnings: session.warnings,
      };
    },
  };

  /** Whether a connection was opened by a flow run the engine still keeps. */
  owns(connectionId: string): boolean {
    for (const entry of this.#runs.values())
      if (entry.run.connectionIds().includes(connectionId)) return true;
    return false;
  }

  /** Ends every run (engine dispose). */
  async dispose(): Promise<void> {
    await Promise.allSettled([...this.#runs.values()].map((entry) => this.stop(entry.run.report.runId)));
  }

  async #finish(entry: RunEntry): Promise<void> {
    if (entry.closed) return;
    entry.closed = true;
    await entry.run.close();
    if (entry.mock?.running) await entry.mock.stop();
  }

  #publish(entry: RunEntry): void {
    const report = this.#reportOf(entry);
    this.#engine.publish('flow.progress', report.runId, { runId: report.runId, report });
  }

  #reportOf(entry: RunEntry): FlowRunReport {
    const report = entry.run.report;
    if (entry.keepOpen && !entry.closed && !entry.run.running) report.open = true;
    return report;
  }

  #run(runId: string): RunEntry {
    const entry = this.#runs.get(runId);
    if (!entry) {
      throw new DuplexError(
        ErrorCodes.NOT_FOUND,
        `No flow run "${runId}"; it may have ended long ago. Run the flow again.`,
      );
    }
    return entry;
  }

  #forgetOld(): void {
    const finished = [...this.#runs.entries()].filter(([, e]) => e.closed);
    for (const [id] of finished.slice(0, Math.max(0, this.#runs.size - KEPT_RUNS))) this.#runs.delete(id);
  }

  #workspaceDirOrUndefined(): string | undefined {
    try {
      return this.#engine.workspace().dir;
    } catch {
      return undefined;
    }
  }

  #dir(): string {
    return join(this.#engine.workspace().dir, FLOWS_DIR);
  }

  #existing(name: string): Promise<string> {
    return existingNamedFile(this.#engine.workspace().dir, 'flow', name, flowPathOf, this.#dir());
  }

  #summary(name: string, path: string, check: boolean): Promise<FlowSummary> {
    const relative = relativeFlowPath(path);
    return namedFileSummary(
      name,
      path,
      relative,
      check ? (text: string) => ({ steps: parseFlowFile(text, relative).flow.steps.length }) : undefined,
    );
  }
}

/** `{{mock.url}}` and its parts: the listening address without the trailing slash. */
function mockAddress(server: MockServer): { url: string; host: string; port: number } {
  return { url: server.url.replace(/\/$/, ''), host: server.host, port: server.port };
}

function relativeFlowPath(path: string): string {
  return workspaceRelativePath(path, FLOWS_DIR);
}
