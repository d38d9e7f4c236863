import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ReplayReport } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { MockServer } from '../../app/server/mock-server.js';
import { manualBehaviour } from '../../app/server/behaviour.js';
import { utf8Decode, utf8Encode } from '../../app/payload/codecs.js';
import { makeHeader, type Session, type SessionEntry } from '../../app/sessions/session-format.js';
import { replaySession, formatReplayReport } from '../../app/sessions/replay.js';
import { compareMessages, parseJsonPath } from '../../app/sessions/session-compare.js';
import { serveRecording } from '../../app/sessions/mock-replay.js';
import { planServerReplay } from '../../app/sessions/session-script.js';
import { until as waitUntil } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-replay-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function server(setup?: (s: MockServer) => void): Promise<MockServer> {
  const s = new MockServer('test-server', {});
  setup?.(s);
  await s.start();
  cleanups.push(() => s.stop());
  return s;
}

const text = (seq: number, t: number, dir: 'in' | 'out', s: string): SessionEntry => ({
  seq,
  t,
  dir,
  kind: 'text',
  data: utf8Encode(s),
});

function clientSession(url: string, entries: SessionEntry[]): Session {
  return { header: makeHeader({ role: 'client', url }), entries };
}

/** The replay's report once it is done (or after 5 s). */
async function replayEnd(engine: Engine, replayId: string): Promise<ReplayReport> {
  let status = await engine.call('session.replayStatus', { replayId });
  const end = Date.now() + 5000;
  while (!status.done && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 10));
    status = await engine.call('session.replayStatus', { replayId });
  }
  return status;
}

/** Waits for `check`, 3,000 ms unless told otherwise. */
const until = (check: () => boolean, timeoutMs = 3000): Promise<void> => waitUntil(check, timeoutMs);

describe('message comparison', () => {
  it('compares JSON structurally, skipping ignored paths', () => {
    const m = (s: string) => ({ kind: 'text' as const, data: utf8Encode(s) });
    expect(compareMessages(m('{"a":1,"b":[1,2]}'), m('{ "b": [1, 2], "a": 1 }'))).toEqual([]);
    expect(compareMessages(m('{"a":1,"ts":5}'), m('{"a":2,"ts":6,"x":true}'))).toEqual([
      '$.a: expected 1, got 2',
      '$.ts: expected 5, got 6',
      '$.x: unexpected key, got true',
    ]);
    const ignore = ['$.ts', '$.x', '$.items[*].id', '$..nonce'].map(parseJsonPath);
    expect(
      compareMessages(
        m('{"ts":1,"items":[{"id":1,"v":"a"}],"deep":{"nonce":1}}'),
        m('{"ts":2,"x":0,"items":[{"id":9,"v":"a"}],"deep":{"nonce":2}}'),
        ignore,
      ),
    ).toEqual([]);
    expect(compareMessages(m('{"items":[1,2]}'), m('{"items":[1]}'))).toEqual([
      '$.items[1]: missing (expected 2)',
    ]);
    expect(compareMessages(m('hello'), m('hellO'))[0]).toMatch(/text differs at character 4/);
    expect(() => parseJsonPath('timestamp')).toThrow(/does not start with \$/);
  });

  it('compares binary byte for byte and shows where it differs', () => {
    const b = (...x: number[]) => ({ kind: 'binary' as const, data: new Uint8Array(x) });
    expect(compareMessages(b(1, 2, 3), b(1, 2, 3))).toEqual([]);
    const d = compareMessages(b(1, 2, 3), b(1, 2, 4));
    expect(d[0]).toBe('bytes differ at offset 2 (expected 3 bytes, got 3)');
    expect(d[1]).toMatch(/01 02 03/);
    expect(d[2]).toMatch(/01 02 04/);
    expect(compareMessages(b(1), { kind: 'text', data: utf8Encode('x') })[0]).toMatch(
      /expected a binary message, got text/,
    );
  });
});

