/**
 * `--env`, `--var` and secrets on the command line, as real processes against
 * a ws server in the test: values resolved in the URL, headers and messages, an
 * unknown variable exits 2 naming it before anything is sent, secrets come from
 * DUPLEX_SECRET_<NAME> or a 0600 secrets.local.json (a looser file is refused),
 * and what is printed and recorded has them redacted unless --no-redact.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { CLI_PATH, ROOT, startServe } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

interface Peer {
  port: number;
  heard: string[];
  headers: Record<string, string | string[] | undefined>[];
  urls: string[];
}

/** A ws server that answers each message with `got <message>`. */
async function peer(): Promise<Peer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const p: Peer = { port: (wss.address() as { port: number }).port, heard: [], headers: [], urls: [] };
  wss.on('connection', (ws: WebSocket, req) => {
    p.headers.push(req.headers);
    p.urls.push(req.url ?? '');
    ws.on('message', (data) => {
      p.heard.push(String(data));
      ws.send(`got ${String(data)}`);
    });
  });
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return p;
}

function workspace(envs: Record<string, unknown[]> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-cli-vars-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'environments'));
  for (const [name, variables] of Object.entries(envs)) {
    writeFileSync(join(dir, 'environments', `${name}.json`), JSON.stringify({ version: 1, variables }));
  }
  return dir;
}

/** Runs `duplex ...args` with extra environment variables; resolves with its exit and output. */
function run(
  args: string[],
  env: Record<string, string> = {},
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

const lines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('duplex connect --env / --var', () => {
  it('resolves the URL, headers and messages from the environment; --var wins', async () => {
    const p = await peer();
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'room', value: 'lobby' },
      ],
    });
    const r = await run([
      'connect',
      'ws://{{host}}/rooms/{{room}}',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--var',
      'room=kitchen',
      '--header',
      'X-Room: {{room}}',
      '--send',
      'hello {{room}} {{randomInt 3 3}}',
      '--count',
      '1',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.urls).toEqual(['/rooms/kitchen']);
    expect(p.headers[0]!['x-room']).toBe('kitchen');
    expect(p.heard).toEqual(['hello kitchen 3']);
    const events = lines(r.stdout);
    expect(events[0]).toMatchObject({ event: 'open', url: `ws://127.0.0.1:${p.port}/rooms/kitchen` });
    expect(events.filter((e) => e.event === 'message').map((e) => e.data)).toEqual([
      'hello kitchen 3',
      'got hello kitchen 3',
    ]);
  });

  it('an unknown variable exits 2 naming it, before connecting or sending', async () => {
    const p = await peer();
    const ws = workspace({ dev: [{ name: 'host', value: `127.0.0.1:${p.port}` }] });
    const inMessage = await run([
      'connect',
      'ws://{{host}}/',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--send',
      '{{nope}}',
    ]);
    expect(inMessage.code).toBe(2);
    expect(inMessage.stderr).toMatch(
      /Unknown variable nope in the text; environment "dev" does not define it/,
    );
    const inUrl = await run(['connect', 'ws://{{host}}/{{missing}}', '--workspace', ws, '--env', 'dev']);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toMatch(/Unknown variable missing in the URL/);
    const noEnv = await run(['connect', 'ws://{{host}}/', '--workspace', ws]);
    expect(noEnv.code).toBe(2);
    expect(noEnv.stderr).toMatch(
      /Unknown variable host in the URL; no environment is active: choose one \(--env NAME\) or pass --var host=VALUE/,
    );
    expect(p.urls).toEqual([]);
    expect(p.heard).toEqual([]);
  });

  it('bad --var and a missing environment exit 2', async () => {
    const ws = workspace({ prod: [] });
    const badVar = await run(['connect', 'ws://127.0.0.1:9/', '--var', 'novalue']);
    expect(badVar.code).toBe(2);
    expect(badVar.stderr).toMatch(/--var "novalue" is not key=value/);
    const missing = await run(['connect', 'ws://127.0.0.1:9/', '--workspace', ws, '--env', 'dev']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No environment "dev".*Environments here: prod/);
    writeFileSync(join(ws, 'environments', 'bad.json'), '{"version":1,"variables":[{"name":"x"}]}');
    const bad = await run(['connect', 'ws://127.0.0.1:9/', '--workspace', ws, '--env', 'bad']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /bad\.json: variables\.0\.value \(variable "x"\): a variable that is not secret needs a "value"/,
    );
  });
});

