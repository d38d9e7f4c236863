/**
 * Mockoon environment → Duplex mock file. Pure: the caller reads the
 * environment file and writes the result.
 *
 * Carried over: the WebSocket routes (type "ws") with their path (under the
 * environment's endpointPrefix); a conversational route's responses with their
 * rules on the message body (raw text, or a path into its JSON: equals, regex,
 * regex_i, null, empty_array, array_includes, inverted, AND / OR), the default
 * response, SEQUENTIAL / RANDOM / DISABLE_RULES / FALLBACK modes and latency;
 * UNICAST and BROADCAST streaming at their interval; the templating helpers
 * Duplex has. Everything else is listed in `notes`, never dropped silently.
 */
import Handlebars from 'handlebars';
import { Document } from 'yaml';
import { z } from 'zod';
import { FAKER_MODULES } from '../templates/helpers.js';
import { TemplateEngine } from '../templates/template-engine.js';
import type { MatcherSpec } from './matchers.js';
import { compileRoutePath } from './route-path.js';

/** Mockoon's smallest streaming interval (ms); it raises anything below to this. */
const MOCKOON_MIN_INTERVAL = 10;

const header = z.object({ key: z.string(), value: z.string() });

const ruleSchema = z.object({
  target: z.string(),
  modifier: z.string().default(''),
  value: z.string().nullable().default(''),
  invert: z.boolean().default(false),
  operator: z.string().default('equals'),
});

const responseSchema = z.object({
  uuid: z.string().optional(),
  label: z.string().default(''),
  body: z.string().default(''),
  latency: z.number().default(0),
  bodyType: z.enum(['INLINE', 'FILE', 'DATABUCKET']).default('INLINE'),
  filePath: z.string().default(''),
  databucketID: z.string().default(''),
  disableTemplating: z.boolean().default(false),
  rules: z.array(ruleSchema).default([]),
  rulesOperator: z.enum(['AND', 'OR']).default('OR'),
  default: z.boolean().default(false),
  callbacks: z.array(z.unknown()).default([]),
});

const routeSchema = z.object({
  uuid: z.string().default(''),
  type: z.string().default('http'),
  method: z.string().default(''),
  endpoint: z.string().default(''),
  documentation: z.string().default(''),
  responses: z.array(responseSchema).default([]),
  responseMode: z.string().nullable().default(null),
  streamingMode: z.string().nullable().default(null),
  streamingInterval: z.number().default(0),
});

type FolderChild = { type: 'route' | 'folder'; uuid: string };
const childSchema = z.object({ type: z.enum(['route', 'folder']), uuid: z.string() });

const environmentSchema = z.object({
  name: z.string().default('mockoon'),
  port: z.int().min(0).max(65535).default(3000),
  hostname: z.string().default(''),
  endpointPrefix: z.string().default(''),
  latency: z.number().default(0),
  routes: z.array(routeSchema).default([]),
  rootChildren: z.array(childSchema).default([]),
  folders: z
    .array(z.object({ uuid: z.string(), name: z.string().default(''), children: z.array(childSchema) }))
    .default([]),
  proxyMode: z.boolean().default(false),
  tlsOptions: z
    .object({ enabled: z.boolean().default(false) })
    .loose()
    .default({ enabled: false }),
  headers: z.array(header).default([]),
  data: z
    .array(
      z
        .object({ id: z.string().default(''), uuid: z.string().default(''), value: z.string().default('') })
        .loose(),
    )
    .default([]),
  callbacks: z.array(z.unknown()).default([]),
});

type MockoonRoute = z.output<typeof routeSchema>;
type MockoonResponse = z.output<typeof responseSchema>;
type MockoonRule = z.output<typeof ruleSchema>;

/** One thing of the environment that the mock does not do, or does differently. */
export interface ImportNote {
  /** Where in the environment, e.g. `route ws /chat, response "Pong", rule 2`. */
  where: string;
  what: string;
}

type Action = Record<string, unknown>;

