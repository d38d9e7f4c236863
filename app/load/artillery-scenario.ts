/**
 * A flow (or a session as flow steps) → an Artillery test script (YAML) for
 * Artillery's `ws` engine, written as text pieces while the steps are read.
 *
 * What the ws engine does, from its source (artilleryio/artillery,
 * packages/core/lib/engine_ws.js, and engine_util.captureOrMatch): the first
 * flow item may be `connect: { target }` (a templated URL); `send: TEXT` or
 * `send: OBJECT` (sent as JSON); `send: { payload, match, capture }` sends and
 * then checks the NEXT message received; `wait: { match, capture }` checks the
 * next message without sending; `think: SECONDS`; `loop` with `count` or
 * `over`. `match: { json: PATH, value }` and `{ regexp, value }` compare the
 * extracted value with `===`; `capture: { json | regexp, as }` fails the virtual
 * user when nothing is found. A failed match or capture ends that virtual user
 * with the error "Failed capture or match". Variables are `{{ name }}`
 * (config.variables), the process environment `{{ $env.NAME }}`.
 * Everything else (binary frames, pings, close codes, "nothing arrives") is a
 * comment at its step and a LoadNote.
 */
import { stringify } from 'yaml';
import type { FlowPayload, FlowStep } from '../flows/flow-file.js';
import type { JsonValue, MatcherSpec } from '../server/matchers.js';
import { secretEnvName } from '../variables/environment-format.js';
import {
  soleVariable,
  templateParts,
  type LoadNote,
  type LoadSource,
  type LoadVariable,
} from './load-source.js';

export interface ArtilleryOptions {
  /** Seconds of the one phase. */
  duration?: number;
  /** New virtual users per second. */
  arrivalRate?: number;
}

type Item = Record<string, unknown>;
interface Pending {
  item: Item;
  spec: Spec;
  comments: string[];
  matched: boolean;
}
/** Sends held back waiting for their expects; beyond this many the oldest are written unmatched. */
const MAX_PENDING = 100;
type Spec = Record<string, unknown>;

/** How template variables are written: Artillery's `{{ name }}`, a secret as `{{ $env.DUPLEX_SECRET_NAME }}`, loop variables renamed. */
interface Scope {
  secrets: ReadonlySet<string>;
  renames: ReadonlyMap<string, string>;
}

/** The script's text, piece by piece; `notes` is complete once the pieces are. */
export async function* artilleryScenario(
  source: LoadSource,
  notes: LoadNote[],
  options: ArtilleryOptions = {},
): AsyncGenerator<string> {
  const secrets = new Set(source.variables.filter((v) => v.secret).map((v) => v.name));
  const scope: Scope = { secrets, renames: new Map() };
  const writer = new FlowWriter(notes, source.connections[0]);
  const steps = source.steps()[Symbol.asyncIterator]();
  // The config needs the first connect step (target, headers); it comes first in every flow Duplex reads.
  const first = await steps.next();
  const connect = !first.done && first.value.type === 'connect' ? first.value : undefined;
  yield configBlock(source, connect, scope, notes, options);
  yield `scenarios:\n  - name: ${JSON.stringify(source.name)}\n    engine: ws\n    flow:\n`;
  if (!first.done && !connect) yield* writer.add(first.value, scope);
  else if (connect && !urlHasDefaults(connect.url ?? '', source.variables)) {
    // A URL with a variable that has no default (a secret, an undeclared one) is templated by a connect step.
    // That step defers a tick, so a message the server sends right on connect can pass before a check waits for it.
    const note = (what: string): void => void notes.push({ step: connect.id, what });
    note(
      'the URL uses a variable without a default: a connect step templates it, and a message sent right on connect may be missed',
    );
    yield* writer.emit({ connect: { target: artilleryTemplate(connect.url ?? '', true, scope, note) } }, []);
  }
  for (let r = await steps.next(); !r.done; r = await steps.next()) yield* writer.add(r.value, scope);
  yield* writer.flush();
  if (writer.items === 0) yield '      - think: 0\n';
  if (notes.length > 0) {
    yield `\n# Not expressed in Artillery's ws engine (${notes.length}); each is also a comment at its step:\n`;
    for (const n of notes) yield `#   ${n.step}: ${oneLine(n.what)}\n`;
  }
}

