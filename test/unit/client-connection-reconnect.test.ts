/**
 * ClientConnection.reconnect() and the engine's connection.reconnect against
 * real ws servers on port 0: the same id and MessageLog continue across a
 * Disconnect/Connect, the attempt counter starts over, auto-reconnect works
 * again after a manual close, and the states where it is refused.
 */
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientConnection } from '../../app/connections/client-connection.js';
import type { ConnectOptions, LogEntryView } from '../../app/contract.js';
import { Engine, type EngineEvent } from '../../app/engine.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';
import { until } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface EchoServer {
  wss: WebSocketServer;
  url: string;
  peers: WebSocket[];
}

async function echoServer(port = 0): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await once(wss, 'listening');
  const peers: WebSocket[] = [];
  wss.on('connection', (ws) => {
    peers.push(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  );
  return { wss, url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, peers };
}

function connection(options: ConnectOptions): ClientConnection {
  const conn = new ClientConnection('conn-test', options);
  conn.on('error', () => undefined);
  cleanups.push(() => conn.terminate());
  return conn;
}

async function freePort(): Promise<number> {
  const srv = createNetServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** Kind, direction and note/preview of every entry, oldest first. */
function transcript(conn: ClientConnection): string[] {
  return conn.log.read(conn.log.firstSeq, 10_000).map((e) => {
    const text = e.kind === 'text' ? Buffer.from(conn.log.readPayload(e.seq, 0, 1000)!).toString() : '';
    return `${e.dir} ${e.kind} ${e.note ?? text}`.trim();
  });
}

function thrown(fn: () => unknown): DuplexError {
  try {
    fn();
  } catch (err) {
    return err as DuplexError;
  }
  throw new Error('expected a throw');
}

describe('ClientConnection.reconnect', () => {
  it('continues the same log with the same id after a close, and the server sees a new socket', async () => {
    const server = await echoServer();
    const conn = connection({ url: server.url }).connect();
    await once(conn, 'open');
    conn.send({ type: 'text', text: 'before' });
    await until(() => transcript(conn).includes('in text before'));
    conn.close(1000, 'bye');
    await once(conn, 'close');
    expect(conn.readyState).toBe(3);
    const lastBefore = conn.log.lastSeq;

    conn.reconnect();
    expect(conn.readyState).toBe(0);
    expect(conn.info()).toMatchObject({ connectionId: 'conn-test', readyState: 0, attempt: 0 });
    expect(conn.info().closeCode).toBeUndefined(); // the new attempt has not closed
    await once(conn, 'open');
    conn.send({ type: 'text', text: 'after' });
    await until(() => transcript(conn).includes('in text after'));

    expect(server.peers).toHaveLength(2);
    expect(conn.log.firstSeq).toBe(1);
    expect(conn.log.lastSeq).toBeGreaterThan(lastBefore);
    const lines = transcript(conn);
    const order = ['in text before', 'out close', 'in close', 'none info reconnecting', 'in text after'].map(
      (needle) => lines.findIndex((l) => l.startsWith(needle)),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // Sequence numbers keep counting up across the reconnect.
    const seqs = conn.log.read(1, 10_000).map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });

  it('is refused with INVALID_STATE while CONNECTING, OPEN or CLOSING, and logs nothing', async () => {
    const server = await echoServer();
    const conn = connection({ url: server.url }).connect();
    expect(thrown(() => conn.reconnect()).code).toBe(ErrorCodes.INVALID_STATE); // CONNECTING
    await once(conn, 'open');
    const before = conn.log.lastSeq;
    const err = thrown(() => conn.reconnect());
    expect(err).toBeInstanceOf(DuplexError);
    expect(err.code).toBe(ErrorCodes.INVALID_STATE);
    expect(err.message).toMatch(/is OPEN, not CLOSED/);
    conn.close(1000);
    expect(thrown(() => conn.reconnect()).message).toMatch(/is CLOSING/);
    expect(conn.log.lastSeq).toBe(before + 1); // only the close we sent
    await once(conn, 'close');
  });

  it('starts the attempt counter over after auto-reconnect gave up', async () => {
    const port = await freePort();
    const conn = connection({
      url: `ws://127.0.0.1:${port}/`,
      reconnect: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    }).connect();
    await until(() => conn.readyState === 3 && conn.info().attempt === 2);
    expect(conn.info().error?.code).toBe(ErrorCodes.CONNECTION_FAILED);

    await echoServer(port);
    conn.reconnect();
    expect(conn.info().attempt).toBe(0);
    expect(conn.info().error).toBeUndefined();
    await once(conn, 'open');
    expect(conn.readyState).toBe(1);
    expect(transcript(conn).filter((l) => l === 'none info reconnecting')).toHaveLength(1);
  });

  it('turns auto-reconnect back on after a person closed the connection', async () => {
    const server = await echoServer();
    const conn = connection({ url: server.url, reconnect: { maxAttempts: 3, initialDelayMs: 10 } }).connect();
    await once(conn, 'open');
    conn.close(1000);
    await once(conn, 'close');
    await new Promise((r) => setTimeout(r, 50));
    expect(conn.readyState).toBe(3); // a person's close never auto-reconnects
    expect(server.peers).toHaveLength(1);

    conn.reconnect();
    await once(conn, 'open');
    server.peers[1]!.terminate(); // the network drops it: auto-reconnect applies again
    await until(() => server.peers.length === 3 && conn.readyState === 1);
    expect(transcript(conn).some((l) => l.startsWith('none info reconnect attempt 1/3'))).toBe(true);
  });
});

describe('engine connection.reconnect', () => {
  it('keeps the id and the log (log.read and log.appended continue), and checks its input', async () => {
    const server = await echoServer();
    const engine = new Engine({ flushMs: 5 });
    cleanups.push(() => engine.dispose());
    const appended: LogEntryView[] = [];
    const states: number[] = [];
    engine.subscribe((events: EngineEvent[]) => {
      for (const e of events) {
        if (e.name === 'log.appended') appended.push(...e.payload.entries);
        if (e.name === 'connection.state') states.push(e.payload.readyState);
      }
    });

    const { connectionId } = await engine.call('connection.open', { url: server.url });
    await until(() => engine.connection(connectionId).readyState === 1);
    await engine.call('connection.send', { connectionId, payload: { type: 'text', text: 'one' } });
    await engine.call('connection.close', { connectionId, code: 4000, reason: 'pause' });
    // Wait for the CLOSED state event itself: state events are coalesced per batch (latest state
    // wins), so reconnecting in the same 5 ms batch as the close would never publish CLOSED.
    await until(() => states.at(-1) === 3);

    const info = await engine.call('connection.reconnect', { connectionId });
    expect(info).toMatchObject({ connectionId, readyState: 0, attempt: 0 });
    await until(() => engine.connection(connectionId).readyState === 1);
    await engine.call('connection.send', { connectionId, payload: { type: 'text', text: 'two' } });
    await until(() => appended.filter((e) => e.kind === 'text' && e.dir === 'in').length === 2);

    const page = await engine.call('log.read', { logId: connectionId });
    expect(page.firstSeq).toBe(1);
    const previews = page.entries.filter((e) => e.kind === 'text').map((e) => `${e.dir} ${e.preview}`);
    expect(previews).toEqual(['out one', 'in one', 'out two', 'in two']);
    expect(page.entries.some((e) => e.kind === 'close' && e.code === 4000)).toBe(true);
    expect(page.entries.some((e) => e.note === 'reconnecting')).toBe(true);
    expect(states).toContain(3);
    expect(states.at(-1)).toBe(1);

    const open = await engine.invoke('connection.reconnect', { connectionId });
    expect(open.ok ? undefined : open.error.code).toBe(ErrorCodes.INVALID_STATE);
    const missing = await engine.invoke('connection.reconnect', { connectionId: 'conn-999' });
    expect(missing.ok ? undefined : missing.error.code).toBe(ErrorCodes.NOT_FOUND);
    const bad = await engine.invoke('connection.reconnect', {});
    expect(bad.ok ? undefined : bad.error.code).toBe(ErrorCodes.INVALID_INPUT);
  });
});
