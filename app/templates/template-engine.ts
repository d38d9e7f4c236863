/**
 * The one template module: Handlebars in an environment of its own, output as
 * written (no HTML escaping, so JSON stays JSON), an unknown variable or helper
 * is an error that names it, and each template text is compiled once.
 *
 * Mocks, the client's messages and flows all render through a TemplateEngine;
 * it knows no socket. What a template can see is the TemplateContext.
 */
import Handlebars from 'handlebars';
import { templateView, type MessageView } from '../payload/message-view.js';
import { createHelpers, defaultHelperSources, HELPER_NAMES, type HelperSources } from './helpers.js';
import { TemplateError } from './template-error.js';

export interface ClientInfo {
  id: string;
  remoteAddress: string;
  /** Handshake request headers, names in lower case. */
  headers: Record<string, string | string[] | undefined>;
  /** Query parameters of the handshake URL. */
  query: Record<string, string | string[]>;
}

/** Counters the caller keeps; `seq` is the one for what is rendering now (a stream tick, a rule hit). */
export interface TemplateCounters {
  stream?: number;
  client?: number;
  rule?: number;
}

export interface TemplateContext {
  msg?: MessageView;
  client?: ClientInfo;
  /** Route parameters, e.g. `room` for `/rooms/:room`. */
  params?: Record<string, string>;
  seq?: number;
  counters?: TemplateCounters;
  vars?: Record<string, unknown>;
}

export interface TemplateEngineOptions extends Partial<HelperSources> {
  /** How many compiled templates to keep; the least recently used goes first. */
  cacheSize?: number;
}

type HandlebarsEnv = ReturnType<typeof Handlebars.create>;
type AstNode = { type: string; loc?: { start: { line: number; column: number } } } & Record<string, unknown>;

/** A variable a template reads from the top of its context, checked before each render. */
interface RootVariable {
  parts: string[];
  name: string;
  line: number;
  column: number;
}

const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  // `log` writes to the console of whichever process renders: not something a mock file should do.
  knownHelpers: { ...Object.fromEntries(HELPER_NAMES.map((name) => [name, true])), log: false },
} as const;

type ParseErrorHash = { loc?: { first_line: number; first_column: number } };
type ParserWithHook = { parseError: (message: string, hash: ParseErrorHash) => never; duplexHooked?: true };

// Handlebars' parser (shared by every environment) throws parse errors as bare text whose caret
// cannot be trusted on long lines; keeping the parser's own position on the error fixes that.
const parser = (Handlebars as unknown as { Parser: ParserWithHook }).Parser;
if (!parser.duplexHooked) {
  parser.parseError = (message, hash) => {
    throw Object.assign(new Error(message), { parseLoc: hash?.loc });
  };
  parser.duplexHooked = true;
}

/** Block helpers whose body still sees the same context as the template's top. */
const SAME_SCOPE_BLOCKS = new Set(['if', 'unless']);

export class Template {
  readonly source: string;
  /** The top-level variables the template reads, e.g. `vars.token`, `msg.json.id`. */
  readonly variables: readonly string[];
  readonly #render: HandlebarsTemplateDelegate;
  readonly #roots: readonly RootVariable[];

  /** @internal Use TemplateEngine.compile. */
  constructor(source: string, render: HandlebarsTemplateDelegate, roots: RootVariable[]) {
    this.source = source;
    this.#render = render;
    this.#roots = roots;
    this.variables = [...new Set(roots.map((root) => root.name))];
  }

  render(context: TemplateContext): string {
    // Handlebars reads own properties only: the message's forms as own getters.
    if (context.msg !== undefined) context = { ...context, msg: templateView(context.msg) };
    for (const root of this.#roots) checkVariable(context, root);
    try {
      return this.#render(context);
    } catch (err) {
      throw toTemplateError(err, 'render');
    }
  }
}

export class TemplateEngine {
  readonly #env: HandlebarsEnv;
  readonly #cache = new Map<string, Template>();
  readonly #cacheSize: number;

  constructor(options: TemplateEngineOptions = {}) {
    this.#cacheSize = options.cacheSize ?? 1000;
    this.#env = Handlebars.create();
    this.#env.unregisterHelper('log');
    const sources: HelperSources = {
      now: options.now ?? defaultHelperSources.now,
      random: options.random ?? defaultHelperSources.random,
      uuid: options.uuid ?? defaultHelperSources.uuid,
    };
    this.#env.registerHelper(createHelpers(sources));
  }

