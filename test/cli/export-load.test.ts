/**
 * `duplex export --format k6|artillery`: the Artillery scenario is run for real
 * (the artillery devDependency) against a Duplex mock, and its own report is
 * read back; the k6 script is parsed and its imports and calls are checked
 * against k6's documented API (k6 itself is not installable here; where `k6`
 * is on PATH the script is also run with it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { afterEachTest, ROOT, runDuplex, startServe } from './helpers.js';

const { track, tempDir } = afterEachTest('duplex-load-');
const ARTILLERY = join(ROOT, 'node_modules/.bin/artillery');

const MOCK = `port: 8080
routes:
  - path: /chat
    onConnect:
      - send: '{"type":"welcome"}'
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then: [ { send: '{"type":"pong","id":{{json msg.json.id}}}' } ]
    otherwise: echo
`;

/** A flow with variables, a capture and a secret (environments/dev.json marks token secret). */
const FLOW = `name: chat load
env: dev
vars: { room: lobby }
steps:
  - connect: { url: "{{mock.url}}/chat" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: { json: { type: ping, id: 7 } }
  - expect: { json: { path: $.id, equals: 7 } }
  - capture: { as: pid, json: $.id }
  - send: "room {{room}} id {{pid}}"
  - expect: { text: { equals: "room lobby id {{pid}}" } }
  - send: "token {{token}}"
  - expect: { text: { contains: "token " } }
  - send: { hex: "00 ff" }
  - ping:
`;
const SECRET = 's3cr3t-value-never-written';

interface Workspace {
  dir: string;
  flow: string;
}

function workspace(flow = FLOW): Workspace {
  const dir = tempDir();
  mkdirSync(join(dir, 'flows'));
  mkdirSync(join(dir, 'environments'));
  mkdirSync(join(dir, 'mocks'));
  writeFileSync(join(dir, 'mocks/chat.yaml'), MOCK);
  writeFileSync(
    join(dir, 'environments/dev.json'),
    JSON.stringify({ version: 1, variables: [{ name: 'token', secret: true }] }),
  );
  writeFileSync(join(dir, 'flows/chat.yaml'), flow);
  return { dir, flow: join(dir, 'flows/chat.yaml') };
}

async function startMock(dir: string): Promise<string> {
  const { serve, url } = await startServe('--mock', join(dir, 'mocks/chat.yaml'));
  track(serve);
  return url.replace(/\/$/, '');
}

interface ArtilleryRun {
  code: number | null;
  output: string;
  report: { aggregate: { counters: Record<string, number> } };
}

