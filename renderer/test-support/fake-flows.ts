/**
 * The flow commands of the fake contract (fake-api.ts): flow files held in
 * memory, read line by line (the renderer cannot load the engine's YAML parser:
 * the fake knows one step per `  - verb: …` line, `connect: { url: "…" }`,
 * `send: TEXT` and `expect: { text: { equals: TEXT } }`; a file without
 * `steps:` is refused as the engine refuses it, with file, line and field),
 * and a small runner over the fake's echo connections (other steps pass as
 * they are). Runs publish flow.progress.
 */
import type {
  FlowOutlineStep,
  FlowRunReport,
  FlowStepResult,
  FlowSummary,
  Result,
} from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { flowPathOf } from '../../app/vocabulary.js';

/** A step as the fake reads it from its line. */
interface FakeStep extends FlowOutlineStep {
  url?: string;
  text?: string;
  equals?: string;
  withinMs: number;
}
interface Flow {
  steps: FakeStep[];
  connections: string[];
}

const unquote = (v: string): string => v.trim().replace(/^"(.*)"$/, '$1');

/** The fake's reading of a flow file: an ErrorInfo like the engine's FLOW_FILE error, or its steps. */
function parse(name: string, text: string): Flow {
  const file = flowPathOf(name);
  if (!/^steps:/m.test(text)) {
    throw Object.assign(new Error(`${file}:1:1: steps: is required (array)`), {
      info: {
        code: ErrorCodes.FLOW_FILE,
        message: `${file}:1:1: steps: is required (array)`,
        details: { file, line: 1, column: 1, field: 'steps' },
      } satisfies ErrorInfo,
    });
  }
  const steps: FakeStep[] = [];
  text.split('\n').forEach((line, i) => {
    const m = /^ {2}- (\w+):\s*(.*)$/.exec(line);
    if (!m) return;
    const [, type, rest] = m as unknown as [string, FakeStep['type'], string];
    const step: FakeStep = {
      id: `steps[${steps.length}]`,
      type,
      title: `${type} ${unquote(rest)}`.trim(),
      line: i + 1,
      depth: 0,
      connection: type === 'wait' ? undefined : 'main',
      withinMs: Number(/within: (\d+)/.exec(rest)?.[1] ?? 5000),
    };
    if (type === 'connect') step.url = /url: "([^"]*)"/.exec(rest)?.[1] ?? '';
    if (type === 'send') step.text = unquote(rest);
    if (type === 'expect') step.equals = /equals: "?([^",}]*)"?/.exec(rest)?.[1]?.trim();
    steps.push(step);
  });
  return { steps, connections: steps.some((s) => s.connection) ? ['main'] : [] };
}

const infoOf = (err: unknown): ErrorInfo =>
  (err as { info?: ErrorInfo }).info ?? { code: ErrorCodes.INTERNAL, message: String(err) };

export interface FakeFlowDeps {
  record: (name: string) => (input: unknown) => void;
  emit: (name: 'flow.progress', payload: { runId: string; report: FlowRunReport }) => void;
  ok: <T>(value: T) => Promise<Result<T>>;
  fail: <T>(code: ErrorInfo['code'], message: string) => Promise<Result<T>>;
  /** Opens a fake echo connection; its id. */
  open: (url: string) => Promise<string>;
  /** Sends text; false when the connection is not open. */
  send: (connectionId: string, text: string) => Promise<boolean>;
  /** Received texts of a connection, oldest first, and whether it opened (false: refused). */
  received: (connectionId: string) => { texts: string[]; open: boolean | undefined };
}

interface FakeRun {
  report: FlowRunReport;
  flow: Flow;
  conns: Map<string, { id: string; taken: number }>;
  open: boolean;
}

