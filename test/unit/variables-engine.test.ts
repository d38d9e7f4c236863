/**
 * The preparation step and per-send rendering through the real Engine: a saved
 * connection's `{{name}}` resolved with an environment, every send rendered
 * with the values of that moment, an unknown variable refused before anything
 * is opened or sent, and the env./secret. commands.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { DuplexError } from '../../app/errors.js';
import { prepareConnectOptions } from '../../app/variables/prepare.js';
import type { SecretSource, VariableSet } from '../../app/variables/index.js';
import { until } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-vars-engine-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
function engine(options: ConstructorParameters<typeof Engine>[0]): Engine {
  const e = new Engine(options);
  cleanups.push(() => e.dispose());
  return e;
}
async function writeEnv(root: string, name: string, variables: unknown[]): Promise<void> {
  await mkdir(join(root, 'environments'), { recursive: true });
  await writeFile(join(root, 'environments', `${name}.json`), JSON.stringify({ version: 1, variables }));
}

/** A ws server on 127.0.0.1 that keeps what each handshake and message carried. */
async function peer(): Promise<{
  port: number;
  heard: string[];
  handshakes: { url: string; headers: Record<string, unknown> }[];
}> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (p) => [...p][0] ?? false });
  await new Promise((r) => wss.once('listening', r));
  cleanups.push(() => new Promise((r) => wss.close(r)));
  const heard: string[] = [];
  const handshakes: { url: string; headers: Record<string, unknown> }[] = [];
  wss.on('connection', (ws: WebSocket, req) => {
    handshakes.push({ url: req.url ?? '', headers: req.headers });
    ws.on('message', (data) => heard.push(String(data)));
  });
  return { port: (wss.address() as { port: number }).port, heard, handshakes };
}

const noSecrets: VariableSet = {
  environment: 'dev',
  values: { host: 'h:1', p: 'chat' },
  secretNames: new Set(),
  missingSecrets: new Set(),
};

describe('prepareConnectOptions', () => {
  it('resolves URL, headers, origin, subprotocols and the TLS passphrase', () => {
    const out = prepareConnectOptions(
      {
        url: 'ws://{{host}}/x',
        headers: { 'X-Host': '{{vars.host}}' },
        origin: 'http://{{host}}',
        protocols: ['{{p}}.v1'],
        tls: { passphrase: '{{p}}' },
        perMessageDeflate: false,
      },
      noSecrets,
    );
    expect(out).toEqual({
      url: 'ws://h:1/x',
      headers: { 'X-Host': 'h:1' },
      origin: 'http://h:1',
      protocols: ['chat.v1'],
      tls: { passphrase: 'chat' },
      perMessageDeflate: false,
    });
  });

  it('checks what the values made: a header line break, a subprotocol with a space, a bad URL', () => {
    const set = (values: Record<string, string>): VariableSet => ({ ...noSecrets, values });
    const err = (fn: () => unknown): DuplexError => {
      try {
        fn();
      } catch (e) {
        return e as DuplexError;
      }
      throw new Error('expected a throw');
    };
    expect(
      err(() => prepareConnectOptions({ url: 'ws://a/', headers: { A: '{{v}}' } }, set({ v: 'x\r\ny' })))
        .message,
    ).toMatch(/After resolving variables, headers.A: header values cannot contain line breaks/);
    expect(
      err(() => prepareConnectOptions({ url: 'ws://a/', protocols: ['{{v}}'] }, set({ v: 'a b' }))).code,
    ).toBe('DUPLEX_ERR_SYNTAX');
    expect(err(() => prepareConnectOptions({ url: '{{v}}' }, set({ v: 'ftp://x/' }))).code).toBe(
      'DUPLEX_ERR_SYNTAX',
    );
    expect(err(() => prepareConnectOptions({ url: 'ws://{{nope}}/' }, set({}))).message).toMatch(
      /Unknown variable nope in the URL/,
    );
  });
});