export interface MockoonImport {
  /** The environment's name, to name the mock file. */
  name: string;
  /** The mock, in the shape of a mock file (plain data, as parseMockFile reads it). */
  mock: Record<string, unknown>;
  /** The mock as YAML, with the notes as a comment at the top. */
  yaml: string;
  notes: ImportNote[];
}

export class MockoonImportError extends Error {
  override readonly name = 'MockoonImportError';
}

export interface MockoonImportOptions {
  /**
   * Maps a response's file path as Mockoon wrote it (relative to the environment file)
   * to the path the mock should use (relative to the mock file); unchanged by default.
   */
  filePath?: (mockoonPath: string) => string;
}

/** Converts a parsed Mockoon environment (the JSON of its file). */
export function importMockoon(environment: unknown, options: MockoonImportOptions = {}): MockoonImport {
  const filePath = options.filePath ?? ((p: string) => p);
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MockoonImportError(
      `Not a Mockoon environment: ${issue.path.join('.') || 'the file'}: ${issue.message}`,
    );
  }
  const env = parsed.data;
  const notes: ImportNote[] = [];
  const note = (where: string, what: string) => notes.push({ where, what });

  if (env.tlsOptions.enabled)
    note('environment', 'TLS is on in Mockoon; the mock serves plain ws:// until TLS is set on it');
  if (env.proxyMode) note('environment', 'proxy mode applies to HTTP routes only; not carried over');
  if (env.headers.length > 0)
    note('environment', 'response headers apply to HTTP responses; not carried over');
  if (env.latency > 0)
    note('environment', `global latency ${env.latency} ms applies to HTTP requests; not carried over`);
  if (env.callbacks.length > 0) note('environment', `${env.callbacks.length} callback(s): not carried over`);

  const routes: Record<string, unknown>[] = [];
  for (const route of orderedRoutes(env)) {
    const label = `route ${route.type} ${route.method ? `${route.method.toUpperCase()} ` : ''}/${route.endpoint}`;
    if (route.type !== 'ws') {
      note(label, 'not a WebSocket route: Duplex mocks serve WebSocket only');
      continue;
    }
    const path = joinPath(env.endpointPrefix, route.endpoint);
    try {
      compileRoutePath(path);
    } catch (err) {
      note(
        label,
        `the path "${path}" is not a Duplex route pattern (${(err as Error).message}); route skipped`,
      );
      continue;
    }
    routes.push(convertRoute(route, path, label, { note, filePath, buckets: env.data }));
  }
  if (routes.length === 0) {
    throw new MockoonImportError(
      `The environment "${env.name}" has no WebSocket route that Duplex can serve.`,
    );
  }

  const mock: Record<string, unknown> = { version: 1, name: env.name, port: env.port };
  if (env.hostname) mock.host = env.hostname;
  mock.routes = routes;
  return { name: env.name, mock, yaml: toYaml(env.name, mock, notes), notes };
}

/** Routes in the order Mockoon serves them: the folder tree when there is one, else the list. */
function orderedRoutes(env: z.output<typeof environmentSchema>): MockoonRoute[] {
  if (env.rootChildren.length === 0) return env.routes;
  const byId = new Map(env.routes.map((r) => [r.uuid, r]));
  const folders = new Map(env.folders.map((f) => [f.uuid, f.children]));
  const out: MockoonRoute[] = [];
  const seen = new Set<string>();
  const walk = (children: FolderChild[]) => {
    for (const child of children) {
      if (seen.has(child.uuid)) continue;
      seen.add(child.uuid);
      if (child.type === 'folder') walk(folders.get(child.uuid) ?? []);
      else if (byId.has(child.uuid)) out.push(byId.get(child.uuid)!);
    }
  };
  walk(env.rootChildren);
  return out;
}

