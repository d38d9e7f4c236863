/**
 * What a load-test export reads: a flow's steps, or a recorded session turned
 * into the same steps one entry at a time (the mapping of session-to-flow.ts:
 * a send per client message, an expect of each reply, the recorded close),
 * with the variables the scripts declare. Exporters (k6-script.ts,
 * artillery-scenario.ts) read only this; a check or step they cannot express
 * becomes a LoadNote, which the script carries as a comment and the CLI lists.
 */
import { utf8Decode, bytesToBase64, bytesToHex } from '../payload/codecs.js';
import type { JsonValue, MatcherSpec } from '../server/matchers.js';
import { openSessionSource } from '../sessions/session-reader.js';
import { clientSteps, planClientReplay } from '../sessions/session-script.js';
import type { FileWarning } from '../contract.js';
import { HELPER_NAMES } from '../templates/helpers.js';
import { isAllowedCloseCode } from '../websocket-rules.js';
import { DEFAULT_CONNECTION, DEFAULT_EXPECT_MS, type Flow, type FlowStep } from '../flows/flow-file.js';

/** A variable the exported script declares: a default value, or a secret read from the process environment. */
export type LoadVariable =
  { name: string; value: JsonValue; secret?: false } | { name: string; secret: true };

export interface LoadSource {
  /** For the script's header comment: the file it came from and what it is. */
  origin: string;
  kind: 'flow' | 'session';
  name: string;
  variables: LoadVariable[];
  /** Connection names, in order of their first connect step. */
  connections: string[];
  /** The steps; a session's are read from the file while they are written out. */
  steps(): AsyncIterable<FlowStep>;
  warnings: FileWarning[];
}

/** Something the target tool cannot express: where, and what. */
export interface LoadNote {
  step: string;
  what: string;
}

/** One piece of a Duplex template: literal text, a variable (`{{room}}`, `{{user.id}}`), or an expression no tool can evaluate. */
export type TemplatePart =
  { kind: 'text'; text: string } | { kind: 'var'; path: string[] } | { kind: 'unsupported'; source: string };

const HELPERS: ReadonlySet<string> = new Set([
  ...HELPER_NAMES,
  'if',
  'unless',
  'each',
  'with',
  'lookup',
  'else',
]);
const MUSTACHE = /\{\{\{?~?\s*([^{}]*?)\s*~?\}?\}\}/g;
const PLAIN_PATH = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/;

/** Splits a template into its parts; with `template: false` the whole string is literal. */
export function templateParts(source: string, template = true): TemplatePart[] {
  if (!template || !source.includes('{{')) return [{ kind: 'text', text: source }];
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of source.matchAll(MUSTACHE)) {
    if (m.index > last) parts.push({ kind: 'text', text: source.slice(last, m.index) });
    const inner = m[1]!;
    const head = inner.split('.')[0]!;
    if (PLAIN_PATH.test(inner) && !HELPERS.has(head) && !inner.startsWith('this')) {
      parts.push({ kind: 'var', path: inner.split('.') });
    } else parts.push({ kind: 'unsupported', source: m[0] });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ kind: 'text', text: source.slice(last) });
  return parts;
}

/** The variable a template is when it is exactly one `{{name}}` (a JSON leaf of that form keeps the value's type). */
export function soleVariable(source: string): string[] | undefined {
  const parts = templateParts(source);
  return parts.length === 1 && parts[0]!.kind === 'var' ? parts[0]!.path : undefined;
}