describe('Engine: connections with variables', () => {
  it('opens a saved connection with an environment and renders each send at send time', async () => {
    const root = workspace();
    const { port, heard, handshakes } = await peer();
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'room', value: 'lobby' },
    ]);
    const e = engine({ workspaceDir: root });
    const saved = await e.call('savedConnection.save', {
      name: 'chat',
      options: {
        url: 'ws://{{host}}/rooms/{{room}}',
        headers: { 'X-Room': '{{room}}' },
        protocols: ['{{room}}'],
      },
    });
    const conn = await e.call('connection.open', {
      ...saved.options,
      savedConnectionId: saved.id,
      environment: 'dev',
    });
    expect(conn.url).toBe(`ws://127.0.0.1:${port}/rooms/lobby`);
    await until(() => e.connection(conn.connectionId).readyState === 1);
    expect(handshakes[0]).toMatchObject({
      url: '/rooms/lobby',
      headers: { 'x-room': 'lobby', 'sec-websocket-protocol': 'lobby' },
    });

    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: '{"room":"{{room}}","id":"{{uuid}}"}' },
    });
    // The environment changes after connect: the next send sees it (not frozen at connect).
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'room', value: 'kitchen' },
    ]);
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: '{"room":"{{room}}","id":"{{uuid}}"}' },
    });
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: 'raw {{room}}' },
      raw: true,
    });
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: 'plain' },
    });
    await until(() => heard.length === 4);
    const [a, b] = heard.map((h) =>
      h.startsWith('{') ? (JSON.parse(h) as { room: string; id: string }) : h,
    ) as {
      room: string;
      id: string;
    }[];
    expect(a!.room).toBe('lobby');
    expect(b!.room).toBe('kitchen');
    expect(a!.id).not.toBe(b!.id);
    expect(heard.slice(2)).toEqual(['raw {{room}}', 'plain']);
    // The log holds what was sent, resolved.
    const page = await e.call('log.read', { logId: conn.connectionId });
    const sent = page.entries.filter((x) => x.dir === 'out' && x.kind === 'text').map((x) => x.preview);
    expect(sent[0]).toContain('"room":"lobby"');
    // Its entry says what it was resolved from, for the log's detail.
    const first = page.entries.find((x) => x.dir === 'out' && x.kind === 'text')!;
    expect(first.note).toBe('Resolved with environment dev from: {"room":"{{room}}","id":"{{uuid}}"}');
    expect(page.entries.filter((x) => x.preview === 'plain')[0]?.note).toBeUndefined();
  });

  it('each reconnect resolves {{name}} again (auto and manual); a variable gone by then fails that attempt, named', async () => {
    const root = workspace();
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    cleanups.push(() => new Promise((r) => wss.close(r)));
    const port = (wss.address() as { port: number }).port;
    const seen: { url: string; token: unknown }[] = [];
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws: WebSocket, req) => {
      seen.push({ url: req.url ?? '', token: req.headers['x-token'] });
      sockets.push(ws);
    });
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'token', value: 'first' },
    ]);
    const e = engine({ workspaceDir: root });
    const conn = await e.call('connection.open', {
      url: 'ws://{{host}}/t/{{token}}',
      headers: { 'X-Token': '{{token}}' },
      reconnect: { maxAttempts: 3, initialDelayMs: 20 },
      environment: 'dev',
    });
    const c = e.connection(conn.connectionId);
    await until(() => seen.length === 1);

    // The token rotates while connected; the server restarts (1012): the auto reconnect uses the new one.
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'token', value: 'second' },
    ]);
    sockets[0]!.close(1012, 'restart');
    await until(() => seen.length === 2 && c.readyState === 1);
    expect(seen).toEqual([
      { url: '/t/first', token: 'first' },
      { url: '/t/second', token: 'second' },
    ]);
    expect(c.url).toBe(`ws://127.0.0.1:${port}/t/second`);

    // Disconnect, rotate again, Reconnect by hand: the third value.
    c.close(1000);
    await until(() => c.readyState === 3);
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'token', value: 'third' },
    ]);
    await e.call('connection.reconnect', { connectionId: conn.connectionId });
    await until(() => seen.length === 3 && c.readyState === 1);
    expect(seen[2]).toEqual({ url: '/t/third', token: 'third' });

    // The variable is removed from the environment, then the server drops us: every
    // attempt is refused before any socket, naming the variable, until attempts run out.
    await writeEnv(root, 'dev', [{ name: 'host', value: `127.0.0.1:${port}` }]);
    sockets[2]!.terminate();
    await until(() => c.readyState === 3, 5000);
    expect(seen).toHaveLength(3);
    const info = c.info();
    expect(info.error?.message).toMatch(/Unknown variable token in the URL/);
    const page = await e.call('log.read', { logId: conn.connectionId });
    const errors = page.entries.filter((x) => x.kind === 'error').map((x) => x.note);
    expect(errors.length).toBe(3); // one per attempt (maxAttempts 3); the cut itself logs a close, not an error
    expect(errors.every((n) => /Unknown variable token/.test(n ?? ''))).toBe(true);
  });

  it('a reconnect pending its fresh options is stopped by close(): no socket is opened after', async () => {
    const root = workspace();
    const { port, handshakes } = await peer();
    await writeEnv(root, 'dev', [{ name: 'host', value: `127.0.0.1:${port}` }]);
    const e = engine({ workspaceDir: root });
    const conn = await e.call('connection.open', { url: 'ws://{{host}}/', environment: 'dev' });
    const c = e.connection(conn.connectionId);
    await until(() => c.readyState === 1);
    c.close(1000);
    await until(() => c.readyState === 3);
    c.reconnect(); // the fresh options are read asynchronously...
    expect(c.readyState).toBe(0);
    c.close(); // ...and the user gives up before they come
    expect(c.readyState).toBe(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(handshakes).toHaveLength(1);
    expect(c.readyState).toBe(3);
  });

  it("a saved template's {{name}} is kept as written in templates.json and resolved by connection.send", async () => {
    // The renderer's composer puts a picked template's payload into the draft
    // (composer.useTemplate → loadPayload) and sends the draft with connection.send.
    const root = workspace();
    const { port, heard } = await peer();
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'room', value: 'lobby' },
    ]);
    const e = engine({ workspaceDir: root });
    const saved = await e.call('savedConnection.save', { name: 'chat', options: { url: 'ws://{{host}}/' } });
    await e.call('template.save', {
      name: 'join',
      savedConnectionId: saved.id,
      payload: { type: 'text', text: '{"op":"join","room":"{{room}}"}' },
    });
    const stored = await readFile(join(root, 'templates.json'), 'utf8');
    expect(stored).toContain('{{room}}');
    expect(stored).not.toContain('lobby');
    const [template] = await e.call('template.list', { savedConnectionId: saved.id });
    expect(template!.name).toBe('join');
    const conn = await e.call('connection.open', {
      ...saved.options,
      savedConnectionId: saved.id,
      environment: 'dev',
    });
    await until(() => e.connection(conn.connectionId).readyState === 1);
    await e.call('connection.send', { connectionId: conn.connectionId, payload: template!.payload });
    await until(() => heard.length === 1);
    expect(heard).toEqual(['{"op":"join","room":"lobby"}']);
  });

  it('an unknown variable is refused before anything is opened or sent, naming it', async () => {
    const root = workspace();
    const { port, heard, handshakes } = await peer();
    await writeEnv(root, 'dev', [{ name: 'host', value: `127.0.0.1:${port}` }]);
    const e = engine({ workspaceDir: root });
    const bad = await e.invoke('connection.open', { url: 'ws://{{host}}/{{missing}}', environment: 'dev' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error).toMatchObject({ code: 'DUPLEX_ERR_TEMPLATE', details: { variable: 'missing' } });
    expect(bad.error.message).toMatch(
      /^Unknown variable missing in the URL; environment "dev" does not define it/,
    );
    expect(e.connections.size).toBe(0);

    const conn = await e.call('connection.open', { url: 'ws://{{host}}/', environment: 'dev' });
    await until(() => e.connection(conn.connectionId).readyState === 1);
    const send = await e.invoke('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: 'a {{nope}}' },
    });
    expect(!send.ok && send.error.message).toMatch(/Unknown variable nope in the message/);
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: 'after' },
    });
    await until(() => heard.length === 1);
    expect(heard).toEqual(['after']);
    expect(handshakes).toHaveLength(1);
    const page = await e.call('log.read', { logId: conn.connectionId });
    expect(page.entries.filter((x) => x.dir === 'out' && x.kind === 'text').map((x) => x.preview)).toEqual([
      'after',
    ]);
  });

  it('--var style overrides win over the environment; no environment still has the helpers', async () => {
    const root = workspace();
    const { port, heard } = await peer();
    await writeEnv(root, 'dev', [{ name: 'host', value: 'nowhere.invalid' }]);
    const e = engine({ workspaceDir: root });
    const conn = await e.call('connection.open', {
      url: 'ws://{{host}}/',
      environment: 'dev',
      vars: { host: `127.0.0.1:${port}` },
    });
    await until(() => e.connection(conn.connectionId).readyState === 1);
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: '{{host}}' },
    });
    const plain = await e.call('connection.open', { url: `ws://127.0.0.1:${port}/` });
    await until(() => e.connection(plain.connectionId).readyState === 1);
    await e.call('connection.send', {
      connectionId: plain.connectionId,
      payload: { type: 'text', text: '{{randomInt 7 7}}' },
    });
    await until(() => heard.length === 2);
    expect(heard.sort()).toEqual([`127.0.0.1:${port}`, '7'].sort());
  });
});

