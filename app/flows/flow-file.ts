/**
 * The flow file: `flows/NAME.yaml` (or .json), a scripted WebSocket check of
 * steps (connect, send, expect, capture, wait, ping, close, repeat) over one or
 * more named connections. docs/flow-format.md documents it.
 *
 * parseFlowFile validates the text against the schema and turns it into a Flow:
 * one plain object per step with a `type`, its connection resolved, defaults
 * filled in, its templates' syntax and its matchers checked. Every problem is a
 * FlowFileError naming the file, line and field. Nothing here opens a socket:
 * the runner (flow-runner.ts) runs what parseFlowFile returns, and exporters
 * (k6, Artillery) read the same types.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCodes } from '../errors.js';
import { base64ToBytes, hexToBytes } from '../payload/codecs.js';
import { compileMatcher, MatcherError, type JsonValue, type MatcherSpec } from '../server/matchers.js';
import { MATCHER_KEYS, matcherFields } from '../server/mock-file.js';
import { TemplateEngine } from '../templates/template-engine.js';
import { TemplateError } from '../templates/template-error.js';
import { checkCloseArgs } from '../websocket-rules.js';
import { flowStepTypes, type FlowStepType } from './flow-report.js';
import {
  fieldName,
  parseYamlSource,
  SourceFileError,
  templateProblem,
  type SourcePlace,
} from '../workspace/yaml-source.js';

export const FLOW_FILE_VERSION = 1;
export const FLOW_FILE_ERROR_CODE = ErrorCodes.FLOW_FILE;
/** How long an expect waits for its message when neither the step nor the flow says. */
export const DEFAULT_EXPECT_MS = 5000;
/** How long `expect: { none }` watches when the step does not say. */
export const DEFAULT_NONE_MS = 1000;
/** The connection name of a connect step without `as`. */
export const DEFAULT_CONNECTION = 'main';

// ---------------------------------------------------------------------------
// The types a parsed flow is made of (stable: the runner and the exporters read them)

export interface FlowStepBase {
  /** Where the step is written, e.g. `steps[3]` or `steps[2].repeat.steps[0]`: its id within the flow. */
  id: string;
  /** 1-based line of the step in the file. */
  line: number | undefined;
  /** The step's `name`, when it has one. */
  label: string | undefined;
}

export interface ConnectStep extends FlowStepBase {
  type: 'connect';
  /** The name later steps use in `on`. */
  connection: string;
  /** A saved connection of the workspace, by name: its options are the base, the fields below override. */
  saved: string | undefined;
  /** Template. Required unless `saved` is given. */
  url: string | undefined;
  /** Header values are templates. */
  headers: Record<string, string>;
  /** Subprotocols offered; each a template. */
  protocols: string[];
  /** Template. */
  origin: string | undefined;
  /** Accept a self-signed or untrusted certificate. */
  insecure: boolean | undefined;
  /** How long the handshake may take. */
  withinMs: number;
  /** What the handshake must give: by default status 101 (open). A non-101 status expects a rejection. */
  expect: { status: number; protocol: string | undefined };
}

/** What a send step puts on the wire, as written: strings are templates (unless `template: false`). */
export type FlowPayload =
  | { kind: 'text'; text: string }
  /** Sent as text: the JSON value rendered, then JSON.stringify'd. */
  | { kind: 'json'; json: JsonValue }
  | { kind: 'hex'; hex: string }
  | { kind: 'base64'; base64: string };

export interface SendStep extends FlowStepBase {
  type: 'send';
  connection: string;
  payload: FlowPayload;
  /** False: the payload is sent exactly as written, `{{` and all. */
  template: boolean;
}

interface ExpectBase extends FlowStepBase {
  type: 'expect';
  connection: string;
  withinMs: number;
}

/** A message arrives within `withinMs` that matches; string leaves of `match` are templates. */
export interface ExpectMessageStep extends ExpectBase {
  kind: 'message';
  match: MatcherSpec;
  /** True: the next message must match. False (default): messages that do not match are passed over. */
  strict: boolean;
}