function configBlock(
  source: LoadSource,
  connect: Extract<FlowStep, { type: 'connect' }> | undefined,
  scope: Scope,
  notes: LoadNote[],
  options: ArtilleryOptions,
): string {
  const note = (what: string): void => void notes.push({ step: connect?.id ?? 'config', what });
  const config: Item = {};
  if (!connect || connect.url === undefined) {
    note(
      connect
        ? `connects to the saved connection "${connect.saved}"; give the step a url to export it`
        : 'the flow has no connect step first',
    );
    config['target'] = 'ws://127.0.0.1:8080';
  } else {
    config['target'] = withDefaults(connect.url, source.variables);
    if (
      connect.protocols.length > 0 ||
      Object.keys(connect.headers).length > 0 ||
      connect.origin ||
      connect.insecure
    ) {
      const ws: Item = {};
      const headers: Record<string, string> = { ...connect.headers };
      if (connect.origin !== undefined) headers['Origin'] = connect.origin;
      if (Object.keys(headers).length > 0) {
        // config is templated once at load, with the process environment only: secrets stay lookups, plain variables take their default.
        ws['headers'] = Object.fromEntries(
          Object.entries(headers).map(([k, val]) => [k, headerTemplate(val, source.variables, scope, note)]),
        );
      }
      if (connect.protocols.length > 0)
        ws['subprotocols'] = connect.protocols.map((p) => withDefaults(p, source.variables));
      if (connect.insecure) ws['rejectUnauthorized'] = false;
      config['ws'] = ws;
    }
    if (connect.expect.status !== 101)
      note(
        `expects the handshake to be refused with ${connect.expect.status}: Artillery counts a refused upgrade as an error`,
      );
    if (connect.expect.protocol !== undefined)
      note(
        `expects subprotocol ${connect.expect.protocol}: the ws engine does not check the chosen protocol`,
      );
  }
  config['phases'] = [{ duration: options.duration ?? 30, arrivalRate: options.arrivalRate ?? 1 }];
  const variables = source.variables.filter(
    (v): v is Extract<LoadVariable, { value: JsonValue }> => !v.secret,
  );
  if (variables.length > 0) {
    // A list in config.variables is "pick one per virtual user": a list value is wrapped so it stays whole.
    config['variables'] = Object.fromEntries(
      variables.map((v) => [v.name, Array.isArray(v.value) ? [v.value] : v.value]),
    );
  }
  config['plugins'] = { ensure: {} };
  // Artillery exits 0 when virtual users fail a check; this condition makes a failed check fail the run.
  config['ensure'] = { conditions: [{ expression: 'vusers.completed == vusers.created' }] };
  const head =
    `# Artillery load test generated by Duplex from the ${source.kind} ${oneLine(source.origin)} (${oneLine(source.name)}).\n` +
    `# Run: npx artillery run --output report.json THIS_FILE  (secrets: DUPLEX_SECRET_<NAME> in the environment)\n` +
    `# Engine: ws. Each expect is a match or capture on the next message after a send (or a wait step);\n` +
    `# a failed one ends that virtual user with "Failed capture or match", and ensure fails the run.\n` +
    (connect && templateParts(connect.url ?? '').some((p) => p.kind === 'var')
      ? `# The target is the flow's URL ${oneLine(connect.url ?? '')} with its variables' defaults; aim elsewhere with --target URL.\n`
      : '');
  return head + stringify({ config }, { lineWidth: 0 });
}

/** Collects flow items: an expect (and a capture after it) joins a send written earlier, so sends are held back until their expect. */
class FlowWriter {
  readonly #notes: LoadNote[];
  readonly #connection: string | undefined;
  /** Items not yet written, oldest first: an expect joins the oldest send without a check. */
  #pending: Pending[] = [];
  items = 0;
  #strictNoted = false;

  constructor(notes: LoadNote[], connection: string | undefined) {
    this.#notes = notes;
    this.#connection = connection;
  }

