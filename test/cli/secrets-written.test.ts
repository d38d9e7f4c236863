/**
 * A secret used for real — in the URL, a header, a text and a binary message —
 * through `duplex connect --record --json` and `duplex export`, then every file
 * Duplex wrote (workspace, session, HAR) and everything it printed is searched
 * for the secret's bytes (as text, base64 and hex). With --no-redact it is there:
 * the search can find it. The same search runs over the reports `duplex test
 * --reporter junit|json --out FILE` writes for a flow that uses the secret, and
 * over the session `duplex serve --mock --env --record` writes for a mock that
 * sends it.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { until } from '../support/until.js';
import { CLI_PATH, ROOT, startServe } from './helpers.js';

const SECRET = 'sEcReT-9b1f4e27';
/** A second secret that a URL cannot hold as it is: it is written percent-encoded. */
const URL_SECRET = 'pä ss"wd-51c0';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Every file under `dir`, with its bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ path: join(e.parentPath, e.name), bytes: readFileSync(join(e.parentPath, e.name)) }));
}

/**
 * The forms a secret can take in Duplex's files: itself, base64 (binary payloads, HAR), hex;
 * the URL one as a URL's query writes it, and percent-encoded as a component.
 */
const forms = [
  SECRET,
  Buffer.from(SECRET).toString('base64'),
  Buffer.from(SECRET).toString('hex'),
  URL_SECRET,
  new URL(`ws://h/?${URL_SECRET}`).search.slice(1),
  encodeURIComponent(URL_SECRET),
];
const leaks = (text: string | Buffer): string[] => forms.filter((f) => text.includes(f));

async function scenario(extra: string[]): Promise<{ ws: string; printed: string }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', r));
  // The server echoes, so the secret also comes back in received messages.
  wss.on('connection', (sock) => sock.on('message', (d, binary) => sock.send(d, { binary })));
  cleanups.push(() => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
  const port = (wss.address() as { port: number }).port;
  const ws = mkdtempSync(join(tmpdir(), 'duplex-leak-'));
  cleanups.push(() => rmSync(ws, { recursive: true, force: true }));
  mkdirSync(join(ws, 'environments'));
  writeFileSync(
    join(ws, 'environments', 'dev.json'),
    JSON.stringify({
      version: 1,
      variables: [
        { name: 'host', value: `127.0.0.1:${port}` },
        { name: 'token', secret: true },
        { name: 'pass', secret: true },
      ],
    }),
  );
  const env = { DUPLEX_SECRET_TOKEN: SECRET, DUPLEX_SECRET_PASS: URL_SECRET };
  const connect = await run(
    [
      'connect',
      'ws://{{host}}/feed?key={{token}}&pw={{pass}}',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--header',
      'Authorization: Bearer {{token}}',
      '--header',
      'X-Token: {{token}}',
      '--send',
      '{"auth":"{{token}}","id":"{{uuid}}"}',
      '--send-hex',
      `00${Buffer.from(SECRET).toString('hex')}ff`,
      '--count',
      '2',
      '--record',
      join(ws, 'sessions', 'run.jsonl'),
      '--json',
      ...extra,
    ],
    env,
  );
  expect(connect.stderr).toBe('');
  expect(connect.code).toBe(0);
  const exported = await run(
    ['export', join(ws, 'sessions', 'run.jsonl'), '--out', join(ws, 'run.har'), ...extra],
    env,
  );
  expect(exported.code).toBe(0);
  return { ws, printed: connect.stdout + connect.stderr + exported.stdout + exported.stderr };
}

describe('a secret in every file Duplex wrote', () => {
  it('is in none of them, nor in what it printed; Authorization is redacted too', async () => {
    const { ws, printed } = await scenario([]);
    const files = filesUnder(ws);
    expect(files.map((f) => f.path.slice(ws.length + 1)).sort()).toEqual([
      'environments/dev.json',
      'run.har',
      'sessions/run.jsonl',
    ]);
    for (const f of files)
      expect({ file: f.path, leaks: leaks(f.bytes) }).toEqual({ file: f.path, leaks: [] });
    expect(leaks(printed)).toEqual([]);
    const har = readFileSync(join(ws, 'run.har'), 'utf8');
    expect(har).toContain('"name": "Authorization"');
    expect(har).not.toContain('Bearer');
    expect(readFileSync(join(ws, 'sessions', 'run.jsonl'), 'utf8')).toContain('[redacted]');
    // The binary message kept its length: the secret's bytes became '*'.
    const sent = printed.split('\n').filter((l) => l.includes('"type":"binary"'))[0]!;
    const data = Buffer.from((JSON.parse(sent) as { data: string }).data, 'base64');
    expect(data).toEqual(
      Buffer.concat([Buffer.from([0]), Buffer.alloc(SECRET.length, '*'), Buffer.from([0xff])]),
    );
  });

  it('with --no-redact the same run keeps it: the search above can find it', async () => {
    const { ws, printed } = await scenario(['--no-redact']);
    expect(leaks(readFileSync(join(ws, 'sessions', 'run.jsonl')))).not.toEqual([]);
    expect(readFileSync(join(ws, 'run.har'), 'utf8')).toContain(`Bearer ${SECRET}`);
    expect(leaks(printed)).not.toEqual([]);
  });
});