describe('secrets on the command line', () => {
  const SECRET = 'sk-live-7f3a9c1e';

  it('from DUPLEX_SECRET_<NAME>; printed redacted; --no-redact keeps it', async () => {
    const p = await peer();
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'token', secret: true },
      ],
    });
    const args = [
      'connect',
      'ws://{{host}}/',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--header',
      'Authorization: Bearer {{token}}',
      '--send',
      '{"auth":"{{token}}"}',
      '--count',
      '1',
      '--json',
    ];
    const r = await run(args, { DUPLEX_SECRET_TOKEN: SECRET });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.headers[0]!['authorization']).toBe(`Bearer ${SECRET}`);
    expect(p.heard).toEqual([`{"auth":"${SECRET}"}`]);
    expect(r.stdout).not.toContain(SECRET);
    expect(
      lines(r.stdout)
        .filter((e) => e.event === 'message')
        .map((e) => e.data),
    ).toEqual(['{"auth":"[redacted]"}', 'got {"auth":"[redacted]"}']);
    const human = await run(
      args.filter((a) => a !== '--json'),
      { DUPLEX_SECRET_TOKEN: SECRET },
    );
    expect(human.code).toBe(0);
    expect(human.stdout).not.toContain(SECRET);
    expect(human.stdout).toContain('[redacted]');
    const kept = await run([...args, '--no-redact'], { DUPLEX_SECRET_TOKEN: SECRET });
    expect(kept.stdout).toContain(SECRET);
  });

  it('from a 0600 secrets.local.json; a file readable by others is refused with the fix', async () => {
    const p = await peer();
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'token', secret: true },
      ],
    });
    const file = join(ws, 'secrets.local.json');
    writeFileSync(file, JSON.stringify({ version: 1, environments: { dev: { token: SECRET } } }), {
      mode: 0o600,
    });
    chmodSync(file, 0o600);
    const args = [
      'connect',
      'ws://{{host}}/',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--send',
      '{{token}}',
      '--count',
      '1',
    ];
    const r = await run(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(p.heard).toEqual([SECRET]);

    chmodSync(file, 0o644);
    const refused = await run(args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `it is readable by others (mode 644), so it was not read; make it private with: chmod 600 ${file}`,
    );
    expect(p.heard).toEqual([SECRET]);
  });

  it('a connection that fails names its URL with the secret [redacted], on stderr and in --json', async () => {
    const SECRET = 'cOnNeCt-s3cret-42';
    const ws = workspace({ dev: [{ name: 'key', secret: true }] });
    for (const extra of [[], ['--json']]) {
      const r = await run(
        ['connect', 'ws://127.0.0.1:9/?key={{key}}', '--workspace', ws, '--env', 'dev', ...extra],
        { DUPLEX_SECRET_KEY: SECRET },
      );
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
      expect(r.stdout + r.stderr).toMatch(/ws:\/\/127\.0\.0\.1:9\/\?key=\[redacted\]/);
    }
  });

  it('a secret with no value anywhere names where to set it', async () => {
    const ws = workspace({ dev: [{ name: 'token', secret: true }] });
    const r = await run(['connect', 'ws://127.0.0.1:9/{{token}}', '--workspace', ws, '--env', 'dev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /"token" is a secret of environment "dev" with no value here: set DUPLEX_SECRET_TOKEN/,
    );
  });

  it('--record writes the session with secrets and Authorization redacted', async () => {
    const p = await peer();
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'token', secret: true },
      ],
    });
    const out = join(ws, 'rec.jsonl');
    const r = await run(
      [
        'connect',
        'ws://{{host}}/?key={{token}}',
        '--workspace',
        ws,
        '--env',
        'dev',
        '--header',
        'Authorization: Basic abc',
        '--send',
        'tok={{token}}',
        '--count',
        '1',
        '--record',
        out,
      ],
      { DUPLEX_SECRET_TOKEN: SECRET },
    );
    expect(r.code).toBe(0);
    expect(p.heard).toEqual([`tok=${SECRET}`]);
    const text = readFileSync(out, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('Basic abc');
    expect(text).toContain('tok=[redacted]');
  });
});