/** No message arrives within `withinMs` (with `match`: no message that matches). */
export interface ExpectNoneStep extends ExpectBase {
  kind: 'none';
  match: MatcherSpec | undefined;
}

/** The peer closes the connection within `withinMs`, with this code and reason when given. */
export interface ExpectCloseStep extends ExpectBase {
  kind: 'close';
  code: number | undefined;
  reason: string | undefined;
}

export type ExpectStep = ExpectMessageStep | ExpectNoneStep | ExpectCloseStep;

/** Where a capture reads its value: the message the latest expect on the connection matched. */
export type CaptureSource =
  { json: string } | { regex: string; flags: string | undefined; group: number | string };

export interface CaptureStep extends FlowStepBase {
  type: 'capture';
  connection: string;
  /** The variable it sets (later steps read `{{name}}`). */
  variable: string;
  from: CaptureSource;
}

export interface WaitStep extends FlowStepBase {
  type: 'wait';
  ms: number;
}

export interface PingStep extends FlowStepBase {
  type: 'ping';
  connection: string;
  /** Ping payload, a template (at most 125 bytes once rendered). */
  data: string;
  /** Wait for the pong with the same payload (default true). */
  pong: boolean;
  withinMs: number;
}

export interface CloseStep extends FlowStepBase {
  type: 'close';
  connection: string;
  /** Undefined: a close frame without a code (the peer sees 1005). */
  code: number | undefined;
  reason: string;
  /** What the peer's answering close frame must carry (absent: any). */
  expect: { code: number | undefined; reason: string | undefined } | undefined;
  /** How long the closing handshake may take. */
  withinMs: number;
}

export interface RepeatStep extends FlowStepBase {
  type: 'repeat';
  /** `times: N`, or `over` a list written in the file, or over the list a variable holds. */
  loop: { times: number } | { over: JsonValue[] } | { overVariable: string };
  /** The variable each round sets: the item (`over`) or the round's number from 0 (`times`). */
  as: string;
  steps: FlowStep[];
}

export type FlowStep =
  ConnectStep | SendStep | ExpectStep | CaptureStep | WaitStep | PingStep | CloseStep | RepeatStep;
export type { FlowStepType };
/** Every step type has its verb in flowStepTypes, and every verb its step type. */
export const everyStepTypeListed: [FlowStep['type']] extends [FlowStepType]
  ? [FlowStepType] extends [FlowStep['type']]
    ? true
    : never
  : never = true;

export interface Flow {
  version: number;
  /** The file it was read from, as given. */
  file: string;
  name: string | undefined;
  description: string | undefined;
  /** The environment used when the run names none (`--env` wins). */
  env: string | undefined;
  /** A mock file started for the run (relative to the flow file), unless the run brings its own. */
  mock: string | undefined;
  /** Default variables; an environment and `--var` override them. */
  vars: Record<string, JsonValue>;
  /** Default `within` of expects, ms. */
  timeoutMs: number;
  /** The connection names the flow uses, in order of their first connect step. */
  connections: string[];
  steps: FlowStep[];
}

// ---------------------------------------------------------------------------
// Schema (the file as written)

const jsonValue: z.ZodType<JsonValue> = z.json();
const ms = (max = 3_600_000) => z.int().min(0).max(max);
const connectionName = z
  .string()
  .regex(/^[A-Za-z_][\w-]*$/, 'a connection name is a word: letters, digits, _ and -, e.g. alice');
const variableName = z
  .string()
  .regex(/^[A-Za-z_]\w*$/, 'a variable name is letters, digits and _, not starting with a digit');

/** `ping:` and `close:` with nothing after them (YAML null) mean the defaults. */
const orEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === null ? {} : v), schema);

const connectSchema = z.strictObject({
  as: connectionName.optional(),
  saved: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  protocols: z.array(z.string().min(1)).optional(),
  origin: z.string().optional(),
  insecure: z.boolean().optional(),
  within: ms().optional(),
  expect: z
    .strictObject({ status: z.int().min(100).max(599).optional(), protocol: z.string().optional() })
    .optional(),
});