describe('Engine: env and secret commands', () => {
  function memorySecrets(): SecretSource & { store: Map<string, string> } {
    const store = new Map<string, string>();
    return {
      store,
      get: (env, name) => Promise.resolve(store.get(`${env}/${name}`)),
      has: (env, name) => Promise.resolve(store.has(`${env}/${name}`)),
      set: (env, name, value) => Promise.resolve(void store.set(`${env}/${name}`, value)),
      clear: (env, name) => Promise.resolve(void store.delete(`${env}/${name}`)),
    };
  }

  it('save keeps a secret value out of the file and in the secret source; read says only whether it is set', async () => {
    const root = workspace();
    const secrets = memorySecrets();
    const e = engine({ workspaceDir: root, secrets });
    const saved = await e.call('env.save', {
      name: 'dev',
      variables: [
        { name: 'host', value: 'a' },
        { name: 'token', secret: true, value: 'TOPSECRET-1' },
      ],
    });
    expect(saved.variables).toEqual([
      { name: 'host', value: 'a' },
      { name: 'token', secret: true, hasValue: true },
    ]);
    expect(await readFile(join(root, 'environments', 'dev.json'), 'utf8')).not.toContain('TOPSECRET');
    expect(secrets.store.get('dev/token')).toBe('TOPSECRET-1');
    expect(await e.call('env.list', {})).toEqual([{ name: 'dev', variableCount: 2, secretNames: ['token'] }]);
    expect(await e.call('env.resolve', { environment: 'dev', text: 'Bearer {{token}} @ {{host}}' })).toEqual({
      text: 'Bearer [redacted] @ a',
      secret: true,
    });
    // Saving again without a value keeps the stored secret.
    await e.call('env.save', { name: 'dev', variables: [{ name: 'token', secret: true }] });
    expect(secrets.store.get('dev/token')).toBe('TOPSECRET-1');
    await e.call('secret.set', { environment: 'dev', name: 'token', value: 'TOPSECRET-2' });
    expect(secrets.store.get('dev/token')).toBe('TOPSECRET-2');
    const notSecret = await e.invoke('secret.set', { environment: 'dev', name: 'host', value: 'x' });
    expect(!notSecret.ok && notSecret.error.message).toMatch(/no secret variable "host"/);
    await e.call('secret.clear', { environment: 'dev', name: 'token' });
    expect((await e.call('env.read', { name: 'dev' })).variables[0]).toEqual({
      name: 'token',
      secret: true,
      hasValue: false,
    });
    expect(await e.call('env.delete', { name: 'dev' })).toEqual({ deleted: true });
    expect(await e.call('env.list', {})).toEqual([]);
  });

  it('the launch choice (duplex ui --env / --var): env.launch says the environment; --var lies under each choice', async () => {
    const root = workspace();
    const { port, handshakes } = await peer();
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'room', value: 'lobby' },
    ]);
    const e = engine({
      workspaceDir: root,
      launch: { environment: 'dev', vars: { room: 'kitchen', who: 'cli' } },
    });
    expect(await e.call('env.launch', {})).toEqual({ environment: 'dev' });
    // --var wins over the environment's value, and a choice's own vars win over --var.
    expect(await e.call('env.resolve', { environment: 'dev', text: '{{room}} {{who}}' })).toEqual({
      text: 'kitchen cli',
      secret: false,
    });
    expect(
      await e.call('env.resolve', { environment: 'dev', vars: { who: 'tab' }, text: '{{room}} {{who}}' }),
    ).toEqual({ text: 'kitchen tab', secret: false });
    // With no environment picked, --var values still resolve.
    expect((await e.call('env.resolve', { text: '{{who}}' })).text).toBe('cli');
    const conn = await e.call('connection.open', { url: 'ws://{{host}}/{{room}}', environment: 'dev' });
    await until(() => handshakes.length === 1);
    expect(conn.url).toBe(`ws://127.0.0.1:${port}/kitchen`);
    // An engine started without them has no launch environment.
    expect(await engine({ workspaceDir: root }).call('env.launch', {})).toEqual({});
  });

  it('bad input names the field', async () => {
    const e = engine({ workspaceDir: workspace() });
    const r = await e.invoke('env.save', { name: '../up', variables: [] });
    expect(!r.ok && r.error.message).toMatch(/name: an environment name is/);
    const dup = await e.invoke('env.save', {
      name: 'x',
      variables: [
        { name: 'a', value: '1' },
        { name: 'a', value: '2' },
      ],
    });
    expect(!dup.ok && dup.error.message).toMatch(/variables.1.name: "a" is defined twice/);
  });
});

