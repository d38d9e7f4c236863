/**
 * The mock commands of the fake contract (fake-api.ts): mock files held in
 * memory, checked as the engine checks them for the mistakes tests make (YAML
 * syntax, unknown and missing fields, a port out of range, a route path
 * without /, a bad regular expression, a rule without when or then), with the
 * engine's error shape: DUPLEX_ERR_MOCK_FILE, "file:line:column: field:
 * problem", details { file, line, column, field }. mock.try runs the
 * matchers (text, JSON path of the `$.a.b[0]` kind, binary, kind, all / any /
 * not) and lists the actions; a template is not rendered (the fake has no
 * Handlebars) and is listed as written. A running mock has no sockets:
 * `deliver` plays a client message through its rules, logging the answer with
 * the rule's name and counting the hit, as the engine does.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type {
  EventName,
  EventPayloads,
  LogEntryView,
  MockSummary,
  MockTryResult,
  Payload,
  Result,
  RuleHits,
  ServerInfo,
} from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { bytesToHex, hexToBytes, utf8Encode } from '../../app/payload/codecs.js';
import { mockPathOf } from '../../app/vocabulary.js';

export interface FakeMockDeps {
  record: (name: string) => (input: unknown) => void;
  emit: <E extends EventName>(name: E, payload: EventPayloads[E]) => void;
  /** Registers a running server (the fake's server.* commands then know it). */
  addServer: (info: Omit<ServerInfo, 'serverId' | 'url' | 'port'> & { port: number }) => ServerInfo;
  server: (serverId: string) => ServerInfo | undefined;
  append: (serverId: string, dir: 'in' | 'out', payload: Payload, extra: Partial<LogEntryView>) => void;
  /** The text messages of a fake session file, in order. */
  sessionMessages: (name: string) => { dir: string; text: string }[] | undefined;
}

type Json = Record<string, unknown>;
interface Rule {
  name: string;
  when: unknown;
  then: Json[];
}
interface Route {
  path: string;
  rules: Rule[];
  otherwise: 'echo' | 'none' | Json[];
}

const ok = async <T>(value: T): Promise<Result<T>> => ({ ok: true, value });
const fail = async <T>(error: ErrorInfo): Promise<Result<T>> => ({ ok: false, error });

const TOP_KEYS = ['version', 'name', 'port', 'host', 'tls', 'vars', 'routes'];
const ROUTE_KEYS = ['path', 'protocols', 'handshake', 'onConnect', 'rules', 'streams', 'otherwise'];
const MATCHER_KEYS = ['text', 'json', 'binary', 'kind', 'all', 'any', 'not'];

class FakeMockError {
  constructor(readonly info: ErrorInfo) {}
}