const sendSchema = z.union(
  [
    z.string(),
    z.strictObject({
      on: connectionName.optional(),
      text: z.string().optional(),
      json: jsonValue.optional(),
      hex: z.string().optional(),
      base64: z.string().optional(),
      template: z.boolean().optional(),
    }),
  ],
  { error: 'send is a text, or { text | json | hex | base64, on }' },
);

const expectSchema = z.strictObject({
  on: connectionName.optional(),
  within: ms().optional(),
  strict: z.boolean().optional(),
  none: z.literal(true).optional(),
  close: orEmpty(z.strictObject({ code: z.int().optional(), reason: z.string().optional() })).optional(),
  ...matcherFields,
});

const captureSchema = z.strictObject({
  on: connectionName.optional(),
  as: variableName,
  json: z.string().optional(),
  regex: z.string().optional(),
  flags: z.string().optional(),
  group: z.union([z.int().min(0), z.string().min(1)]).optional(),
});

const pingSchema = orEmpty(
  z.strictObject({
    on: connectionName.optional(),
    data: z.string().optional(),
    pong: z.boolean().optional(),
    within: ms().optional(),
  }),
);

const closeSchema = orEmpty(
  z.strictObject({
    on: connectionName.optional(),
    code: z.int().optional(),
    reason: z.string().optional(),
    expect: z.strictObject({ code: z.int().optional(), reason: z.string().optional() }).optional(),
    within: ms().optional(),
  }),
);

const STEP_VERBS = flowStepTypes;

interface RawStep {
  name?: string;
  connect?: z.output<typeof connectSchema>;
  send?: z.output<typeof sendSchema>;
  expect?: z.output<typeof expectSchema>;
  capture?: z.output<typeof captureSchema>;
  wait?: number;
  ping?: z.output<typeof pingSchema>;
  close?: z.output<typeof closeSchema>;
  repeat?: { times?: number; over?: JsonValue[] | string; as?: string; steps: RawStep[] };
}

const stepSchema: z.ZodType<RawStep> = z.lazy(() =>
  z
    .strictObject({
      name: z.string().optional(),
      connect: connectSchema.optional(),
      send: sendSchema.optional(),
      expect: expectSchema.optional(),
      capture: captureSchema.optional(),
      wait: ms().optional(),
      ping: pingSchema.optional(),
      close: closeSchema.optional(),
      repeat: z
        .strictObject({
          times: z.int().min(0).max(1_000_000).optional(),
          over: z.union([z.array(jsonValue), variableName]).optional(),
          as: variableName.optional(),
          steps: z.array(stepSchema).min(1, 'a repeat needs at least one step'),
        })
        .optional(),
    })
    .superRefine((step, ctx) => {
      const verbs = STEP_VERBS.filter((verb) => (step as Record<string, unknown>)[verb] !== undefined);
      if (verbs.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message:
            verbs.length === 0
              ? `a step needs one of ${STEP_VERBS.join(', ')}`
              : `one step does one thing; found ${verbs.join(' and ')}: make them separate list items`,
        });
      }
    }),
);

export const flowFileSchema = z.strictObject({
  version: z.literal(FLOW_FILE_VERSION).default(FLOW_FILE_VERSION),
  name: z.string().optional(),
  description: z.string().optional(),
  env: z.string().min(1).optional(),
  mock: z.string().min(1).optional(),
  vars: z.record(variableName, jsonValue).optional(),
  timeout: ms().optional(),
  steps: z.array(stepSchema).min(1, 'a flow needs at least one step'),
});

/** A flow file as validated, before its steps are resolved into a Flow. */
export type FlowFile = z.output<typeof flowFileSchema>;

// ---------------------------------------------------------------------------
// Errors

export class FlowFileError extends SourceFileError {
  declare readonly code: typeof FLOW_FILE_ERROR_CODE;

  constructor(file: string, where: { line?: number; column?: number; field: string }, problem: string) {
    super(FLOW_FILE_ERROR_CODE, file, where, problem);
    this.name = 'FlowFileError';
  }
}

// ---------------------------------------------------------------------------
// Parsing