  /** Parses and compiles once; a syntax error or unknown helper throws a TemplateError here. */
  compile(source: string): Template {
    const cached = this.#cache.get(source);
    if (cached) {
      this.#cache.delete(source);
      this.#cache.set(source, cached);
      return cached;
    }
    const template = this.#compileNew(source);
    this.#cache.set(source, template);
    if (this.#cache.size > this.#cacheSize) this.#cache.delete(this.#cache.keys().next().value!);
    return template;
  }

  render(source: string, context: TemplateContext): string {
    return this.compile(source).render(context);
  }

  /** True when the text has no `{{`: a caller may send it as it is. */
  static isPlainText(source: string): boolean {
    return !source.includes('{{');
  }

  #compileNew(source: string): Template {
    const { text, inserts } = separateClosingBraces(source);
    let ast: hbs.AST.Program;
    try {
      ast = this.#env.parse(text);
      refuseUnsupported(ast as unknown as AstNode);
      // compile() is lazy; precompile checks helpers and the rest of the program now, not at first use.
      this.#env.precompile(ast, COMPILE_OPTIONS);
    } catch (err) {
      throw mapPosition(toTemplateError(err, 'syntax'), inserts);
    }
    const render = this.#env.compile(ast, COMPILE_OPTIONS);
    const roots = rootVariables(ast).map((root) => ({ ...root, column: originalColumn(root, inserts) }));
    return new Template(source, render, roots);
  }
}

/** A comment that renders nothing, put between `}}` and a literal `}` (see separateClosingBraces). */
const SEPARATOR = '{{!}}';

interface Insert {
  line: number;
  /** 1-based column in the rewritten text where the separator starts. */
  column: number;
}

/**
 * `{"id":{{json msg.json.id}}}` closes a `{{` mustache and then writes a `}`, but
 * Handlebars' lexer reads `}}}` as the close of a `{{{` mustache and fails. This
 * finds each `{{…}}` (or `{{{…}}}`) followed by `}` and puts an empty comment between them.
 */
function separateClosingBraces(source: string): { text: string; inserts: Insert[] } {
  if (!source.includes('}}}')) return { text: source, inserts: [] };
  let out = '';
  let from = 0;
  let line = 1;
  let lineStart = 0;
  let shift = 0;
  const inserts: Insert[] = [];
  let i = 0;
  const skipTo = (marker: string, start: number) => {
    const at = source.indexOf(marker, start);
    return at === -1 ? source.length : at + marker.length;
  };
  while (i < source.length) {
    if (source.startsWith('\\{{', i)) i += 3;
    else if (source.startsWith('{{{{', i))
      break; // raw blocks: left as they are
    else if (source.startsWith('{{!--', i) || source.startsWith('{{~!--', i))
      i = skipTo('}}', skipTo('--', i + 5));
    else if (source.startsWith('{{!', i) || source.startsWith('{{~!', i)) i = skipTo('}}', i + 3);
    else if (source.startsWith('{{', i)) {
      const close = source.startsWith('{{{', i) ? '}}}' : '}}';
      let j = i + close.length;
      while (j < source.length && !source.startsWith(close, j)) {
        const ch = source[j]!;
        if (ch === '"' || ch === "'") j = skipTo(ch, j + 1);
        else j++;
      }
      i = j + close.length;
      if (source[i] === '}') {
        for (let k = lineStart; k < i; k++) if (source[k] === '\n') [line, lineStart] = [line + 1, k + 1];
        out += source.slice(from, i) + SEPARATOR;
        inserts.push({ line, column: i - lineStart + 1 + shift });
        shift += SEPARATOR.length;
        from = i;
      }
    } else i++;
  }
  return { text: out + source.slice(from), inserts };
}

/** A column in the rewritten text, as a column of the template as written. */
function originalColumn(at: { line: number; column: number }, inserts: Insert[]): number {
  let column = at.column;
  for (const insert of inserts) {
    if (insert.line === at.line && insert.column < at.column) column -= SEPARATOR.length;
  }
  return column;
}

function mapPosition(err: TemplateError, inserts: Insert[]): TemplateError {
  if (inserts.length === 0 || err.line === undefined || err.column === undefined) return err;
  const column = originalColumn({ line: err.line, column: err.column }, inserts);
  const bare = err.message.replace(/ \(line \d+, column \d+\)$/, '');
  return new TemplateError(err.reason, bare, { line: err.line, column, variable: err.variable });
}

/** Throws when a variable the template reads is missing from the context, naming the variable. */
function checkVariable(context: TemplateContext, root: RootVariable): void {
  let value: unknown = context;
  for (let i = 0; i < root.parts.length; i++) {
    const key = root.parts[i]!;
    if (value === undefined || value === null) {
      const parent = root.parts.slice(0, i).join('.');
      const hint = parent === 'msg.json' ? ' (the message is not JSON)' : '';
      throw new TemplateError(
        'unknown-variable',
        `Unknown variable ${root.name}: ${parent} is ${value}${hint}`,
        {
          line: root.line,
          column: root.column,
          variable: root.name,
        },
      );
    }
    if (!Object.prototype.hasOwnProperty.call(Object(value), key)) {
      throw new TemplateError('unknown-variable', `Unknown variable ${root.name}`, {
        line: root.line,
        column: root.column,
        variable: root.name,
      });
    }
    value = (value as Record<string, unknown>)[key];
  }
}

/** Collects the paths read from the top-level context (not inside each/with, not @data, not ../). */
function rootVariables(program: hbs.AST.Program): RootVariable[] {
  const roots: RootVariable[] = [];
  const helperNames = new Set<string>([...HELPER_NAMES, 'if', 'unless', 'each', 'with', 'lookup']);

  const visitPath = (node: AstNode, asCallee: boolean, hasArgs: boolean) => {
    if (node.type !== 'PathExpression') {
      if (node.type === 'SubExpression') visitCall(node);
      return;
    }
    const path = node as unknown as hbs.AST.PathExpression & AstNode;
    if (path.data || path.depth > 0 || path.parts.length === 0) return;
    // `{{uuid}}` and `{{json x}}` name helpers; a callee with arguments is always a helper.
    if (asCallee && (hasArgs || (path.parts.length === 1 && helperNames.has(path.parts[0]!)))) return;
    const start = path.loc?.start;
    roots.push({
      parts: [...path.parts],
      name: path.parts.join('.'),
      line: start?.line ?? 1,
      column: (start?.column ?? 0) + 1,
    });
  };

  const visitCall = (node: AstNode) => {
    const params = (node.params as AstNode[] | undefined) ?? [];
    const pairs = ((node.hash as { pairs?: { value: AstNode }[] } | undefined)?.pairs ?? []).map(
      (p) => p.value,
    );
    const callee = node.path as AstNode;
    visitPath(callee, true, params.length > 0 || pairs.length > 0);
    const name = calleeName(callee);
    // The condition of if/unless may be missing: that is what it tests.
    if (name === 'if' || name === 'unless') return;
    for (const param of [...params, ...pairs]) visitPath(param, false, false);
  };

  const visit = (node: AstNode | null | undefined) => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const statement of node.body as AstNode[]) visit(statement);
        break;
      case 'MustacheStatement':
        visitCall(node);
        break;
      case 'BlockStatement': {
        visitCall(node);
        if (SAME_SCOPE_BLOCKS.has(calleeName(node.path as AstNode) ?? '')) visit(node.program as AstNode);
        visit(node.inverse as AstNode | undefined);
        break;
      }
    }
  };

  visit(program as unknown as AstNode);
  return roots;
}