/** Runs Artillery on a script, with --output report.json, and reads its report. */
async function runArtillery(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ArtilleryRun> {
  const report = `${script}.report.json`;
  const child = spawn(ARTILLERY, ['run', '--output', report, ...args, script], {
    cwd: ROOT,
    env: { ...process.env, ...env, DO_NOT_TRACK: '1', ARTILLERY_DISABLE_TELEMETRY: 'true' },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  if (!existsSync(report)) throw new Error(`artillery wrote no report (exit ${code}):\n${output}`);
  return { code, output, report: JSON.parse(readFileSync(report, 'utf8')) as ArtilleryRun['report'] };
}

describe('duplex export --format artillery, run by Artillery against a Duplex mock', () => {
  it(
    'a recorded session: every virtual user completes, Artillery counts the messages, exit 0',
    { timeout: 120_000 },
    async () => {
      const ws = workspace();
      const base = await startMock(ws.dir);
      const session = join(ws.dir, 'chat.jsonl');
      const rec = await runDuplex(
        'connect',
        `${base}/chat`,
        '--send',
        '{"type":"ping","id":1}',
        '--send',
        'hello',
        '--count',
        '3',
        '--record',
        session,
      );
      expect(rec.result.code).toBe(0);
      const out = join(ws.dir, 'chat.artillery.yml');
      const exp = await runDuplex(
        'export',
        session,
        '--format',
        'artillery',
        '--out',
        out,
        '--duration',
        '2',
        '--vus',
        '2',
      );
      expect(exp.result.code).toBe(0);
      expect(exp.stdout.trim()).toBe(out);
      const script = readFileSync(out, 'utf8');
      expect(script).toMatch(/engine: ws/);
      const run = await runArtillery(out, []);
      const c = run.report.aggregate.counters;
      expect(run.code, run.output).toBe(0);
      expect(c['vusers.created']).toBeGreaterThanOrEqual(2);
      expect(c['vusers.completed']).toBe(c['vusers.created']);
      expect(c['vusers.failed'] ?? 0).toBe(0);
      expect(c['errors.Failed capture or match']).toBeUndefined();
      // Each virtual user: the two recorded sends, and three replies checked (welcome, pong, echo).
      expect(c['websocket.messages_sent']).toBe(2 * c['vusers.created']!);
      expect(c['websocket.messages_received']).toBe(3 * c['vusers.created']!);
    },
  );

  it(
    "a flow with variables, a capture and a secret: variables are Artillery's own, the secret an env lookup; it passes",
    { timeout: 120_000 },
    async () => {
      const ws = workspace();
      const base = await startMock(ws.dir);
      const out = join(ws.dir, 'chat.artillery.yml');
      const exp = await runDuplex(
        'export',
        ws.flow,
        '--format',
        'artillery',
        '--out',
        out,
        '--duration',
        '1',
        '--json',
      );
      expect(exp.result.code).toBe(0);
      const printed = exp.events[0] as { path: string; notExpressed: { step: string; what: string }[] };
      expect(printed.path).toBe(out);
      // The binary send and the ping cannot be expressed: listed, and commented at their step.
      expect(printed.notExpressed.map((n) => n.step)).toEqual(
        expect.arrayContaining(['steps[9]', 'steps[10]']),
      );
      const script = readFileSync(out, 'utf8');
      expect(script).toContain('room: lobby');
      expect(script).toContain('{{ room }}');
      expect(script).toContain('{{ $env.DUPLEX_SECRET_TOKEN }}');
      expect(script).toMatch(/# not expressed: sends a binary message/);
      expect(script).toMatch(/# not expressed: sends a ping/);
      expect(script).not.toContain(SECRET);
      // The URL's variables are written in with their defaults (the ws engine connects before any step); --target aims it.
      expect(script).toContain('target: ws://127.0.0.1:8080/chat');
      expect(script).not.toMatch(/- connect:/);
      const run = await runArtillery(out, ['--target', `${base}/chat`], { DUPLEX_SECRET_TOKEN: SECRET });
      const c = run.report.aggregate.counters;
      expect(run.code, run.output).toBe(0);
      expect(c['vusers.completed']).toBe(c['vusers.created']);
      expect(c['vusers.created']).toBeGreaterThanOrEqual(1);
      expect(c['websocket.messages_received']).toBe(4 * c['vusers.created']!);
      expect(run.output).toMatch(/ok: vusers\.completed == vusers\.created/);
    },
  );

  it(
    'a failing check is reported as failing: "Failed capture or match" in the report, vusers failed, exit 1',
    { timeout: 120_000 },
    async () => {
      const ws = workspace(`steps:
  - connect: { url: "{{mock.url}}/chat" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: { json: { type: ping, id: 7 } }
  - expect: { json: { path: $.id, equals: 8 } }
`);
      const base = await startMock(ws.dir);
      const out = join(ws.dir, 'fail.artillery.yml');
      expect(
        (await runDuplex('export', ws.flow, '--format', 'artillery', '--out', out, '--duration', '1')).result
          .code,
      ).toBe(0);
      const run = await runArtillery(out, ['--target', `${base}/chat`]);
      const c = run.report.aggregate.counters;
      expect(run.code).toBe(1);
      expect(c['errors.Failed capture or match']).toBeGreaterThanOrEqual(1);
      expect(c['vusers.failed']).toBe(c['vusers.created']);
      expect(run.output).toMatch(/fail: vusers\.completed == vusers\.created/);
    },
  );
});

/**
 * k6's documented API, the part the exported scripts may use, with where it is documented
 * (https://grafana.com/docs/k6/latest/javascript-api/…).
 */
const K6_API = {
  imports: {
    'k6/websockets': ['WebSocket'], // k6-websockets/ — "import { WebSocket } from 'k6/websockets'"
    k6: ['check'], // k6/check/
    'k6/encoding': ['b64decode'], // k6-encoding/b64decode/
    'k6/timers': ['setTimeout', 'clearTimeout'], // k6-timers/
  } as Record<string, string[]>,
  // k6-websockets/websocket/: send(data), ping(), close([code]), addEventListener(event, handler), binaryType, readyState
  webSocketMembers: new Set(['send', 'ping', 'close', 'addEventListener', 'binaryType', 'readyState']),
  // k6-websockets/websocket/websocket-addeventlistener/: the event names
  events: new Set(['open', 'message', 'ping', 'pong', 'close', 'error']),
  // WebSocket ready-state constants (k6-websockets/websocket/, "Ready-state constants")
  webSocketStatics: new Set(['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']),
  // using-k6/k6-options/reference/: vus, duration, thresholds, insecureSkipTLSVerify
  options: new Set(['vus', 'duration', 'thresholds', 'insecureSkipTLSVerify']),
};

/** What a k6 script uses of k6, read from its syntax tree. */
function k6Usage(text: string): {
  diagnostics: string[];
  imports: Record<string, string[]>;
  wsMembers: Set<string>;
  events: Set<string>;
  statics: Set<string>;
  options: Set<string>;
} {
  const file = ts.createSourceFile('script.js', text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics.map((d) =>
    ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  );
  const imports: Record<string, string[]> = {};
  const wsMembers = new Set<string>();
  const events = new Set<string>();
  const statics = new Set<string>();
  const options = new Set<string>();
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const from = (node.moduleSpecifier as ts.StringLiteral).text;
      const names = node.importClause?.namedBindings;
      imports[from] =
        names && ts.isNamedImports(names) ? names.elements.map((e) => e.name.text) : ['<default>'];
    }
    if (ts.isPropertyAccessExpression(node)) {
      const target = node.expression;
      const isWs =
        (ts.isIdentifier(target) && target.text === 'ws') ||
        (ts.isPropertyAccessExpression(target) && target.name.text === 'ws');
      if (isWs) wsMembers.add(node.name.text);
      if (ts.isIdentifier(target) && target.text === 'WebSocket') statics.add(node.name.text);
      if (ts.isIdentifier(target) && target.text === 'options') options.add(node.name.text);
    }
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'addEventListener'
    ) {
      const first = node.arguments[0];
      events.add(first && ts.isStringLiteral(first) ? first.text : '<not a literal>');
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === 'options') {
      const init = node.initializer;
      if (init && ts.isObjectLiteralExpression(init)) {
        for (const p of init.properties) if (p.name && ts.isIdentifier(p.name)) options.add(p.name.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { diagnostics, imports, wsMembers, events, statics, options };
}

const haveK6 = (() => {
  try {
    execFileSync('k6', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('duplex export --format k6', () => {
  it('a flow: a script that parses as a module and uses only documented k6 API', async () => {
    const ws = workspace();
    const out = join(ws.dir, 'chat.k6.js');
    const exp = await runDuplex(
      'export',
      ws.flow,
      '--format',
      'k6',
      '--out',
      out,
      '--vus',
      '5',
      '--duration',
      '20',
    );
    expect(exp.result.code).toBe(0);
    const script = readFileSync(out, 'utf8');
    const use = k6Usage(script);
    expect(use.diagnostics).toEqual([]);
    // node --check parses it as an ES module too (it resolves no import).
    execFileSync(process.execPath, ['--check', '--input-type=module'], { input: script });
    for (const [from, names] of Object.entries(use.imports)) {
      expect(K6_API.imports[from], `import from ${from}`).toBeDefined();
      for (const n of names) expect(K6_API.imports[from]).toContain(n);
    }
    expect(Object.keys(use.imports).sort()).toEqual(['k6', 'k6/encoding', 'k6/timers', 'k6/websockets']);
    for (const m of use.wsMembers) expect(K6_API.webSocketMembers, `ws.${m}`).toContain(m);
    for (const e of use.events) expect(K6_API.events, `event ${e}`).toContain(e);
    for (const s of use.statics) expect(K6_API.webSocketStatics, `WebSocket.${s}`).toContain(s);
    for (const o of use.options) expect(K6_API.options, `options.${o}`).toContain(o);
    expect(use.wsMembers).toEqual(
      new Set(['binaryType', 'addEventListener', 'readyState', 'close', 'send', 'ping']),
    );
    // Variables are k6's own: -e NAME=value overrides the flow's default; the secret is read from the environment.
    expect(script).toContain('"room": __ENV["room"] !== undefined ? __ENV["room"] : "lobby"');
    expect(script).toContain('"token": __ENV.DUPLEX_SECRET_TOKEN');
    expect(script).toContain('vus: Number(__ENV.VUS || 5)');
    expect(script).toContain(`duration: __ENV.DURATION || "20s"`);
    expect(script).toContain(`thresholds: { checks: ['rate==1.0'] }`);
    expect(script).not.toContain(SECRET);
    // The ping's data and nothing else is beyond k6 here: it is a comment at its step and listed on stderr.
    expect(exp.stderr).not.toMatch(/steps\[9\]/);
  });

  it('a session: the recorded messages become sends and checks (binary as base64, exact text)', async () => {
    const ws = workspace();
    const base = await startMock(ws.dir);
    const session = join(ws.dir, 'bin.jsonl');
    const rec = await runDuplex(
      'connect',
      `${base}/chat`,
      '--send-hex',
      '00ff10',
      '--send',
      'hi',
      '--count',
      '3',
      '--record',
      session,
    );
    expect(rec.result.code).toBe(0);
    const exp = await runDuplex('export', session, '--format', 'k6');
    expect(exp.result.code).toBe(0);
    const out = join(ws.dir, 'bin.k6.js');
    expect(exp.stdout.trim()).toBe(out);
    const script = readFileSync(out, 'utf8');
    expect(k6Usage(script).diagnostics).toEqual([]);
    expect(script).toContain(`base64: "AP8Q"`);
    expect(script).toContain(`bytesAre(d, "00ff10", true)`);
    expect(script).toContain(`d === "{\\"type\\":\\"welcome\\"}"`);
    expect(script).toContain(`d === "hi"`);
  });

  it.skipIf(!haveK6)(
    'runs with k6 against a Duplex mock [skipped: k6 is not on PATH here; it is not installable from npm]',
    async () => {
      const ws = workspace();
      const base = await startMock(ws.dir);
      const out = join(ws.dir, 'chat.k6.js');
      expect(
        (await runDuplex('export', ws.flow, '--format', 'k6', '--out', out, '--duration', '2')).result.code,
      ).toBe(0);
      const result = execFileSync('k6', ['run', '-e', `mock=${JSON.stringify({ url: base })}`, out], {
        env: { ...process.env, DUPLEX_SECRET_TOKEN: SECRET },
        encoding: 'utf8',
      });
      expect(result).toMatch(/checks/);
    },
  );
});

describe('duplex export --env / --var', () => {
  it("a --var wins over the flow's vars and its environment: the k6 VARS and Artillery config.variables default to it", async () => {
    const ws = workspace();
    writeFileSync(
      join(ws.dir, 'environments/dev.json'),
      JSON.stringify({
        version: 1,
        variables: [
          { name: 'token', secret: true },
          { name: 'room', value: 'from-env' },
          { name: 'floor', value: 'from-env' },
        ],
      }),
    );
    const k6Out = join(ws.dir, 'vars.k6.js');
    const artOut = join(ws.dir, 'vars.artillery.yml');
    const flags = ['--env', 'dev', '--var', 'room=kitchen', '--var', 'extra=1 2'];
    const [k6, art] = await Promise.all([
      runDuplex('export', ws.flow, '--format', 'k6', '--out', k6Out, ...flags),
      runDuplex('export', ws.flow, '--format', 'artillery', '--out', artOut, ...flags),
    ]);
    expect(k6.result.code).toBe(0);
    expect(art.result.code).toBe(0);
    const script = readFileSync(k6Out, 'utf8');
    expect(k6Usage(script).diagnostics).toEqual([]);
    expect(script).toContain('"room": __ENV["room"] !== undefined ? __ENV["room"] : "kitchen"');
    expect(script).toContain('"floor": __ENV["floor"] !== undefined ? __ENV["floor"] : "from-env"');
    expect(script).toContain('"extra": __ENV["extra"] !== undefined ? __ENV["extra"] : "1 2"');
    expect(script).toContain('"token": __ENV.DUPLEX_SECRET_TOKEN');
    const config = (
      parseYaml(readFileSync(artOut, 'utf8')) as { config: { variables: Record<string, unknown> } }
    ).config;
    expect(config.variables).toMatchObject({ room: 'kitchen', floor: 'from-env', extra: '1 2' });
  });

  it('--var on a session, or not key=value, is a usage error (exit 2)', async () => {
    const ws = workspace();
    const session = join(ws.dir, 'x.jsonl');
    writeFileSync(session, '');
    const [onSession, bad] = await Promise.all([
      runDuplex('export', session, '--format', 'k6', '--var', 'a=b'),
      runDuplex('export', ws.flow, '--format', 'k6', '--var', 'novalue'),
    ]);
    expect(onSession.result.code).toBe(2);
    expect(onSession.stderr).toMatch(/--env and --var go with a flow file/);
    expect(bad.result.code).toBe(2);
    expect(bad.stderr).toMatch(/--var "novalue" is not key=value/);
  });
});

describe('duplex export arguments', () => {
  it('HAR needs --out; a flow cannot be HAR; a bad --format is a usage error (exit 2)', async () => {
    const ws = workspace();
    const [noOut, flowHar, badFormat, badVus] = await Promise.all([
      runDuplex('export', join(ws.dir, 'x.jsonl')),
      runDuplex('export', ws.flow, '--out', join(ws.dir, 'x.har')),
      runDuplex('export', ws.flow, '--format', 'jmeter'),
      runDuplex('export', ws.flow, '--format', 'k6', '--vus', '0'),
    ]);
    expect(noOut.result.code).toBe(2);
    expect(noOut.stderr).toMatch(/needs --out/);
    expect(flowHar.result.code).toBe(2);
    expect(badFormat.result.code).toBe(2);
    expect(badFormat.stderr).toMatch(/jmeter/);
    expect(badVus.result.code).toBe(2);
    expect(badVus.stderr).toMatch(/--vus/);
  });

  it('an invalid flow names the file and line (exit 2) and writes nothing', async () => {
    const ws = workspace('steps:\n  - send: hi\n    expect: { text: { equals: hi } }\n');
    const out = join(ws.dir, 'bad.k6.js');
    const p = await runDuplex('export', ws.flow, '--format', 'k6', '--out', out);
    expect(p.result.code).toBe(2);
    expect(p.stderr).toMatch(/chat\.yaml:2/);
    expect(existsSync(out)).toBe(false);
  });
});
