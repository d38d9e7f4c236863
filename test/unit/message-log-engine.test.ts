/**
 * How the Engine publishes message logs: it reads new entries from the log by
 * seq range when it flushes a batch (no entry objects held between frames), so
 * a batch shows the bytes of each entry even when the log evicted and reused
 * its memory in between, and a connection's state is made once per batch.
 * Real mock server, real `ws` peer.
 */
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Engine, type EngineEvent } from '../../app/engine.js';
import type { LogEntryView } from '../../app/contract.js';
import { until as waitUntil } from '../support/until.js';

const engines: Engine[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  for (const e of engines.splice(0)) await e.dispose();
});

/** Waits for `check`, 10,000 ms unless told otherwise. */
const until = (check: () => boolean, timeoutMs = 10000): Promise<void> => waitUntil(check, timeoutMs);

function message(i: number, size: number): string {
  return `msg ${i} `.padEnd(size, String.fromCharCode(97 + (i % 26)));
}

describe('Engine: publishing logs', () => {
  it('publishes the right bytes for each entry although the log reused its memory between batches', async () => {
    const e = new Engine({ flushMs: 40, maxEntriesPerBatch: 100_000 });
    engines.push(e);
    const batches: LogEntryView[][] = [];
    e.subscribe((events) => {
      for (const ev of events) if (ev.name === 'log.appended') batches.push(ev.payload.entries);
    });
    // 64 KiB budget: 4 KiB slabs are evicted and refilled many times within one 40 ms batch.
    const server = await e.startServer({ port: 0, logBudgetBytes: 64 * 1024, echo: false });
    const ws = new WebSocket(server.url);
    sockets.push(ws);
    await once(ws, 'open');
    const count = 3000;
    const size = 700;
    for (let i = 0; i < count; i++) ws.send(message(i, size));
    await until(() => server.log.lastSeq > 0 && server.log.get(server.log.lastSeq)?.size === size);
    await until(() => batches.flat().some((v) => v.preview.startsWith(`msg ${count - 1} `)));

    const entries = batches.flat().filter((v) => v.kind === 'text');
    expect(server.log.firstSeq).toBeGreaterThan(count / 2); // most were evicted
    expect(entries.length).toBeGreaterThan(0);
    // Message i is entry firstMessageSeq + i: each view must show its own message.
    const firstMessageSeq = entries.at(-1)!.seq - (count - 1);
    for (const v of entries) expect(v.preview, `seq ${v.seq}`).toBe(message(v.seq - firstMessageSeq, size));
    const seqs = batches.flat().map((v) => v.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('sends the newest maxEntriesPerBatch entries a batch, each once, and one state event per connection', async () => {
    const e = new Engine({ flushMs: 30, maxEntriesPerBatch: 50 });
    engines.push(e);
    const server = await e.startServer({ port: 0, echo: false });
    const batches: EngineEvent[][] = [];
    e.subscribe((events) => batches.push(events));
    const conn = e.openConnection({ url: server.url });
    await until(() => conn.readyState === 1);
    await new Promise((r) => setTimeout(r, 100)); // the open's batches are out
    batches.length = 0;
    for (let i = 0; i < 500; i++) conn.send({ type: 'text', text: `s${i}` });
    await until(() => batches.some((b) => b.some((ev) => ev.name === 'log.appended')));
    const batch = batches.find((b) => b.some((ev) => ev.name === 'log.appended'))!;
    const own = batch.filter(
      (ev): ev is Extract<EngineEvent, { name: 'log.appended' }> =>
        ev.name === 'log.appended' && ev.payload.logId === conn.id,
    );
    expect(own).toHaveLength(1);
    const views = own[0]!.payload.entries;
    expect(views).toHaveLength(50);
    expect(views.at(-1)!.preview).toBe('s499');
    expect(views.at(-1)!.seq).toBe(conn.log.lastSeq);
    const states = batch.filter((ev) => ev.name === 'connection.state');
    expect(states).toHaveLength(1);
    expect(states[0]!.payload).toMatchObject({ connectionId: conn.id, readyState: 1 });
    // The next batch does not repeat those entries.
    conn.send({ type: 'text', text: 'after' });
    const before = batches.length;
    await until(() => batches.length > before && batches.slice(before).some((b) => b.length > 0));
    const next = batches
      .slice(before)
      .flat()
      .filter((ev) => ev.name === 'log.appended' && ev.payload.logId === conn.id);
    const nextViews = next.flatMap((ev) => (ev.name === 'log.appended' ? ev.payload.entries : []));
    expect(nextViews.map((v) => v.preview)).toEqual(['after']);
  });

  it('does not publish entries logged while nobody was subscribed', async () => {
    const e = new Engine({ flushMs: 10 });
    engines.push(e);
    const server = await e.startServer({ port: 0, echo: false });
    const conn = e.openConnection({ url: server.url });
    await until(() => conn.readyState === 1);
    for (let i = 0; i < 10; i++) conn.send({ type: 'text', text: `unseen ${i}` });
    const views: LogEntryView[] = [];
    e.subscribe((events) => {
      for (const ev of events)
        if (ev.name === 'log.appended' && ev.payload.logId === conn.id) views.push(...ev.payload.entries);
    });
    conn.send({ type: 'text', text: 'seen' });
    await until(() => views.length > 0);
    expect(views.map((v) => v.preview)).toEqual(['seen']);
  });
});