  *add(step: FlowStep, scope: Scope): Generator<string> {
    const own: string[] = [];
    const note = (what: string): void => {
      own.push(what);
      this.#notes.push({ step: step.id, what });
    };
    if ('connection' in step && step.connection !== this.#connection && step.type !== 'connect') {
      note(
        `acts on connection "${step.connection}": an Artillery ws scenario has one connection (${this.#connection}); the step is left out`,
      );
      return yield* this.#comment(own);
    }
    switch (step.type) {
      case 'connect':
        if (step.connection !== this.#connection)
          note(
            `opens a second connection "${step.connection}": an Artillery ws scenario has one; it is left out`,
          );
        else note('connects again: the ws engine connects once, at the start of the scenario; left out');
        return yield* this.#comment(own);
      case 'send': {
        const sent = sendItem(step.payload, step.template, scope, note);
        if (sent === undefined) {
          this.#pending.push({ item: {}, spec: {}, comments: own, matched: true });
          return;
        }
        this.#pending.push({ item: { send: sent.value }, spec: sent.spec, comments: own, matched: false });
        if (this.#pending.length > MAX_PENDING) yield* this.#writeOut(1);
        return;
      }
      case 'expect': {
        if (step.kind !== 'message') {
          note(
            step.kind === 'none'
              ? `expects that nothing${step.match ? ' matching' : ''} arrives within ${step.withinMs} ms: the ws engine cannot check for silence; it waits instead`
              : `expects the peer to close${step.code !== undefined ? ` with ${step.code}` : ''}: the ws engine does not report closes`,
          );
          yield* this.flush();
          return yield* this.emit(step.kind === 'none' ? { think: step.withinMs / 1000 } : undefined, own);
        }
        if (!step.strict && !this.#strictNoted) {
          this.#strictNoted = true;
          note(
            'expects pass over messages that do not match; the ws engine checks only the next message, so a check may fail where duplex test passes',
          );
        }
        const specs = matchSpecs(step.match, scope, note);
        if (specs.length === 0) {
          this.#pending.push({ item: {}, spec: {}, comments: own, matched: true });
          return;
        }
        // The ws engine checks the message that follows a send: each expect goes with the oldest send still without one.
        let p = this.#pending.find((x) => !x.matched && 'send' in x.item);
        if (!p) {
          p = { item: { wait: {} }, spec: {}, comments: [], matched: false };
          this.#pending.push(p);
        }
        // What was held before that send is written first.
        yield* this.#writeOut(this.#pending.indexOf(p));
        p.matched = true;
        p.comments.push(...own);
        for (const s of specs) {
          const key = 'as' in s ? 'capture' : 'match';
          p.spec[key] = [...((p.spec[key] as Spec[] | undefined) ?? []), s];
        }
        return;
      }
      case 'capture': {
        const p = [...this.#pending].reverse().find((x) => x.matched && Object.keys(x.spec).length > 0);
        if (!p) {
          note(
            'captures from a message no expect before it took; the ws engine captures only on a send or wait step',
          );
          return yield* this.#comment(own);
        }
        const from = step.from;
        const spec: Spec =
          'json' in from
            ? { json: from.json, as: step.variable }
            : {
                regexp: from.regex,
                as: step.variable,
                ...(from.flags ? { flags: from.flags } : {}),
                ...(from.group !== 0 ? { group: from.group } : {}),
              };
        p.spec['capture'] = [...((p.spec['capture'] as Spec[] | undefined) ?? []), spec];
        p.comments.push(...own);
        return;
      }
      case 'wait':
        yield* this.flush();
        return yield* this.emit({ think: step.ms / 1000 }, own);
      case 'ping':
        note('sends a ping: the ws engine has no ping step; left out');
        return yield* this.#comment(own);
      case 'close':
        note(
          `closes${step.code !== undefined ? ` with ${step.code}` : ''}: the ws engine closes the connection itself (code 1000) when the scenario ends; left out`,
        );
        return yield* this.#comment(own);
      case 'repeat': {
        yield* this.flush();
        const inner = new FlowWriter(this.#notes, this.#connection);
        const renames = new Map(scope.renames);
        const item: Item = {};
        if ('times' in step.loop) {
          item['count'] = step.loop.times;
          item['loopValue'] = step.as;
        } else {
          // The ws engine names the element $loopElement; the round number goes where loopValue says.
          renames.set(step.as, '$loopElement');
          item['over'] = 'over' in step.loop ? step.loop.over : step.loop.overVariable;
          item['loopValue'] = 'index';
        }
        const innerScope: Scope = { secrets: scope.secrets, renames };
        const pieces: string[] = [];
        for (const s of step.steps) pieces.push(...inner.add(s, innerScope));
        pieces.push(...inner.flush());
        const loop = pieces.join('').replace(/^(?=.)/gm, '    ');
        this.items++;
        const comments = own.map((w) => `      # not expressed: ${oneLine(w)}\n`).join('');
        const rest = stringify([item], { lineWidth: 0 })
          .replace(/^- /, '')
          .replace(/^(?=.)/gm, '        ')
          .trimEnd();
        return yield `${comments}      - loop:\n${loop || '          - think: 0\n'}${rest}\n`;
      }
    }
  }

  *flush(): Generator<string> {
    yield* this.#writeOut(this.#pending.length);
  }

  /** Writes the first `count` held items. */
  *#writeOut(count: number): Generator<string> {
    for (const p of this.#pending.splice(0, count)) {
      const key = Object.keys(p.item)[0];
      if (key === undefined) {
        yield* this.emit(undefined, p.comments);
        continue;
      }
      let value = p.item[key];
      if (Object.keys(p.spec).length > 0)
        value = { ...(key === 'wait' ? {} : { payload: value }), ...p.spec };
      yield* this.emit({ [key]: value }, p.comments);
    }
  }

  *emit(item: Item | undefined, comments: string[]): Generator<string> {
    const text = comments.map((w) => `      # not expressed: ${oneLine(w)}\n`).join('');
    if (!item) return yield text;
    this.items++;
    yield text + stringify([item], { lineWidth: 0 }).replace(/^(?=.)/gm, '      ');
  }

  *#comment(comments: string[]): Generator<string> {
    yield* this.flush();
    yield* this.emit(undefined, comments);
  }
}

/** A send's value: text (a template), or a JSON object Artillery stringifies; binary is noted. */
function sendItem(
  p: FlowPayload,
  isTemplate: boolean,
  scope: Scope,
  note: (what: string) => void,
): { value: unknown; spec: Spec } | undefined {
  switch (p.kind) {
    case 'text':
      return { value: artilleryTemplate(p.text, isTemplate, scope, note), spec: {} };
    case 'json': {
      const value = isTemplate ? jsonTemplate(p.json, scope, note) : p.json;
      // A bare object is sent as JSON; a string is sent as it is. An object with a key the engine reads as a step field is sent as text.
      if (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        !('match' in value || 'capture' in value || 'payload' in value)
      ) {
        return { value, spec: {} };
      }
      return { value: JSON.stringify(p.json), spec: {} };
    }
    case 'hex':
    case 'base64':
      note('sends a binary message: the ws engine sends text only; left out');
      return undefined;
  }
}

/** Matchers as match specs ({json|regexp, value}) and presence captures ({…, as}); what has no spec is noted. */
function matchSpecs(m: MatcherSpec, scope: Scope, note: (what: string) => void): Spec[] {
  const out: Spec[] = [];
  const t = (s: string): string => artilleryTemplate(s, true, scope, note);
  let n = 0;
  const presence = (spec: Spec): void => void out.push({ ...spec, as: `_check${++n}` });
  if (m.text) {
    if (m.text.equals !== undefined) {
      // The engine parses JSON replies and runs a regexp on their JSON.stringify: compare with that form.
      const text = canonicalJson(m.text.equals) ?? m.text.equals;
      out.push({ regexp: `^${literalRegex(text, scope, note)}$`, value: t(text) });
    }
    if (m.text.contains !== undefined) presence({ regexp: literalRegex(m.text.contains, scope, note) });
    if (m.text.regex !== undefined)
      presence({ regexp: t(m.text.regex), ...(m.text.flags ? { flags: m.text.flags } : {}) });
  }
  if (m.json) {
    const j = m.json;
    if (j.equals !== undefined) {
      if (j.equals !== null && typeof j.equals === 'object')
        note(
          `compares ${j.path} with an object or list: the engine compares single values; checked that it exists`,
        );
      if (j.equals !== null && typeof j.equals === 'object') presence({ json: j.path });
      else
        out.push({
          json: j.path,
          value: typeof j.equals === 'string' ? jsonLeaf(j.equals, scope, note) : j.equals,
        });
    }
    if (j.exists === true) presence({ json: j.path });
    if (j.exists === false) note(`expects ${j.path} to be absent: the engine cannot check absence`);
    if (j.regex !== undefined)
      note(`matches ${j.path} with /${j.regex}/: the engine cannot run a regexp on a JSON value`);
    if (j.equals === undefined && j.exists === undefined && j.regex === undefined) presence({ json: j.path });
  }
  if (m.binary) note('checks binary bytes: the engine reads messages as text');
  if (m.kind) note(`checks that the message is ${m.kind}: the engine does not tell text from binary`);
  if (m.all) for (const x of m.all) out.push(...matchSpecs(x, scope, note));
  if (m.any) note('any: the engine has no "one of" check');
  if (m.not) note('not: the engine has no negated check');
  return out;
}

/** A regexp matching a template's text literally; its variables stay Artillery variables. */
function literalRegex(source: string, scope: Scope, note: (what: string) => void): string {
  return templateParts(source)
    .map((p) =>
      p.kind === 'var'
        ? `{{ ${variableRef(p.path, scope)} }}`
        : escapeRegex(
            p.kind === 'text'
              ? p.text
              : (note(`the template ${p.source} uses a Duplex helper; matched as written`), p.source),
          ),
    )
    .join('');
}

/** A Duplex template in Artillery's syntax; helpers are noted and kept as written. */
function artilleryTemplate(
  source: string,
  isTemplate: boolean,
  scope: Scope,
  note: (what: string) => void,
): string {
  const parts = templateParts(source, isTemplate);
  if (!isTemplate && source.includes('{{'))
    note('the text contains "{{", which Artillery renders as a variable');
  return parts
    .map((p) => {
      if (p.kind === 'text') return p.text;
      if (p.kind === 'var') return `{{ ${variableRef(p.path, scope)} }}`;
      note(`the template ${p.source} uses a Duplex helper, which Artillery does not have; kept as written`);
      return p.source;
    })
    .join('');
}

function variableRef(path: string[], scope: Scope): string {
  const [head, ...rest] = path;
  if (scope.secrets.has(head!)) return `$env.${secretEnvName(head!)}`;
  return [scope.renames.get(head!) ?? head, ...rest].join('.');
}

/** A JSON value for a send: a string that is one variable keeps its type (Artillery renders a lone `{{ x }}` to its value). */
function jsonTemplate(value: JsonValue, scope: Scope, note: (what: string) => void): JsonValue {
  if (typeof value === 'string') return jsonLeaf(value, scope, note);
  if (Array.isArray(value)) return value.map((x) => jsonTemplate(x, scope, note));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, jsonTemplate(x, scope, note)]));
  }
  return value;
}