function joinPath(prefix: string, endpoint: string): string {
  return `/${prefix}/${endpoint}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}

/** What converting a route needs from the environment and the caller. */
interface ImportContext {
  note: (where: string, what: string) => void;
  filePath: (p: string) => string;
  buckets: { id: string; uuid: string; value: string }[];
}

function convertRoute(
  route: MockoonRoute,
  path: string,
  label: string,
  ctx: ImportContext,
): Record<string, unknown> {
  const { note } = ctx;
  const out: Record<string, unknown> = { path };
  const responses = route.responses;
  if (responses.length === 0) {
    note(label, 'no responses: the route answers nothing');
    return { ...out, otherwise: 'none' };
  }
  const mode = route.responseMode;
  const defaultIndex = Math.max(
    0,
    responses.findIndex((r) => r.default),
  );
  const where = (i: number) =>
    `${label}, response ${i + 1}${responses[i]!.label ? ` "${responses[i]!.label}"` : ''}`;
  const actionsOf = (i: number, inStream: boolean) => responseActions(responses[i]!, where(i), inStream, ctx);
  const pickAll = (pick: 'sequence' | 'random', inStream: boolean): Action[] => {
    if (responses.length === 1) return actionsOf(0, inStream);
    return [{ responses: { pick, from: responses.map((_, i) => actionsOf(i, inStream)) } }];
  };

  if (route.streamingMode === 'UNICAST' || route.streamingMode === 'BROADCAST') {
    let then: Action[];
    if (mode === 'SEQUENTIAL' || mode === 'RANDOM')
      then = pickAll(mode === 'SEQUENTIAL' ? 'sequence' : 'random', true);
    else {
      if (mode !== 'DISABLE_RULES' && responses.some((r) => r.rules.length > 0)) {
        note(
          label,
          'rules of a streaming route test the handshake request in Mockoon; the stream sends the default response',
        );
      }
      then = actionsOf(defaultIndex, true);
    }
    if (route.streamingInterval < MOCKOON_MIN_INTERVAL) {
      note(
        label,
        `streaming interval ${route.streamingInterval} ms raised to ${MOCKOON_MIN_INTERVAL} ms, as Mockoon does`,
      );
    }
    const every = Math.max(MOCKOON_MIN_INTERVAL, Math.round(route.streamingInterval));
    return {
      ...out,
      streams: [{ every, to: route.streamingMode === 'UNICAST' ? 'each' : 'all', then }],
      // Mockoon does not read messages on a streaming route.
      otherwise: 'none',
    };
  }
  if (route.streamingMode)
    note(label, `streaming mode ${route.streamingMode} is unknown; treated as a conversation`);

  // Mockoon ignores binary messages on a WebSocket route; so does the mock.
  const rules: Record<string, unknown>[] = [
    { name: 'binary messages (ignored, as in Mockoon)', when: { kind: 'binary' }, then: [{ drop: true }] },
  ];
  if (mode === 'SEQUENTIAL' || mode === 'RANDOM') {
    return { ...out, rules, otherwise: pickAll(mode === 'SEQUENTIAL' ? 'sequence' : 'random', false) };
  }
  if (mode !== null && mode !== 'DISABLE_RULES' && mode !== 'FALLBACK') {
    note(label, `response mode ${mode} is unknown; rules are used`);
  }
  if (mode !== 'DISABLE_RULES') {
    responses.forEach((response, i) => {
      if (response.rules.length === 0) return;
      const when = convertRules(response, where(i), note);
      if (when) rules.push({ name: response.label || `response ${i + 1}`, when, then: actionsOf(i, false) });
    });
  }
  return { ...out, rules, otherwise: mode === 'FALLBACK' ? 'none' : actionsOf(defaultIndex, false) };
}

function responseActions(
  response: MockoonResponse,
  where: string,
  inStream: boolean,
  ctx: ImportContext,
): Action[] {
  const { note } = ctx;
  const actions: Action[] = [];
  if (response.callbacks.length > 0) note(where, 'callbacks are not carried over');
  // Mockoon waits `latency` before a reply, but not between the messages of a stream.
  if (response.latency > 0 && !inStream) actions.push({ delay: Math.round(response.latency) });
  if (response.bodyType === 'DATABUCKET') {
    const bucket = ctx.buckets.find(
      (b) => b.id === response.databucketID || b.uuid === response.databucketID,
    );
    if (!bucket) {
      note(
        where,
        `sends data bucket "${response.databucketID}", which the environment does not have; sends nothing`,
      );
      return [...actions, { drop: true }];
    }
    // Mockoon renders a bucket once, when the server starts; its plain text is the same either way.
    if (!TemplateEngine.isPlainText(bucket.value)) {
      note(
        where,
        `data bucket "${response.databucketID}" is a template: sent as written, where Mockoon rendered it once at start`,
      );
    }
    return [...actions, { send: bucket.value, template: false }];
  }
  if (response.bodyType === 'FILE') {
    if (response.filePath.includes('{{')) {
      note(
        where,
        `the file path "${response.filePath}" is a template; Duplex needs a fixed path; sends nothing`,
      );
      return [...actions, { drop: true }];
    }
    if (!response.disableTemplating)
      note(where, 'the file is sent as it is: Duplex does not template file contents');
    return [...actions, { sendFile: ctx.filePath(response.filePath), as: 'text' }];
  }
  // Mockoon sends nothing for an empty body.
  if (response.body === '') return [...actions, { drop: true }];
  if (response.disableTemplating || TemplateEngine.isPlainText(response.body)) {
    const send: Action = { send: response.body };
    if (response.body.includes('{{')) send.template = false;
    return [...actions, send];
  }
  const converted = convertTemplate(response.body);
  for (const what of converted.notes) note(where, what);
  const send: Action = { send: converted.text };
  if (converted.raw) send.template = false;
  return [...actions, send];
}

// ---------------------------------------------------------------------------
// Rules

function convertRules(
  response: MockoonResponse,
  where: string,
  note: (where: string, what: string) => void,
): MatcherSpec | undefined {
  const matchers: MatcherSpec[] = [];
  for (const [i, rule] of response.rules.entries()) {
    const converted = convertRule(rule);
    if (typeof converted === 'string') {
      note(`${where}, rule ${i + 1}`, `${converted}; the response is not used as a rule`);
      return undefined;
    }
    matchers.push(rule.invert ? { not: converted } : converted);
  }
  if (matchers.length === 1) return matchers[0];
  return response.rulesOperator === 'AND' ? { all: matchers } : { any: matchers };
}

/** A matcher, or why the rule cannot be one. */
function convertRule(rule: MockoonRule): MatcherSpec | string {
  if (rule.target !== 'body') {
    return `target "${rule.target}" reads the handshake or server state, not the message`;
  }
  const value = rule.value ?? '';
  const flags = rule.operator === 'regex_i' ? { flags: 'i' } : {};
  if (!rule.modifier) {
    if (rule.operator === 'equals') return { text: { equals: value } };
    if (rule.operator === 'regex' || rule.operator === 'regex_i') return { text: { regex: value, ...flags } };
    return `operator "${rule.operator}" on the whole body`;
  }
  const path = rule.modifier.startsWith('$') ? rule.modifier : objectPathToJsonPath(rule.modifier);
  switch (rule.operator) {
    case 'equals':
    case 'array_includes':
      // Mockoon compares String(value) and looks inside arrays; an anchored regex does both.
      return { json: { path, regex: `^${escapeRegex(value)}$` } };
    case 'regex':
    case 'regex_i':
      return { json: { path, regex: value, ...flags } };
    case 'null':
      return { any: [{ json: { path, exists: false } }, { json: { path, equals: null } }] };
    case 'empty_array':
      return { json: { path, equals: [] } };
    default:
      return `operator "${rule.operator}" has no Duplex matcher`;
  }
}

/** Mockoon's object-path `a.b.0` (a `\.` is a literal dot) as the JSONPath `$.a.b[0]`. */
export function objectPathToJsonPath(modifier: string): string {
  const segments = modifier.split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.'));
  let out = '$';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += `.${segment}`;
    else out += `['${segment.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
  }
  return out;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------
// Templates

type Node = {
  type: string;
  loc: { start: { line: number; column: number }; end: { line: number; column: number } };
} & Record<string, unknown>;

/** Mockoon helpers that take no argument, so a bare `{{name}}` is a call, not a variable. */
const MOCKOON_HELPERS = new Set([
  'body',
  'bodyRaw',
  'uuid',
  'now',
  'ip',
  'int',
  'float',
  'boolean',
  'hostname',
  'method',
  'baseUrl',
  'urlPath',
]);

/** Handlebars' own helpers, the same in Mockoon and Duplex. */
const BUILTIN_BLOCKS = new Set(['if', 'unless', 'each', 'with']);

/**
 * Rewrites Mockoon helpers into Duplex's (e.g. `{{body 'id'}}` → `{{text msg.json.id}}`).
 * A mustache with no Duplex counterpart is escaped so it is sent as written; a block
 * helper with none makes the whole body plain text (raw).
 */
export function convertTemplate(source: string): { text: string; raw: boolean; notes: string[] } {
  const notes: string[] = [];
  let program: Node;
  try {
    program = Handlebars.parse(source) as unknown as Node;
  } catch (err) {
    return {
      text: source,
      raw: true,
      notes: [`the template does not parse (${firstLine(err)}); sent as written`],
    };
  }
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const offset = (p: { line: number; column: number }) => lineStarts[p.line - 1]! + p.column;
  const edits: { from: number; to: number; text: string }[] = [];
  let raw = false;

  // Inside each / with, a bare `{{name}}` reads the item: Handlebars, not a Mockoon helper.
  let itemScope = 0;
  const visit = (node: Node | null | undefined) => {
    if (!node || raw) return;
    if (node.type === 'Program') {
      for (const child of node.body as Node[]) visit(child);
    } else if (node.type === 'MustacheStatement') {
      const from = offset(node.loc.start);
      const to = offset(node.loc.end);
      const written = source.slice(from, to);
      const bare = (node.params as Node[]).length === 0 && !node.hash;
      const replacement =
        itemScope > 0 && bare && !MOCKOON_HELPERS.has(pathName(node.path as Node) ?? '')
          ? null
          : convertMustache(node);
      if (replacement?.startsWith('text msg.json.')) {
        notes.push(
          `${written} became {{${replacement}}}: a missing field is an error in Duplex, where Mockoon printed nothing`,
        );
      }
      if (replacement === undefined) {
        notes.push(`${written}: no Duplex helper for this; sent as written`);
        edits.push({ from, to: from, text: '\\' });
      } else if (replacement !== null) {
        const triple = written.startsWith('{{{');
        edits.push({ from, to, text: triple ? `{{{${replacement}}}}` : `{{${replacement}}}` });
      }
    } else if (
      node.type !== 'ContentStatement' &&
      node.type !== 'CommentStatement' &&
      node.type !== 'BlockStatement'
    ) {
      // Partials and decorators: Duplex templates have neither.
      notes.push(`a ${node.type} has no Duplex counterpart; the whole body is sent as written`);
      raw = true;
    } else if (node.type === 'BlockStatement') {
      const name = pathName(node.path as Node);
      const params = node.params as Node[];
      if (!name || !BUILTIN_BLOCKS.has(name) || !params.every(isPlainArgument) || node.hash) {
        notes.push(`{{#${name ?? '…'}}}: no Duplex helper for this block; the whole body is sent as written`);
        raw = true;
        return;
      }
      const scoped = name === 'each' || name === 'with';
      if (scoped) itemScope++;
      visit(node.program as Node);
      if (scoped) itemScope--;
      visit(node.inverse as Node | undefined);
    }
  };
  visit(program);
  if (raw) return { text: source, raw: true, notes };
  let text = source;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    text = text.slice(0, edit.from) + edit.text + text.slice(edit.to);
  }
  // A guard: what the rewriting above writes should always compile.
  try {
    new TemplateEngine().compile(text);
  } catch (err) {
    notes.push(`the converted template does not compile (${firstLine(err)}); sent as written`);
    return { text: source, raw: true, notes };
  }
  return { text, raw: false, notes };
}