describe('Engine: mocks and replays with variables', () => {
  it("an environment fills a mock file's {{vars.name}}, over the file's own vars", async () => {
    const root = workspace();
    await writeEnv(root, 'dev', [{ name: 'greeting', value: 'hello from dev' }]);
    const e = engine({ workspaceDir: root });
    await e.call('mock.save', {
      name: 'greet',
      text: [
        'port: 0',
        'vars: { greeting: "file default", other: "kept" }',
        'routes:',
        '  - path: /',
        '    onConnect:',
        '      - send: "{{vars.greeting}} / {{vars.other}} / {{greeting}}"',
      ].join('\n'),
    });
    const server = await e.call('mock.start', { name: 'greet', environment: 'dev' });
    const conn = await e.call('connection.open', { url: server.url });
    await until(async () =>
      (await e.call('log.read', { logId: conn.connectionId })).entries.some((x) => x.dir === 'in'),
    );
    const got = (await e.call('log.read', { logId: conn.connectionId })).entries.find((x) => x.dir === 'in');
    expect(got?.preview).toBe('hello from dev / kept / hello from dev');
    const missing = await e.invoke('mock.start', { name: 'greet', environment: 'nope' });
    expect(!missing.ok && missing.error.code).toBe('DUPLEX_ERR_NOT_FOUND');
  });

  it("a replay's --url goes through prepareConnectOptions: {{name}}, --var over the environment, checked", async () => {
    const root = workspace();
    const { port, heard, handshakes } = await peer();
    await writeEnv(root, 'dev', [{ name: 'host', value: `127.0.0.1:${port}` }]);
    const session = join(root, 'one.jsonl');
    await writeFile(
      session,
      [
        JSON.stringify({
          format: 'duplex-session',
          version: 1,
          createdAt: new Date().toISOString(),
          startedAt: 0,
          role: 'client',
          url: 'ws://127.0.0.1:9/',
          // Recorded values are concrete: a replay sends them as recorded, never renders them.
          headers: { 'x-recorded': 'as {{sent}}' },
          protocols: [],
        }),
        JSON.stringify({ seq: 1, t: 0, dir: 'out', kind: 'text', text: 'replayed' }),
      ].join('\n') + '\n',
    );
    const e = engine({ workspaceDir: root });
    const { report } = await e.call('file.replay', {
      file: session,
      url: 'ws://{{host}}/',
      environment: 'dev',
      speed: 0,
    });
    expect(report.url).toBe(`ws://127.0.0.1:${port}/`);
    await until(() => heard.length === 1);
    expect(heard).toEqual(['replayed']);
    expect(handshakes[0]?.headers['x-recorded']).toBe('as {{sent}}');
    await expect(
      e.call('file.replay', { file: session, url: 'ws://{{nope}}/', environment: 'dev' }),
    ).rejects.toThrow(/Unknown variable nope in the URL/);
    // The shared preparation step checks what a value brought, as it does for connect.
    await writeEnv(root, 'bad', [{ name: 'target', value: 'ftp://127.0.0.1:9/' }]);
    const wrong = await e
      .call('file.replay', { file: session, url: '{{target}}', environment: 'bad' })
      .catch((x: unknown) => x as DuplexError);
    expect(wrong).toBeInstanceOf(DuplexError);
    expect((wrong as DuplexError).code).toBe('DUPLEX_ERR_SYNTAX');
    // --var wins over the environment in a replay too.
    const { report: over } = await e.call('file.replay', {
      file: session,
      url: 'ws://{{host}}/',
      environment: 'dev',
      vars: { host: `127.0.0.1:${port}/via-var` },
      speed: 0,
    });
    expect(over.url).toBe(`ws://127.0.0.1:${port}/via-var/`);
    await until(() => heard.length === 2);
    // The workspace's session.replay (the UI's) resolves the same way.
    await mkdir(join(root, 'sessions'), { recursive: true });
    await writeFile(join(root, 'sessions', 'one.jsonl'), await readFile(session));
    const { replayId } = await e.call('session.replay', {
      name: 'one.jsonl',
      url: 'ws://{{host}}/',
      environment: 'dev',
      speed: 0,
    });
    await until(() => heard.length === 3);
    expect((await e.call('session.replayStatus', { replayId })).url).toBe(`ws://127.0.0.1:${port}/`);
  });
});

