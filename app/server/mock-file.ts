/**
 * The mock file: `mocks/NAME.yaml` (or .json), its schema, and its compiled form.
 *
 * parseMockFile validates the text against the schema; compileMock turns the
 * definition into matchers, templates and route patterns, compiled once. Both
 * report a MockFileError naming the file, line and field (docs/mock-format.md).
 * Nothing here opens a socket: the mock server runs what compileMock returns.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ErrorCodes } from '../errors.js';
import { base64ToBytes, hexToBytes, utf8Encode } from '../payload/codecs.js';
import type { MessageView } from '../payload/message-view.js';
import { TemplateEngine, type Template, type TemplateContext } from '../templates/template-engine.js';
import { TemplateError } from '../templates/template-error.js';
import { checkCloseArgs } from '../websocket-rules.js';
import {
  fieldName,
  parseYamlSource,
  SourceFileError,
  templateProblem,
  type SourcePlace,
} from '../workspace/yaml-source.js';
import { compileMatcher, MatcherError, type JsonValue, type Matcher, type MatcherSpec } from './matchers.js';
import type { TlsSource } from './mock-tls.js';
import { compileRoutePath, type RouteParams } from './route-path.js';

export const MOCK_FILE_VERSION = 1;
export const MOCK_FILE_ERROR_CODE = ErrorCodes.MOCK_FILE;

// ---------------------------------------------------------------------------
// Schema

const jsonValue: z.ZodType<JsonValue> = z.json();

/** The keys of a matcher (a rule's `when`, a flow's `expect`), for schemas that add keys of their own. */
export const matcherFields = {
  text: z
    .strictObject({ equals: z.string(), contains: z.string(), regex: z.string(), flags: z.string() })
    .partial()
    .optional(),
  json: z
    .strictObject({
      path: z.string(),
      equals: jsonValue.optional(),
      exists: z.boolean().optional(),
      regex: z.string().optional(),
      flags: z.string().optional(),
    })
    .optional(),
  binary: z
    .strictObject({ prefixHex: hexText('prefixHex'), equalsHex: hexText('equalsHex') })
    .partial()
    .optional(),
  kind: z.enum(['text', 'binary']).optional(),
  get all() {
    return z.array(matcherSchema).optional();
  },
  get any() {
    return z.array(matcherSchema).optional();
  },
  get not() {
    return matcherSchema.optional();
  },
};
export const MATCHER_KEYS = ['text', 'json', 'binary', 'kind', 'all', 'any', 'not'] as const;

export const matcherSchema: z.ZodType<MatcherSpec> = z.lazy(() => z.strictObject(matcherFields));

/** Hex written as a YAML number (`0010`) would arrive as 10: ask for quotes instead of guessing. */
function hexText(field: string) {
  return z.string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `${field} must be a quoted string: YAML reads unquoted digits as a number; write ${field}: "${issue.input}"`
        : `${field} must be a string of hex digits, e.g. "00ff"`,
  });
}

const ACTION_VERBS = [
  'send',
  'sendJson',
  'sendHex',
  'sendBase64',
  'sendFile',
  'echo',
  'broadcast',
  'delay',
  'close',
  'terminate',
  'drop',
  'answerPings',
  'responses',
] as const;
type ActionVerb = (typeof ACTION_VERBS)[number];

/** Which modifiers each verb takes; any other key next to a verb is an error. */
const MODIFIERS: Record<string, readonly ActionVerb[]> = {
  fragments: ['send', 'sendJson', 'sendHex', 'sendBase64', 'sendFile', 'echo'],
  template: ['send', 'sendJson', 'sendHex', 'sendBase64', 'broadcast'],
  as: ['sendFile'],
  to: ['broadcast'],
};

type RawAction = Partial<Record<ActionVerb | keyof typeof MODIFIERS, unknown>>;