export interface ParsedFlow {
  flow: Flow;
  /** Points a field path at its place in the text, for errors found while running. */
  locate: (path: readonly PropertyKey[]) => SourcePlace;
}

/** Parses YAML or JSON text and resolves it into a Flow; `file` names it in errors. */
export function parseFlowFile(text: string, file: string, engine = new TemplateEngine()): ParsedFlow {
  const { value, locate } = parseYamlSource(
    text,
    flowFileSchema,
    (where, problem) => new FlowFileError(file, where, problem),
  );
  return { flow: resolveFlow(value, file, locate, engine), locate };
}

/** Reads and parses a flow file; a read failure is a FlowFileError naming the file. */
export async function loadFlowFile(file: string, engine?: TemplateEngine): Promise<ParsedFlow> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new FlowFileError(file, { field: '' }, `cannot read the file: ${(err as Error).message}`);
  }
  return parseFlowFile(text, file, engine);
}

/** Every step of a flow, repeats' bodies included, in file order. */
export function* allSteps(steps: readonly FlowStep[]): Generator<FlowStep> {
  for (const step of steps) {
    yield step;
    if (step.type === 'repeat') yield* allSteps(step.steps);
  }
}

/** The step with this id (`steps[2].repeat.steps[0]`), or undefined. */
export function findStep(flow: Flow, id: string): FlowStep | undefined {
  for (const step of allSteps(flow.steps)) if (step.id === id) return step;
  return undefined;
}

