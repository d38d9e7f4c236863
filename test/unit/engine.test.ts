/**
 * Engine: command validation, typed errors, batched events, log commands —
 * through invoke/call with a real mock server and real client connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type EngineEvent } from '../../app/engine.js';
import type { ConnectionInfo, LogEntryView } from '../../app/contract.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';
import { until } from '../support/until.js';

const engines: Engine[] = [];
const cleanups: (() => unknown)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose();
  for (const fn of cleanups.splice(0).reverse()) await fn();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A scratch workspace folder, removed after the test. */
function workspaceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-engine-'));
  dirs.push(dir);
  return dir;
}

function engine(options?: ConstructorParameters<typeof Engine>[0]): Engine {
  const e = new Engine(options);
  engines.push(e);
  return e;
}

/** A server and an open client connection to it. */
async function connected(e: Engine): Promise<{ serverId: string; connectionId: string; url: string }> {
  const server = await e.call('server.start', {});
  const conn = await e.call('connection.open', { url: server.url });
  await until(() => e.connection(conn.connectionId).readyState === 1);
  return { serverId: server.serverId, connectionId: conn.connectionId, url: server.url };
}

describe('Engine: input validation', () => {
  it('refuses bad input with INVALID_INPUT naming the field, and applies nothing', async () => {
    const e = engine();
    const r = await e.invoke('connection.open', { url: 42 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCodes.INVALID_INPUT);
    expect(r.error.message).toContain('connection.open');
    expect(r.error.message).toContain('url');
    expect(r.error.details?.['issues']).toEqual([expect.objectContaining({ path: ['url'] })]);
    expect(e.connections.size).toBe(0);

    const port = await e.invoke('server.start', { port: 70_000 });
    expect(!port.ok && port.error.message).toContain('port');
    const header = await e.invoke('connection.open', { url: 'ws://x/', headers: { 'Bad Name': 'v' } });
    expect(!header.ok && header.error.code).toBe(ErrorCodes.INVALID_INPUT);
    const nested = await e.invoke('connection.open', { url: 'ws://x/', heartbeat: { intervalMs: 5 } });
    expect(!nested.ok && nested.error.message).toContain('heartbeat.intervalMs');
    const payload = await e.invoke('connection.send', {
      connectionId: 'c',
      payload: { type: 'binary', data: 'AAE=' },
    });
    expect(!payload.ok && payload.error.message).toContain('payload');
    expect(e.connections.size).toBe(0);
    expect(e.servers.size).toBe(0);
  });

  it('refuses an unknown command with INVALID_INPUT', async () => {
    const r = await engine().invoke('connection.explode' as never, {});
    expect(!r.ok && r.error).toMatchObject({ code: ErrorCodes.INVALID_INPUT });
  });

  it('answers unknown ids with NOT_FOUND', async () => {
    const e = engine();
    for (const [name, input] of [
      ['connection.get', { connectionId: 'nope' }],
      ['connection.send', { connectionId: 'nope', payload: { type: 'text', text: 'x' } }],
      ['server.stop', { serverId: 'nope' }],
      ['log.read', { logId: 'nope' }],
      ['log.payload', { logId: 'nope', seq: 1 }],
    ] as const) {
      const r = await e.invoke(name, input);
      expect(!r.ok && r.error.code, name).toBe(ErrorCodes.NOT_FOUND);
      expect(!r.ok && r.error.message, name).toContain('"nope"');
    }
    const server = await e.call('server.start', {});
    const r = await e.invoke('server.send', {
      serverId: server.serverId,
      clientId: '404',
      payload: { type: 'text', text: 'x' },
    });
    expect(!r.ok && r.error.code).toBe(ErrorCodes.NOT_FOUND);
  });

  it('passes rule errors through: malformed URL, bad close code, send while closed', async () => {
    const e = engine();
    const url = await e.invoke('connection.open', { url: 'htp:/nowhere' });
    expect(!url.ok && url.error.code).toBe(ErrorCodes.SYNTAX);
    const { connectionId } = await connected(e);
    const code = await e.invoke('connection.close', { connectionId, code: 1005 });
    expect(!code.ok && code.error.code).toBe(ErrorCodes.INVALID_ACCESS);
    expect(e.connection(connectionId).readyState).toBe(1);
    await e.call('connection.close', { connectionId, code: 1000 });
    await until(() => e.connection(connectionId).readyState === 3);
    const send = await e.invoke('connection.send', { connectionId, payload: { type: 'text', text: 'late' } });
    expect(!send.ok && send.error.code).toBe(ErrorCodes.INVALID_STATE);
  });

  it('reports a port in use as PORT_IN_USE and registers no server', async () => {
    const e = engine();
    const first = await e.call('server.start', {});
    const r = await e.invoke('server.start', { port: first.port });
    expect(!r.ok && r.error.code).toBe(ErrorCodes.PORT_IN_USE);
    expect((await e.call('server.list', {})).map((s) => s.serverId)).toEqual([first.serverId]);
  });
});

describe('Engine: close codes per side', () => {
  /** A plain ws server that reports the code of the first close frame it receives. */
  async function peerServer(): Promise<{ url: string; closed: Promise<number> }> {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    const peers: WebSocket[] = [];
    cleanups.push(async () => {
      for (const p of peers) p.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    const closed = new Promise<number>((resolve) =>
      wss.on('connection', (ws) => {
        peers.push(ws);
        ws.on('close', (code) => resolve(code));
      }),
    );
    return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`, closed };
  }

  it('a client refuses 1001 and 1011 by default and stays open; with allowWireCodes the server sees them', async () => {
    for (const code of [1001, 1011]) {
      const e = engine();
      const peer = await peerServer();
      const { connectionId } = await e.call('connection.open', { url: peer.url });
      await until(() => e.connection(connectionId).readyState === 1);
      const refused = await e.invoke('connection.close', { connectionId, code });
      expect(!refused.ok && refused.error.code, `code ${code}`).toBe(ErrorCodes.INVALID_ACCESS);
      expect(!refused.ok && refused.error.message).toContain('valid on the wire');
      expect(e.connection(connectionId).readyState).toBe(1);

      const never = await e.invoke('connection.close', { connectionId, code: 1005, allowWireCodes: true });
      expect(!never.ok && never.error.code).toBe(ErrorCodes.INVALID_ACCESS);
      expect(e.connection(connectionId).readyState).toBe(1);

      await e.call('connection.close', { connectionId, code, reason: 'testing', allowWireCodes: true });
      expect(await peer.closed).toBe(code);
      await until(() => e.connection(connectionId).readyState === 3);
    }
  });

  it('a server closes a real client with 1011 (and 1001, 1008); never with 1005 or 1015', async () => {
    const e = engine();
    const server = await e.call('server.start', {});
    for (const code of [1011, 1001, 1008]) {
      const ws = new WebSocket(server.url);
      cleanups.push(() => ws.terminate());
      const closed = new Promise<{ code: number; reason: string }>((resolve) =>
        ws.on('close', (c, r) => resolve({ code: c, reason: r.toString() })),
      );
      await new Promise((resolve) => ws.once('open', resolve));
      await until(() => e.server(server.serverId).clients().length === 1);
      const [client] = await e.call('server.clients', { serverId: server.serverId });
      for (const bad of [1005, 1015, 2000]) {
        const r = await e.invoke('server.closeClient', {
          serverId: server.serverId,
          clientId: client!.clientId,
          code: bad,
        });
        expect(!r.ok && r.error.code, `code ${bad}`).toBe(ErrorCodes.INVALID_ACCESS);
      }
      await e.call('server.closeClient', {
        serverId: server.serverId,
        clientId: client!.clientId,
        code,
        reason: 'internal',
      });
      expect(await closed).toEqual({ code, reason: 'internal' });
      await until(() => e.server(server.serverId).clients().length === 0);
    }
  });
});

describe('Engine: HAR import', () => {
  it('a HAR without WebSocket entries is an error that says so, and writes no session', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'duplex-har-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const e = engine({ workspaceDir: dir });
    const har = JSON.stringify({
      log: { entries: [{ request: { url: 'https://example.test/' }, response: { status: 200 } }] },
    });
    const r = await e.invoke('session.import', { text: har, sourceName: 'page.har' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe(ErrorCodes.HAR_NO_WEBSOCKET);
    expect(r.error.message).toContain('page.har');
    expect(r.error.message).toMatch(/no WebSocket entries/);
    expect(await e.call('session.list', {})).toEqual([]);
    const empty = await e.invoke('session.import', { text: JSON.stringify({ log: { entries: [] } }) });
    expect(!empty.ok && empty.error.code).toBe(ErrorCodes.HAR_NO_WEBSOCKET);
  });
});

describe('Engine: events', () => {
  it('delivers state and log events in batches', async () => {
    const e = engine();
    const batches: EngineEvent[][] = [];
    e.subscribe((b) => batches.push(b));
    const { connectionId, serverId } = await connected(e);
    await until(() =>
      batches.flat().some((ev) => ev.name === 'connection.state' && ev.payload.readyState === 1),
    );
    const names = new Set(batches.flat().map((ev) => ev.name));
    expect(names).toContain('server.state');
    expect(names).toContain('server.clients');
    expect(names).toContain('log.appended');
    const states = batches
      .flat()
      .filter((ev): ev is EngineEvent & { name: 'connection.state' } => ev.name === 'connection.state')
      .map((ev) => (ev.payload as ConnectionInfo).connectionId);
    expect(states.every((id) => id === connectionId)).toBe(true);
    // Within one batch, a connection's state appears at most once (the latest replaces earlier ones).
    for (const b of batches)
      expect(b.filter((ev) => ev.name === 'connection.state').length).toBeLessThanOrEqual(1);
    const clients = batches
      .flat()
      .filter((ev) => ev.name === 'server.clients')
      .at(-1) as EngineEvent & { name: 'server.clients' };
    expect(clients.payload.serverId).toBe(serverId);
    expect(clients.payload.clients).toHaveLength(1);
  });

  it('batches a flood of 5,000 messages into far fewer listener calls', async () => {
    const e = engine({ flushMs: 16 });
    const { connectionId, serverId } = await connected(e);
    let calls = 0;
    const clientEntries: LogEntryView[] = [];
    let lastClientSeq = 0;
    e.subscribe((batch) => {
      calls++;
      for (const ev of batch) {
        if (ev.name === 'log.appended' && ev.payload.logId === connectionId) {
          clientEntries.push(...ev.payload.entries);
          lastClientSeq = ev.payload.lastSeq;
        }
      }
    });
    const conn = e.connection(connectionId);
    const startSeq = conn.log.lastSeq;
    let echoed = 0;
    conn.on('message', () => echoed++);
    const N = 5000;
    for (let i = 0; i < N; i++) {
      await e.call('connection.send', { connectionId, payload: { type: 'text', text: `message ${i}` } });
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    }
    await until(() => echoed === N, 20_000);
    await until(() => lastClientSeq === startSeq + 2 * N);
    // 10,000 client log entries and 10,000 server log entries: a handful of batches each 16 ms.
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThan(N / 20);
    if (process.env['DUPLEX_TEST_FIGURES']) console.info(`${N} messages echoed → ${calls} batches`);
    // Entries arrive in order and the newest is delivered (a batch carries at most the newest 500 per log).
    const seqs = clientEntries.map((v) => v.seq);
    expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    expect(seqs.at(-1)).toBe(startSeq + 2 * N);
    const serverLog = e.log(serverId);
    expect(serverLog.read(1, 100_000, { kinds: ['text'], dir: 'in' })).toHaveLength(N);
  });

  it('caps the entries of one log per batch and keeps the newest; lastSeq tells how many exist', async () => {
    const e = engine({ flushMs: 50, maxEntriesPerBatch: 10 });
    const { connectionId } = await connected(e);
    await new Promise((r) => setTimeout(r, 80));
    const batches: EngineEvent[][] = [];
    e.subscribe((b) => batches.push(b));
    const conn = e.connection(connectionId);
    for (let i = 0; i < 100; i++) conn.log.append('none', 'info', undefined, { note: `n${i}` });
    await until(() => batches.length > 0);
    const appended = batches[0]!.find(
      (ev) => ev.name === 'log.appended' && ev.payload.logId === connectionId,
    ) as (EngineEvent & { name: 'log.appended' }) | undefined;
    expect(appended!.payload.entries).toHaveLength(10);
    expect(appended!.payload.entries.at(-1)!.note).toBe('n99');
    expect(appended!.payload.lastSeq).toBe(conn.log.lastSeq);
  });

  it('stops delivering after unsubscribe', async () => {
    const e = engine();
    let calls = 0;
    const off = e.subscribe(() => calls++);
    await e.call('server.start', {});
    await until(() => calls > 0);
    off();
    const before = calls;
    await e.call('server.start', {});
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(before);
  });
});

describe('Engine: log commands', () => {
  it('reads pages with filters and fetches payload byte ranges', async () => {
    const e = engine();
    const { connectionId } = await connected(e);
    const data = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff);
    const { seq } = await e.call('connection.send', { connectionId, payload: { type: 'binary', data } });
    await e.call('connection.send', { connectionId, payload: { type: 'text', text: 'needle in text' } });
    const conn = e.connection(connectionId);
    await until(() => conn.log.read(1, 1000, { dir: 'in', kinds: ['binary', 'text'] }).length === 2);

    const range = await e.call('log.payload', { logId: connectionId, seq, offset: 100, length: 50 });
    expect(range).toMatchObject({ seq, size: 3000, offset: 100 });
    expect([...range.data]).toEqual([...data.subarray(100, 150)]);
    const tail = await e.call('log.payload', { logId: connectionId, seq, offset: 2990, length: 100 });
    expect(tail.data.byteLength).toBe(10);
    const whole = await e.call('log.payload', { logId: connectionId, seq });
    expect(whole.data.byteLength).toBe(3000);
    const missing = await e.invoke('log.payload', { logId: connectionId, seq: 999_999 });
    expect(!missing.ok && missing.error.code).toBe(ErrorCodes.NOT_FOUND);
    const bad = await e.invoke('log.payload', { logId: connectionId, seq, offset: -1 });
    expect(!bad.ok && bad.error.message).toContain('offset');

    const page = await e.call('log.read', { logId: connectionId, filter: { kinds: ['binary'], dir: 'in' } });
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).toMatchObject({ kind: 'binary', size: 3000, truncated: true });
    expect(page.lastSeq).toBe(conn.log.lastSeq);
    const found = await e.call('log.read', { logId: connectionId, filter: { search: 'NEEDLE' } });
    expect(found.entries.map((v) => v.dir)).toEqual(['out', 'in']);
    const two = await e.call('log.read', { logId: connectionId, fromSeq: 1, count: 2 });
    expect(two.entries.map((v) => v.seq)).toEqual([1, 2]);
  });

  it('clears a log and emits log.cleared', async () => {
    const e = engine();
    const events: EngineEvent[] = [];
    e.subscribe((b) => events.push(...b));
    const { serverId } = await e.call('server.start', {});
    await e.call('log.clear', { logId: serverId });
    await until(() => events.some((ev) => ev.name === 'log.cleared'));
    expect((await e.call('log.read', { logId: serverId })).entries).toHaveLength(0);
  });

  it('removes a connection with its log and emits connection.removed', async () => {
    const e = engine();
    const events: EngineEvent[] = [];
    e.subscribe((b) => events.push(...b));
    const { connectionId } = await connected(e);
    expect(await e.call('connection.remove', { connectionId })).toEqual({ removed: true });
    await until(() => events.some((ev) => ev.name === 'connection.removed'));
    expect((await e.invoke('log.read', { logId: connectionId })).ok).toBe(false);
    expect(await e.call('connection.list', {})).toEqual([]);
  });

  it('stops the recording of a removed connection, so its session can be renamed and deleted', async () => {
    const e = engine({ workspaceDir: workspaceDir() });
    const { connectionId } = await connected(e);
    const rec = await e.call('session.recordStart', { logId: connectionId, name: 'removed.jsonl' });
    expect(rec.recording).toBe(true);
    await e.call('connection.remove', { connectionId });
    expect(await e.call('session.recordings', {})).toEqual([]);
    const renamed = await e.call('session.rename', { name: 'removed.jsonl', newName: 'kept.jsonl' });
    expect(renamed.name).toBe('kept.jsonl');
    expect(await e.call('session.delete', { name: 'kept.jsonl' })).toEqual({ deleted: true });
  });

  it('removes a connection whole even when stopping its recording fails, and reports the failure', async () => {
    const e = engine({ workspaceDir: workspaceDir() });
    const events: EngineEvent[] = [];
    e.subscribe((b) => events.push(...b));
    const { connectionId } = await connected(e);
    await e.call('session.recordStart', { logId: connectionId, name: 'cut.jsonl' });
    const stop = e.sessions.recordStop.bind(e.sessions);
    e.sessions.recordStop = async (logId) => {
      await stop(logId);
      throw new DuplexError(ErrorCodes.FILE, 'Recording to cut.jsonl failed: disk full.');
    };
    await expect(e.call('connection.remove', { connectionId })).rejects.toThrow(/disk full/);
    expect(await e.call('connection.list', {})).toEqual([]);
    expect((await e.invoke('log.read', { logId: connectionId })).ok).toBe(false);
    await until(() => events.some((ev) => ev.name === 'connection.removed'));
  });

  it('lets a connection removed while CLOSING finish its closing handshake', async () => {
    const e = engine();
    const { connectionId } = await connected(e);
    const conn = e.connection(connectionId);
    await e.call('connection.close', { connectionId, code: 1000 });
    await e.call('connection.remove', { connectionId });
    await until(() => conn.readyState === 3);
    expect(conn.info()).toMatchObject({ closeCode: 1000, wasClean: true });
    expect(e.connections.has(connectionId)).toBe(false);
  });

  it('removes a connection that is still CONNECTING without an uncaught error', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s)); // accepts TCP, never answers the handshake
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const e = engine();
      const port = (silent.address() as { port: number }).port;
      const { connectionId } = await e.call('connection.open', { url: `ws://127.0.0.1:${port}/` });
      await until(() => sockets.length === 1);
      expect(e.connection(connectionId).readyState).toBe(0);
      await e.call('connection.remove', { connectionId });
      await new Promise((r) => setTimeout(r, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});

describe('Engine: what a reloaded or second window needs', () => {
  it('lists live connections with their request and saved connection, servers, and recordings', async () => {
    const e = engine({ workspaceDir: workspaceDir() });
    const server = await e.call('server.start', {});
    const saved = await e.call('savedConnection.save', { name: 'Echo', options: { url: server.url } });
    const fromSaved = await e.call('connection.open', {
      url: server.url,
      protocols: ['chat.v1'],
      headers: { 'X-Trace': '1' },
      savedConnectionId: saved.id,
    });
    const adHoc = await e.call('connection.open', { url: server.url });
    await until(() => e.connection(adHoc.connectionId).readyState === 1);
    await e.call('session.recordStart', { logId: fromSaved.connectionId, name: 'live.jsonl' });

    const live = await e.call('live.list', {});
    expect(live.connections.map((c) => c.info.connectionId)).toEqual([
      fromSaved.connectionId,
      adHoc.connectionId,
    ]);
    expect(live.connections[0]).toMatchObject({
      savedConnectionId: saved.id,
      options: { url: server.url, protocols: ['chat.v1'], headers: { 'X-Trace': '1' } },
    });
    expect(live.connections[0]!.options).not.toHaveProperty('savedConnectionId');
    expect(live.connections[1]!.savedConnectionId).toBeUndefined();
    expect(live.connections[1]!.info.readyState).toBe(1);
    expect(live.servers).toEqual([server].map((s) => expect.objectContaining({ serverId: s.serverId })));
    expect(live.recordings).toEqual([
      expect.objectContaining({ logId: fromSaved.connectionId, name: 'live.jsonl', recording: true }),
    ]);

    await e.call('connection.remove', { connectionId: fromSaved.connectionId });
    expect((await e.call('live.list', {})).connections.map((c) => c.info.connectionId)).toEqual([
      adHoc.connectionId,
    ]);
  });

  it('tells every subscriber when saved connections, templates or sessions change', async () => {
    const e = engine({ workspaceDir: workspaceDir() });
    const first: EngineEvent[] = [];
    const second: EngineEvent[] = [];
    e.subscribe((b) => first.push(...b));
    e.subscribe((b) => second.push(...b));
    const changes = (events: EngineEvent[]): string[] =>
      events.flatMap((ev) => (ev.name === 'workspace.changed' ? [ev.payload.what] : []));
    /** Runs a command and waits for the batch that reports its change. */
    const expectChange = async (what: string, run: () => Promise<unknown>): Promise<void> => {
      first.length = 0;
      second.length = 0;
      await run();
      await until(() => changes(first).length > 0 && changes(second).length > 0);
      expect(changes(first)).toEqual([what]);
      expect(changes(second)).toEqual([what]);
    };

    let savedId = '';
    await expectChange('savedConnections', async () => {
      savedId = (await e.call('savedConnection.save', { name: 'A', options: { url: 'ws://127.0.0.1:9/' } }))
        .id;
    });
    await expectChange('savedConnections', () =>
      e.call('savedConnection.rename', { id: savedId, name: 'B' }),
    );
    await expectChange('savedConnections', () => e.call('savedConnection.duplicate', { id: savedId }));
    await expectChange('savedConnections', () => e.call('savedConnection.delete', { id: savedId }));
    let templateId = '';
    await expectChange('templates', async () => {
      templateId = (await e.call('template.save', { name: 'T', payload: { type: 'text', text: 'x' } })).id;
    });
    await expectChange('templates', () => e.call('template.delete', { id: templateId }));

    const { connectionId } = await connected(e);
    await expectChange('sessions', () => e.call('session.recordStart', { logId: connectionId, name: 'a' }));
    await expectChange('sessions', () => e.call('session.recordStop', { logId: connectionId }));
    await expectChange('sessions', () => e.call('session.rename', { name: 'a.jsonl', newName: 'b.jsonl' }));
    await expectChange('sessions', () => e.call('session.delete', { name: 'b.jsonl' }));
    await e.call('session.recordStart', { logId: connectionId, name: 'c' });
    // Removing a connection ends its recording: the session file is complete now.
    await expectChange('sessions', () => e.call('connection.remove', { connectionId }));

    // A command that fails changes nothing and says nothing.
    first.length = 0;
    const refused = await e.invoke('savedConnection.rename', { id: 'nope', name: 'C' });
    expect(refused.ok).toBe(false);
    await e.call('server.start', {});
    await until(() => first.some((ev) => ev.name === 'server.state'));
    expect(changes(first)).toEqual([]);
  });
});

describe('Engine: dispose', () => {
  it('still stops every recording when a server fails to stop, then reports every failure', async () => {
    const e = new Engine({ workspaceDir: workspaceDir() });
    const { serverId, connectionId } = await connected(e);
    const second = await e.call('server.start', {});
    const rec = await e.call('session.recordStart', { logId: connectionId, name: 'kept' });
    for (const [id, problem] of [
      [serverId, 'first stop failed'],
      [second.serverId, 'second stop failed'],
    ] as const) {
      const server = e.server(id);
      const stop = server.stop.bind(server);
      server.stop = async () => {
        await stop();
        throw new Error(problem);
      };
    }
    await expect(e.dispose()).rejects.toThrow(/first stop failed.*second stop failed/);
    expect(await e.call('session.recordings', {})).toEqual([]);
    const lines = (await readFile(rec.path, 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThan(1); // the header and at least the open
  });
});

describe('Engine: session files by name', () => {
  it('rename refuses a taken name and a missing session; delete a missing one', async () => {
    const e = engine({ workspaceDir: workspaceDir() });
    const { connectionId } = await connected(e);
    for (const name of ['a', 'b']) {
      await e.call('session.recordStart', { logId: connectionId, name });
      await e.call('session.recordStop', { logId: connectionId });
    }
    await expect(e.call('session.rename', { name: 'a.jsonl', newName: 'b' })).rejects.toMatchObject({
      code: ErrorCodes.FILE,
      message: expect.stringMatching(/"b\.jsonl" already exists/),
    });
    await expect(e.call('session.rename', { name: 'gone.jsonl', newName: 'c' })).rejects.toMatchObject({
      code: ErrorCodes.NOT_FOUND,
    });
    await expect(e.call('session.delete', { name: 'gone.jsonl' })).rejects.toMatchObject({
      code: ErrorCodes.NOT_FOUND,
    });
    expect((await e.call('session.list', {})).map((s) => s.name).sort()).toEqual(['a.jsonl', 'b.jsonl']);
  });
});
