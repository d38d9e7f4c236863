import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeBridgeMessage, encodeBridgeMessage, type BridgeRequest } from '../../app/bridge-codec.js';
import { BridgeServer, startBridgeServer } from '../../app/bridge/bridge-server.js';
import { contentSecurityPolicy } from '../../app/bridge/csp.js';
import type { CommandName, Result } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { until } from '../support/until.js';

let root: string;
let engine: Engine;
let bridge: BridgeServer;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'duplex-bridge-'));
  const site = join(root, 'renderer');
  await mkdir(join(site, 'assets'), { recursive: true });
  await writeFile(join(site, 'index.html'), '<!doctype html><title>Duplex</title>');
  await writeFile(join(site, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(site, 'assets', 'app.css'), 'body{}');
  await writeFile(join(root, 'secret.txt'), 'do not serve');
  engine = new Engine({ workspaceDir: join(root, 'workspace') });
  bridge = await startBridgeServer({ engine, staticDir: site });
});
afterAll(async () => {
  await bridge.stop();
  await engine.dispose();
  await rm(root, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: bridge.port,
        path,
        headers: { host: `127.0.0.1:${bridge.port}`, ...headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** A raw upgrade request, so Host and Origin can be anything. Resolves with the HTTP status. */
function upgradeStatus(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: bridge.port,
      path,
      headers: {
        host: `127.0.0.1:${bridge.port}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode!);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A bridge client over `ws`, speaking the codec like renderer/src/lib/bridge.ts. */
class TestClient {
  readonly ws: WebSocket;
  readonly frames: { binary: boolean; message: { type: string; [k: string]: unknown } }[] = [];
  #nextId = 1;

  constructor(origin?: string) {
    this.ws = new WebSocket(
      `ws://127.0.0.1:${bridge.port}/bridge?token=${bridge.token}`,
      origin ? { origin } : {},
    );
    this.ws.on('message', (data: Buffer, binary) => {
      const message = decodeBridgeMessage(binary ? new Uint8Array(data) : data.toString('utf8'));
      this.frames.push({ binary, message: message as { type: string } });
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async call<T = unknown>(name: CommandName, input: unknown): Promise<Result<T>> {
    const id = this.#nextId++;
    const request: BridgeRequest = { type: 'request', id, name, input };
    this.ws.send(encodeBridgeMessage(request));
    for (;;) {
      const found = this.frames.find((f) => f.message.type === 'response' && f.message['id'] === id);
      if (found) return found.message['result'] as Result<T>;
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  eventFrames(): { name: string; payload: Record<string, unknown> }[][] {
    return this.frames
      .filter((f) => f.message.type === 'events')
      .map((f) => f.message['events'] as { name: string; payload: Record<string, unknown> }[]);
  }
}

describe('browser-mode server: access', () => {
  it('prints a loopback URL with a 64-hex-digit token', () => {
    expect(bridge.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${bridge.port}/\\?token=[0-9a-f]{64}$`));
  });

  it('answers 403 to the page without the token or with a wrong one', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/index.html')).status).toBe(403);
    expect((await get('/?token=nope')).status).toBe(403);
    expect((await get(`/?token=${bridge.token.slice(1)}`)).status).toBe(403);
  });

  it('answers 403 to a non-loopback Host (DNS rebinding) and to a foreign Origin, even with the token', async () => {
    const page = `/?token=${bridge.token}`;
    expect((await get(page, { host: `evil.example:${bridge.port}` })).status).toBe(403);
    expect((await get(page, { host: `127.0.0.1:${bridge.port + 1}` })).status).toBe(403);
    expect((await get(page, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(page, { origin: `http://127.0.0.1:${bridge.port}` })).status).toBe(200);
    expect((await get(page, { host: `localhost:${bridge.port}` })).status).toBe(200);
  });

  it('serves the page with the token: CSP, content type, HttpOnly SameSite=Strict cookie', async () => {
    const page = await get(`/?token=${bridge.token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Duplex</title>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = page.headers['set-cookie']![0]!;
    expect(cookie).toBe(`duplex_ui_${bridge.port}=${bridge.token}; Path=/; HttpOnly; SameSite=Strict`);
  });

  it('serves assets with the cookie (or token) only, with their content types', async () => {
    const cookie = `duplex_ui_${bridge.port}=${bridge.token}`;
    expect((await get('/assets/app.js')).status).toBe(403);
    expect((await get('/assets/app.js', { cookie: `duplex_ui_${bridge.port}=wrong` })).status).toBe(403);
    const js = await get('/assets/app.js', { cookie });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['content-security-policy']).toBe(contentSecurityPolicy);
    expect((await get(`/assets/app.css?token=${bridge.token}`)).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get('/assets/missing.js', { cookie })).status).toBe(404);
  });

  it('never serves files outside the renderer folder', async () => {
    const cookie = `duplex_ui_${bridge.port}=${bridge.token}`;
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%5c%2e%2e%5csecret.txt',
      '/%00index.html',
      '/assets/',
    ]) {
      const reply = await get(path, { cookie });
      expect(reply.status, path).toBe(404);
      expect(reply.body).not.toContain('do not serve');
    }
  });

  it('refuses the bridge upgrade without token, with a foreign Origin or a non-loopback Host', async () => {
    const ok = `/bridge?token=${bridge.token}`;
    expect(await upgradeStatus('/bridge')).toBe(403);
    expect(await upgradeStatus('/bridge?token=wrong')).toBe(403);
    expect(await upgradeStatus(ok, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(ok, { host: `evil.example:${bridge.port}` })).toBe(403);
    expect(await upgradeStatus(ok, { origin: `http://127.0.0.1:${bridge.port}` })).toBe(101);
    expect(await upgradeStatus('/bridge', { cookie: `duplex_ui_${bridge.port}=${bridge.token}` })).toBe(101);
  });
});

describe('browser-mode server: the contract over the bridge', () => {
  it('round-trips commands, rejects invalid input with a typed error and malformed requests', async () => {
    const client = new TestClient(`http://localhost:${bridge.port}`);
    await client.opened();
    const saved = await client.call<{ id: string; name: string }>('savedConnection.save', {
      name: 'Local',
      options: { url: 'ws://127.0.0.1:1/' },
    });
    expect(saved).toMatchObject({ ok: true, value: { name: 'Local' } });
    const bad = await client.call('server.start', { port: 'eighty' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    const unknown = await client.call('nope.nothing' as CommandName, {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    expect(engine.servers.size).toBe(0);

    // Garbage that is not a request at all closes the bridge with 1008.
    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.ws.send(new Uint8Array([0, 0, 0, 200, 1, 2]));
    expect(await closed).toBe(1008);
  });

  it('binary payloads travel as bytes in binary frames, and events arrive in batches', async () => {
    const client = new TestClient();
    await client.opened();
    const server = await client.call<{ serverId: string; port: number }>('server.start', { port: 0 });
    if (!server.ok) throw new Error(server.error.message);
    const conn = await client.call<{ connectionId: string }>('connection.open', {
      url: `ws://127.0.0.1:${server.value.port}/`,
    });
    if (!conn.ok) throw new Error(conn.error.message);
    const { connectionId } = conn.value;
    await until(() =>
      client
        .eventFrames()
        .flat()
        .some((e) => e.name === 'connection.state' && e.payload['readyState'] === 1),
    );

    const bytes = new Uint8Array(256).map((_, i) => i);
    const framesBefore = client.frames.length;
    const sent = await client.call<{ seq: number }>('connection.send', {
      connectionId,
      payload: { type: 'binary', data: bytes },
    });
    expect(sent.ok).toBe(true);
    const requestFrame = encodeBridgeMessage({
      type: 'request',
      id: 1,
      name: 'connection.send',
      input: { connectionId, payload: { type: 'binary', data: bytes } },
    });
    expect(requestFrame).toBeInstanceOf(Uint8Array); // bytes, not base64 inside JSON
    expect(client.frames.slice(framesBefore).every((f) => !f.binary || f.message.type === 'response')).toBe(
      true,
    );

    const seq = (sent as { value: { seq: number } }).value.seq;
    const payload = await client.call<{ data: Uint8Array; size: number }>('log.payload', {
      logId: connectionId,
      seq,
    });
    const reply = client.frames.find(
      (f) => f.message.type === 'response' && f.message['result'] === payload,
    )!;
    expect(reply.binary).toBe(true);
    if (!payload.ok) throw new Error(payload.error.message);
    expect(payload.value.data).toBeInstanceOf(Uint8Array);
    expect([...payload.value.data]).toEqual([...bytes]);

    // Flood: 2000 sends in one tick (each echoed) reach the page in a few event frames.
    const eventsBefore = client.eventFrames().length;
    const flood = Array.from({ length: 2000 }, (_, i) =>
      client.call('connection.send', { connectionId, payload: { type: 'text', text: `m${i}` } }),
    );
    await Promise.all(flood);
    await until(() =>
      client
        .eventFrames()
        .flat()
        .some((e) => e.name === 'log.appended' && (e.payload['lastSeq'] as number) >= seq + 4000),
    );
    const batches = client.eventFrames().length - eventsBefore;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(400); // 4000 log entries, far fewer frames
    client.ws.close();
  });

  it('tells every connected page what another page changed, and lists what runs for a reloaded one', async () => {
    const [first, second] = [new TestClient(), new TestClient()];
    await Promise.all([first.opened(), second.opened()]);
    const changes = (client: TestClient): unknown[] =>
      client
        .eventFrames()
        .flat()
        .filter((e) => e.name === 'workspace.changed')
        .map((e) => e.payload);
    const made = await first.call('template.save', { name: 'Hi', payload: { type: 'text', text: 'hi' } });
    expect(made.ok).toBe(true);
    await until(() => changes(first).length > 0 && changes(second).length > 0);
    expect(changes(first)).toEqual([{ what: 'templates' }]);
    expect(changes(second)).toEqual([{ what: 'templates' }]);

    const server = await first.call<{ serverId: string; url: string }>('server.start', { port: 0 });
    if (!server.ok) throw new Error(server.error.message);
    const conn = await first.call<{ connectionId: string }>('connection.open', { url: server.value.url });
    if (!conn.ok) throw new Error(conn.error.message);
    const live = await second.call<{
      connections: { info: { connectionId: string }; options: { url: string } }[];
      servers: { serverId: string }[];
    }>('live.list', {});
    if (!live.ok) throw new Error(live.error.message);
    expect(live.value.connections).toContainEqual(
      expect.objectContaining({
        info: expect.objectContaining({ connectionId: conn.value.connectionId }),
        options: { url: server.value.url },
      }),
    );
    expect(live.value.servers.map((s) => s.serverId)).toContain(server.value.serverId);
    await first.call('connection.remove', { connectionId: conn.value.connectionId });
    await first.call('server.stop', { serverId: server.value.serverId });
    first.ws.close();
    second.ws.close();
  });
});
