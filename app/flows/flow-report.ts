/**
 * What a flow run reports: one result per executed step, with its status,
 * timing and, for a failure, what was expected and what arrived. Plain data,
 * runtime-free: it crosses the contract to the UI and the CLI's reporters.
 */
import type { ErrorInfo } from '../errors.js';
import type { JsonValue } from '../server/matchers.js';

/** The verbs of a flow's steps, in the order docs/flow-format.md lists them. */
export const flowStepTypes = [
  'connect',
  'send',
  'expect',
  'capture',
  'wait',
  'ping',
  'close',
  'repeat',
] as const;
export type FlowStepType = (typeof flowStepTypes)[number];

export type FlowStepStatus = 'running' | 'passed' | 'failed' | 'skipped';
export type FlowRunStatus = 'running' | 'passed' | 'failed' | 'stopped';

/** One step of a flow as the UI lists it before and while it runs. */
export interface FlowOutlineStep {
  /** `steps[3]`, `steps[2].repeat.steps[0]`. */
  id: string;
  type: FlowStepType;
  /** The step's name, or a short description of it (`send json to alice`). */
  title: string;
  line: number | undefined;
  /** How many repeats enclose it. */
  depth: number;
  connection: string | undefined;
}

export interface FlowStepResult {
  stepId: string;
  type: FlowStepType;
  title: string;
  connection: string | undefined;
  /** The round of each repeat around the step, outermost first (0-based); [] outside repeats. */
  rounds: number[];
  status: FlowStepStatus;
  /** Unix ms. */
  startedAt: number;
  durationMs: number;
  /** A failure: one sentence with what was expected and what happened. */
  message?: string;
  /** A failure's parts: what the step waited for, and what arrived instead (previews). */
  expected?: string;
  received?: string[];
  /** Re-run from the UI (flow.rerunStep), after the run. */
  rerun?: boolean;
}

export interface FlowRunConnection {
  name: string;
  /** The engine connection (its log is the connection's log); absent until the connect step ran. */
  connectionId?: string;
  url?: string;
}

export interface FlowRunReport {
  runId: string;
  /** The flow's name in the workspace, or its file's name. */
  flow: string;
  file: string;
  status: FlowRunStatus;
  startedAt: number;
  durationMs: number;
  passed: number;
  failed: number;
  skipped: number;
  steps: FlowStepResult[];
  connections: FlowRunConnection[];
  /** Values captured so far (secrets shown as ***). */
  captured: Record<string, JsonValue>;
  /** The address of the run's mock, when it has one. */
  mockUrl?: string;
  /** The run ended but its connections stay open for flow.rerunStep until flow.stop. */
  open?: boolean;
  /** The run could not start or went wrong outside a step (a bad environment, a mock that would not start). */
  error?: ErrorInfo;
}