/**
 * The Duplex expression for a Mockoon mustache; null to keep it as it is (Handlebars'
 * own helpers over plain values), undefined when Duplex has no counterpart.
 */
function convertMustache(node: Node): string | null | undefined {
  const name = pathName(node.path as Node);
  const params = node.params as Node[];
  const strings = params.map((p) => (p.type === 'StringLiteral' ? (p.value as string) : undefined));
  const numbers = params.map((p) => (p.type === 'NumberLiteral' ? (p.value as number) : undefined));
  if (node.hash || name === undefined) return undefined;
  const only = (n: number) => params.length === n;
  switch (name) {
    case 'bodyRaw':
      return only(0) ? 'msg.text' : undefined;
    case 'body': {
      if (only(0) || (only(1) && strings[0] === '')) return 'msg.text';
      if (!only(1) || strings[0] === undefined || strings[0].startsWith('$')) return undefined;
      const path = handlebarsPath([
        'msg',
        'json',
        ...strings[0].split(/(?<!\\)\./).map((s) => s.replace(/\\\./g, '.')),
      ]);
      return path && `text ${path}`;
    }
    case 'queryParam':
      return only(1) && strings[0] ? handlebarsPath(['client', 'query', strings[0]]) : undefined;
    case 'header':
      return only(1) && strings[0]
        ? handlebarsPath(['client', 'headers', strings[0].toLowerCase()])
        : undefined;
    case 'urlParam':
      return only(1) && strings[0] ? handlebarsPath(['params', strings[0]]) : undefined;
    case 'ip':
      return only(0) ? 'client.remoteAddress' : undefined;
    case 'uuid':
      return only(0) ? 'uuid' : undefined;
    case 'now':
      if (only(0)) return 'now';
      return only(1) && strings[0] !== undefined ? `now ${JSON.stringify(strings[0])}` : undefined;
    case 'int':
    case 'float':
      if (!only(2) || numbers[0] === undefined || numbers[1] === undefined) return undefined;
      return `${name === 'int' ? 'randomInt' : 'randomFloat'} ${numbers[0]} ${numbers[1]}`;
    case 'faker': {
      const module = strings[0]?.split('.')[0];
      if (!module || !FAKER_MODULES.has(module) || !params.every(isLiteral)) return undefined;
      return `faker ${params.map(literalText).join(' ')}`;
    }
    case 'lookup':
      return params.every(isPlainArgument) ? null : undefined;
    default:
      return undefined;
  }
}