describe('client replay', () => {
  it('replays against an echo server and verifies every answer', async () => {
    const s = await server();
    const session = clientSession(s.url, [
      { seq: 1, t: 0, dir: 'none', kind: 'open', data: new Uint8Array(0) },
      text(2, 5, 'out', '{"n":1}'),
      text(3, 6, 'in', '{"n":1}'),
      { seq: 4, t: 20, dir: 'out', kind: 'binary', data: new Uint8Array([0, 255]) },
      { seq: 5, t: 21, dir: 'in', kind: 'binary', data: new Uint8Array([0, 255]) },
    ]);
    const report = await replaySession(session, { verify: true, speed: 1 });
    expect(report).toMatchObject({ ok: true, sent: 2, toSend: 2, expected: 2, matched: 2, mismatches: [] });
    expect(report.deviationsMs).toHaveLength(2);
    const received = s.log
      .read(1, 100)
      .filter((e) => e.dir === 'in' && (e.kind === 'text' || e.kind === 'binary'));
    expect(received.map((e) => [e.kind, [...e.payload]])).toEqual([
      ['text', [...utf8Encode('{"n":1}')]],
      ['binary', [0, 255]],
    ]);
  });

  it('reports the first mismatches by message index and seq; --ignore paths make it pass', async () => {
    const s = await server((srv) => {
      srv.setBehaviours([
        {
          kind: 'manual',
          message: (client, view) => ({
            run: () => {
              const msg = JSON.parse(view.text) as Record<string, unknown>;
              srv.send(client.info.clientId, {
                type: 'text',
                text: JSON.stringify({ ...msg, ts: Date.now(), v: 2 }),
              });
            },
          }),
        },
      ]);
    });
    const session = clientSession(s.url, [
      text(1, 0, 'out', '{"id":1}'),
      text(2, 1, 'in', '{"id":1,"ts":1,"v":1}'),
      text(3, 2, 'out', '{"id":2}'),
      text(4, 3, 'in', '{"id":2,"ts":2,"v":1}'),
    ]);
    const bad = await replaySession(session, { verify: true, speed: 0, ignore: ['$.ts'] });
    expect(bad.ok).toBe(false);
    expect(bad.mismatches).toEqual([
      { index: 1, seq: 2, problems: ['$.v: expected 1, got 2'] },
      { index: 2, seq: 4, problems: ['$.v: expected 1, got 2'] },
    ]);
    expect(formatReplayReport(bad)).toMatch(
      /✗ incoming message #1 \(recorded seq 2\):\n {4}\$\.v: expected 1, got 2/,
    );
    const good = await replaySession(session, { verify: true, speed: 0, ignore: ['$.ts', '$.v'] });
    expect(good.ok).toBe(true);
  });

  it('a missing answer fails after the timeout, naming the message', async () => {
    const s = await server((srv) => srv.setBehaviours([manualBehaviour()]));
    const session = clientSession(s.url, [
      text(1, 0, 'out', 'a'),
      text(2, 1, 'in', 'a'),
      text(3, 2, 'in', 'b'),
    ]);
    const report = await replaySession(session, { verify: true, speed: 0, timeoutMs: 100 });
    expect(report.ok).toBe(false);
    expect(report.mismatches[0]).toMatchObject({ index: 1, seq: 2 });
    expect(report.mismatches[0]!.problems.join('\n')).toMatch(
      /nothing arrived within 100 ms.*"a"[\s\S]*1 later incoming/,
    );
  });

  it('a connection failure is reported, not thrown', async () => {
    const s = await server();
    const url = s.url;
    await s.stop();
    const report = await replaySession(clientSession(url, [text(1, 0, 'out', 'x')]), { speed: 0 });
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('DUPLEX_ERR_CONNECTION_FAILED');
  });
});

