/**
 * One flow open in a tab: its source (edited and saved through flow.save, which
 * refuses a flow with a mistake and says where), its steps as a list, and its
 * runs. A run keeps its connections open afterwards (keepOpen) so one step can
 * be run again; the tab follows the run's flow.progress events and shows each
 * connection's log with a LogModel of its own.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { FlowOutlineStep, FlowRunReport, FlowStepResult, MockSummary } from '../../../app/contract.js';
import type { Environments } from './environments.svelte.js';
import { LogModel } from './log-model.svelte.js';

let nextFlowTab = 1;

/** A step of the list: its outline and its latest result (with how many rounds ran, in a repeat). */
export interface FlowStepRow extends FlowOutlineStep {
  result: FlowStepResult | undefined;
  /** Results of this step in the current run (a step in a repeat runs once per round). */
  runs: number;
}

export class FlowTab {
  readonly kind = 'flow' as const;
  readonly id = `flow-tab-${nextFlowTab++}`;
  readonly #api: WorkbenchApi;
  #name = $state('');
  #path = $state('');
  /** The text in the editor. */
  source = $state('');
  #savedSource = $state('');
  #outline = $state.raw<FlowOutlineStep[]>([]);
  #fileError = $state('');
  #report = $state.raw<FlowRunReport | undefined>(undefined);
  #error = $state('');
  #busy = $state(false);
  #mocks = $state.raw<MockSummary[]>([]);
  /** A workspace mock to start for the run ('' for none). */
  mock = $state('');
  /** The connection whose log is shown; '' shows the source. */
  view = $state('');
  /** One log per connection name of the flow. */
  readonly #logs = new Map<string, LogModel>();

  /** The workbench's environments: a run resolves with the one picked (as `--env`), else the flow's own. */
  readonly environments: Environments;

  constructor(api: WorkbenchApi, name: string, environments: Environments) {
    this.#api = api;
    this.#name = name;
    this.environments = environments;
  }

  get name(): string {
    return this.#name;
  }
  get title(): string {
    return this.#name;
  }
  get path(): string {
    return this.#path;
  }
  get dirty(): boolean {
    return this.source !== this.#savedSource;
  }
  /** Why the saved file does not load, or why the last save was refused (file, line, field). */
  get fileError(): string {
    return this.#fileError;
  }
  get error(): string {
    return this.#error;
  }
  get report(): FlowRunReport | undefined {
    return this.#report;
  }
  get running(): boolean {
    return this.#report?.status === 'running';
  }
  get busy(): boolean {
    return this.#busy;
  }
  get mocks(): MockSummary[] {
    return this.#mocks;
  }
  get runId(): string | undefined {
    return this.#report?.runId;
  }
  /** The connections of the flow, with the log of each once it connected. */
  get connections(): { name: string; log: LogModel | undefined }[] {
    const names = this.#report?.connections.map((c) => c.name) ?? [
      ...new Set(this.#outline.flatMap((s) => (s.connection ? [s.connection] : []))),
    ];
    return names.map((name) => ({ name, log: this.#logs.get(name) }));
  }
  get steps(): FlowStepRow[] {
    const results = this.#report?.steps ?? [];
    return this.#outline.map((step) => {
      const mine = results.filter((r) => r.stepId === step.id);
      return { ...step, result: mine.at(-1), runs: mine.length };
    });
  }

  async load(): Promise<void> {
    const r = await this.#api.flow.read({ name: this.#name });
    if (!r.ok) {
      this.#error = r.error.message;
      return;
    }
    this.#path = r.value.path;
    this.source = r.value.text;
    this.#savedSource = r.value.text;
    this.#outline = r.value.steps;
    this.#fileError = r.value.error?.message ?? '';
    this.#error = '';
    const mocks = await this.#api.mock.list({});
    if (mocks.ok) this.#mocks = mocks.value;
  }

  /** Saves the editor's text; a flow with a mistake is refused and the error says where. */
  async save(): Promise<boolean> {
    this.#busy = true;
    try {
      const r = await this.#api.flow.save({ name: this.#name, text: this.source });
      if (!r.ok) {
        this.#fileError = r.error.message;
        return false;
      }
      this.#savedSource = this.source;
      this.#fileError = '';
      const read = await this.#api.flow.read({ name: this.#name });
      if (read.ok) this.#outline = read.value.steps;
      return true;
    } finally {
      this.#busy = false;
    }
  }

  /** Saves unsaved edits, ends the previous run (closing its connections) and starts a new one. */
  async run(): Promise<void> {
    if (this.dirty && !(await this.save())) return;
    if (this.#fileError) return;
    await this.closeRun();
    this.#busy = true;
    try {
      const r = await this.#api.flow.run({
        name: this.#name,
        keepOpen: true,
        ...(this.mock ? { mock: this.mock } : {}),
        ...(this.environments.active !== undefined ? { env: this.environments.active } : {}),
      });
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      this.#error = '';
      this.#apply(r.value);
    } finally {
      this.#busy = false;
    }
  }

  /** Stops a run under way, or closes the connections a finished run kept open. */
  async closeRun(): Promise<void> {
    const runId = this.runId;
    if (!runId || (this.#report && !this.running && !this.#report.open)) return;
    const r = await this.#api.flow.stop({ runId });
    if (r.ok) this.#apply(r.value);
  }

  /** Runs one step again on the run's open connections, with its variables. */
  async rerun(stepId: string): Promise<void> {
    const runId = this.runId;
    if (!runId) return;
    this.#busy = true;
    try {
      const r = await this.#api.flow.rerunStep({ runId, stepId });
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      this.#error = '';
      this.#apply(r.value);
    } finally {
      this.#busy = false;
    }
  }

  /** A flow.progress event. */
  onProgress(report: FlowRunReport): void {
    if (report.runId !== this.runId) return;
    // Events are coalesced and may cross an answer: a report never goes back in its steps.
    if (this.#report && report.steps.length < this.#report.steps.length) return;
    this.#apply(report);
  }

  /** The log of a connection of this tab's run, by engine connection id (log.appended routing). */
  logOf(logId: string): LogModel | undefined {
    for (const log of this.#logs.values()) if (log.logId === logId) return log;
    return undefined;
  }

  /** Closes the run's connections when the tab closes. */
  async dispose(): Promise<void> {
    await this.closeRun();
  }

  #apply(report: FlowRunReport): void {
    this.#report = report;
    for (const c of report.connections) {
      if (!c.connectionId) continue;
      let log = this.#logs.get(c.name);
      if (!log) this.#logs.set(c.name, (log = new LogModel(this.#api)));
      if (log.logId !== c.connectionId) void log.reattach(c.connectionId);
    }
  }
}