describe('duplex serve --mock --env', () => {
  it("fills the mock's variables; a secret it sends is printed [redacted], the client gets it", async () => {
    const ws = workspace({
      dev: [
        { name: 'greeting', value: 'hi' },
        { name: 'token', secret: true },
      ],
    });
    const mock = join(ws, 'greet.yaml');
    writeFileSync(
      mock,
      [
        'port: 0',
        'routes:',
        '  - path: /',
        '    onConnect:',
        '      - send: "{{greeting}} {{vars.token}}"',
      ].join('\n'),
    );
    process.env['DUPLEX_SECRET_TOKEN'] = 'srv-secret-31';
    let serve: Awaited<ReturnType<typeof startServe>>;
    try {
      serve = await startServe('--mock', mock, '--workspace', ws, '--env', 'dev');
    } finally {
      delete process.env['DUPLEX_SECRET_TOKEN'];
    }
    cleanups.push(() => serve.serve.kill());
    const client = new WebSocket(serve.url);
    const got = await new Promise<string>((resolve) => client.once('message', (d) => resolve(String(d))));
    client.close();
    expect(got).toBe('hi srv-secret-31');
    const line = await serve.serve.waitForLine(/"event":"message"/);
    expect(JSON.parse(line)).toMatchObject({ dir: 'out', data: 'hi [redacted]' });
    expect(serve.serve.stdout).not.toContain('srv-secret-31');
  });

  it('--env without --mock exits 2', async () => {
    const r = await run(['serve', '--port', '0', '--env', 'dev']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--env and --var fill the \{\{vars.name\}\} of a mock file: use them with --mock FILE/,
    );
  });
});

describe('duplex replay --env / --var', () => {
  /** A one-message client recording of a URL nothing listens on (the replay's --url retargets it). */
  function recording(dir: string): string {
    const file = join(dir, 'one.jsonl');
    const header = {
      format: 'duplex-session',
      version: 1,
      createdAt: new Date().toISOString(),
      startedAt: 0,
      role: 'client',
      url: 'ws://127.0.0.1:9/',
      headers: {},
      protocols: [],
    };
    const sent = { seq: 1, t: 0, dir: 'out', kind: 'text', text: 'replayed' };
    writeFileSync(file, `${JSON.stringify(header)}\n${JSON.stringify(sent)}\n`);
    return file;
  }

  it('--url with {{name}} resolves from the environment, --var wins; an unknown one exits 2 naming it', async () => {
    const p = await peer();
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'room', value: 'lobby' },
      ],
    });
    const file = recording(ws);
    const ok = await run([
      'replay',
      file,
      '--url',
      'ws://{{host}}/{{room}}',
      '--workspace',
      ws,
      '--env',
      'dev',
      '--var',
      'room=kitchen',
      '--speed',
      '0',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(p.urls).toEqual(['/kitchen']);
    expect(p.heard).toEqual(['replayed']);
    expect(ok.stdout).toContain(`ws://127.0.0.1:${p.port}/kitchen`);

    const unknown = await run([
      'replay',
      file,
      '--url',
      'ws://{{host}}/{{nope}}',
      '--workspace',
      ws,
      '--env',
      'dev',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown variable nope in the URL; environment "dev" does not define it/);
    expect(p.urls).toEqual(['/kitchen']);
  });

  it('a secret in --url is printed [redacted] (human and --json, and the error when it fails); --no-redact shows it', async () => {
    const p = await peer();
    const SECRET = 'rPlAy-s3cret-77';
    const ws = workspace({
      dev: [
        { name: 'host', value: `127.0.0.1:${p.port}` },
        { name: 'key', secret: true },
      ],
    });
    const file = recording(ws);
    const base = ['replay', file, '--workspace', ws, '--env', 'dev', '--speed', '0'];
    const env = { DUPLEX_SECRET_KEY: SECRET };
    for (const extra of [[], ['--json']]) {
      const ok = await run([...base, '--url', 'ws://{{host}}/?key={{key}}', ...extra], env);
      expect(ok.code).toBe(0);
      expect(ok.stdout + ok.stderr).not.toContain(SECRET);
      expect(ok.stdout).toContain(`ws://127.0.0.1:${p.port}/?key=[redacted]`);
    }
    expect(p.urls).toEqual([`/?key=${SECRET}`, `/?key=${SECRET}`]); // the server got the real value
    // Nothing listens on port 9: the error names the URL, without the secret.
    const failed = await run([...base, '--url', 'ws://127.0.0.1:9/?key={{key}}', '--json'], env);
    expect(failed.code).toBe(1);
    expect(failed.stdout + failed.stderr).not.toContain(SECRET);
    expect(failed.stdout + failed.stderr).toContain('[redacted]');
    const kept = await run([...base, '--url', 'ws://{{host}}/?key={{key}}', '--no-redact'], env);
    expect(kept.stdout).toContain(`/?key=${SECRET}`);
  });
});