describe('mock replay (serve a recording)', () => {
  const recorded: Session = clientSession('ws://unused/', [
    { seq: 1, t: 0, dir: 'none', kind: 'open', data: new Uint8Array(0) },
    text(2, 1, 'in', 'welcome'),
    text(3, 10, 'out', 'q1'),
    text(4, 12, 'in', 'a1'),
    { seq: 5, t: 13, dir: 'in', kind: 'binary', data: new Uint8Array([1, 2]) },
    text(6, 30, 'out', 'q2'),
    text(7, 31, 'in', 'a2'),
    { seq: 8, t: 40, dir: 'in', kind: 'close', data: utf8Encode('done'), code: 4001, reason: 'done' },
  ]);

  async function client(url: string) {
    const ws = new WebSocket(url);
    const got: string[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (d: Buffer, bin) => got.push(bin ? `bin:${[...d].join(',')}` : d.toString()));
    await new Promise((r) => ws.once('open', r));
    return { ws, got, closed };
  }

  it('conversation mode waits for each client message before the replies that followed it', async () => {
    const s = await server();
    serveRecording(s, await planServerReplay(recorded.entries, 'client'), { conversation: true });
    const c = await client(s.url);
    await until(() => c.got.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.got).toEqual(['welcome']); // nothing more until the client speaks
    c.ws.send('anything');
    await until(() => c.got.length === 3);
    expect(c.got).toEqual(['welcome', 'a1', 'bin:1,2']);
    c.ws.send('second');
    expect(await c.closed).toBe(4001);
    expect(c.got).toEqual(['welcome', 'a1', 'bin:1,2', 'a2']);
  });

  it('plans only the chosen conversation of a server recording, as it streams', async () => {
    const header = makeHeader({ role: 'server', url: 'ws://localhost:1/' });
    const entries: SessionEntry[] = [
      { seq: 1, t: 5, dir: 'none', kind: 'open', data: new Uint8Array(0), clientId: 'c1' },
      { seq: 2, t: 6, dir: 'none', kind: 'open', data: new Uint8Array(0), clientId: 'c2' },
      { ...text(3, 7, 'in', 'hi from c2'), clientId: 'c2' },
      { ...text(4, 8, 'out', 'to c2'), clientId: 'c2' },
      { ...text(5, 9, 'in', 'hi from c1'), clientId: 'c1' },
      { ...text(6, 10, 'out', 'to c1'), clientId: 'c1' },
      { seq: 7, t: 20, dir: 'out', kind: 'close', data: new Uint8Array(0), clientId: 'c1', code: 4002 },
    ];
    async function* stream() {
      yield* entries;
    }
    const first = await planServerReplay(stream(), header.role);
    expect(first.sends.map((s) => [s.t, s.after, utf8Decode(s.entry.data)])).toEqual([[2, 1, 'to c2']]);
    expect(first).toMatchObject({ clientMessages: 1 });
    expect(first.serverClose).toBeUndefined();
    const c1 = await planServerReplay(stream(), header.role, 'c1');
    expect(c1.sends.map((s) => [s.t, s.after, utf8Decode(s.entry.data)])).toEqual([[5, 1, 'to c1']]);
    expect(c1.serverClose).toEqual({ t: 15, code: 4002, reason: '' });
    await expect(planServerReplay(stream(), header.role, 'c9')).rejects.toThrow(
      /no client "c9"; its clients are c1, c2/,
    );
  });

  it('does not plan a recorded close whose code a server may not send', async () => {
    for (const code of [1004, 1005, 1006, 1015, 999, 5000]) {
      const script = await planServerReplay(
        [text(1, 0, 'in', 'x'), { seq: 2, t: 1, dir: 'in', kind: 'close', data: new Uint8Array(0), code }],
        'client',
      );
      expect(script.serverClose, String(code)).toBeUndefined();
    }
    const ok = await planServerReplay(
      [{ seq: 1, t: 1, dir: 'in', kind: 'close', data: new Uint8Array(0), code: 1011 }],
      'client',
    );
    expect(ok.serverClose).toEqual({ t: 1, code: 1011, reason: '' });
  });

  it('timed mode sends the recorded server messages to every client that connects', async () => {
    const s = await server();
    serveRecording(s, await planServerReplay(recorded.entries, 'client'), { speed: 1 });
    const [a, b] = await Promise.all([client(s.url), client(s.url)]);
    expect(await a.closed).toBe(4001);
    expect(await b.closed).toBe(4001);
    for (const c of [a, b]) expect(c.got).toEqual(['welcome', 'a1', 'bin:1,2', 'a2']);
  });
});