/** A parsed flow (flow files are small and parsed whole) with the variables of its `vars` and of `environment`. */
export function flowLoadSource(
  flow: Flow,
  environment:
    { variables: { name: string; value?: string | undefined; secret?: boolean | undefined }[] } | undefined,
  /** --var overrides: win over the flow's vars and the environment (a secret given so is a plain default). */
  overrides: Record<string, string> = {},
): LoadSource {
  const file = flow.file;
  const variables = new Map<string, LoadVariable>();
  for (const [name, value] of Object.entries(flow.vars)) variables.set(name, { name, value });
  for (const v of environment?.variables ?? []) {
    variables.set(v.name, v.secret ? { name: v.name, secret: true } : { name: v.name, value: v.value ?? '' });
  }
  for (const [name, value] of Object.entries(overrides)) variables.set(name, { name, value });
  if (flow.mock !== undefined || usesMock(flow.steps)) {
    // The mock a flow starts for `duplex test` is not there under k6 or Artillery: its address is a variable.
    variables.set('mock', {
      name: 'mock',
      value: { url: 'ws://127.0.0.1:8080', host: '127.0.0.1', port: 8080 },
    });
  }
  return {
    origin: file,
    kind: 'flow',
    name: flow.name ?? file.replace(/^.*[\\/]/, '').replace(/\.(ya?ml|json)$/i, ''),
    variables: [...variables.values()],
    connections: flow.connections,
    steps: async function* () {
      yield* flow.steps;
    },
    warnings: [],
  };
}

function usesMock(steps: readonly FlowStep[]): boolean {
  return JSON.stringify(steps).includes('{{mock.');
}

/**
 * A session as flow steps, streamed: a connect to the recorded URL, then a
 * send of each message the client sent and an expect (equals) of each message
 * that came back, in recorded order, then the recorded close.
 */
export async function sessionLoadSource(file: string, clientId?: string): Promise<LoadSource> {
  const session = await openSessionSource(file);
  const { header } = session;
  const role = header.role;
  const plan = await planClientReplay(session.entries(), role, clientId);
  const base = { line: undefined, label: undefined };
  let n = 0;
  const id = (): string => `message ${++n}`;
  return {
    origin: file,
    kind: 'session',
    name: header.name ?? header.url,
    variables: [],
    connections: [DEFAULT_CONNECTION],
    warnings: session.warnings,
    steps: async function* () {
      n = 0;
      yield {
        ...base,
        id: 'connect',
        type: 'connect',
        connection: DEFAULT_CONNECTION,
        saved: undefined,
        url: header.url,
        headers: header.headers,
        protocols: header.protocols,
        origin: undefined,
        insecure: undefined,
        withinMs: 10_000,
        expect: { status: 101, protocol: undefined },
      };
      for await (const step of clientSteps(session.entries(), role, plan)) {
        const e = step.entry;
        if (step.action === 'send') {
          yield {
            ...base,
            id: id(),
            type: 'send',
            connection: DEFAULT_CONNECTION,
            payload:
              e.kind === 'binary'
                ? { kind: 'base64', base64: bytesToBase64(e.data) }
                : { kind: 'text', text: utf8Decode(e.data) },
            template: false,
          };
        } else {
          yield {
            ...base,
            id: id(),
            type: 'expect',
            kind: 'message',
            connection: DEFAULT_CONNECTION,
            withinMs: DEFAULT_EXPECT_MS,
            strict: true,
            match:
              e.kind === 'binary'
                ? { binary: { equalsHex: bytesToHex(e.data) } }
                : textEquals(utf8Decode(e.data)),
          };
        }
      }
      for await (const e of session.entries()) {
        if (e.kind !== 'close' || (role === 'server' && e.clientId !== plan.clientId)) continue;
        if (e.dir !== 'in' && e.dir !== 'out') continue;
        const byClient = e.dir === (role === 'client' ? 'out' : 'in');
        const code = e.code !== undefined && isAllowedCloseCode(e.code, 'wire') ? e.code : undefined;
        if (byClient) {
          yield {
            ...base,
            id: 'close',
            type: 'close',
            connection: DEFAULT_CONNECTION,
            code,
            reason: e.reason ?? '',
            expect: undefined,
            withinMs: DEFAULT_EXPECT_MS,
          };
        } else {
          yield {
            ...base,
            id: 'close',
            type: 'expect',
            kind: 'close',
            connection: DEFAULT_CONNECTION,
            withinMs: DEFAULT_EXPECT_MS,
            code,
            reason: undefined,
          };
        }
        break;
      }
    },
  };
}

/** Matcher strings are templates: recorded text with `{{` is matched by a regex of the literal text (as session-to-flow does). */
function textEquals(text: string): MatcherSpec {
  return text.includes('{{') ? { text: { regex: `^${escapeRegex(text)}$` } } : { text: { equals: text } };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