const actionObject = z.strictObject({
  send: z.string().optional(),
  sendJson: jsonValue.optional(),
  sendHex: z.string().optional(),
  sendBase64: z.string().optional(),
  sendFile: z.string().min(1).optional(),
  echo: z.literal(true).optional(),
  broadcast: z.string().optional(),
  delay: z.int().min(0).max(3_600_000).optional(),
  close: z
    .strictObject({ code: z.int().default(1000), reason: z.string().default('') })
    .superRefine((close, ctx) => {
      // A server may close with any code valid on the wire.
      const bad = checkCloseArgs(close.code, close.reason, 'wire');
      if (bad) {
        const field = /reason/i.test(bad.message) ? 'reason' : 'code';
        ctx.addIssue({ code: 'custom', message: bad.message, path: [field] });
      }
    })
    .optional(),
  terminate: z.literal(true).optional(),
  drop: z.literal(true).optional(),
  answerPings: z.boolean().optional(),
  get responses() {
    return z
      .strictObject({
        pick: z.enum(['sequence', 'random']).default('sequence'),
        from: z
          .array(
            z.union([actionSchema, z.array(actionSchema)], {
              error: 'each item of from is an action or a list of actions',
            }),
          )
          .min(1),
      })
      .optional();
  },
  fragments: z.int().min(1).max(10_000).optional(),
  template: z.boolean().optional(),
  as: z.enum(['text', 'binary']).optional(),
  to: z.enum(['room', 'all', 'others']).optional(),
});

const actionSchema: z.ZodType<RawAction> = z.lazy(() =>
  actionObject.superRefine((action, ctx) => {
    const verbs = ACTION_VERBS.filter((verb) => action[verb] !== undefined);
    if (verbs.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          verbs.length === 0
            ? `an action needs one of ${ACTION_VERBS.join(', ')}`
            : `one action does one thing; found ${verbs.join(' and ')}: make them separate list items`,
      });
      return;
    }
    for (const [modifier, allowed] of Object.entries(MODIFIERS)) {
      if ((action as RawAction)[modifier as keyof RawAction] !== undefined && !allowed.includes(verbs[0]!)) {
        ctx.addIssue({
          code: 'custom',
          message: `${modifier} does not apply to ${verbs[0]}; it goes with ${allowed.join(', ')}`,
          path: [modifier],
        });
      }
    }
  }),
);

const headerMap = z.record(z.string(), z.string());

const routeSchema = z.strictObject({
  path: z.string().startsWith('/', 'a route path starts with /, e.g. /rooms/:room'),
  protocols: z
    .array(z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'a subprotocol is one token'))
    .optional(),
  handshake: z
    .strictObject({
      require: z.strictObject({ header: headerMap.optional(), query: headerMap.optional() }).optional(),
      reject: z
        .strictObject({
          status: z.int().min(400).max(599).default(401),
          body: z.string().default(''),
          headers: headerMap.optional(),
        })
        .optional(),
    })
    .optional(),
  onConnect: z.array(actionSchema).optional(),
  rules: z
    .array(
      z.strictObject({
        name: z.string().min(1).optional(),
        when: matcherSchema,
        then: z.array(actionSchema),
      }),
    )
    .optional(),
  streams: z
    .array(
      z
        .strictObject({
          name: z.string().min(1).optional(),
          every: z.int().min(1),
          to: z.enum(['each', 'all']).default('each'),
          count: z.int().min(1).optional(),
          send: z.string().optional(),
          then: z.array(actionSchema).optional(),
        })
        .refine((s) => (s.send === undefined) !== (s.then === undefined), {
          message: 'a stream has either send (a text template) or then (a list of actions)',
        }),
    )
    .optional(),
  otherwise: z
    .union([z.enum(['echo', 'none']), z.array(actionSchema)], {
      error: 'otherwise is echo, none, or a list of actions',
    })
    .default('echo'),
});

export const mockFileSchema = z.strictObject({
  version: z.literal(MOCK_FILE_VERSION).default(MOCK_FILE_VERSION),
  name: z.string().optional(),
  port: z.int().min(0).max(65535).default(0),
  host: z.string().min(1).default('127.0.0.1'),
  /** wss://: a certificate generated for the host, or PEM files relative to the mock file. */
  tls: z
    .union(
      [
        z.strictObject({ selfSigned: z.literal(true) }),
        z.strictObject({ cert: z.string().min(1), key: z.string().min(1) }),
      ],
      { error: 'tls is { selfSigned: true } or { cert: FILE, key: FILE } (PEM files)' },
    )
    .optional(),
  vars: z.record(z.string(), jsonValue).optional(),
  routes: z.array(routeSchema).min(1, 'a mock needs at least one route'),
});

/** A mock file as validated: defaults filled in, actions still as written. */
export type MockFile = z.output<typeof mockFileSchema>;
export type MockRouteFile = MockFile['routes'][number];

// ---------------------------------------------------------------------------
// Errors

export class MockFileError extends SourceFileError {
  declare readonly code: typeof MOCK_FILE_ERROR_CODE;