export function createFakeFlows(deps: FakeFlowDeps) {
  const files = new Map<string, { text: string; modifiedAt: string }>();
  const runs = new Map<string, FakeRun>();
  let nextRun = 1;
  const summary = (name: string): FlowSummary => {
    const f = files.get(name)!;
    const s: FlowSummary = { name, path: flowPathOf(name), size: f.text.length, modifiedAt: f.modifiedAt };
    try {
      s.steps = parse(name, f.text).steps.length;
    } catch (err) {
      s.error = infoOf(err);
    }
    return s;
  };
  const copy = (r: FlowRunReport): FlowRunReport => ({ ...r, steps: r.steps.map((s) => ({ ...s })) });
  const publish = (run: FakeRun) =>
    deps.emit('flow.progress', { runId: run.report.runId, report: copy(run.report) });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function execute(run: FakeRun, step: FakeStep): Promise<string | undefined> {
    if (step.type === 'connect') {
      const id = await deps.open(step.url ?? '');
      run.conns.set('main', { id, taken: 0 });
      const c = run.report.connections.find((x) => x.name === 'main');
      if (c) Object.assign(c, { connectionId: id, url: step.url });
      for (let i = 0; i < 50 && deps.received(id).open === undefined; i++) await wait(5);
      return deps.received(id).open ? undefined : 'could not connect main: the server answered 401';
    }
    const c = run.conns.get('main');
    if (step.type === 'send') {
      return c && (await deps.send(c.id, step.text ?? ''))
        ? undefined
        : 'cannot send on main: it is not open';
    }
    if (step.type === 'expect' && step.equals !== undefined && c) {
      const deadline = Date.now() + step.withinMs;
      const passed: string[] = [];
      for (;;) {
        const texts = deps.received(c.id).texts;
        while (c.taken < texts.length) {
          const t = texts[c.taken++]!;
          if (t === step.equals) return undefined;
          passed.push(JSON.stringify(t));
        }
        if (Date.now() > deadline)
          return `expected a message matching text equals ${JSON.stringify(step.equals)} on main; none within ${step.withinMs} ms; ${passed.length === 0 ? 'nothing else arrived' : `${passed.length} arrived that did not match: ${passed.join(', ')}`}`;
        await wait(5);
      }
    }
    return undefined;
  }

  async function runSteps(run: FakeRun, steps: readonly FakeStep[], rerun = false): Promise<boolean> {
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const result: FlowStepResult = {
        stepId: step.id,
        type: step.type,
        title: step.title,
        connection: step.connection,
        rounds: [],
        status: 'running',
        startedAt: Date.now(),
        durationMs: 0,
        ...(rerun ? { rerun: true } : {}),
      };
      run.report.steps.push(result);
      publish(run);
      const problem = await execute(run, step);
      result.durationMs = Date.now() - result.startedAt;
      result.status = problem ? 'failed' : 'passed';
      if (problem) result.message = problem;
      run.report[problem ? 'failed' : 'passed']++;
      publish(run);
      if (problem) {
        for (const rest of steps.slice(i + 1)) {
          run.report.steps.push({
            ...result,
            stepId: rest.id,
            type: rest.type,
            title: rest.title,
            status: 'skipped',
            durationMs: 0,
            message: undefined,
          } as FlowStepResult);
          run.report.skipped++;
        }
        return false;
      }
    }
    return true;
  }

  const commands = {
    list: async () => deps.ok([...files.keys()].sort().map(summary)),
    read: async (input: { name: string }) => {
      const f = files.get(input.name);
      if (!f) return deps.fail(ErrorCodes.NOT_FOUND, `No flow named "${input.name}".`);
      try {
        return deps.ok({
          name: input.name,
          path: flowPathOf(input.name),
          text: f.text,
          steps: parse(input.name, f.text).steps.map(({ id, type, title, line, depth, connection }) => ({
            id,
            type,
            title,
            line,
            depth,
            connection,
          })),
        });
      } catch (err) {
        return deps.ok({
          name: input.name,
          path: flowPathOf(input.name),
          text: f.text,
          steps: [],
          error: infoOf(err),
        });
      }
    },
    save: async (input: { name: string; text: string }) => {
      deps.record('flow.save')(input);
      try {
        parse(input.name, input.text);
      } catch (err) {
        return { ok: false as const, error: infoOf(err) };
      }
      files.set(input.name, { text: input.text, modifiedAt: new Date().toISOString() });
      return deps.ok(summary(input.name));
    },
    delete: async (input: { name: string }) => {
      if (!files.delete(input.name)) return deps.fail(ErrorCodes.NOT_FOUND, `No flow named "${input.name}".`);
      return deps.ok({ deleted: true });
    },
    run: async (input: { name: string; keepOpen?: boolean }) => {
      deps.record('flow.run')(input);
      const f = files.get(input.name);
      if (!f) return deps.fail<FlowRunReport>(ErrorCodes.NOT_FOUND, `No flow named "${input.name}".`);
      const flow = parse(input.name, f.text);
      const runId = `flow-${nextRun++}`;
      const run: FakeRun = {
        flow,
        conns: new Map(),
        open: input.keepOpen ?? false,
        report: {
          runId,
          flow: input.name,
          file: flowPathOf(input.name),
          status: 'running',
          startedAt: Date.now(),
          durationMs: 0,
          passed: 0,
          failed: 0,
          skipped: 0,
          steps: [],
          connections: flow.connections.map((name) => ({ name })),
          captured: {},
        },
      };
      runs.set(runId, run);
      void runSteps(run, flow.steps).then((ok) => {
        run.report.status = ok ? 'passed' : 'failed';
        run.report.durationMs = Date.now() - run.report.startedAt;
        if (run.open) run.report.open = true;
        publish(run);
      });
      return deps.ok(copy(run.report));
    },
    status: async (input: { runId: string }) => {
      const run = runs.get(input.runId);
      return run
        ? deps.ok(copy(run.report))
        : deps.fail<FlowRunReport>(ErrorCodes.NOT_FOUND, `No flow run "${input.runId}".`);
    },
    stop: async (input: { runId: string }) => {
      const run = runs.get(input.runId);
      if (!run) return deps.fail<FlowRunReport>(ErrorCodes.NOT_FOUND, `No flow run "${input.runId}".`);
      run.open = false;
      delete run.report.open;
      publish(run);
      return deps.ok(copy(run.report));
    },
    rerunStep: async (input: { runId: string; stepId: string }) => {
      deps.record('flow.rerunStep')(input);
      const run = runs.get(input.runId);
      if (!run) return deps.fail<FlowRunReport>(ErrorCodes.NOT_FOUND, `No flow run "${input.runId}".`);
      if (!run.open)
        return deps.fail<FlowRunReport>(
          ErrorCodes.INVALID_STATE,
          `Run ${input.runId} has ended and closed its connections.`,
        );
      const step = run.flow.steps.find((s) => s.id === input.stepId);
      if (!step)
        return deps.fail<FlowRunReport>(ErrorCodes.NOT_FOUND, `The flow has no step ${input.stepId}.`);
      await runSteps(run, [step], true);
      return deps.ok(copy(run.report));
    },
    fromSession: async () =>
      deps.fail<FlowSummary & { sends: number; expects: number }>(
        ErrorCodes.INTERNAL,
        'The fake does not make flows from sessions.',
      ),
  };
  return {
    commands,
    add: (name: string, text: string) => files.set(name, { text, modifiedAt: new Date().toISOString() }),
  };
}