/** Partials and decorators need a registry a mock file does not have: refused when compiling. */
function refuseUnsupported(node: AstNode | null | undefined): void {
  if (!node) return;
  if (node.type === 'Program') for (const statement of node.body as AstNode[]) refuseUnsupported(statement);
  else if (node.type === 'BlockStatement') {
    refuseUnsupported(node.program as AstNode);
    refuseUnsupported(node.inverse as AstNode | undefined);
  } else if (/^(Partial|Decorator)/.test(node.type)) {
    const what = node.type.startsWith('Partial') ? 'Partials ({{> name}})' : 'Decorators ({{* name}})';
    const start = node.loc?.start;
    throw new TemplateError('syntax', `${what} are not supported in templates`, {
      line: start?.line,
      column: start === undefined ? undefined : start.column + 1,
    });
  }
}

function calleeName(node: AstNode): string | undefined {
  return node.type === 'PathExpression' ? (node.original as string) : undefined;
}

/** Turns what Handlebars throws into a TemplateError with the position in the template. */
function toTemplateError(err: unknown, phase: 'syntax' | 'render'): TemplateError {
  if (err instanceof TemplateError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const loc = (err as { parseLoc?: { first_line: number; first_column: number } }).parseLoc;
  if (loc) {
    const expected = /\n(Expecting [^\n]*)$/.exec(message)?.[1] ?? message.split('\n')[0];
    return new TemplateError('syntax', `Template syntax error: ${expected}`, {
      line: loc.first_line,
      column: loc.first_column + 1,
    });
  }
  const unknownHelper = /used the unknown helper (\S+)/.exec(message);
  if (unknownHelper) {
    const name = unknownHelper[1]!;
    return new TemplateError('unknown-helper', `Unknown helper "${name}"`, lineOf(err));
  }
  // Inside each/with, Handlebars' strict lookups fail with the name but no position.
  const inner = /search for '([^']+)' in/.exec(message);
  if (inner)
    return new TemplateError('unknown-variable', `Unknown variable ${inner[1]}`, { variable: inner[1] });
  // `{{a.b}}` inside each/with, with no `a`: the engine only knows the part it failed to read.
  const reading = /\(reading '([^']+)'\)/.exec(message);
  if (reading) {
    return new TemplateError('unknown-variable', `Unknown variable: nothing to read .${reading[1]} from`, {});
  }
  if (/^"[^"]+" not defined in (undefined|null)/.test(message)) {
    const name = /^"([^"]+)"/.exec(message)![1];
    return new TemplateError(
      'unknown-variable',
      `Unknown variable: nothing to read .${name} from`,
      lineOf(err),
    );
  }
  const notDefined = /^"([^"]+)" not defined in/.exec(message);
  if (notDefined) {
    return new TemplateError('unknown-variable', `Unknown variable ${notDefined[1]}`, {
      ...lineOf(err),
      variable: notDefined[1],
    });
  }
  return new TemplateError(phase, `Template error: ${message.replace(/ - \d+:\d+$/, '')}`, lineOf(err));
}

function lineOf(err: unknown): { line?: number; column?: number } {
  const e = err as { lineNumber?: number; column?: number };
  return e.lineNumber === undefined ? {} : { line: e.lineNumber, column: (e.column ?? 0) + 1 };
}