  constructor(file: string, where: { line?: number; column?: number; field: string }, problem: string) {
    super(MOCK_FILE_ERROR_CODE, file, where, problem);
    this.name = 'MockFileError';
  }
}

// ---------------------------------------------------------------------------
// Parsing

export interface ParsedMockFile {
  mock: MockFile;
  /** Points a field path at its place in the text, for errors found after parsing. */
  locate: (path: readonly PropertyKey[]) => SourcePlace;
}

/** Parses YAML or JSON text (JSON is read as YAML 1.2) and validates it; `file` names it in errors. */
export function parseMockFile(text: string, file: string): ParsedMockFile {
  const { value, locate } = parseYamlSource(
    text,
    mockFileSchema,
    (where, problem) => new MockFileError(file, where, problem),
  );
  return { mock: value, locate };
}

// ---------------------------------------------------------------------------
// Compiled form

/** What a send-like action puts on the wire once rendered. */
export type RenderedPayload = { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array };

export type CompiledAction =
  | { type: 'send'; render: (ctx: TemplateContext) => RenderedPayload; fragments: number }
  | { type: 'sendFile'; file: string; as: 'text' | 'binary'; fragments: number }
  | { type: 'echo'; fragments: number }
  | { type: 'broadcast'; render: (ctx: TemplateContext) => RenderedPayload; to: 'room' | 'all' | 'others' }
  | { type: 'delay'; ms: number }
  | { type: 'close'; code: number; reason: string }
  | { type: 'terminate' }
  | { type: 'drop' }
  | { type: 'answerPings'; on: boolean }
  | { type: 'responses'; pick: 'sequence' | 'random'; from: CompiledAction[][] };

export interface CompiledRule {
  /** The rule's name, or `rules[N]` when it has none: what the log and `--json` say answered. */
  name: string;
  matches: Matcher;
  then: CompiledAction[];
}

export interface CompiledStream {
  name: string;
  every: number;
  to: 'each' | 'all';
  count: number | undefined;
  then: CompiledAction[];
}

export interface CompiledHandshake {
  /** Header names in lower case; each value a template that must render to the header's value. */
  header: [string, Template][];
  query: [string, Template][];
  reject: { status: number; body: string; headers: Record<string, string> };
}

export interface CompiledRoute {
  path: string;
  /** Route params for a request path (no query string), or undefined when it does not match. */
  match: (pathname: string) => RouteParams | undefined;
  protocols: string[];
  handshake: CompiledHandshake | undefined;
  onConnect: CompiledAction[];
  rules: CompiledRule[];
  streams: CompiledStream[];
  otherwise: 'echo' | 'none' | CompiledAction[];
}

export interface CompiledMock {
  file: string;
  name: string | undefined;
  port: number;
  host: string;
  tls: TlsSource | undefined;
  vars: Record<string, JsonValue>;
  routes: CompiledRoute[];
}

export interface CompileOptions {
  engine?: TemplateEngine;
  /** Folder that sendFile paths are relative to; by default the mock file's folder. */
  baseDir?: string;
}