describe('Engine: what the UI records and exports keeps secrets out', () => {
  it('session.recordStart, log.export (session and HAR) and session.export: no file holds the secret', async () => {
    const SECRET = 'ui-s3cret-4411';
    const root = workspace();
    const { port } = await peer();
    const store = new Map<string, string>([['dev/token', SECRET]]);
    const secrets: SecretSource = {
      get: (env, name) => Promise.resolve(store.get(`${env}/${name}`)),
      has: (env, name) => Promise.resolve(store.has(`${env}/${name}`)),
      set: () => Promise.resolve(),
      clear: () => Promise.resolve(),
    };
    await writeEnv(root, 'dev', [
      { name: 'host', value: `127.0.0.1:${port}` },
      { name: 'token', secret: true },
    ]);
    const e = engine({ workspaceDir: root, secrets });
    const conn = await e.call('connection.open', {
      url: 'ws://{{host}}/?t={{token}}',
      headers: { Authorization: 'Bearer {{token}}', Cookie: 'sid=abc' },
      environment: 'dev',
    });
    await until(() => e.connection(conn.connectionId).readyState === 1);
    await e.call('session.recordStart', { logId: conn.connectionId, name: 'rec' });
    await e.call('connection.send', {
      connectionId: conn.connectionId,
      payload: { type: 'text', text: 'a {{token}} b' },
    });
    await until(async () =>
      (await e.call('log.read', { logId: conn.connectionId })).entries.some((x) => x.kind === 'text'),
    );
    await e.call('session.recordStop', { logId: conn.connectionId });
    const har = await e.call('log.export', { logId: conn.connectionId, format: 'har' });
    await e.call('log.export', { logId: conn.connectionId, format: 'session', name: 'exported' });
    const fromFile = await e.call('session.export', { name: 'rec.jsonl' });
    const texts = [JSON.stringify(har), fromFile.har];
    const { readdirSync, readFileSync } = await import('node:fs');
    for (const f of readdirSync(root, { recursive: true, withFileTypes: true }).filter((x) => x.isFile())) {
      texts.push(f.name, readFileSync(join(f.parentPath, f.name), 'utf8'));
    }
    expect(texts.length).toBeGreaterThanOrEqual(5);
    for (const t of texts) {
      expect(t).not.toContain(SECRET);
      expect(t).not.toContain('sid=abc');
    }
    expect(readFileSync(join(root, 'sessions', 'rec.jsonl'), 'utf8')).toContain('a [redacted] b');
    // The opt-out keeps them.
    const kept = await e.call('log.export', { logId: conn.connectionId, format: 'har', redact: false });
    expect(JSON.stringify(kept)).toContain(SECRET);
  });
});