function jsonLeaf(value: string, scope: Scope, note: (what: string) => void): string {
  const only = soleVariable(value);
  return only ? `{{ ${variableRef(only, scope)} }}` : artilleryTemplate(value, true, scope, note);
}

/** A header value for config (templated at load with the environment only): secrets as $env lookups, variables by default value. */
function headerTemplate(
  value: string,
  variables: LoadVariable[],
  scope: Scope,
  note: (what: string) => void,
): string {
  return templateParts(value)
    .map((p) => {
      if (p.kind === 'text') return p.text;
      if (p.kind === 'var' && scope.secrets.has(p.path[0]!)) return `{{ $env.${secretEnvName(p.path[0]!)} }}`;
      if (p.kind === 'var') {
        note(
          `the header uses {{${p.path.join('.')}}}: Artillery reads headers once, before variables exist, so its default is written in`,
        );
        return String(defaultOf(p.path, variables) ?? '');
      }
      note(`the template ${p.source} uses a Duplex helper; kept as written`);
      return p.source;
    })
    .join('');
}

/** Whether every variable of a URL has a default (then config.target has them written in). */
function urlHasDefaults(url: string, variables: LoadVariable[]): boolean {
  return templateParts(url).every(
    (p) => p.kind === 'text' || (p.kind === 'var' && defaultOf(p.path, variables) !== undefined),
  );
}

/**
 * A URL with each variable's default written in: the ws engine connects before the scenario's first
 * step, so config.target (which `artillery run --target URL` replaces) is where the URL goes.
 */
function withDefaults(url: string, variables: LoadVariable[]): string {
  return templateParts(url)
    .map((p) =>
      p.kind === 'text'
        ? p.text
        : p.kind === 'var'
          ? String(defaultOf(p.path, variables) ?? p.path.join('.'))
          : p.source,
    )
    .join('');
}

function defaultOf(path: string[], variables: LoadVariable[]): JsonValue | undefined {
  const v = variables.find((x) => x.name === path[0]);
  if (!v || v.secret) return undefined;
  let x: JsonValue | undefined = v.value;
  for (const k of path.slice(1))
    x = x !== null && typeof x === 'object' && !Array.isArray(x) ? x[k] : undefined;
  return x;
}

function canonicalJson(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed) : undefined;
  } catch {
    return undefined;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
}
