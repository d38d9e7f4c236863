/**
 * Runs a parsed flow (flow-file.ts) over real client connections (app/connections,
 * opened through the engine's host) and reports each step as it goes.
 *
 * Each named connection keeps a cursor into its MessageLog: an expect reads the
 * messages received after the cursor, takes the first that matches and moves
 * the cursor past it, so a message that arrived before its expect started is
 * still seen, and no message is taken twice. Waiting is event-driven (the log's
 * 'appended', the connection's state), with one timer per wait.
 */
import { JSONPath } from 'jsonpath-plus';
import type { ConnectOptions } from '../contract.js';
import type { ClientConnection } from '../connections/client-connection.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import type { LogEntry } from '../log/message-log.js';
import { base64ToBytes, bytesToHex, hexToBytes } from '../payload/codecs.js';
import { messageView, type MessageView } from '../payload/message-view.js';
import { compileMatcher, type JsonValue, type MatcherSpec } from '../server/matchers.js';
import { HELPER_NAMES } from '../templates/helpers.js';
import { TemplateEngine, type TemplateContext } from '../templates/template-engine.js';
import { EMPTY_VARIABLES, renderVariables, secretValues, type VariableSet } from '../variables/index.js';
import { prepareConnectOptions } from '../variables/prepare.js';
import { REDACTED } from '../variables/redact.js';
import { ReadyState } from '../websocket-rules.js';
import type {
  CaptureStep,
  CloseStep,
  ConnectStep,
  ExpectStep,
  Flow,
  FlowStep,
  PingStep,
  RepeatStep,
  SendStep,
} from './flow-file.js';
import { findStep } from './flow-file.js';
import type { FlowRunReport, FlowStepResult } from './flow-report.js';
import { stepTitle } from './flow-outline.js';

/** What a run needs from the engine: connections, and the workspace's saved connections. */
export interface FlowHost {
  openConnection(options: ConnectOptions): ClientConnection;
  /** Drops a connection the run no longer uses (a connect step opening its name again). */
  removeConnection(connectionId: string): Promise<void>;
  /** The options of a saved connection, by its name; throws NOT_FOUND naming the ones there are. */
  savedConnection(name: string): Promise<ConnectOptions>;
}

export interface FlowRunSetup {
  runId: string;
  /** The name reports give the flow. */
  flowName?: string;
  /** The environment's values and `--var` overrides. */
  variables?: VariableSet;
  /** The run's mock, for `{{mock.url}}`. */
  mock?: { url: string; host: string; port: number };
  engine?: TemplateEngine;
  /** Called after every change of the report (a step started or ended). */
  onChange?: (report: FlowRunReport) => void;
}

/** How much of a message a failure quotes. */
const PREVIEW_CHARS = 200;
/** How many passed-over messages a failure lists. */
const MAX_RECEIVED = 5;
const HELPERS: ReadonlySet<string> = new Set(HELPER_NAMES);

interface RunConnection {
  name: string;
  conn: ClientConnection;
  /** Seq of the last log entry an expect looked at. */
  cursor: number;
  /** The message the latest expect matched, for capture. */
  lastMatched: MessageView | undefined;
}

/** A step that did not hold: its message says what was expected and what happened. */
class StepFailure extends Error {
  readonly expected: string | undefined;
  readonly received: string[] | undefined;
  constructor(message: string, parts: { expected?: string; received?: string[] } = {}) {
    super(message);
    this.expected = parts.expected;
    this.received = parts.received;
  }
}

class Stopped extends Error {
  constructor() {
    super('the run was stopped');
  }
}

export class FlowRun {
  readonly flow: Flow;
  readonly #host: FlowHost;
  readonly #setup: FlowRunSetup;
  readonly #engine: TemplateEngine;
  readonly #variables: VariableSet;
  readonly #connections = new Map<string, RunConnection>();
  readonly #captured: Record<string, JsonValue> = {};
  /** Variables of the repeats being run (their `as`), innermost last. */
  #loopVars: Record<string, JsonValue> = {};
  #rounds: number[] = [];
  readonly #report: FlowRunReport;
  readonly #abort = new AbortController();
  #running = false;