describe('engine session commands', () => {
  it('record → list → open/read/payload → replay → export/import → rename → delete', async () => {
    const dir = tempDir();
    const engine = new Engine({ workspaceDir: dir });
    cleanups.push(() => engine.dispose());
    const echo = await server();
    const conn = engine.openConnection({ url: echo.url });
    await new Promise<void>((r) => conn.once('open', () => r()));
    const rec = await engine.call('session.recordStart', { logId: conn.id, name: 'echo-test' });
    expect(rec).toMatchObject({
      name: 'echo-test.jsonl',
      recording: true,
      path: join(dir, 'sessions', 'echo-test.jsonl'),
    });
    await expect(engine.call('session.recordStart', { logId: conn.id })).rejects.toThrow(
      /already being recorded/,
    );
    conn.send({ type: 'text', text: '{"hello":"world"}' });
    conn.send({ type: 'binary', data: new Uint8Array(100).fill(7) });
    await until(() => conn.log.read(1, 100).filter((e) => e.dir === 'in').length === 2);
    const stopped = await engine.call('session.recordStop', { logId: conn.id });
    expect(stopped).toMatchObject({ entries: 4, recording: false });

    const list = await engine.call('session.list', {});
    expect(list.map((s) => [s.name, s.role, s.url])).toEqual([['echo-test.jsonl', 'client', conn.url]]);

    const opened = await engine.call('session.open', { name: 'echo-test.jsonl', count: 2 });
    expect(opened.total).toBe(4);
    expect(opened.entries.map((e) => [e.seq, e.dir, e.kind, e.preview.slice(0, 17)])).toEqual([
      [1, 'out', 'text', '{"hello":"world"}'],
      [2, 'out', 'binary', '07 07 07 07 07 07'],
    ]);
    const page = await engine.call('session.read', {
      name: 'echo-test.jsonl',
      fromSeq: 3,
      filter: { dir: 'in' },
    });
    expect(page.entries.map((e) => [e.seq, e.kind, e.size])).toEqual([
      [3, 'text', 17],
      [4, 'binary', 100],
    ]);
    const bytes = await engine.call('session.payload', {
      name: 'echo-test.jsonl',
      seq: 4,
      offset: 90,
      length: 50,
    });
    expect(bytes).toMatchObject({ size: 100, offset: 90 });
    expect([...bytes.data]).toEqual(new Array(10).fill(7));

    const { replayId, connectionId } = await engine.call('session.replay', {
      name: 'echo-test.jsonl',
      speed: 0,
      verify: true,
    });
    expect(engine.connections.has(connectionId)).toBe(true);
    await until(() => engine.invoke('session.replayStatus', { replayId }) !== undefined);
    const status = await replayEnd(engine, replayId);
    expect(status).toMatchObject({ done: true, ok: true, sent: 2, matched: 2 });

    const exported = await engine.call('session.export', { name: 'echo-test.jsonl' });
    expect(exported.fileName).toBe('echo-test.har');
    const imported = await engine.call('session.import', { text: exported.har, sourceName: 'echo-test.har' });
    expect(imported.sessions).toHaveLength(1);
    const back = await engine.call('session.open', { name: imported.sessions[0]!.name });
    expect(back.entries.map((e) => [e.dir, e.kind, e.size])).toEqual([
      ['out', 'text', 17],
      ['out', 'binary', 100],
      ['in', 'text', 17],
      ['in', 'binary', 100],
    ]);

    const renamed = await engine.call('session.rename', { name: 'echo-test.jsonl', newName: 'renamed' });
    expect(renamed.name).toBe('renamed.jsonl');
    expect(readFileSync(renamed.path, 'utf8').split('\n')[0]).toMatch(/"format":"duplex-session"/);
    await expect(engine.call('session.open', { name: '../etc/passwd' })).rejects.toThrow(/session name/);
    expect(await engine.call('session.delete', { name: 'renamed.jsonl' })).toEqual({ deleted: true });
    expect((await engine.call('session.list', {})).map((s) => s.name)).toEqual([imported.sessions[0]!.name]);
  });

  it("a server recording lists its clients, and replay plays the chosen client's side", async () => {
    const engine = new Engine({ workspaceDir: tempDir() });
    cleanups.push(() => engine.dispose());
    const recorded = await engine.startServer({ port: 0, echo: true });
    await engine.call('session.recordStart', { logId: recorded.id, name: 'two-clients' });
    for (const words of [['a1'], ['b1', 'b2']]) {
      const conn = engine.openConnection({ url: recorded.url });
      await new Promise<void>((r) => conn.once('open', () => r()));
      for (const w of words) conn.send({ type: 'text', text: w });
      await until(() => conn.log.read(1, 100).filter((e) => e.dir === 'in').length === words.length);
      conn.close(1000);
    }
    await engine.call('session.recordStop', { logId: recorded.id });

    const opened = await engine.call('session.open', { name: 'two-clients.jsonl' });
    expect(opened.header.role).toBe('server');
    expect(opened.clients).toEqual(['1', '2']);

    const target = await server();
    const { replayId } = await engine.call('session.replay', {
      name: 'two-clients.jsonl',
      url: target.url,
      speed: 0,
      verify: true,
      clientId: '2',
    });
    const status = await replayEnd(engine, replayId);
    expect(status).toMatchObject({ done: true, ok: true, sent: 2, matched: 2 });
    await expect(
      engine.call('session.replay', { name: 'two-clients.jsonl', url: target.url, clientId: '9' }),
    ).rejects.toThrow('its clients are 1, 2');
  });

  it('without a workspace, session commands fail with a clear FILE error', async () => {
    const engine = new Engine();
    cleanups.push(() => engine.dispose());
    const r = await engine.invoke('session.list', {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('DUPLEX_ERR_FILE');
  });
});