/** Parses and checks a mock's text; throws a FakeMockError shaped like the engine's MockFileError. */
export function checkMockText(text: string, file: string): { routes: Route[]; tls: boolean; port: number } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problem = (path: (string | number)[], message: string, key?: string): never => {
    const node = nodeAt(doc, path, key);
    const pos = node?.range ? lines.linePos(node.range[0]) : undefined;
    const field = fieldOf(path);
    const at = pos ? `${file}:${pos.line}:${pos.col}` : file;
    throw new FakeMockError({
      code: ErrorCodes.MOCK_FILE,
      message: `${at}: ${field ? `${field}: ` : ''}${message}`,
      details: { file, line: pos?.line, column: pos?.col, field },
    });
  };
  const yamlError = doc.errors[0];
  if (yamlError) {
    const pos = lines.linePos(yamlError.pos[0]);
    throw new FakeMockError({
      code: ErrorCodes.MOCK_FILE,
      message: `${file}:${pos.line}:${pos.col}: ${yamlError.message.split('\n')[0]}`,
      details: { file, line: pos.line, column: pos.col, field: '' },
    });
  }
  const raw = doc.toJS() as unknown;
  if (!isObject(raw)) problem([], 'a mock file is a map with port and routes');
  const top = raw as Json;
  unknownKeys(top, TOP_KEYS, [], problem);
  const port = top['port'] ?? 0;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535)
    problem(['port'], 'Too big: expected int to be <=65535');
  const routes = top['routes'];
  if (!Array.isArray(routes) || routes.length === 0)
    problem(['routes'], routes === undefined ? 'is required (array)' : 'a mock needs at least one route');
  const out = (routes as unknown[]).map((r, ri): Route => {
    if (!isObject(r)) return problem(['routes', ri], 'a route is a map with a path');
    unknownKeys(r, ROUTE_KEYS, ['routes', ri], problem);
    const path = r['path'];
    if (typeof path !== 'string') problem(['routes', ri, 'path'], 'is required (string)');
    if (!(path as string).startsWith('/'))
      problem(['routes', ri, 'path'], 'a route path starts with /, e.g. /rooms/:room');
    const rules = ((r['rules'] as unknown[] | undefined) ?? []).map((rule, i): Rule => {
      const at = ['routes', ri, 'rules', i];
      if (!isObject(rule)) return problem(at, 'a rule is a map with when and then');
      unknownKeys(rule, ['name', 'when', 'then'], at, problem);
      if (rule['when'] === undefined) problem([...at, 'when'], 'is required (object)');
      if (!Array.isArray(rule['then'])) problem([...at, 'then'], 'is required (array)');
      checkMatcher(rule['when'], [...at, 'when'], problem);
      return {
        name: typeof rule['name'] === 'string' ? rule['name'] : `rules[${i}]`,
        when: rule['when'],
        then: rule['then'] as Json[],
      };
    });
    const otherwise = r['otherwise'] ?? 'echo';
    if (otherwise !== 'echo' && otherwise !== 'none' && !Array.isArray(otherwise))
      problem(['routes', ri, 'otherwise'], 'otherwise is echo, none, or a list of actions');
    return { path: path as string, rules, otherwise: otherwise as Route['otherwise'] };
  });
  return { routes: out, tls: isObject(top['tls']), port: port as number };
}

type Problem = (path: (string | number)[], message: string, key?: string) => never;

function checkMatcher(when: unknown, path: (string | number)[], problem: Problem): void {
  if (!isObject(when)) problem(path, 'Invalid input: expected object');
  const w = when as Json;
  unknownKeys(w, MATCHER_KEYS, path, problem);
  for (const key of ['text', 'json'] as const) {
    const m = w[key];
    if (isObject(m) && typeof m['regex'] === 'string') {
      try {
        new RegExp(m['regex'], typeof m['flags'] === 'string' ? m['flags'] : '');
      } catch (err) {
        problem([...path, key, 'regex'], (err as Error).message);
      }
    }
  }
  for (const key of ['all', 'any'] as const)
    if (Array.isArray(w[key]))
      (w[key] as unknown[]).forEach((m, i) => checkMatcher(m, [...path, key, i], problem));
  if (w['not'] !== undefined) checkMatcher(w['not'], [...path, 'not'], problem);
}

function unknownKeys(map: Json, allowed: string[], path: (string | number)[], problem: Problem): void {
  const extra = Object.keys(map).find((k) => !allowed.includes(k));
  if (extra !== undefined) problem(path, `unknown field "${extra}"`, extra);
}

function nodeAt(doc: Document, path: (string | number)[], key?: string): Node | undefined {
  let node: unknown = doc.contents;
  let found = node as Node | undefined;
  for (const k of path) {
    const next = isMap(node)
      ? node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === k)?.value
      : isSeq(node) && typeof k === 'number'
        ? node.items[k]
        : undefined;
    if (next === undefined || next === null) break;
    node = next;
    found = next as Node;
  }
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair) return pair.key as Node;
  }
  return found;
}