/** Compiles every matcher, template and route pattern once; errors point at the field's line. */
export function compileMock(
  parsed: ParsedMockFile,
  file: string,
  options: CompileOptions = {},
): CompiledMock {
  const engine = options.engine ?? new TemplateEngine();
  const baseDir = options.baseDir ?? dirname(resolve(file));
  const fail = (path: PropertyKey[], problem: string): never => {
    throw new MockFileError(file, { ...parsed.locate(path), field: fieldName(path) }, problem);
  };
  const template = (source: string, path: PropertyKey[]): Template => {
    try {
      return engine.compile(source);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      return fail(path, templateProblem(err));
    }
  };
  const actions = (list: RawAction[], path: PropertyKey[]): CompiledAction[] =>
    list.map((action, i) => compileAction(action, [...path, i]));

  const compileAction = (action: RawAction, path: PropertyKey[]): CompiledAction => {
    const fragments = (action.fragments as number | undefined) ?? 1;
    const plain = action.template === false;
    if (action.send !== undefined || action.broadcast !== undefined) {
      const key = action.send !== undefined ? 'send' : 'broadcast';
      const source = action[key] as string;
      const t = plain ? undefined : template(source, [...path, key]);
      const render = (ctx: TemplateContext): RenderedPayload => ({
        kind: 'text',
        text: t ? t.render(ctx) : source,
      });
      return key === 'send'
        ? { type: 'send', render, fragments }
        : { type: 'broadcast', render, to: (action.to as 'room' | 'all' | 'others' | undefined) ?? 'room' };
    }
    if (action.sendJson !== undefined) {
      const render = jsonRenderer(action.sendJson as JsonValue, plain, [...path, 'sendJson']);
      return {
        type: 'send',
        render: (ctx) => ({ kind: 'text', text: JSON.stringify(render(ctx)) }),
        fragments,
      };
    }
    if (action.sendHex !== undefined || action.sendBase64 !== undefined) {
      const key = action.sendHex !== undefined ? 'sendHex' : 'sendBase64';
      const decode = key === 'sendHex' ? hexToBytes : base64ToBytes;
      const source = action[key] as string;
      if (plain || TemplateEngine.isPlainText(source)) {
        let bytes: Uint8Array = new Uint8Array();
        try {
          bytes = decode(source);
        } catch (err) {
          fail([...path, key], (err as Error).message);
        }
        return { type: 'send', render: () => ({ kind: 'binary', bytes }), fragments };
      }
      const t = template(source, [...path, key]);
      return { type: 'send', render: (ctx) => ({ kind: 'binary', bytes: decode(t.render(ctx)) }), fragments };
    }
    if (action.sendFile !== undefined) {
      const as = (action.as as 'text' | 'binary' | undefined) ?? 'binary';
      return { type: 'sendFile', file: resolve(baseDir, action.sendFile as string), as, fragments };
    }
    if (action.echo !== undefined) return { type: 'echo', fragments };
    if (action.delay !== undefined) return { type: 'delay', ms: action.delay as number };
    if (action.close !== undefined) {
      const close = action.close as { code: number; reason: string };
      return { type: 'close', code: close.code, reason: close.reason };
    }
    if (action.terminate !== undefined) return { type: 'terminate' };
    if (action.drop !== undefined) return { type: 'drop' };
    if (action.answerPings !== undefined) return { type: 'answerPings', on: action.answerPings as boolean };
    const responses = action.responses as { pick: 'sequence' | 'random'; from: (RawAction | RawAction[])[] };
    return {
      type: 'responses',
      pick: responses.pick,
      from: responses.from.map((item, i) =>
        Array.isArray(item)
          ? actions(item, [...path, 'responses', 'from', i])
          : [compileAction(item, [...path, 'responses', 'from', i])],
      ),
    };
  };

  /** String leaves of a sendJson value are templates; numbers, booleans and null stay as they are. */
  const jsonRenderer = (
    value: JsonValue,
    plain: boolean,
    path: PropertyKey[],
  ): ((ctx: TemplateContext) => JsonValue) => {
    if (typeof value === 'string') {
      if (plain || TemplateEngine.isPlainText(value)) return () => value;
      const t = template(value, path);
      return (ctx) => t.render(ctx);
    }
    if (Array.isArray(value)) {
      const items = value.map((item, i) => jsonRenderer(item, plain, [...path, i]));
      return (ctx) => items.map((item) => item(ctx));
    }
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(
        ([k, v]) => [k, jsonRenderer(v, plain, [...path, k])] as const,
      );
      return (ctx) => Object.fromEntries(entries.map(([k, render]) => [k, render(ctx)]));
    }
    return () => value;
  };

  const { mock } = parsed;
  const routes = mock.routes.map((route, r): CompiledRoute => {
    const at = ['routes', r];
    let match: CompiledRoute['match'] = () => undefined;
    try {
      match = compileRoutePath(route.path);
    } catch (err) {
      fail([...at, 'path'], (err as Error).message);
    }
    const handshake = route.handshake && {
      header: Object.entries(route.handshake.require?.header ?? {}).map(
        ([name, value]) =>
          [name.toLowerCase(), template(value, [...at, 'handshake', 'require', 'header', name])] as [
            string,
            Template,
          ],
      ),
      query: Object.entries(route.handshake.require?.query ?? {}).map(
        ([name, value]) =>
          [name, template(value, [...at, 'handshake', 'require', 'query', name])] as [string, Template],
      ),
      reject: {
        status: route.handshake.reject?.status ?? 401,
        body: route.handshake.reject?.body ?? '',
        headers: route.handshake.reject?.headers ?? {},
      },
    };
    const rules = (route.rules ?? []).map((rule, i): CompiledRule => {
      let matches: Matcher = () => false;
      try {
        matches = compileMatcher(rule.when);
      } catch (err) {
        if (!(err instanceof MatcherError)) throw err;
        fail([...at, 'rules', i, 'when', ...err.path], err.message);
      }
      return {
        name: rule.name ?? `rules[${i}]`,
        matches,
        then: actions(rule.then, [...at, 'rules', i, 'then']),
      };
    });
    const streams = (route.streams ?? []).map((stream, i): CompiledStream => ({
      name: stream.name ?? `streams[${i}]`,
      every: stream.every,
      to: stream.to,
      count: stream.count,
      then:
        stream.send !== undefined
          ? [compileAction({ send: stream.send }, [...at, 'streams', i])]
          : actions(stream.then!, [...at, 'streams', i, 'then']),
    }));
    return {
      path: route.path,
      match,
      protocols: route.protocols ?? [],
      handshake,
      onConnect: actions(route.onConnect ?? [], [...at, 'onConnect']),
      rules,
      streams,
      otherwise: Array.isArray(route.otherwise)
        ? actions(route.otherwise, [...at, 'otherwise'])
        : route.otherwise,
    };
  });
  const tls: TlsSource | undefined =
    mock.tls === undefined
      ? undefined
      : 'selfSigned' in mock.tls
        ? { selfSigned: true }
        : { certFile: resolve(baseDir, mock.tls.cert), keyFile: resolve(baseDir, mock.tls.key) };
  return { file, name: mock.name, port: mock.port, host: mock.host, tls, vars: mock.vars ?? {}, routes };
}