function resolveFlow(
  file: FlowFile,
  fileName: string,
  locate: (path: readonly PropertyKey[]) => SourcePlace,
  engine: TemplateEngine,
): Flow {
  const fail = (path: PropertyKey[], problem: string): never => {
    throw new FlowFileError(fileName, { ...locate(path), field: fieldName(path) }, problem);
  };
  const checkTemplate = (source: string, path: PropertyKey[]): void => {
    if (TemplateEngine.isPlainText(source)) return;
    try {
      engine.compile(source);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      fail(path, templateProblem(err));
    }
  };
  /** Every string leaf of a value is a template. */
  const checkTemplates = (value: unknown, path: PropertyKey[]): void => {
    if (typeof value === 'string') checkTemplate(value, path);
    else if (Array.isArray(value)) value.forEach((item, i) => checkTemplates(item, [...path, i]));
    else if (value !== null && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) checkTemplates(v, [...path, k]);
  };
  const checkMatcher = (spec: MatcherSpec, path: PropertyKey[]): void => {
    checkTemplates(spec, path);
    // A matcher with templates is compiled when its step runs, once its values are known.
    if (hasTemplate(spec)) return;
    try {
      compileMatcher(spec);
    } catch (err) {
      if (!(err instanceof MatcherError)) throw err;
      fail([...path, ...err.path], err.message);
    }
  };
  const checkRegex = (source: string, flags: string | undefined, path: PropertyKey[]): void => {
    if (flags !== undefined && /[gy]/.test(flags)) fail([...path, 'flags'], 'flags g and y are not allowed');
    try {
      new RegExp(source, flags);
    } catch (err) {
      fail(
        [...path, flags !== undefined && /flag/i.test((err as Error).message) ? 'flags' : 'regex'],
        (err as Error).message,
      );
    }
  };

  // Connection names first: a step may only name a connection some connect step opens.
  const connections: string[] = [];
  const collect = (steps: RawStep[]): void => {
    for (const step of steps) {
      if (step.connect) {
        const name = step.connect.as ?? DEFAULT_CONNECTION;
        if (!connections.includes(name)) connections.push(name);
      }
      if (step.repeat) collect(step.repeat.steps);
    }
  };
  collect(file.steps);

  const connectionOf = (on: string | undefined, path: PropertyKey[]): string => {
    if (on !== undefined) {
      if (!connections.includes(on)) {
        fail(
          [...path, 'on'],
          connections.length === 0
            ? `no connect step opens "${on}": add a connect step with as: ${on}`
            : `no connect step opens "${on}"; the flow's connections are ${connections.join(', ')}`,
        );
      }
      return on;
    }
    if (connections.length === 1) return connections[0]!;
    if (connections.length === 0) return fail(path, 'no connect step comes before this: add one first');
    return fail(path, `the flow has several connections (${connections.join(', ')}): say which with on`);
  };
  const timeoutMs = file.timeout ?? DEFAULT_EXPECT_MS;

  const resolveStep = (raw: RawStep, path: PropertyKey[]): FlowStep => {
    const base: FlowStepBase = { id: fieldName(path), line: locate(path).line, label: raw.name };
    if (raw.connect) {
      const c = raw.connect;
      const at = [...path, 'connect'];
      if (c.url === undefined && c.saved === undefined)
        fail(
          at,
          'a connect step needs url (e.g. ws://127.0.0.1:8080/) or saved (a saved connection by name)',
        );
      if (c.url !== undefined) checkTemplate(c.url, [...at, 'url']);
      checkTemplates(c.headers ?? {}, [...at, 'headers']);
      checkTemplates(c.protocols ?? [], [...at, 'protocols']);
      if (c.origin !== undefined) checkTemplate(c.origin, [...at, 'origin']);
      return {
        ...base,
        type: 'connect',
        connection: c.as ?? DEFAULT_CONNECTION,
        saved: c.saved,
        url: c.url,
        headers: c.headers ?? {},
        protocols: c.protocols ?? [],
        origin: c.origin,
        insecure: c.insecure,
        withinMs: c.within ?? 10_000,
        expect: { status: c.expect?.status ?? 101, protocol: c.expect?.protocol },
      };
    }
    if (raw.send !== undefined) {
      const at = [...path, 'send'];
      const s = typeof raw.send === 'string' ? { text: raw.send } : raw.send;
      const given = (['text', 'json', 'hex', 'base64'] as const).filter((k) => s[k] !== undefined);
      if (given.length !== 1) {
        fail(
          at,
          given.length === 0
            ? 'send needs one of text, json, hex, base64'
            : `send one payload at a time; found ${given.join(' and ')}`,
        );
      }
      const key = given[0]!;
      const template = s.template ?? true;
      if (template) checkTemplates(s[key], [...at, key]);
      if (
        (key === 'hex' || key === 'base64') &&
        (!template || TemplateEngine.isPlainText(s[key] as string))
      ) {
        try {
          (key === 'hex' ? hexToBytes : base64ToBytes)(s[key] as string);
        } catch (err) {
          fail([...at, key], (err as Error).message);
        }
      }
      const payload: FlowPayload =
        key === 'text'
          ? { kind: 'text', text: s.text! }
          : key === 'json'
            ? { kind: 'json', json: s.json! }
            : key === 'hex'
              ? { kind: 'hex', hex: s.hex! }
              : { kind: 'base64', base64: s.base64! };
      return {
        ...base,
        type: 'send',
        connection: connectionOf(typeof raw.send === 'string' ? undefined : raw.send.on, at),
        payload,
        template,
      };
    }
    if (raw.expect) {
      const e = raw.expect;
      const at = [...path, 'expect'];
      const connection = connectionOf(e.on, at);
      const matcherKeys = MATCHER_KEYS.filter((k) => e[k] !== undefined);
      const match = matcherKeys.length
        ? (Object.fromEntries(matcherKeys.map((k) => [k, e[k]])) as MatcherSpec)
        : undefined;
      if (match) checkMatcher(match, at);
      if (e.close !== undefined) {
        if (match || e.none || e.strict !== undefined)
          fail(
            at,
            'expect close stands alone: a close is not a message, so it takes no matcher, none or strict',
          );
        if (e.close.reason !== undefined) checkTemplate(e.close.reason, [...at, 'close', 'reason']);
        return {
          ...base,
          type: 'expect',
          kind: 'close',
          connection,
          withinMs: e.within ?? timeoutMs,
          code: e.close.code,
          reason: e.close.reason,
        };
      }
      if (e.none) {
        if (e.strict !== undefined) fail([...at, 'strict'], 'strict does not apply to none');
        return {
          ...base,
          type: 'expect',
          kind: 'none',
          connection,
          withinMs: e.within ?? DEFAULT_NONE_MS,
          match,
        };
      }
      if (!match) {
        fail(
          at,
          `expect needs a matcher (${MATCHER_KEYS.join(', ')}), none: true, or close; e.g. expect: { text: { equals: pong } }`,
        );
      }
      return {
        ...base,
        type: 'expect',
        kind: 'message',
        connection,
        withinMs: e.within ?? timeoutMs,
        match: match!,
        strict: e.strict ?? false,
      };
    }
    if (raw.capture) {
      const c = raw.capture;
      const at = [...path, 'capture'];
      if ((c.json === undefined) === (c.regex === undefined))
        fail(at, 'capture reads with either json (a JSON path, e.g. "$.id") or regex (with a group)');
      let from: CaptureSource;
      if (c.json !== undefined) {
        if (!c.json.startsWith('$')) fail([...at, 'json'], 'a JSON path starts at $, e.g. "$.id"');
        if (c.flags !== undefined || c.group !== undefined)
          fail(at, 'flags and group go with regex, not json');
        from = { json: c.json };
      } else {
        checkRegex(c.regex!, c.flags, at);
        from = { regex: c.regex!, flags: c.flags, group: c.group ?? (groupCount(c.regex!) > 0 ? 1 : 0) };
      }
      return { ...base, type: 'capture', connection: connectionOf(c.on, at), variable: c.as, from };
    }
    if (raw.wait !== undefined) return { ...base, type: 'wait', ms: raw.wait };
    if (raw.ping) {
      const p = raw.ping;
      const at = [...path, 'ping'];
      if (p.data !== undefined) checkTemplate(p.data, [...at, 'data']);
      return {
        ...base,
        type: 'ping',
        connection: connectionOf(p.on, at),
        data: p.data ?? '',
        pong: p.pong ?? true,
        withinMs: p.within ?? timeoutMs,
      };
    }
    if (raw.close) {
      const c = raw.close;
      const at = [...path, 'close'];
      // A flow tests servers: any code valid on the wire, not only the browser's.
      const bad = checkCloseArgs(c.code, c.reason, 'wire');
      if (bad) fail([...at, /reason/i.test(bad.message) ? 'reason' : 'code'], bad.message);
      if (c.expect?.reason !== undefined) checkTemplate(c.expect.reason, [...at, 'expect', 'reason']);
      return {
        ...base,
        type: 'close',
        connection: connectionOf(c.on, at),
        code: c.code ?? (c.reason !== undefined ? 1000 : undefined),
        reason: c.reason ?? '',
        expect: c.expect && { code: c.expect.code, reason: c.expect.reason },
        withinMs: c.within ?? timeoutMs,
      };
    }
    const r = raw.repeat!;
    const at = [...path, 'repeat'];
    if ((r.times === undefined) === (r.over === undefined))
      fail(
        at,
        'repeat takes either times (a number) or over (a list, or the name of a variable holding one)',
      );
    const loop: RepeatStep['loop'] =
      r.times !== undefined
        ? { times: r.times }
        : typeof r.over === 'string'
          ? { overVariable: r.over }
          : { over: r.over! };
    return {
      ...base,
      type: 'repeat',
      loop,
      as: r.as ?? (r.times !== undefined ? 'index' : 'item'),
      steps: r.steps.map((step, i) => resolveStep(step, [...at, 'steps', i])),
    };
  };

  return {
    version: file.version,
    file: fileName,
    name: file.name,
    description: file.description,
    env: file.env,
    mock: file.mock,
    vars: file.vars ?? {},
    timeoutMs,
    connections,
    steps: file.steps.map((step, i) => resolveStep(step, ['steps', i])),
  };
}

function hasTemplate(value: unknown): boolean {
  if (typeof value === 'string') return !TemplateEngine.isPlainText(value);
  if (Array.isArray(value)) return value.some(hasTemplate);
  if (value !== null && typeof value === 'object') return Object.values(value).some(hasTemplate);
  return false;
}

/** How many capturing groups a (valid) regex has: an empty alternative matches "", with every group unset. */
function groupCount(source: string): number {
  return new RegExp(`${source}|`).exec('')!.length - 1;
}