function pathName(node: Node): string | undefined {
  return node.type === 'PathExpression' ? (node.original as string) : undefined;
}

function isLiteral(node: Node): boolean {
  return node.type === 'StringLiteral' || node.type === 'NumberLiteral' || node.type === 'BooleanLiteral';
}

/** A literal or a plain path (`this`, `@index`, `name`): no helper hidden inside. */
function isPlainArgument(node: Node): boolean {
  return isLiteral(node) || node.type === 'PathExpression';
}

function literalText(node: Node): string {
  return node.type === 'StringLiteral' ? JSON.stringify(node.value) : String(node.value);
}

/** `['client','headers','x-key']` → `client.headers.x-key`; a segment that is not an identifier goes in […]. */
function handlebarsPath(segments: string[]): string | undefined {
  const parts: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment.includes(']')) return undefined;
    parts.push(/^[A-Za-z_$][\w$-]*$/.test(segment) ? segment : `[${segment}]`);
  }
  return parts.join('.');
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}

function toYaml(name: string, mock: Record<string, unknown>, notes: ImportNote[]): string {
  const doc = new Document(mock);
  const lines = [` Imported from the Mockoon environment "${name}".`];
  if (notes.length > 0) {
    lines.push(' Not carried over, or different:');
    for (const n of notes) lines.push(`   - ${n.where}: ${n.what}`);
  }
  doc.commentBefore = lines.join('\n');
  return doc.toString({ lineWidth: 0 });
}