  constructor(flow: Flow, host: FlowHost, setup: FlowRunSetup) {
    this.flow = flow;
    this.#host = host;
    this.#setup = setup;
    this.#engine = setup.engine ?? new TemplateEngine();
    this.#variables = setup.variables ?? EMPTY_VARIABLES;
    this.#report = {
      runId: setup.runId,
      flow: setup.flowName ?? flow.name ?? flow.file,
      file: flow.file,
      status: 'running',
      startedAt: Date.now(),
      durationMs: 0,
      passed: 0,
      failed: 0,
      skipped: 0,
      steps: [],
      connections: flow.connections.map((name) => ({ name })),
      captured: {},
      ...(setup.mock ? { mockUrl: setup.mock.url } : {}),
    };
  }

  /** A copy of the report as it stands. */
  get report(): FlowRunReport {
    const r = this.#report;
    return {
      ...r,
      steps: r.steps.map((s) => ({ ...s })),
      connections: r.connections.map((c) => ({ ...c })),
      captured: this.#redactedCaptures(),
    };
  }

  get running(): boolean {
    return this.#running;
  }

  /** Runs every step in order; the first failure skips the rest. Connections stay open (see close). */
  async run(): Promise<FlowRunReport> {
    this.#running = true;
    const started = Date.now();
    let failed = false;
    try {
      failed = !(await this.#runSteps(this.flow.steps));
    } finally {
      this.#running = false;
      this.#report.durationMs = Date.now() - started;
      this.#report.status = this.#abort.signal.aborted ? 'stopped' : failed ? 'failed' : 'passed';
      this.#changed();
    }
    return this.report;
  }

  /** Runs one step again, with the variables and connections the run has now (a repeat: all its rounds). */
  async rerun(stepId: string): Promise<FlowStepResult> {
    if (this.#running) {
      throw new DuplexError(
        ErrorCodes.INVALID_STATE,
        'The flow is still running: wait for it, or stop it, first.',
      );
    }
    const step = findStep(this.flow, stepId);
    if (!step) {
      throw new DuplexError(ErrorCodes.NOT_FOUND, `The flow has no step ${stepId}.`);
    }
    this.#running = true;
    try {
      await this.#runStep(step, true);
    } finally {
      this.#running = false;
    }
    const result = this.#report.steps[this.#report.steps.length - 1]!;
    this.#report.status = this.#report.steps.some((s) => s.status === 'failed' && !this.#supersededFailure(s))
      ? 'failed'
      : 'passed';
    this.#changed();
    return { ...result };
  }

  /** Ends waits under way; the step running fails as stopped and the rest are skipped. */
  stop(): void {
    this.#abort.abort();
  }

  /** Closes every connection the run opened that is still open (1000), and waits briefly for the closes. */
  async close(): Promise<void> {
    const closes: Promise<unknown>[] = [];
    for (const { conn } of this.#connections.values()) {
      if (conn.readyState === ReadyState.CLOSED) continue;
      closes.push(new Promise((resolve) => conn.once('close', resolve)));
      if (conn.readyState === ReadyState.OPEN) conn.close(1000, '');
      else if (conn.readyState === ReadyState.CONNECTING) conn.terminate();
    }
    const timer = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.all(closes), timer]);
    for (const { conn } of this.#connections.values()) {
      if (conn.readyState !== ReadyState.CLOSED) conn.terminate();
    }
  }

  /** The engine connections of the run, by flow name. */
  connectionIds(): string[] {
    return [...this.#connections.values()].map((c) => c.conn.id);
  }

  /** False when a step failed (the steps after it are reported as skipped). */
  async #runSteps(steps: readonly FlowStep[]): Promise<boolean> {
    for (let i = 0; i < steps.length; i++) {
      const ok = await this.#runStep(steps[i]!, false);
      if (!ok) {
        for (const rest of steps.slice(i + 1)) this.#skip(rest);
        return false;
      }
    }
    return true;
  }

  async #runStep(step: FlowStep, rerun: boolean): Promise<boolean> {
    const result: FlowStepResult = {
      stepId: step.id,
      type: step.type,
      title: stepTitle(step),
      connection: 'connection' in step ? step.connection : undefined,
      rounds: [...this.#rounds],
      status: 'running',
      startedAt: Date.now(),
      durationMs: 0,
      ...(rerun ? { rerun: true } : {}),
    };
    this.#report.steps.push(result);
    this.#changed();
    const started = performance.now();
    try {
      if (this.#abort.signal.aborted) throw new Stopped();
      await this.#execute(step);
      result.status = 'passed';
    } catch (err) {
      result.status = 'failed';
      if (err instanceof StepFailure) {
        result.message = this.#redact(err.message);
        if (err.expected !== undefined) result.expected = this.#redact(err.expected);
        if (err.received !== undefined) result.received = err.received.map((r) => this.#redact(r));
      } else if (err instanceof Stopped) {
        result.message = 'stopped before the step finished';
      } else {
        result.message = this.#redact(toErrorInfo(err).message);
      }
    }
    result.durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (result.status === 'passed') this.#report.passed++;
    else this.#report.failed++;
    this.#changed();
    return result.status === 'passed';
  }

  #skip(step: FlowStep): void {
    this.#report.steps.push({
      stepId: step.id,
      type: step.type,
      title: stepTitle(step),
      connection: 'connection' in step ? step.connection : undefined,
      rounds: [...this.#rounds],
      status: 'skipped',
      startedAt: Date.now(),
      durationMs: 0,
    });
    this.#report.skipped++;
  }

  /** A failure that a later re-run of the same step (same rounds) passed. */
  #supersededFailure(failed: FlowStepResult): boolean {
    const later = this.#report.steps.slice(this.#report.steps.indexOf(failed) + 1);
    return later.some(
      (s) => s.stepId === failed.stepId && s.status === 'passed' && s.rounds.join() === failed.rounds.join(),
    );
  }

  #execute(step: FlowStep): Promise<void> {
    switch (step.type) {
      case 'connect':
        return this.#connect(step);
      case 'send':
        return Promise.resolve(this.#send(step));
      case 'expect':
        return this.#expect(step);
      case 'capture':
        return Promise.resolve(this.#capture(step));
      case 'wait':
        return this.#sleep(step.ms);
      case 'ping':
        return this.#ping(step);
      case 'close':
        return this.#close(step);
      case 'repeat':
        return this.#repeat(step);
    }
  }

  // -------------------------------------------------------------------------
  // Steps

  async #connect(step: ConnectStep): Promise<void> {
    const base: ConnectOptions =
      step.saved !== undefined ? await this.#host.savedConnection(step.saved) : { url: '' };
    const raw: ConnectOptions = {
      ...base,
      url: step.url ?? base.url,
      headers: { ...base.headers, ...step.headers },
      handshakeTimeoutMs: step.withinMs || 1,
    };
    if (step.protocols.length > 0) raw.protocols = step.protocols;
    if (step.origin !== undefined) raw.origin = step.origin;
    if (step.insecure !== undefined) raw.tls = { ...base.tls, insecure: step.insecure };
    // The engine's one preparation step, with the flow's own variables over the environment's.
    const options = prepareConnectOptions(raw, this.#variables, this.#scope() as TemplateContext);

    const previous = this.#connections.get(step.connection);
    if (previous) {
      if (previous.conn.readyState !== ReadyState.CLOSED) {
        throw new StepFailure(`${step.connection} is still open: close it before connecting it again`);
      }
      await this.#host.removeConnection(previous.conn.id);
    }
    const conn = this.#host.openConnection(options);
    const entry: RunConnection = {
      name: step.connection,
      conn,
      cursor: conn.log.lastSeq,
      lastMatched: undefined,
    };
    this.#connections.set(step.connection, entry);
    const listed = this.#report.connections.find((c) => c.name === step.connection);
    // The report is printed and written (duplex test --out): a secret in the URL stays out of it.
    if (listed) Object.assign(listed, { connectionId: conn.id, url: this.#redact(conn.url) });
    this.#changed();

    const outcome = await this.#waitFor(conn, step.withinMs + 1000, () =>
      conn.readyState === ReadyState.OPEN || conn.readyState === ReadyState.CLOSED
        ? conn.readyState
        : undefined,
    );
    const info = conn.info();
    const wanted = step.expect.status;
    if (outcome === 'timeout') {
      throw new StepFailure(`${conn.url} did not open within ${step.withinMs} ms`, {
        expected: wanted === 101 ? 'open (HTTP 101)' : `the upgrade refused with HTTP ${wanted}`,
      });
    }
    if (wanted !== 101) {
      const status = info.handshake?.status;
      if (outcome === ReadyState.OPEN) {
        throw new StepFailure(
          `expected ${conn.url} to refuse the upgrade with HTTP ${wanted}, but it opened`,
          {
            expected: `HTTP ${wanted}`,
            received: ['HTTP 101 (open)'],
          },
        );
      }
      if (status !== wanted) {
        throw new StepFailure(
          `expected ${conn.url} to refuse the upgrade with HTTP ${wanted}; ${status === undefined ? (info.error?.message ?? 'no HTTP answer came') : `it answered HTTP ${status}`}`,
          {
            expected: `HTTP ${wanted}`,
            received: [status === undefined ? 'no HTTP answer' : `HTTP ${status}`],
          },
        );
      }
      return;
    }
    if (outcome === ReadyState.CLOSED) {
      throw new StepFailure(
        `could not connect ${step.connection}: ${info.error?.message ?? `closed with ${info.closeCode}`}`,
        {
          expected: 'open (HTTP 101)',
          received: [info.handshake ? `HTTP ${info.handshake.status}` : (info.error?.code ?? 'no answer')],
        },
      );
    }
    const protocol = step.expect.protocol;
    if (protocol !== undefined && conn.protocol !== protocol) {
      throw new StepFailure(
        `expected the server to choose subprotocol ${protocol}; it chose ${conn.protocol ? conn.protocol : 'none'}`,
        { expected: `protocol ${protocol}`, received: [conn.protocol || '(none)'] },
      );
    }
  }

  #send(step: SendStep): void {
    const { conn } = this.#open(step.connection, 'send');
    const where = `the message of ${step.id}`;
    const p = step.payload;
    const text = (source: string) => (step.template ? this.#render(source, where) : source);
    switch (p.kind) {
      case 'text':
        conn.send({ type: 'text', text: text(p.text) });
        return;
      case 'json':
        conn.send({
          type: 'text',
          text: JSON.stringify(step.template ? this.#renderJson(p.json, where) : p.json),
        });
        return;
      case 'hex':
      case 'base64': {
        const source = text(p.kind === 'hex' ? p.hex : p.base64);
        let data: Uint8Array<ArrayBuffer>;
        try {
          data = (p.kind === 'hex' ? hexToBytes(source) : base64ToBytes(source)) as Uint8Array<ArrayBuffer>;
        } catch (err) {
          throw new StepFailure(
            `the ${p.kind} payload "${preview(source)}" does not decode: ${(err as Error).message}`,
          );
        }
        conn.send({ type: 'binary', data });
      }
    }
  }

  async #expect(step: ExpectStep): Promise<void> {
    const rc = this.#known(step.connection);
    if (step.kind === 'close') return this.#expectClose(rc, step.withinMs, step.code, step.reason);
    const spec =
      step.match && (this.#renderJson(step.match as JsonValue, `the matcher of ${step.id}`) as MatcherSpec);
    const matches = spec ? compileMatcher(spec) : () => true;
    const wanted = spec ? `a message matching ${describeMatcher(spec)}` : 'any message';
    const passed: string[] = [];

    if (step.kind === 'none') {
      // Looks without taking: messages that do not match stay for later expects.
      let seen = rc.cursor;
      const found = await this.#waitFor(rc.conn, step.withinMs, () => {
        for (const entry of this.#newMessages(rc.conn, seen)) {
          seen = entry.seq;
          const view = viewOf(entry);
          if (matches(view)) return view;
        }
        return undefined;
      });
      if (found !== 'timeout') {
        throw new StepFailure(
          `expected no ${spec ? wanted.slice(2) : 'message'} on ${rc.name} within ${step.withinMs} ms; one arrived: ${describeView(found)}`,
          {
            expected: `no ${spec ? wanted.slice(2) : 'message'} within ${step.withinMs} ms`,
            received: [describeView(found)],
          },
        );
      }
      return;
    }

    let mismatch: MessageView | undefined;
    const found = await this.#waitFor(rc.conn, step.withinMs, () => {
      for (const entry of this.#newMessages(rc.conn, rc.cursor)) {
        rc.cursor = entry.seq;
        const view = viewOf(entry);
        if (matches(view)) return view;
        if (step.strict) {
          mismatch = view;
          return view;
        }
        passed.push(describeView(view));
      }
      if (rc.conn.readyState === ReadyState.CLOSED) return 'closed' as const;
      return undefined;
    });
    if (mismatch) {
      throw new StepFailure(
        `expected the next message on ${rc.name} to be ${wanted}; it was ${describeView(mismatch)}`,
        {
          expected: wanted,
          received: [describeView(mismatch)],
        },
      );
    }
    if (found === 'timeout' || found === 'closed') {
      const why =
        found === 'closed'
          ? `${rc.name} closed (${closeText(rc.conn)}) before one came`
          : `none within ${step.withinMs} ms`;
      const arrived =
        passed.length === 0
          ? 'nothing else arrived'
          : `${passed.length} arrived that did not match: ${passed.slice(0, MAX_RECEIVED).join(', ')}${passed.length > MAX_RECEIVED ? ', …' : ''}`;
      throw new StepFailure(`expected ${wanted} on ${rc.name}; ${why}; ${arrived}`, {
        expected: `${wanted} within ${step.withinMs} ms`,
        received: passed.slice(0, MAX_RECEIVED),
      });
    }
    rc.lastMatched = found;
  }

  async #expectClose(
    rc: RunConnection,
    withinMs: number,
    code: number | undefined,
    reasonTemplate: string | undefined,
  ): Promise<void> {
    const reason =
      reasonTemplate === undefined ? undefined : this.#render(reasonTemplate, 'the close reason');
    const wanted = `the peer to close${code === undefined ? '' : ` with ${code}`}${reason === undefined ? '' : ` "${reason}"`}`;
    const outcome = await this.#waitFor(rc.conn, withinMs, () =>
      rc.conn.readyState === ReadyState.CLOSED ? true : undefined,
    );
    if (outcome === 'timeout') {
      throw new StepFailure(
        `expected ${wanted} within ${withinMs} ms; ${rc.name} is still ${rc.conn.readyState === ReadyState.OPEN ? 'open' : 'closing'}`,
        {
          expected: wanted,
        },
      );
    }
    this.#checkClose(rc, code, reason, wanted);
  }

  #checkClose(rc: RunConnection, code: number | undefined, reason: string | undefined, wanted: string): void {
    const info = rc.conn.info();
    if (
      (code !== undefined && info.closeCode !== code) ||
      (reason !== undefined && info.closeReason !== reason)
    ) {
      throw new StepFailure(`expected ${wanted}; it closed with ${closeText(rc.conn)}`, {
        expected: wanted,
        received: [closeText(rc.conn)],
      });
    }
  }

  #capture(step: CaptureStep): void {
    const rc = this.#known(step.connection);
    const msg = rc.lastMatched;
    if (!msg) {
      throw new StepFailure(
        `nothing to capture ${step.variable} from: no expect on ${rc.name} has matched a message yet`,
      );
    }
    const from = step.from;
    if ('json' in from) {
      if (!msg.isJson)
        throw new StepFailure(
          `cannot capture ${step.variable} with ${from.json}: the message is not JSON: ${describeView(msg)}`,
        );
      const found = JSONPath({ path: from.json, json: msg.json as JsonValue, wrap: true, eval: 'safe' }) as
        JsonValue[] | undefined;
      if (!found || found.length === 0) {
        throw new StepFailure(
          `${from.json} finds nothing in ${describeView(msg)}, so ${step.variable} was not captured`,
          {
            expected: from.json,
            received: [describeView(msg)],
          },
        );
      }
      this.#captured[step.variable] = found[0]!;
    } else {
      const match = new RegExp(from.regex, from.flags).exec(msg.text);
      const value =
        match === null
          ? undefined
          : typeof from.group === 'number'
            ? match[from.group]
            : match.groups?.[from.group];
      if (value === undefined) {
        throw new StepFailure(
          `/${from.regex}/${from.flags ?? ''} ${match === null ? 'does not match' : `has no group ${from.group} in`} ${describeView(msg)}, so ${step.variable} was not captured`,
          { expected: `/${from.regex}/`, received: [describeView(msg)] },
        );
      }
      this.#captured[step.variable] = value;
    }
  }

  async #ping(step: PingStep): Promise<void> {
    const rc = this.#open(step.connection, 'ping');
    const data = this.#render(step.data, 'the ping payload');
    const sent = rc.conn.ping({ type: 'text', text: data });
    if (!step.pong) return;
    const expected = bytesToHex(sent.payload);
    const pongs: string[] = [];
    let seen = sent.seq;
    const outcome = await this.#waitFor(rc.conn, step.withinMs, () => {
      for (const entry of rc.conn.log.read(Math.max(seen + 1, rc.conn.log.firstSeq), 1000)) {
        seen = entry.seq;
        if (entry.dir !== 'in' || entry.kind !== 'pong') continue;
        if (bytesToHex(entry.payload) === expected) return true;
        pongs.push(`a pong of ${entry.size} bytes (${bytesToHex(entry.payload.subarray(0, 16))})`);
      }
      return rc.conn.readyState === ReadyState.CLOSED ? ('closed' as const) : undefined;
    });
    if (outcome !== true) {
      throw new StepFailure(
        `expected a pong${data ? ` with "${preview(data)}"` : ''} on ${rc.name} within ${step.withinMs} ms; ${outcome === 'closed' ? `it closed (${closeText(rc.conn)})` : pongs.length ? pongs.join(', ') : 'none came'}`,
        { expected: 'pong', received: pongs },
      );
    }
  }

  async #close(step: CloseStep): Promise<void> {
    const rc = this.#open(step.connection, 'close');
    const reason = step.reason ? this.#render(step.reason, 'the close reason') : step.reason;
    rc.conn.close(step.code, step.code === undefined ? undefined : reason, 'wire');
    const outcome = await this.#waitFor(rc.conn, step.withinMs, () =>
      rc.conn.readyState === ReadyState.CLOSED ? true : undefined,
    );
    if (outcome === 'timeout') {
      throw new StepFailure(`${rc.name} did not finish the closing handshake within ${step.withinMs} ms`, {
        expected: 'the peer to answer the close',
      });
    }
    if (step.expect) {
      const expectReason =
        step.expect.reason === undefined ? undefined : this.#render(step.expect.reason, 'the close reason');
      this.#checkClose(
        rc,
        step.expect.code,
        expectReason,
        `the peer to answer the close${step.expect.code === undefined ? '' : ` with ${step.expect.code}`}${expectReason === undefined ? '' : ` "${expectReason}"`}`,
      );
    }
  }

  async #repeat(step: RepeatStep): Promise<void> {
    let items: JsonValue[];
    if ('times' in step.loop) items = Array.from({ length: step.loop.times }, (_, i) => i);
    else if ('over' in step.loop) items = step.loop.over;
    else {
      const name = step.loop.overVariable;
      const value = this.#lookup(name.split('.'));
      const list = typeof value === 'string' ? parseList(value) : value;
      if (!Array.isArray(list)) {
        throw new StepFailure(
          value === undefined
            ? `repeat over ${name}: no variable ${name} is set`
            : `repeat over ${name}: its value is not a list (${preview(JSON.stringify(value))})`,
        );
      }
      items = list;
    }
    const saved = this.#loopVars;
    try {
      for (let round = 0; round < items.length; round++) {
        this.#loopVars = {
          ...saved,
          [step.as]: items[round]!,
          ...('times' in step.loop ? {} : { index: round }),
        };
        this.#rounds.push(round);
        try {
          if (!(await this.#runSteps(step.steps))) {
            throw new StepFailure(`round ${round + 1} of ${items.length} failed`);
          }
        } finally {
          this.#rounds.pop();
        }
      }
    } finally {
      this.#loopVars = saved;
    }
  }

  // -------------------------------------------------------------------------
  // Helpers

  #known(name: string): RunConnection {
    const rc = this.#connections.get(name);
    if (!rc) throw new StepFailure(`${name} is not connected: no connect step for it has run yet`);
    return rc;
  }

  #open(name: string, what: string): RunConnection {
    const rc = this.#known(name);
    if (rc.conn.readyState !== ReadyState.OPEN) {
      throw new StepFailure(
        `cannot ${what} on ${name}: it is ${rc.conn.readyState === ReadyState.CLOSED ? `closed (${closeText(rc.conn)})` : 'not open'}`,
      );
    }
    return rc;
  }

  /** Received text and binary entries after `after`, oldest first. */
  *#newMessages(conn: ClientConnection, after: number): Generator<LogEntry> {
    const log = conn.log;
    let from = Math.max(after + 1, log.firstSeq);
    while (from <= log.lastSeq) {
      const entries = log.read(from, 500);
      if (entries.length === 0) return;
      for (const entry of entries) {
        if (entry.dir === 'in' && (entry.kind === 'text' || entry.kind === 'binary')) yield entry;
      }
      from = entries[entries.length - 1]!.seq + 1;
    }
  }

  /**
   * Calls `check` now and after each change of the connection (entries appended,
   * state) until it returns a value, or `ms` pass ('timeout'). A stop rejects.
   */
  #waitFor<T>(conn: ClientConnection, ms: number, check: () => T | undefined): Promise<T | 'timeout'> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.reject(new Stopped());
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      let scheduled = false;
      const done = (finish: () => void) => {
        clearTimeout(timer);
        conn.log.off('appended', onChange);
        conn.off('state', onChange);
        signal.removeEventListener('abort', onAbort);
        finish();
      };
      const run = () => {
        scheduled = false;
        try {
          const value = check();
          if (value !== undefined) done(() => resolve(value));
        } catch (err) {
          done(() => reject(err));
        }
      };
      // 'appended' comes at the first append of a task: look once the task's frames are all in.
      const onChange = () => {
        if (scheduled) return;
        scheduled = true;
        setImmediate(run);
      };
      const onAbort = () => done(() => reject(new Stopped()));
      const timer = setTimeout(() => {
        // A last look: something may have arrived in the same turn as the timer.
        const value = check();
        done(() => resolve(value === undefined ? 'timeout' : value));
      }, ms);
      conn.log.on('appended', onChange);
      conn.on('state', onChange);
      signal.addEventListener('abort', onAbort);
    });
  }

  #sleep(ms: number): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(new Stopped());
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Stopped());
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * What templates see: the flow's defaults, then the VariableSet (environment, --var),
   * captures, repeat variables and the mock, later ones winning.
   */
  #scope(): Record<string, unknown> {
    return {
      ...this.flow.vars,
      ...this.#variables.values,
      ...this.#captured,
      ...this.#loopVars,
      ...(this.#setup.mock ? { mock: this.#setup.mock } : {}),
    };
  }

  #render(source: string, where: string): string {
    return renderVariables(source, this.#variables, {
      engine: this.#engine,
      where,
      context: this.#scope() as TemplateContext,
    });
  }

  /** String leaves rendered; a string that is one `{{name}}` becomes that variable's value, with its type. */
  #renderJson(value: JsonValue, where: string): JsonValue {
    if (typeof value === 'string') {
      const only = /^\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}$/.exec(value);
      if (only && !HELPERS.has(only[1]!)) {
        const found = this.#lookup(only[1]!.split('.'));
        if (found !== undefined) return found;
      }
      return this.#render(value, where);
    }
    if (Array.isArray(value)) return value.map((item) => this.#renderJson(item, where));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#renderJson(v, where)]));
    }
    return value;
  }

  /** A variable's value as the templates would read it, or undefined. */
  #lookup(parts: string[]): JsonValue | undefined {
    let value: unknown = this.#scope();
    for (const part of parts) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value as JsonValue;
  }

  #redact(text: string): string {
    for (const secret of secretValues(this.#variables)) text = text.split(secret).join(REDACTED);
    return text;
  }

  #redactedCaptures(): Record<string, JsonValue> {
    const secrets = secretValues(this.#variables);
    if (secrets.length === 0) return { ...this.#captured };
    return JSON.parse(this.#redact(JSON.stringify(this.#captured))) as Record<string, JsonValue>;
  }

  #changed(): void {
    this.#setup.onChange?.(this.report);
  }
}

function viewOf(entry: LogEntry): MessageView {
  // entry.payload is a view into the log's memory: keep a copy.
  return messageView(entry.payload.slice(), entry.kind === 'binary' ? 'binary' : 'text');
}

function preview(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

/** A received message as a failure quotes it: text as written, binary as hex. */
export function describeView(msg: MessageView): string {
  if (msg.kind === 'text') return JSON.stringify(preview(msg.text));
  const hex = bytesToHex(msg.bytes.subarray(0, 32));
  return `binary ${msg.size} bytes ${hex}${msg.size > 32 ? '…' : ''}`;
}

function closeText(conn: ClientConnection): string {
  const info = conn.info();
  if (info.closeCode === undefined) return 'no close code yet';
  return `${info.closeCode}${info.closeReason ? ` "${info.closeReason}"` : ''}`;
}

/** A matcher in words: `json $.type equals "joined"`. */
export function describeMatcher(spec: MatcherSpec): string {
  const parts: string[] = [];
  if (spec.kind !== undefined) parts.push(`kind ${spec.kind}`);
  if (spec.text) {
    const t = spec.text;
    if (t.equals !== undefined) parts.push(`text equals ${JSON.stringify(t.equals)}`);
    if (t.contains !== undefined) parts.push(`text contains ${JSON.stringify(t.contains)}`);
    if (t.regex !== undefined) parts.push(`text /${t.regex}/${t.flags ?? ''}`);
  }
  if (spec.json) {
    const j = spec.json;
    if (j.equals !== undefined) parts.push(`json ${j.path} equals ${JSON.stringify(j.equals)}`);
    if (j.exists !== undefined) parts.push(`json ${j.path} ${j.exists ? 'exists' : 'does not exist'}`);
    if (j.regex !== undefined) parts.push(`json ${j.path} /${j.regex}/${j.flags ?? ''}`);
  }
  if (spec.binary) {
    if (spec.binary.prefixHex !== undefined) parts.push(`binary starting ${spec.binary.prefixHex}`);
    if (spec.binary.equalsHex !== undefined) parts.push(`binary ${spec.binary.equalsHex}`);
  }
  if (spec.all) parts.push(`all of (${spec.all.map(describeMatcher).join('; ')})`);
  if (spec.any) parts.push(`any of (${spec.any.map(describeMatcher).join('; ')})`);
  if (spec.not) parts.push(`not (${describeMatcher(spec.not)})`);
  return parts.join(' and ');
}

/** A `--var` value that holds a list: JSON (`["a","b"]`) or comma-separated (`a,b`). */
function parseList(text: string): JsonValue | undefined {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return undefined;
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((s) => s.trim());
}