/** A workspace whose `dev` environment holds the secret `token`, and an echo mock. */
function secretWorkspace(): { ws: string; mock: string } {
  const ws = mkdtempSync(join(tmpdir(), 'duplex-leak-'));
  cleanups.push(() => rmSync(ws, { recursive: true, force: true }));
  mkdirSync(join(ws, 'environments'));
  writeFileSync(
    join(ws, 'environments', 'dev.json'),
    JSON.stringify({ version: 1, variables: [{ name: 'token', secret: true }] }),
  );
  const mock = join(ws, 'echo-mock.yaml');
  writeFileSync(mock, 'port: 0\nroutes:\n  - path: /echo\n    otherwise: echo\n');
  return { ws, mock };
}

describe('a secret in the reports duplex test writes', () => {
  // The secret goes into the URL, a header, a message that is echoed back, a
  // captured variable, and a failing expect that quotes what it expected and what arrived.
  const flow = `name: uses a secret
steps:
  - connect:
      url: "{{mock.url}}/echo?key={{token}}"
      headers: { Authorization: "Bearer {{token}}", X-Token: "{{token}}" }
  - send: "token={{token}}"
  - expect: { text: { contains: "token=" } }
  - capture: { as: echoed, regex: "token=(.+)" }
  - send: "again {{echoed}}"
  - expect: { text: { equals: "{{token}} is not this" }, within: 300 }
  - send: never
`;

  for (const reporter of ['junit', 'json'] as const) {
    it(`--reporter ${reporter} --out FILE: the report is written, the secret is in no file`, async () => {
      const { ws, mock } = secretWorkspace();
      const flowFile = join(ws, 'secret-flow.yaml');
      writeFileSync(flowFile, flow);
      const out = join(ws, `report.${reporter === 'junit' ? 'xml' : 'json'}`);
      const r = await run(
        [
          'test',
          flowFile,
          '--workspace',
          ws,
          '--env',
          'dev',
          '--mock',
          mock,
          '--reporter',
          reporter,
          '--out',
          out,
        ],
        { DUPLEX_SECRET_TOKEN: SECRET },
      );
      // The failing expect fails the run (1); everything before it passed, so the secret was used.
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: '' });
      const report = readFileSync(out, 'utf8');
      if (reporter === 'junit') {
        expect(report).toContain('<testsuite');
        expect(report).toMatch(/<failure [^>]*message="[^"]*\[redacted\]/);
      } else {
        const parsed = JSON.parse(report) as {
          flows: { passed: number; failed: number; steps: { status: string; message?: string }[] }[];
        };
        expect(parsed.flows[0]).toMatchObject({ passed: 5, failed: 1 });
        const failure = parsed.flows[0]!.steps.find((s) => s.status === 'failed')!;
        expect(failure.message).toContain('[redacted]');
      }
      const files = filesUnder(ws);
      expect(files.map((f) => f.path.slice(ws.length + 1)).sort()).toEqual(
        ['echo-mock.yaml', 'environments/dev.json', out.slice(ws.length + 1), 'secret-flow.yaml'].sort(),
      );
      for (const f of files)
        expect({ file: f.path, leaks: leaks(f.bytes) }).toEqual({ file: f.path, leaks: [] });
      expect(leaks(r.stdout + r.stderr)).toEqual([]);
    });
  }
});

describe('a secret in the session duplex serve --mock --env --record writes', () => {
  it('a mock that sends the secret (and a client that sends it back) records none of it', async () => {
    const { ws } = secretWorkspace();
    const mock = join(ws, 'greet-mock.yaml');
    writeFileSync(
      mock,
      [
        'port: 0',
        'routes:',
        '  - path: /',
        '    onConnect:',
        '      - send: "{{vars.greeting}} {{vars.token}}"',
        '    otherwise: echo',
      ].join('\n'),
    );
    const session = join(ws, 'sessions', 'serve.jsonl');
    process.env['DUPLEX_SECRET_TOKEN'] = SECRET;
    let started: Awaited<ReturnType<typeof startServe>>;
    try {
      started = await startServe(
        '--mock',
        mock,
        '--workspace',
        ws,
        '--env',
        'dev',
        '--var',
        'greeting=hello',
        '--record',
        session,
      );
    } finally {
      delete process.env['DUPLEX_SECRET_TOKEN'];
    }
    const { serve, url } = started;
    cleanups.push(() => serve.kill());
    const client = new WebSocket(url);
    const got: (string | Buffer)[] = [];
    client.on('message', (d: Buffer, binary) => got.push(binary ? d : d.toString()));
    await new Promise<void>((r) => client.once('open', () => r()));
    const binary = Buffer.concat([Buffer.from([0]), Buffer.from(SECRET), Buffer.from([0xff])]);
    client.send(`echo ${SECRET}`);
    client.send(binary);
    await until(() => got.length === 3);
    // The client got the secret itself: the mock used it, and echoed what the client sent.
    expect(got).toEqual([`hello ${SECRET}`, `echo ${SECRET}`, binary]);
    client.close(1000);
    await serve.waitForLine(/"event":"disconnect"/);
    serve.kill('SIGTERM');
    expect((await serve.exit()).code).toBe(0);

    const recorded = readFileSync(session, 'utf8');
    expect(recorded).toContain('hello [redacted]');
    expect(recorded).toContain('echo [redacted]');
    const files = filesUnder(ws);
    expect(files.map((f) => f.path.slice(ws.length + 1)).sort()).toEqual([
      'echo-mock.yaml',
      'environments/dev.json',
      'greet-mock.yaml',
      'sessions/serve.jsonl',
    ]);
    for (const f of files)
      expect({ file: f.path, leaks: leaks(f.bytes) }).toEqual({ file: f.path, leaks: [] });
    expect(leaks(serve.stdout + serve.stderr)).toEqual([]);
  });
});