/** Parses and compiles mock text in one step. */
export function loadMockText(text: string, file: string, options: CompileOptions = {}): CompiledMock {
  return compileMock(parseMockFile(text, file), file, options);
}

/** Reads, parses and compiles a mock file; a read failure is a MockFileError naming the file. */
export async function loadMockFile(file: string, options: CompileOptions = {}): Promise<CompiledMock> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MockFileError(file, { field: '' }, `cannot read the file: ${(err as Error).message}`);
  }
  return loadMockText(text, file, options);
}

// ---------------------------------------------------------------------------
// Running helpers the server uses (pure)

/** The first route whose path matches, with its params. */
export function findRoute(
  mock: CompiledMock,
  pathname: string,
): { route: CompiledRoute; params: RouteParams } | undefined {
  for (const route of mock.routes) {
    const params = route.match(pathname);
    if (params) return { route, params };
  }
  return undefined;
}

/** The first rule that matches the message, or undefined (then `otherwise` applies). */
export function findRule(route: CompiledRoute, msg: MessageView): CompiledRule | undefined {
  for (const rule of route.rules) if (rule.matches(msg)) return rule;
  return undefined;
}

/**
 * Whether a handshake passes the route's `require`; a failing one is answered with `reject`.
 * Throws a TemplateError when a requirement reads a variable that is not set.
 */
export function handshakeAccepted(route: CompiledRoute, ctx: TemplateContext): boolean {
  const hs = route.handshake;
  if (!hs) return true;
  const headers = ctx.client?.headers ?? {};
  const query = ctx.client?.query ?? {};
  const same = (actual: string | string[] | undefined, expected: string) =>
    Array.isArray(actual) ? actual.includes(expected) : actual === expected;
  return (
    hs.header.every(([name, t]) => same(headers[name], t.render(ctx))) &&
    hs.query.every(([name, t]) => same(query[name], t.render(ctx)))
  );
}

/**
 * Splits a payload into `count` frames whose sizes differ by at most one byte; never an
 * empty frame, except the single frame of an empty payload.
 */
export function splitIntoFragments(payload: RenderedPayload, count: number): Uint8Array[] {
  const bytes = payload.kind === 'text' ? utf8Encode(payload.text) : payload.bytes;
  const n = Math.max(1, Math.min(count, bytes.length || 1));
  const base = Math.floor(bytes.length / n);
  const longer = bytes.length % n;
  const out: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const size = base + (i < longer ? 1 : 0);
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** The actions a `responses` action runs on its `nth` use (0-based): in order, wrapping, or at random. */
export function pickResponse(
  action: Extract<CompiledAction, { type: 'responses' }>,
  nth: number,
  random: () => number = Math.random,
): CompiledAction[] {
  const index =
    action.pick === 'sequence' ? nth % action.from.length : Math.floor(random() * action.from.length);
  return action.from[index]!;
}
