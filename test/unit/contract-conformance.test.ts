/**
 * One set of contract cases, run against the renderer's fake of the contract
 * (renderer/test-support/fake-api.ts, what component tests use) and against a
 * real Engine behind buildApi (what the transports expose), so the two cannot
 * drift. The engine talks to a real local ws server; the fake has no sockets
 * and takes the same URLs for an echo server and a server that answers 401.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { buildApi, eventNames, type WorkbenchApi } from '../../app/api.js';
import type { ConnectionInfo, EventName, EventPayloads, LogEntryView, Result } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { ErrorCodes } from '../../app/errors.js';
import { utf8Decode, utf8Encode } from '../../app/payload/codecs.js';
import { SESSION_EXT } from '../../app/vocabulary.js';
import { createFakeApi } from '../../renderer/test-support/fake-api.js';
import { until } from '../support/until.js';

interface Harness {
  api: WorkbenchApi;
  /** A server that echoes every message (and answers pings). */
  echoUrl: string;
  /** A server that answers the upgrade with 401 and a text body. */
  rejectUrl: string;
  close(): Promise<void>;
}

async function engineHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-conformance-'));
  const engine = new Engine({ workspaceDir: dir, flushMs: 2 });
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const http: Server = createServer();
  http.on('upgrade', (req, socket: Socket, head) => {
    if (req.url === '/reject') {
      const body = 'missing token';
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;

  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  engine.subscribe((events) => {
    for (const e of events) for (const l of listeners.get(e.name) ?? []) l(e.payload);
  });
  const api = buildApi(
    (name, input) => engine.invoke(name, input),
    (name, listener) => {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
  );
  return {
    api,
    echoUrl: `ws://127.0.0.1:${port}/echo`,
    rejectUrl: `ws://127.0.0.1:${port}/reject`,
    close: async () => {
      await engine.dispose();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function fakeHarness(): Promise<Harness> {
  return {
    api: createFakeApi(),
    echoUrl: 'ws://127.0.0.1:9/echo',
    rejectUrl: 'ws://127.0.0.1:9/reject',
    close: async () => undefined,
  };
}

/** Every event the API emits, in order. */
class EventLog {
  readonly events: { name: EventName; payload: unknown }[] = [];
  readonly #off: (() => void)[] = [];

  constructor(api: WorkbenchApi) {
    for (const name of eventNames) {
      this.#off.push(api.on[name]((payload: unknown) => this.events.push({ name, payload })));
    }
  }

  of<E extends EventName>(name: E): EventPayloads[E][] {
    return this.events.filter((e) => e.name === name).map((e) => e.payload as EventPayloads[E]);
  }

  stop(): void {
    for (const off of this.#off) off();
  }
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function errorCode(r: Result<unknown>): string | undefined {
  return r.ok ? undefined : r.error.code;
}

describe.each([
  ['fake', fakeHarness],
  ['engine', engineHarness],
] as const)('the contract, on the %s', (_kind, makeHarness) => {
  let h: Harness;
  let api: WorkbenchApi;
  let events: EventLog;

  beforeEach(async () => {
    h = await makeHarness();
    api = h.api;
    events = new EventLog(api);
  });
  afterEach(async () => {
    events.stop();
    await h.close();
  });

  const stateOf = (id: string): ConnectionInfo | undefined =>
    events
      .of('connection.state')
      .filter((s) => s.connectionId === id)
      .at(-1);
  const entriesOf = async (logId: string): Promise<LogEntryView[]> =>
    value(await api.log.read({ logId })).entries;

  async function openEcho(): Promise<string> {
    const info = value(await api.connection.open({ url: h.echoUrl }));
    await until(() => stateOf(info.connectionId)?.readyState === 1);
    return info.connectionId;
  }

  it('connection.open answers CONNECTING at once, then OPEN with the handshake; the log notes both', async () => {
    const info = value(await api.connection.open({ url: h.echoUrl }));
    expect(info).toMatchObject({
      url: h.echoUrl,
      readyState: 0,
      protocol: '',
      bufferedAmount: 0,
      attempt: 0,
    });
    await until(() => stateOf(info.connectionId)?.readyState === 1);
    expect(stateOf(info.connectionId)!.handshake?.status).toBe(101);
    const [connecting, open] = await entriesOf(info.connectionId);
    expect(connecting).toMatchObject({ seq: 1, dir: 'none', kind: 'info', size: 0 });
    expect(connecting!.note).toContain(h.echoUrl);
    expect(open).toMatchObject({ seq: 2, dir: 'none', kind: 'open', size: 0 });
    expect(value(await api.connection.get({ connectionId: info.connectionId })).readyState).toBe(1);
    expect(value(await api.connection.list({})).map((c) => c.connectionId)).toContain(info.connectionId);
  });

  it('send: an out entry with the payload, then the echo as an in entry of the same kind and size', async () => {
    const id = await openEcho();
    const { seq } = value(
      await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'héllo' } }),
    );
    const bytes = new Uint8Array([0, 1, 0xff]);
    value(await api.connection.send({ connectionId: id, payload: { type: 'binary', data: bytes } }));
    await until(async () => (await entriesOf(id)).filter((e) => e.dir === 'in').length === 2);
    const messages = (await entriesOf(id)).filter((e) => e.kind === 'text' || e.kind === 'binary');
    expect(messages.map((e) => [e.dir, e.kind, e.size])).toEqual([
      ['out', 'text', 6],
      ['out', 'binary', 3],
      ['in', 'text', 6],
      ['in', 'binary', 3],
    ]);
    expect(messages[0]).toMatchObject({ seq, preview: 'héllo', truncated: false });
    expect(messages[1]!.preview).toBe('00 01 ff');

    const slice = value(await api.log.payload({ logId: id, seq, offset: 1, length: 2 }));
    expect(slice).toMatchObject({ seq, size: 6, offset: 1 });
    expect([...slice.data]).toEqual([...utf8Encode('héllo').subarray(1, 3)]);
    expect(errorCode(await api.log.payload({ logId: id, seq: 999 }))).toBe(ErrorCodes.NOT_FOUND);
  });

  it('the events carry the entries: log.appended pages add up to the log', async () => {
    const id = await openEcho();
    value(await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'a' } }));
    await until(async () => (await entriesOf(id)).some((e) => e.dir === 'in' && e.kind === 'text'));
    await until(() => events.of('log.appended').some((p) => p.logId === id && p.lastSeq >= 3));
    const seen = new Map<number, LogEntryView>();
    for (const p of events.of('log.appended').filter((p) => p.logId === id)) {
      for (const e of p.entries) seen.set(e.seq, e);
    }
    expect([...seen.values()].map((e) => [e.seq, e.dir, e.kind])).toEqual(
      (await entriesOf(id)).map((e) => [e.seq, e.dir, e.kind]),
    );
  });

  it('log.read filters by direction and kind; log.clear empties the log and says so', async () => {
    const id = await openEcho();
    value(await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'one' } }));
    await until(async () => (await entriesOf(id)).some((e) => e.dir === 'in'));
    const ins = value(await api.log.read({ logId: id, filter: { dir: 'in' } })).entries;
    expect(ins.map((e) => [e.dir, e.kind])).toEqual([['in', 'text']]);
    const opens = value(await api.log.read({ logId: id, filter: { kinds: ['open'] } })).entries;
    expect(opens.map((e) => e.kind)).toEqual(['open']);
    const before = value(await api.log.read({ logId: id }));

    value(await api.log.clear({ logId: id }));
    await until(() => events.of('log.cleared').some((p) => p.logId === id));
    const after = value(await api.log.read({ logId: id }));
    expect(after.entries).toEqual([]);
    value(await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'two' } }));
    const next = value(await api.log.read({ logId: id })).entries[0]!;
    expect(next.seq).toBeGreaterThan(before.lastSeq);
  });

  it('send and ping need an OPEN connection; unknown ids are NOT_FOUND', async () => {
    const info = value(await api.connection.open({ url: h.echoUrl }));
    const text = { type: 'text', text: 'early' } as const;
    expect(errorCode(await api.connection.send({ connectionId: info.connectionId, payload: text }))).toBe(
      ErrorCodes.INVALID_STATE,
    );
    expect(errorCode(await api.connection.ping({ connectionId: info.connectionId }))).toBe(
      ErrorCodes.INVALID_STATE,
    );
    for (const r of [
      await api.connection.send({ connectionId: 'nope', payload: text }),
      await api.connection.ping({ connectionId: 'nope' }),
      await api.connection.close({ connectionId: 'nope' }),
      await api.connection.get({ connectionId: 'nope' }),
      await api.connection.remove({ connectionId: 'nope' }),
      await api.connection.reconnect({ connectionId: 'nope' }),
      await api.server.get({ serverId: 'nope' }),
      await api.server.stop({ serverId: 'nope' }),
    ]) {
      expect(errorCode(r)).toBe(ErrorCodes.NOT_FOUND);
    }
  });

  it('ping: an out ping, then the peer’s pong', async () => {
    const id = await openEcho();
    value(await api.connection.ping({ connectionId: id }));
    await until(async () => (await entriesOf(id)).some((e) => e.kind === 'pong'));
    const frames = (await entriesOf(id)).filter((e) => e.kind === 'ping' || e.kind === 'pong');
    expect(frames.map((e) => [e.dir, e.kind])).toEqual([
      ['out', 'ping'],
      ['in', 'pong'],
    ]);
  });

  it('close: browser rules for code and reason; a clean close reports the code and reason', async () => {
    const id = await openEcho();
    expect(errorCode(await api.connection.close({ connectionId: id, code: 999 }))).toBe(
      ErrorCodes.INVALID_ACCESS,
    );
    expect(
      errorCode(await api.connection.close({ connectionId: id, code: 1000, reason: 'x'.repeat(124) })),
    ).toBe(ErrorCodes.SYNTAX);
    expect(value(await api.connection.get({ connectionId: id })).readyState).toBe(1);

    const closing = value(await api.connection.close({ connectionId: id, code: 4000, reason: 'bye' }));
    expect(closing.readyState).toBe(2);
    await until(() => stateOf(id)?.readyState === 3);
    expect(stateOf(id)).toMatchObject({ closeCode: 4000, closeReason: 'bye', wasClean: true });
    const closes = (await entriesOf(id)).filter((e) => e.kind === 'close');
    expect(closes.map((e) => [e.dir, e.code, e.reason])).toEqual([
      ['out', 4000, 'bye'],
      ['in', 4000, 'bye'],
    ]);
  });

  it('a close without a code is reported as 1005', async () => {
    const id = await openEcho();
    value(await api.connection.close({ connectionId: id }));
    await until(() => stateOf(id)?.readyState === 3);
    expect(stateOf(id)).toMatchObject({ closeCode: 1005, wasClean: true });
  });

  it('the connection reports the upgrade request it sent: URL, custom headers, origin, the key', async () => {
    const info = value(
      await api.connection.open({
        url: h.echoUrl,
        headers: { 'X-Trace': 't-1' },
        origin: 'https://app.test',
      }),
    );
    await until(() => stateOf(info.connectionId)?.readyState === 1);
    const req = stateOf(info.connectionId)!.request!;
    expect(req).toMatchObject({ method: 'GET', url: h.echoUrl, protocols: [], origin: 'https://app.test' });
    expect(req.headers).toMatchObject({
      'X-Trace': 't-1',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
    });
    expect(req.headers['Sec-WebSocket-Key']).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it('a rejected handshake: CLOSED, 1006, the status and body, HANDSHAKE_REJECTED', async () => {
    const info = value(await api.connection.open({ url: h.rejectUrl }));
    await until(() => stateOf(info.connectionId)?.readyState === 3);
    const state = stateOf(info.connectionId)!;
    expect(state).toMatchObject({ closeCode: 1006, wasClean: false });
    expect(state.error?.code).toBe(ErrorCodes.HANDSHAKE_REJECTED);
    expect(state.handshake).toMatchObject({ status: 401, body: 'missing token' });
    expect((await entriesOf(info.connectionId)).map((e) => e.kind)).toContain('error');
  });

  it('reconnect: only when CLOSED; the same id and log continue', async () => {
    const id = await openEcho();
    expect(errorCode(await api.connection.reconnect({ connectionId: id }))).toBe(ErrorCodes.INVALID_STATE);
    value(await api.connection.close({ connectionId: id, code: 1000 }));
    await until(() => stateOf(id)?.readyState === 3);
    const lastSeq = value(await api.log.read({ logId: id })).lastSeq;
    const again = value(await api.connection.reconnect({ connectionId: id }));
    expect(again).toMatchObject({ connectionId: id, readyState: 0, attempt: 0 });
    expect(again.closeCode).toBeUndefined();
    await until(() => stateOf(id)?.readyState === 1);
    const later = (await entriesOf(id)).filter((e) => e.seq > lastSeq);
    expect(later.map((e) => [e.kind, e.note])).toEqual([
      ['info', 'reconnecting'],
      ['info', `connecting to ${h.echoUrl}`],
      ['open', 'open'],
    ]);
  });

  it('remove: the connection is gone and a connection.removed event says so', async () => {
    const id = await openEcho();
    expect(value(await api.connection.remove({ connectionId: id }))).toEqual({ removed: true });
    await until(() => events.of('connection.removed').some((p) => p.connectionId === id));
    expect(errorCode(await api.connection.get({ connectionId: id }))).toBe(ErrorCodes.NOT_FOUND);
    expect(value(await api.connection.list({})).map((c) => c.connectionId)).not.toContain(id);
  });

  it('server.start / get / list / clients / stop', async () => {
    const server = value(await api.server.start({ port: 0 }));
    expect(server).toMatchObject({
      host: '127.0.0.1',
      path: '/',
      protocols: [],
      echo: true,
      running: true,
      clientCount: 0,
    });
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/`);
    expect(value(await api.server.get({ serverId: server.serverId }))).toEqual(server);
    expect(value(await api.server.list({})).map((s) => s.serverId)).toEqual([server.serverId]);
    expect(value(await api.server.clients({ serverId: server.serverId }))).toEqual([]);
    expect(
      value(await api.server.broadcast({ serverId: server.serverId, payload: { type: 'text', text: 'x' } })),
    ).toEqual({
      sent: 0,
    });
    const [listening] = await entriesOf(server.serverId);
    expect(listening).toMatchObject({ dir: 'none', kind: 'info' });

    const stopped = value(await api.server.stop({ serverId: server.serverId }));
    expect(stopped).toMatchObject({ serverId: server.serverId, running: false, clientCount: 0 });
    await until(() => events.of('server.state').some((s) => s.serverId === server.serverId && !s.running));
  });

  it('saved connections: save, list, rename, duplicate, delete; names cannot be empty', async () => {
    const options = { url: h.echoUrl, headers: { 'X-A': '1' } };
    const saved = value(await api.savedConnection.save({ name: 'Echo', options }));
    expect(saved).toMatchObject({ name: 'Echo', options });
    expect(saved.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(value(await api.savedConnection.list({}))).toEqual([saved]);

    const renamed = value(await api.savedConnection.rename({ id: saved.id, name: 'Echo 2' }));
    expect(renamed).toMatchObject({ id: saved.id, name: 'Echo 2', options });
    const updated = value(await api.savedConnection.save({ id: saved.id, name: 'Echo 3', options }));
    expect(updated).toMatchObject({ id: saved.id, name: 'Echo 3', createdAt: saved.createdAt });

    const copy = value(await api.savedConnection.duplicate({ id: saved.id }));
    expect(copy.id).not.toBe(saved.id);
    expect(copy.options).toEqual(options);
    expect(copy.name).not.toBe('Echo 3');
    expect(value(await api.savedConnection.list({})).map((c) => c.id)).toEqual([saved.id, copy.id]);

    expect(errorCode(await api.savedConnection.save({ name: '  ', options }))).toBe(ErrorCodes.INVALID_INPUT);
    expect(errorCode(await api.savedConnection.rename({ id: saved.id, name: '' }))).toBe(
      ErrorCodes.INVALID_INPUT,
    );
    expect(errorCode(await api.savedConnection.rename({ id: 'nope', name: 'x' }))).toBe(ErrorCodes.NOT_FOUND);
    expect(value(await api.savedConnection.delete({ id: copy.id }))).toEqual({ deleted: true });
    expect(errorCode(await api.savedConnection.delete({ id: copy.id }))).toBe(ErrorCodes.NOT_FOUND);
    expect(value(await api.savedConnection.list({})).map((c) => c.id)).toEqual([saved.id]);
  });

  it('templates: saved per connection or shared; listed by connection; deleted', async () => {
    const saved = value(await api.savedConnection.save({ name: 'Echo', options: { url: h.echoUrl } }));
    const shared = value(await api.template.save({ name: 'hello', payload: { type: 'text', text: 'hi' } }));
    const own = value(
      await api.template.save({
        name: 'own',
        savedConnectionId: saved.id,
        payload: { type: 'text', text: 'o' },
      }),
    );
    expect(shared.savedConnectionId).toBeUndefined();
    expect(own.savedConnectionId).toBe(saved.id);
    const workspaceWide = value(await api.template.list({}));
    expect(workspaceWide.map((t) => t.name)).toEqual(['hello']);
    const mine = value(await api.template.list({ savedConnectionId: saved.id }));
    expect(mine.map((t) => t.name)).toEqual(['own', 'hello']);
    // A template whose connection is gone stays visible, as workspace-wide.
    value(await api.savedConnection.delete({ id: saved.id }));
    expect(value(await api.template.list({})).map((t) => t.name)).toEqual(['hello', 'own']);
    expect(value(await api.template.delete({ id: own.id }))).toEqual({ deleted: true });
    expect(value(await api.template.list({})).map((t) => t.name)).toEqual(['hello']);
  });

  it('environments: save, list, read (a secret says only whether it is set), resolve masks secrets, delete', async () => {
    const saved = value(
      await api.env.save({
        name: 'dev',
        variables: [
          { name: 'room', value: 'lobby' },
          { name: 'token', secret: true, value: 'S3CRET' },
        ],
      }),
    );
    expect(saved).toEqual({
      name: 'dev',
      variables: [
        { name: 'room', value: 'lobby' },
        { name: 'token', secret: true, hasValue: true },
      ],
    });
    expect(value(await api.env.list({}))).toEqual([
      { name: 'dev', variableCount: 2, secretNames: ['token'] },
    ]);
    expect(value(await api.env.read({ name: 'dev' }))).toEqual(saved);
    // Started without `duplex ui --env`: no launch environment.
    expect(value(await api.env.launch({}))).toEqual({});
    expect(value(await api.env.resolve({ environment: 'dev', text: '{{room}}:{{vars.token}}' }))).toEqual({
      text: 'lobby:[redacted]',
      secret: true,
    });
    expect(
      value(await api.env.resolve({ environment: 'dev', vars: { room: 'x' }, text: '{{room}}' })),
    ).toEqual({
      text: 'x',
      secret: false,
    });
    value(await api.secret.clear({ environment: 'dev', name: 'token' }));
    expect(value(await api.env.read({ name: 'dev' })).variables[1]).toEqual({
      name: 'token',
      secret: true,
      hasValue: false,
    });
    expect(errorCode(await api.secret.set({ environment: 'dev', name: 'room', value: 'x' }))).toBe(
      ErrorCodes.INVALID_INPUT,
    );
    expect(errorCode(await api.env.read({ name: 'nope' }))).toBe(ErrorCodes.NOT_FOUND);
    expect(errorCode(await api.env.save({ name: '../x', variables: [] }))).toBe(ErrorCodes.INVALID_INPUT);
    expect(value(await api.env.delete({ name: 'dev' }))).toEqual({ deleted: true });
    expect(value(await api.env.list({}))).toEqual([]);
    expect(events.of('workspace.changed').some((c) => c.what === 'environments')).toBe(true);
  });

  it('connection.open resolves {{name}} with an environment; sends resolve at send time; unknown is TEMPLATE', async () => {
    value(
      await api.env.save({
        name: 'dev',
        variables: [
          { name: 'echo', value: h.echoUrl },
          { name: 'room', value: 'lobby' },
        ],
      }),
    );
    const bad = await api.connection.open({ url: '{{echo}}/{{missing}}', environment: 'dev' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe(ErrorCodes.TEMPLATE);
      expect(bad.error.details?.['variable']).toBe('missing');
      expect(bad.error.message).toContain('missing');
    }
    const info = value(await api.connection.open({ url: '{{echo}}', environment: 'dev' }));
    expect(info.url).toBe(h.echoUrl);
    await until(() => stateOf(info.connectionId)?.readyState === 1);
    value(
      await api.connection.send({
        connectionId: info.connectionId,
        payload: { type: 'text', text: 'to {{room}}' },
      }),
    );
    value(await api.env.save({ name: 'dev', variables: [{ name: 'room', value: 'kitchen' }] }));
    value(
      await api.connection.send({
        connectionId: info.connectionId,
        payload: { type: 'text', text: 'to {{room}}' },
      }),
    );
    value(
      await api.connection.send({
        connectionId: info.connectionId,
        payload: { type: 'text', text: 'to {{room}}' },
        raw: true,
      }),
    );
    const unknown = await api.connection.send({
      connectionId: info.connectionId,
      payload: { type: 'text', text: '{{nope}}' },
    });
    expect(!unknown.ok && unknown.error.details?.['variable']).toBe('nope');
    const live = value(await api.live.list({})).connections.find(
      (c) => c.info.connectionId === info.connectionId,
    );
    expect(live).toMatchObject({ options: { url: '{{echo}}' }, environment: 'dev' });
    const out = (await entriesOf(info.connectionId)).filter((e) => e.dir === 'out' && e.kind === 'text');
    expect(out.map((e) => e.preview)).toEqual(['to lobby', 'to kitchen', 'to {{room}}']);
  });

  it('a recording becomes a session to list, open, export, rename and delete', async () => {
    const id = await openEcho();
    const started = value(await api.session.recordStart({ logId: id }));
    expect(started).toMatchObject({ logId: id, recording: true });
    expect(started.name.endsWith(SESSION_EXT)).toBe(true);
    value(await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'rec' } }));
    await until(async () => (await entriesOf(id)).some((e) => e.dir === 'in' && e.kind === 'text'));
    const stopped = value(await api.session.recordStop({ logId: id }));
    expect(stopped).toMatchObject({ logId: id, name: started.name, recording: false });

    const listed = value(await api.session.list({}));
    expect(listed.map((s) => s.name)).toEqual([started.name]);
    expect(listed[0]).toMatchObject({ role: 'client', url: h.echoUrl });

    const opened = value(await api.session.open({ name: started.name }));
    expect(opened.header).toMatchObject({ role: 'client', url: h.echoUrl });
    const texts = opened.entries.filter((e) => e.kind === 'text');
    expect(texts.map((e) => [e.dir, e.preview])).toEqual([
      ['out', 'rec'],
      ['in', 'rec'],
    ]);
    const seq = texts[0]!.seq;
    const slice = value(await api.session.payload({ name: started.name, seq }));
    expect(utf8Decode(slice.data)).toBe('rec');

    const exported = value(await api.session.export({ name: started.name }));
    expect(exported.fileName).toBe(started.name.slice(0, -SESSION_EXT.length) + '.har');
    const har = JSON.parse(exported.har) as { log: { entries: { _webSocketMessages?: unknown[] }[] } };
    expect(har.log.entries[0]?._webSocketMessages).toHaveLength(2);

    const renamed = value(await api.session.rename({ name: started.name, newName: `other${SESSION_EXT}` }));
    expect(renamed.name).toBe(`other${SESSION_EXT}`);
    expect(value(await api.session.list({})).map((s) => s.name)).toEqual([`other${SESSION_EXT}`]);
    expect(errorCode(await api.session.open({ name: started.name }))).toBe(ErrorCodes.NOT_FOUND);
    expect(value(await api.session.delete({ name: `other${SESSION_EXT}` }))).toEqual({ deleted: true });
    expect(value(await api.session.list({}))).toEqual([]);
    expect(errorCode(await api.session.delete({ name: `other${SESSION_EXT}` }))).toBe(ErrorCodes.NOT_FOUND);
  });

  it('session.import: one session per WebSocket entry of a HAR; a file that is not JSON is a FILE error', async () => {
    const har = {
      log: {
        version: '1.2',
        creator: { name: 'test', version: '1' },
        entries: [
          {
            startedDateTime: '2026-01-01T00:00:00.000Z',
            request: { method: 'GET', url: h.echoUrl, headers: [] },
            response: { status: 101, headers: [] },
            _resourceType: 'websocket',
            _webSocketMessages: [
              { type: 'send', time: 1767225600, opcode: 1, data: 'hi' },
              { type: 'receive', time: 1767225600.01, opcode: 1, data: 'hi' },
            ],
          },
        ],
      },
    };
    const result = value(await api.session.import({ text: JSON.stringify(har), sourceName: 'capture.har' }));
    expect(result.skippedMessages).toBe(0);
    expect(result.sessions).toHaveLength(1);
    expect(result.sessions[0]).toMatchObject({ url: h.echoUrl, source: 'har' });
    expect(result.sessions[0]!.name.endsWith(SESSION_EXT)).toBe(true);
    const opened = value(await api.session.open({ name: result.sessions[0]!.name }));
    expect(opened.entries.map((e) => [e.dir, e.preview])).toEqual([
      ['out', 'hi'],
      ['in', 'hi'],
    ]);
    expect(errorCode(await api.session.import({ text: 'not json' }))).toBe(ErrorCodes.FILE);
  });

  it('session.replay of a recording against the echo server matches with verify', async () => {
    const id = await openEcho();
    const rec = value(await api.session.recordStart({ logId: id }));
    for (const text of ['a', 'b']) {
      value(await api.connection.send({ connectionId: id, payload: { type: 'text', text } }));
    }
    await until(async () => (await entriesOf(id)).filter((e) => e.dir === 'in').length === 2);
    value(await api.session.recordStop({ logId: id }));

    const { replayId, connectionId } = value(
      await api.session.replay({ name: rec.name, url: h.echoUrl, speed: 0, verify: true }),
    );
    expect(connectionId).not.toBe(id);
    await until(async () => value(await api.session.replayStatus({ replayId })).done, 10_000);
    const report = value(await api.session.replayStatus({ replayId }));
    expect(report).toMatchObject({ ok: true, toSend: 2, sent: 2, expected: 2, compared: 2, matched: 2 });
    expect(report.mismatches).toEqual([]);
    expect(events.of('session.replayProgress').some((p) => p.replayId === replayId)).toBe(true);
    expect(errorCode(await api.session.replayControl({ replayId, action: 'pause' }))).toBe(
      ErrorCodes.INVALID_STATE,
    );
    expect(errorCode(await api.session.replayStatus({ replayId: 'nope' }))).toBe(ErrorCodes.NOT_FOUND);
  });
  const CHAT_MOCK = [
    'port: 0',
    'routes:',
    '  - path: /',
    '    rules:',
    '      - name: ping',
    '        when: { json: { path: "$.type", equals: "ping" } }',
    '        then: [ { send: pong } ]',
    '      - when: { binary: { prefixHex: "00ff" } }',
    '        then: [ { sendHex: "ff00" }, { delay: 5 }, { close: { code: 4000, reason: bye } } ]',
    '    otherwise: echo',
    '',
  ].join('\n');

  it('mock files: save, list, read, delete; an invalid mock is refused with line and field and nothing is written', async () => {
    const saved = value(await api.mock.save({ name: 'chat', text: CHAT_MOCK }));
    expect(saved).toMatchObject({ name: 'chat', path: 'mocks/chat.yaml' });
    await until(() => events.of('workspace.changed').some((e) => e.what === 'mocks'));
    expect(value(await api.mock.list({})).map((m) => [m.name, m.path, m.error])).toEqual([
      ['chat', 'mocks/chat.yaml', undefined],
    ]);
    expect(value(await api.mock.read({ name: 'chat' }))).toMatchObject({ name: 'chat', text: CHAT_MOCK });

    const bad = CHAT_MOCK.replace(
      '{ json: { path: "$.type", equals: "ping" } }',
      '{ text: { regex: "(ping" } }',
    );
    const refused = await api.mock.save({ name: 'chat', text: bad });
    expect(errorCode(refused)).toBe(ErrorCodes.MOCK_FILE);
    const details = (refused.ok ? {} : refused.error.details) as { line?: number; field?: string };
    expect(details).toMatchObject({ line: 6, field: 'routes[0].rules[0].when.text.regex' });
    expect(refused.ok ? '' : refused.error.message).toMatch(
      /^mocks\/chat\.yaml:6:\d+: routes\[0\]\.rules\[0\]\.when\.text\.regex: /,
    );
    expect(value(await api.mock.read({ name: 'chat' })).text).toBe(CHAT_MOCK);
    const unknown = await api.mock.save({
      name: 'other',
      text: CHAT_MOCK.replace('otherwise:', 'otherwize:'),
    });
    expect(unknown.ok ? undefined : unknown.error.details).toMatchObject({ line: 10, field: 'routes[0]' });

    expect(value(await api.mock.delete({ name: 'chat' }))).toEqual({ deleted: true });
    expect(value(await api.mock.list({}))).toEqual([]);
    expect(errorCode(await api.mock.read({ name: 'chat' }))).toBe(ErrorCodes.NOT_FOUND);
  });

  it('mock.try: the rule a message hits and what it would send, of a saved mock or of unsaved text', async () => {
    value(await api.mock.save({ name: 'chat', text: CHAT_MOCK }));
    const text = (t: string) => ({ type: 'text' as const, text: t });
    expect(value(await api.mock.try({ name: 'chat', message: text('{"type":"ping"}') }))).toEqual({
      rule: 'ping',
      route: '/',
      steps: [{ action: 'send', kind: 'text', text: 'pong' }],
    });
    expect(
      value(
        await api.mock.try({ name: 'chat', message: { type: 'binary', data: Uint8Array.from([0, 255, 1]) } }),
      ),
    ).toEqual({
      rule: 'rules[1]',
      route: '/',
      steps: [
        { action: 'send', kind: 'binary', hex: 'ff00' },
        { action: 'delay', ms: 5 },
        { action: 'close', code: 4000, text: 'bye' },
      ],
    });
    expect(value(await api.mock.try({ name: 'chat', message: text('other') }))).toEqual({
      rule: 'otherwise',
      route: '/',
      steps: [{ action: 'send', kind: 'text', text: 'other' }],
    });
    // Unsaved text wins over the file; its problem comes back as the save's would.
    const none = CHAT_MOCK.replace('otherwise: echo', 'otherwise: none');
    expect(value(await api.mock.try({ name: 'chat', text: none, message: text('other') })).steps).toEqual([]);
    const bad = await api.mock.try({ name: 'chat', text: 'port: 0\n', message: text('x') });
    expect(errorCode(bad)).toBe(ErrorCodes.MOCK_FILE);
    // Named like the file mock.save writes, so the two report the same place.
    expect(bad.ok ? '' : bad.error.message).toMatch(/^mocks\/chat\.yaml/);
  });

  it('mock.start runs a mock by name: rules, hit counts per rule, no certificate on ws://', async () => {
    value(await api.mock.save({ name: 'chat', text: CHAT_MOCK }));
    const server = value(await api.mock.start({ name: 'chat' }));
    expect(server).toMatchObject({ running: true, behaviours: ['rules'], mock: { name: 'chat' } });
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}/`);
    expect(value(await api.server.hits({ serverId: server.serverId }))).toEqual({
      serverId: server.serverId,
      routes: [
        {
          path: '/',
          rules: [
            { rule: 'ping', hits: 0 },
            { rule: 'rules[1]', hits: 0 },
          ],
          otherwise: 0,
        },
      ],
    });
    expect(errorCode(await api.server.certificate({ serverId: server.serverId }))).toBe(
      ErrorCodes.INVALID_STATE,
    );
    expect(errorCode(await api.mock.start({ name: 'nope' }))).toBe(ErrorCodes.NOT_FOUND);
    value(await api.server.stop({ serverId: server.serverId }));
  });

  it('a recording becomes a mock (a rule per client message) and is served back as a mock', async () => {
    const id = await openEcho();
    const rec = value(await api.session.recordStart({ logId: id }));
    value(await api.connection.send({ connectionId: id, payload: { type: 'text', text: 'rec' } }));
    await until(async () => (await entriesOf(id)).some((e) => e.dir === 'in' && e.kind === 'text'));
    value(await api.session.recordStop({ logId: id }));

    const made = value(await api.mock.fromSession({ name: rec.name, mockName: 'recorded' }));
    expect(made).toMatchObject({ name: 'recorded', path: 'mocks/recorded.yaml', rules: 1 });
    expect(value(await api.mock.list({})).map((m) => m.name)).toEqual(['recorded']);
    expect(
      value(await api.mock.try({ name: 'recorded', message: { type: 'text', text: 'rec' } })),
    ).toMatchObject({ rule: 'message 1', steps: [{ action: 'send', kind: 'text', text: 'rec' }] });

    const served = value(await api.mock.serveSession({ name: rec.name, port: 0, conversation: true }));
    expect(served).toMatchObject({ running: true, behaviours: ['recording'] });
    // A session file that is not there cannot be opened: a FILE error, as session files report.
    expect(errorCode(await api.mock.serveSession({ name: `nope${SESSION_EXT}` }))).toBe(ErrorCodes.FILE);
    value(await api.server.stop({ serverId: served.serverId }));
  });

  it('flows: save (a flow without steps is refused with file, line and field), list, read, delete', async () => {
    const text = `steps:\n  - connect: { url: "${h.echoUrl}" }\n  - send: hi\n  - expect: { text: { equals: hi } }\n`;
    const saved = value(await api.flow.save({ name: 'echo', text }));
    expect(saved).toMatchObject({ name: 'echo', path: 'flows/echo.yaml' });
    expect(value(await api.flow.list({})).map((f) => [f.name, f.steps])).toEqual([['echo', 3]]);
    const read = value(await api.flow.read({ name: 'echo' }));
    expect(read.text).toBe(text);
    expect(read.steps.map((s) => [s.id, s.type, s.line])).toEqual([
      ['steps[0]', 'connect', 2],
      ['steps[1]', 'send', 3],
      ['steps[2]', 'expect', 4],
    ]);
    const bad = await api.flow.save({ name: 'echo', text: 'name: no steps\n' });
    expect(bad.ok ? undefined : bad.error).toMatchObject({
      code: ErrorCodes.FLOW_FILE,
      details: { file: 'flows/echo.yaml', line: 1, field: 'steps' },
    });
    expect(value(await api.flow.read({ name: 'echo' })).text).toBe(text);
    expect(value(await api.flow.delete({ name: 'echo' }))).toEqual({ deleted: true });
    expect(errorCode(await api.flow.read({ name: 'echo' }))).toBe(ErrorCodes.NOT_FOUND);
  });

  it('flow.run: progress events, passed and failed steps with messages, re-run one step, stop', async () => {
    value(
      await api.flow.save({
        name: 'pass',
        text: `steps:\n  - connect: { url: "${h.echoUrl}" }\n  - send: hi\n  - expect: { text: { equals: hi } }\n`,
      }),
    );
    const started = value(await api.flow.run({ name: 'pass', keepOpen: true }));
    expect(started.status).toBe('running');
    const runId = started.runId;
    await until(async () => value(await api.flow.status({ runId })).status !== 'running', 10_000);
    const done = value(await api.flow.status({ runId }));
    expect(done).toMatchObject({ status: 'passed', passed: 3, failed: 0, skipped: 0, open: true });
    expect(done.connections[0]).toMatchObject({ name: 'main' });
    await until(() =>
      events.of('flow.progress').some((e) => e.runId === runId && e.report.status === 'passed'),
    );
    const again = value(await api.flow.rerunStep({ runId, stepId: 'steps[1]' }));
    expect(again.steps.at(-1)).toMatchObject({ stepId: 'steps[1]', status: 'passed', rerun: true });
    expect(errorCode(await api.flow.rerunStep({ runId, stepId: 'steps[7]' }))).toBe(ErrorCodes.NOT_FOUND);
    expect(value(await api.flow.stop({ runId })).open).toBeUndefined();
    expect(errorCode(await api.flow.rerunStep({ runId, stepId: 'steps[1]' }))).toBe(ErrorCodes.INVALID_STATE);

    value(
      await api.flow.save({
        name: 'fail',
        text: `steps:\n  - connect: { url: "${h.echoUrl}" }\n  - send: hi\n  - expect: { text: { equals: bye }, within: 100 }\n  - send: never\n`,
      }),
    );
    const failing = value(await api.flow.run({ name: 'fail' }));
    await until(
      async () => value(await api.flow.status({ runId: failing.runId })).status !== 'running',
      10_000,
    );
    const failed = value(await api.flow.status({ runId: failing.runId }));
    expect(failed.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed', 'skipped']);
    expect(failed.steps[2]!.message).toBe(
      'expected a message matching text equals "bye" on main; none within 100 ms; 1 arrived that did not match: "hi"',
    );
    expect(errorCode(await api.flow.status({ runId: 'nope' }))).toBe(ErrorCodes.NOT_FOUND);
  });
});