function fieldOf(path: (string | number)[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${k}` : k;
  return out;
}

function isObject(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

// ---------------------------------------------------------------------------
// Matching and what the actions would send

interface Msg {
  kind: 'text' | 'binary';
  text: string;
  hex: string;
  json?: unknown;
  isJson: boolean;
}

function msgOf(p: Payload): Msg {
  if (p.type === 'binary') return { kind: 'binary', text: '', hex: bytesToHex(p.data), isJson: false };
  try {
    return {
      kind: 'text',
      text: p.text,
      hex: bytesToHex(utf8Encode(p.text)),
      json: JSON.parse(p.text),
      isJson: true,
    };
  } catch {
    return { kind: 'text', text: p.text, hex: bytesToHex(utf8Encode(p.text)), isJson: false };
  }
}

/** `$.a.b[0]` and `$["a"]`: the JSONPath subset the fake reads. */
function jsonAt(value: unknown, path: string): { found: boolean; value?: unknown } {
  const parts = [...path.replace(/^\$/, '').matchAll(/\.([^.[\]]+)|\[(\d+)\]|\["([^"]+)"\]/g)].map(
    (m) => m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!),
  );
  let v = value;
  for (const p of parts) {
    if (v === null || typeof v !== 'object' || !(p in (v as object))) return { found: false };
    v = (v as Record<string | number, unknown>)[p];
  }
  return { found: true, value: v };
}

function matches(when: unknown, msg: Msg): boolean {
  const w = when as Json;
  const hex = (h: unknown) =>
    String(h)
      .replace(/0x|[\s:,]/gi, '')
      .toLowerCase();
  return Object.entries(w).every(([key, m]) => {
    const t = m as Json;
    switch (key) {
      case 'kind':
        return msg.kind === m;
      case 'text':
        if (msg.kind !== 'text') return false;
        if ('equals' in t) return msg.text === t['equals'];
        if ('contains' in t) return msg.text.includes(String(t['contains']));
        return new RegExp(String(t['regex']), String(t['flags'] ?? '')).test(msg.text);
      case 'json': {
        if (!msg.isJson) return false;
        const at = jsonAt(msg.json, String(t['path']));
        if ('exists' in t) return at.found === t['exists'];
        if (!at.found) return false;
        if ('equals' in t) return JSON.stringify(at.value) === JSON.stringify(t['equals']);
        const s = typeof at.value === 'string' ? at.value : at.value === null ? '' : JSON.stringify(at.value);
        return new RegExp(String(t['regex']), String(t['flags'] ?? '')).test(s);
      }
      case 'binary':
        if (msg.kind !== 'binary') return false;
        if ('equalsHex' in t) return msg.hex === hex(t['equalsHex']);
        return msg.hex.startsWith(hex(t['prefixHex']));
      case 'all':
        return (m as unknown[]).every((x) => matches(x, msg));
      case 'any':
        return (m as unknown[]).some((x) => matches(x, msg));
      case 'not':
        return !matches(m, msg);
      default:
        return false;
    }
  });
}

type Step = MockTryResult['steps'][number];

function stepsOf(actions: Json[], msg: Msg): Step[] {
  const steps: Step[] = [];
  for (const a of actions) {
    if (typeof a['send'] === 'string') steps.push({ action: 'send', kind: 'text', text: a['send'] });
    else if (a['sendJson'] !== undefined)
      steps.push({ action: 'send', kind: 'text', text: JSON.stringify(a['sendJson']) });
    else if (typeof a['sendHex'] === 'string')
      steps.push({ action: 'send', kind: 'binary', hex: bytesToHex(hexToBytes(a['sendHex'])) });
    else if (typeof a['broadcast'] === 'string')
      steps.push({ action: 'broadcast', kind: 'text', text: a['broadcast'] });
    else if (a['echo'] === true)
      steps.push(
        msg.kind === 'text'
          ? { action: 'echo', kind: 'text', text: msg.text }
          : { action: 'echo', kind: 'binary', hex: msg.hex },
      );
    else if (typeof a['delay'] === 'number') steps.push({ action: 'delay', ms: a['delay'] });
    else if (isObject(a['close'])) {
      const c = a['close'];
      steps.push({ action: 'close', code: Number(c['code'] ?? 1000), text: String(c['reason'] ?? '') });
    } else {
      const verb = Object.keys(a)[0] ?? 'unknown';
      steps.push({ action: verb });
      if (verb === 'terminate' || verb === 'drop') break;
    }
  }
  return steps;
}

function tryOn(routes: Route[], message: Payload, path?: string): MockTryResult {
  const route = path === undefined ? routes[0] : routes.find((r) => samePath(r.path, path));
  if (!route) return { steps: [] };
  const msg = msgOf(message);
  const rule = route.rules.find((r) => matches(r.when, msg));
  const result: MockTryResult = { rule: rule?.name ?? 'otherwise', route: route.path, steps: [] };
  const actions = rule ? rule.then : route.otherwise;
  if (actions === 'echo')
    result.steps = stepsOf([{ echo: true }], msg).map((s) => ({ ...s, action: 'send' }));
  else if (actions !== 'none') result.steps = stepsOf(actions, msg);
  return result;
}

function samePath(pattern: string, path: string): boolean {
  const re = new RegExp(`^${pattern.replace(/:[^/]+/g, '[^/]+').replace(/\/$/, '')}/?$`);
  return re.test(new URL(path, 'http://x').pathname);
}

// ---------------------------------------------------------------------------

export function createFakeMocks(deps: FakeMockDeps) {
  const files = new Map<string, { text: string; modifiedAt: string }>();
  /** serverId → the mock it runs and its hit counts. */
  const running = new Map<string, { name: string; routes: Route[]; hits: Map<string, number> }>();
  const missing = (name: string) =>
    fail<never>({
      code: ErrorCodes.NOT_FOUND,
      message: `No mock named "${name}" in mocks; list the mocks again.`,
    });
  const guard = <T>(run: () => T): Result<T> => {
    try {
      return { ok: true, value: run() };
    } catch (err) {
      if (err instanceof FakeMockError) return { ok: false, error: err.info };
      throw err;
    }
  };
  const summary = (name: string, check: boolean): MockSummary => {
    const f = files.get(name)!;
    const s: MockSummary = {
      name,
      path: mockPathOf(name),
      size: utf8Encode(f.text).byteLength,
      modifiedAt: f.modifiedAt,
    };
    if (check) {
      const r = guard(() => checkMockText(f.text, mockPathOf(name)));
      if (!r.ok) s.error = r.error;
    }
    return s;
  };
  const hitsOf = (serverId: string): RuleHits => {
    const m = running.get(serverId);
    if (!m) return { serverId, routes: [] };
    return {
      serverId,
      routes: m.routes.map((r) => ({
        path: r.path,
        rules: r.rules.map((rule) => ({ rule: rule.name, hits: m.hits.get(`${r.path}\n${rule.name}`) ?? 0 })),
        otherwise: m.hits.get(`${r.path}\notherwise`) ?? 0,
      })),
    };
  };
  const write = (name: string, text: string) => {
    files.set(name, { text, modifiedAt: new Date().toISOString() });
    deps.emit('workspace.changed', { what: 'mocks' });
  };

  const commands = {
    mock: {
      list: async () => ok([...files.keys()].sort().map((n) => summary(n, true))),
      read: async (input: { name: string }) => {
        const f = files.get(input.name);
        return f ? ok({ name: input.name, path: mockPathOf(input.name), text: f.text }) : missing(input.name);
      },
      save: async (input: { name: string; text: string }) => {
        deps.record('mock.save')(input);
        const r = guard(() => checkMockText(input.text, mockPathOf(input.name)));
        if (!r.ok) return fail<MockSummary>(r.error);
        write(input.name, input.text);
        return ok(summary(input.name, false));
      },
      delete: async (input: { name: string }) => {
        deps.record('mock.delete')(input);
        if (!files.delete(input.name)) return missing(input.name);
        deps.emit('workspace.changed', { what: 'mocks' });
        return ok({ deleted: true });
      },
      start: async (input: { name: string; port?: number }) => {
        deps.record('mock.start')(input);
        const f = files.get(input.name);
        if (!f) return missing(input.name);
        const r = guard(() => checkMockText(f.text, mockPathOf(input.name)));
        if (!r.ok) return fail<ServerInfo>(r.error);
        const info = deps.addServer({
          host: '127.0.0.1',
          port: input.port ?? r.value.port,
          path: '/',
          protocols: [],
          echo: false,
          behaviours: ['rules'],
          running: true,
          clientCount: 0,
          mock: { name: input.name, file: `/workspace/${mockPathOf(input.name)}` },
          ...(r.value.tls ? { tls: { fingerprint: 'AB:CD:EF:01:23:45:67:89', selfSigned: true } } : {}),
        });
        running.set(info.serverId, { name: input.name, routes: r.value.routes, hits: new Map() });
        return ok(info);
      },
      try: async (input: { name?: string; text?: string; path?: string; message: Payload }) => {
        deps.record('mock.try')(input);
        const text = input.text ?? (input.name !== undefined ? files.get(input.name)?.text : undefined);
        if (text === undefined)
          return input.name !== undefined
            ? missing(input.name)
            : fail<MockTryResult>({
                code: ErrorCodes.INVALID_INPUT,
                message: 'mock.try needs the name of a mock or its text.',
              });
        const r = guard(() =>
          checkMockText(text, input.name !== undefined ? mockPathOf(input.name) : 'mock'),
        );
        if (!r.ok) return fail<MockTryResult>(r.error);
        return ok(tryOn(r.value.routes, input.message, input.path));
      },
      serveSession: async (input: { name: string; port?: number }) => {
        deps.record('mock.serveSession')(input);
        if (!deps.sessionMessages(input.name))
          return fail<ServerInfo>({
            code: ErrorCodes.FILE,
            message: `Cannot open the session ${input.name}: no such file in the workspace.`,
          });
        return ok(
          deps.addServer({
            host: '127.0.0.1',
            port: input.port ?? 0,
            path: '/',
            protocols: [],
            echo: false,
            behaviours: ['recording'],
            running: true,
            clientCount: 0,
          }),
        );
      },
      fromSession: async (input: { name: string; mockName: string }) => {
        deps.record('mock.fromSession')(input);
        const messages = deps.sessionMessages(input.name);
        if (!messages)
          return fail<MockSummary & { rules: number }>({
            code: ErrorCodes.FILE,
            message: `Cannot open the session ${input.name}: no such file in the workspace.`,
          });
        // As the engine: each client message a rule answering what the server sent after it.
        const rules: { name: string; when: Json; then: Json[] }[] = [];
        let current: Json[] | undefined;
        for (const m of messages) {
          if (m.dir === 'out') {
            current = [];
            rules.push({
              name: `message ${rules.length + 1}`,
              when: { text: { equals: m.text } },
              then: current,
            });
          } else if (m.dir === 'in' && current) current.push({ send: m.text });
        }
        for (const r of rules) if (r.then.length === 0) r.then.push({ drop: true });
        const doc = parseDocument('');
        doc.contents = doc.createNode({
          version: 1,
          port: 0,
          routes: [{ path: '/', rules, otherwise: 'none' }],
        }) as never;
        write(input.mockName, doc.toString({ lineWidth: 0 }));
        return ok({ ...summary(input.mockName, false), rules: rules.length });
      },
    },
    hits: async (input: { serverId: string }) => {
      if (!deps.server(input.serverId))
        return fail<RuleHits>({ code: ErrorCodes.NOT_FOUND, message: 'No such server.' });
      return ok(hitsOf(input.serverId));
    },
    certificate: async (input: { serverId: string }) => {
      deps.record('server.certificate')(input);
      const s = deps.server(input.serverId);
      if (!s) return fail<never>({ code: ErrorCodes.NOT_FOUND, message: 'No such server.' });
      if (!s.tls)
        return fail<{ pem: string; fingerprint: string; fileName: string }>({
          code: ErrorCodes.INVALID_STATE,
          message: `Server ${s.serverId} serves ws://, not wss://, so it has no certificate; start it with TLS to get one.`,
        });
      return ok({
        pem: '-----BEGIN CERTIFICATE-----\nRkFLRQ==\n-----END CERTIFICATE-----\n',
        fingerprint: s.tls.fingerprint,
        fileName: `duplex-${s.serverId}.crt`,
      });
    },
  };

  /** A client message to a running mock: logged in, answered by its rule (logged with the rule's name), counted. */
  const deliver = (serverId: string, clientId: string, message: Payload): MockTryResult => {
    const m = running.get(serverId);
    if (!m) throw new Error(`server ${serverId} runs no mock`);
    deps.append(serverId, 'in', message, { clientId });
    const result = tryOn(m.routes, message);
    const rule = result.rule ?? 'otherwise';
    const key = `${result.route}\n${rule}`;
    m.hits.set(key, (m.hits.get(key) ?? 0) + 1);
    for (const s of result.steps) {
      if (s.kind === 'text')
        deps.append(serverId, 'out', { type: 'text', text: s.text ?? '' }, { clientId, rule });
      else if (s.kind === 'binary')
        deps.append(
          serverId,
          'out',
          { type: 'binary', data: new Uint8Array(hexToBytes(s.hex ?? '')) },
          { clientId, rule },
        );
    }
    deps.emit('server.hits', hitsOf(serverId));
    return result;
  };

  return {
    commands,
    deliver,
    add: (name: string, text: string) => files.set(name, { text, modifiedAt: new Date().toISOString() }),
  };
}
