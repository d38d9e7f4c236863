/**
 * The log's own commands beyond reading: log.export writes the entries a view
 * shows (its filter) as a session file or HAR without recording; log.read and
 * log.appended carry counts per kind; events the peer did not send are not
 * logged as received. Real engine, real mock server and client connections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine, type EngineEvent } from '../../app/engine.js';
import { ErrorCodes } from '../../app/errors.js';
import { decodeSeqRuns } from '../../app/log/seq-runs.js';
import { readSessionFile } from '../support/read-session.js';
import { until } from '../support/until.js';

const engines: Engine[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.dispose();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function engine(): Engine {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-log-export-'));
  dirs.push(dir);
  const e = new Engine({ workspaceDir: dir, flushMs: 5 });
  engines.push(e);
  return e;
}

/** An echoing mock server and a client connection to it that sent `texts` and got them back. */
async function echoed(e: Engine, texts: string[]): Promise<{ connectionId: string; serverId: string }> {
  const server = await e.call('server.start', {});
  const { connectionId } = await e.call('connection.open', { url: server.url });
  await until(() => e.connection(connectionId).readyState === 1);
  for (const text of texts)
    await e.call('connection.send', { connectionId, payload: { type: 'text', text } });
  await e.call('connection.ping', { connectionId });
  await until(
    () => e.log(connectionId).read(1, 1000, { kinds: ['text'], dir: 'in' }).length === texts.length,
  );
  await until(() => e.log(connectionId).read(1, 1000, { kinds: ['pong'] }).length === 1);
  return { connectionId, serverId: server.serverId };
}

const texts = ['{"type":"tick","n":1}', '{"type":"trade","n":2}', '{"type":"tick","n":3}'];

describe('log.export', () => {
  it('writes the entries passing the filter as a session file, without a recording', async () => {
    const e = engine();
    const { connectionId } = await echoed(e, texts);
    expect(await e.call('session.recordings', {})).toEqual([]);
    const r = await e.call('log.export', {
      logId: connectionId,
      format: 'session',
      name: 'ticks',
      filter: { search: '$.type == "tick"', searchMode: 'jsonpath', dir: 'in' },
    });
    if (r.format !== 'session') throw new Error('expected a session');
    expect(r.entries).toBe(2);
    expect(r.session.name).toBe('ticks.jsonl');
    const file = await readSessionFile(r.session.path);
    expect(file.header.role).toBe('client');
    expect(file.header.url).toBe(e.connection(connectionId).url);
    expect(file.entries.map((x) => [x.dir, x.kind, new TextDecoder().decode(x.data)])).toEqual([
      ['in', 'text', texts[0]],
      ['in', 'text', texts[2]],
    ]);
    expect(file.entries[0]!.t).toBe(0);
    expect((await e.call('session.list', {})).map((s) => s.name)).toContain('ticks.jsonl');
  });

  it('exports pinned entries (a seq list) as HAR with the existing HAR export', async () => {
    const e = engine();
    const { connectionId } = await echoed(e, texts);
    const sent = e.log(connectionId).read(1, 100, { kinds: ['text'], dir: 'out' });
    const r = await e.call('log.export', {
      logId: connectionId,
      format: 'har',
      filter: { seqs: [sent[1]!.seq] },
    });
    if (r.format !== 'har') throw new Error('expected HAR');
    expect(r.fileName).toMatch(/\.har$/);
    const har = JSON.parse(r.har) as {
      log: { entries: { _webSocketMessages: { type: string; data: string; opcode: number }[] }[] };
    };
    expect(har.log.entries[0]!._webSocketMessages).toEqual([
      expect.objectContaining({ type: 'send', opcode: 1, data: texts[1] }),
    ]);
    // Nothing was written to the workspace.
    expect(await e.call('session.list', {})).toEqual([]);
  });

  it('refuses an export that matches nothing, and a name that exists, writing nothing', async () => {
    const e = engine();
    const { connectionId } = await echoed(e, texts);
    const none = await e.invoke('log.export', {
      logId: connectionId,
      format: 'session',
      filter: { search: 'zzz' },
    });
    expect(!none.ok && none.error.code).toBe(ErrorCodes.INVALID_STATE);
    await e.call('log.export', { logId: connectionId, format: 'session', name: 'once' });
    const again = await e.invoke('log.export', { logId: connectionId, format: 'session', name: 'once' });
    expect(!again.ok && again.error.code).toBe(ErrorCodes.FILE);
    expect((await e.call('session.list', {})).map((s) => s.name)).toEqual(['once.jsonl']);
    const bad = await e.invoke('log.export', { logId: connectionId, format: 'csv' });
    expect(!bad.ok && bad.error.code).toBe(ErrorCodes.INVALID_INPUT);
  });
});

describe('session.recordStart', () => {
  it('records from the moment it starts, or with includeExisting the history before', async () => {
    const e = engine();
    const { connectionId } = await echoed(e, texts);
    const fresh = await e.call('session.recordStart', { logId: connectionId, name: 'fresh' });
    await e.call('connection.send', { connectionId, payload: { type: 'text', text: 'after' } });
    await until(() => e.log(connectionId).read(1, 100, { search: 'after', dir: 'in' }).length === 1);
    await e.call('session.recordStop', { logId: connectionId });
    const entries = (await readSessionFile(fresh.path)).entries;
    expect(entries.map((x) => new TextDecoder().decode(x.data))).toEqual(['after', 'after']);

    const all = await e.call('session.recordStart', {
      logId: connectionId,
      name: 'all',
      includeExisting: true,
    });
    await e.call('session.recordStop', { logId: connectionId });
    expect((await readSessionFile(all.path)).entries.length).toBe(e.log(connectionId).read(1, 1000).length);
  });
});

describe('kind counts', () => {
  it('log.read and log.appended count the entries of each kind the log holds', async () => {
    const e = engine();
    const events: EngineEvent[] = [];
    e.subscribe((batch) => events.push(...batch));
    const { connectionId } = await echoed(e, texts);
    const page = await e.call('log.read', { logId: connectionId, count: 1 });
    const tally: Record<string, number> = {};
    for (const x of e.log(connectionId).read(1, 1000)) tally[x.kind] = (tally[x.kind] ?? 0) + 1;
    expect(page.kindCounts).toEqual(tally);
    expect(page.kindCounts).toMatchObject({ open: 1, text: 6, ping: 1, pong: 1 });
    await until(() =>
      events.some(
        (ev) =>
          ev.name === 'log.appended' &&
          ev.payload.logId === connectionId &&
          ev.payload.kindCounts?.pong === 1,
      ),
    );
    await e.call('log.clear', { logId: connectionId });
    expect((await e.call('log.read', { logId: connectionId })).kindCounts).toEqual({});
  });

  it('drops evicted entries from the counts', async () => {
    const e = engine();
    const server = await e.call('server.start', {});
    const { connectionId } = await e.call('connection.open', { url: server.url, logBudgetBytes: 64 * 1024 });
    await until(() => e.connection(connectionId).readyState === 1);
    for (let i = 0; i < 2000; i++) e.connection(connectionId).send({ type: 'text', text: `m${i}` });
    const log = e.log(connectionId);
    expect(log.firstSeq).toBeGreaterThan(1);
    const counts = log.kindCounts();
    const held = log.read(log.firstSeq, Infinity);
    expect(counts.text).toBe(held.filter((x) => x.kind === 'text').length);
    expect(counts.open ?? 0).toBe(held.filter((x) => x.kind === 'open').length);
  });
});

describe('events that did not come from the peer', () => {
  it('a 1006 the client detects is logged as an event; a clean close as received; opens alike on both sides', async () => {
    const e = engine();
    const server = await e.call('server.start', {});
    const { connectionId } = await e.call('connection.open', { url: server.url });
    await until(() => e.connection(connectionId).readyState === 1);
    await until(() => e.server(server.serverId).clients().length === 1);
    const clientId = e.server(server.serverId).clients()[0]!.clientId;
    const openOf = (logId: string) => e.log(logId).read(1, 100, { kinds: ['open'] })[0]!;
    expect(openOf(connectionId).dir).toBe('none');
    expect(openOf(server.serverId).dir).toBe('none');
    expect(openOf(server.serverId).note).toMatch(/^open, client /);

    await e.call('server.terminateClient', { serverId: server.serverId, clientId });
    await until(() => e.connection(connectionId).readyState === 3);
    const close = e.log(connectionId).read(1, 100, { kinds: ['close'] })[0]!;
    expect(close).toMatchObject({ code: 1006, dir: 'none' });

    // A peer that closes with a frame: received.
    const ws = new WebSocket(server.url);
    await new Promise((r) => ws.once('open', r));
    ws.close(1000, 'bye');
    await until(() => e.log(server.serverId).read(1, 100, { kinds: ['close'], search: 'bye' }).length === 1);
    expect(e.log(server.serverId).read(1, 100, { kinds: ['close'], search: 'bye' })[0]).toMatchObject({
      dir: 'in',
      code: 1000,
    });
  });
});

describe('log.match', () => {
  it('finds the same entries as reading with the filter, as uint32 seqs', async () => {
    const e = engine();
    const server = await e.call('server.start', {});
    const { connectionId } = await e.call('connection.open', { url: server.url });
    await until(() => e.connection(connectionId).readyState === 1);
    const sent = [
      '{"type":"tick","n":1}',
      '{"type":"TICK","n":2}',
      '{"type":"\\u0074ick","n":3}',
      'grüße {"type":"tick"}',
      '{"type":"trade","note":"naïve tick"}',
    ];
    for (const text of sent)
      await e.call('connection.send', { connectionId, payload: { type: 'text', text } });
    await e.call('connection.send', {
      connectionId,
      payload: { type: 'binary', data: new Uint8Array([0x74, 0x69]) },
    });
    // The server's log holds echoes that point back at the bytes they repeat.
    await until(() => e.log(server.serverId).read(1, 100, { dir: 'out' }).length === 6);
    const filters = [
      { search: 'tick' },
      { search: 'TiCk' },
      { search: 'grüße' },
      { search: '74 69' },
      { search: 'closed' },
      { search: '$.type == "tick"', searchMode: 'jsonpath' as const },
      { search: 't[iI]ck"', searchMode: 'regex' as const },
      { hideKinds: ['open' as const], dir: 'out' as const },
      { search: 'tick', dir: 'in' as const },
      { search: 'closed', hideKinds: ['text' as const] },
      { seqs: [2, 4, 99] },
    ];
    for (const logId of [connectionId, server.serverId]) {
      for (const filter of filters) {
        const r = await e.call('log.match', { logId, filter });
        const seqs = [...decodeSeqRuns(r.runs)];
        const expected = e
          .log(logId)
          .read(1, Infinity, filter)
          .map((x) => x.seq);
        expect({ logId, filter, seqs }).toEqual({ logId, filter, seqs: expected });
        expect(r.lastSeq).toBe(e.log(logId).lastSeq);
      }
    }
    // The JSON escape is found although its text has no "tick" in it.
    const escaped = await e.call('log.match', {
      logId: connectionId,
      filter: { search: '$.type == "tick"', searchMode: 'jsonpath', dir: 'out' },
    });
    expect(decodeSeqRuns(escaped.runs).length).toBe(2);
  });
});
