/**
 * Contract conformance of the Electron transport, with a fake `electron`
 * module (the binary cannot run here) and the real engine: the preload's
 * `window.duplex` calls ipcRenderer.invoke, which reaches main/ipc.ts's
 * ipcMain.handle handlers exactly as Electron routes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => {
  type Handler = (event: unknown, input: unknown) => unknown;
  const handlers = new Map<string, Handler>();
  const rendererListeners = new Map<string, ((event: unknown, payload: unknown) => void)[]>();
  const exposed = new Map<string, unknown>();
  const frame = { url: 'app://duplex/index.html', parent: null as unknown };
  const sent: { channel: string; payload: unknown }[] = [];
  const contents = {
    mainFrame: frame,
    isDestroyed: () => false,
    send(channel: string, payload: unknown) {
      sent.push({ channel, payload });
      // IPC copies with structured clone; listeners get (event, payload).
      for (const l of rendererListeners.get(channel) ?? [])
        l({ sender: 'ipcRenderer' }, structuredClone(payload));
    },
  };
  /** A second window of ours whose top frame shows someone else's page (URL set per test). */
  const strayFrame = { url: 'https://evil.example/', parent: null as unknown };
  /** What main sent to the second window. */
  const straySent: { channel: string; payload: unknown }[] = [];
  const strayContents = {
    mainFrame: strayFrame,
    isDestroyed: () => false,
    send: (channel: string, payload: unknown) => void straySent.push({ channel, payload }),
  };
  /** The IPC event Electron would build for the window's top frame; tests override parts. */
  let nextEvent: () => unknown = () => ({ sender: contents, senderFrame: frame });
  return {
    handlers,
    rendererListeners,
    exposed,
    frame,
    contents,
    strayFrame,
    strayContents,
    straySent,
    sent,
    setEvent(make: () => unknown) {
      nextEvent = make;
    },
    resetEvent() {
      nextEvent = () => ({ sender: contents, senderFrame: frame });
    },
    electron: {
      ipcMain: {
        handle(channel: string, handler: Handler) {
          if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
          handlers.set(channel, handler);
        },
        removeHandler(channel: string) {
          handlers.delete(channel);
        },
      },
      ipcRenderer: {
        async invoke(channel: string, input: unknown) {
          const handler = handlers.get(channel);
          if (!handler) throw new Error(`No handler registered for '${channel}'`);
          return structuredClone(await handler(nextEvent(), structuredClone(input)));
        },
        on(channel: string, listener: (event: unknown, payload: unknown) => void) {
          rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]);
        },
      },
      contextBridge: {
        exposeInMainWorld(key: string, value: unknown) {
          exposed.set(key, value);
        },
      },
      // Imported by main/window.ts, main/csp.ts, main/window-state.ts; unused by these tests.
      BrowserWindow: class {},
      shell: {},
      protocol: {},
      screen: {},
    },
  };
});
vi.mock('electron', () => fake.electron);

import {
  commandChannel,
  commandNames,
  eventBatchChannel,
  eventNames,
  type WorkbenchApi,
} from '../../app/api.js';
import { commands, type EventPayloads } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { bindIpc, sendEvents } from '../../main/ipc.js';
import type { WebContents } from 'electron';
import { until } from '../support/until.js';

let engine: Engine;
let unbind: () => void;
let api: WorkbenchApi;
const windows = (): WebContents[] => [fake.contents, fake.strayContents] as unknown as WebContents[];

let workspace: string;

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'duplex-ipc-'));
  engine = new Engine({ workspaceDir: workspace });
  unbind = bindIpc(engine, { windows });
  await import('../../main/preload.js');
  api = fake.exposed.get('duplex') as WorkbenchApi;
});
afterAll(async () => {
  unbind();
  await engine.dispose();
  rmSync(workspace, { recursive: true, force: true });
});

describe('main/ipc.ts binds the whole contract', () => {
  it('every command of the table has exactly one handler, on its own channel', () => {
    expect([...commandNames].sort()).toEqual(Object.keys(commands).sort());
    expect([...fake.handlers.keys()].sort()).toEqual(commandNames.map((n) => commandChannel(n)).sort());
  });

  it('unbinding removes every handler (and binding twice would throw)', () => {
    unbind();
    expect(fake.handlers.size).toBe(0);
    unbind = bindIpc(engine, { windows });
    expect(fake.handlers.size).toBe(commandNames.length);
  });
});

describe('main/preload.ts exposes window.duplex from the table', () => {
  it('exposes only `duplex`: one function per command and one subscribe per event, nothing generic', () => {
    expect([...fake.exposed.keys()]).toEqual(['duplex']);
    const surface = api as unknown as Record<string, Record<string, unknown>>;
    const functions = Object.entries(surface)
      .filter(([domain]) => domain !== 'on')
      .flatMap(([domain, verbs]) => Object.keys(verbs).map((verb) => `${domain}.${verb}`));
    expect(functions.sort()).toEqual([...commandNames].sort());
    expect(Object.keys(surface['on']!).sort()).toEqual([...eventNames].sort());
    for (const value of Object.values(surface).flatMap((v) => Object.values(v))) {
      expect(typeof value).toBe('function');
    }
    for (const generic of ['invoke', 'send', 'ipcRenderer', 'require', 'process']) {
      expect(surface[generic]).toBeUndefined();
    }
  });

  it('a command round-trips to the real engine; binary payloads arrive as bytes', async () => {
    const server = await api.server.start({ port: 0 });
    if (!server.ok) throw new Error(server.error.message);
    const states: number[] = [];
    const off = api.on['connection.state']((info) => states.push(info.readyState));
    const opened = await api.connection.open({ url: `ws://127.0.0.1:${server.value.port}/` });
    if (!opened.ok) throw new Error(opened.error.message);
    const { connectionId } = opened.value;
    await until(() => states.includes(1));
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const sent = await api.connection.send({ connectionId, payload: { type: 'binary', data: bytes } });
    if (!sent.ok) throw new Error(sent.error.message);
    const read = await api.log.payload({ logId: connectionId, seq: sent.value.seq });
    expect(read.ok && [...read.value.data]).toEqual([...bytes]);
    off();
    await api.connection.remove({ connectionId });
    await api.server.stop({ serverId: server.value.serverId });
  });

  it('invalid input is rejected with a typed error, and nothing is done', async () => {
    const before = engine.servers.size;
    const bad = await api.server.start({ port: 70000 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    if (!bad.ok) expect(bad.error.message).toMatch(/port/);
    const wrongType = await api.connection.send({
      connectionId: 'x',
      payload: { type: 'binary', data: 'AAEC' },
    } as never);
    expect(wrongType).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    expect(engine.servers.size).toBe(before);
  });
});

describe('the sender check', () => {
  const refusedWith = async (event: () => unknown): Promise<unknown> => {
    fake.setEvent(event);
    try {
      return await api.server.start({ port: 0 });
    } finally {
      fake.resetEvent();
    }
  };

  it('refuses a foreign sender, a subframe, another page and a detached frame with DUPLEX_ERR_FORBIDDEN', async () => {
    const before = engine.servers.size;
    const other = { ...fake.contents, mainFrame: { url: 'app://duplex/index.html', parent: null } };
    const cases: [string, () => unknown][] = [
      ['other web contents', () => ({ sender: other, senderFrame: other.mainFrame })],
      [
        'a subframe of our window',
        () => ({
          sender: fake.contents,
          senderFrame: { url: 'app://duplex/index.html', parent: fake.frame },
        }),
      ],
      [
        'a frame object that is not our top frame',
        () => ({ sender: fake.contents, senderFrame: { ...fake.frame } }),
      ],
      ['our window showing another page', () => strayEvent('https://evil.example/')],
      ['a look-alike origin', () => strayEvent('app://duplex.evil/index.html')],
      ['a file:// page', () => strayEvent('file:///work/main/out/renderer/index.html')],
      ['no frame (navigated away)', () => ({ sender: fake.contents, senderFrame: null })],
    ];
    for (const [what, event] of cases) {
      const result = await refusedWith(event);
      expect(result, what).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_FORBIDDEN' } });
    }
    expect(engine.servers.size).toBe(before);
  });

  function strayEvent(url: string): unknown {
    fake.strayFrame.url = url;
    return { sender: fake.strayContents, senderFrame: fake.strayFrame };
  }
});

describe('events reach the renderer in batches', () => {
  it('every event of the table is forwarded to its subscribers (and unsubscribe works)', () => {
    const samples: { [E in keyof EventPayloads]: EventPayloads[E] } = {
      'connection.state': {
        connectionId: 'c',
        url: 'ws://x',
        readyState: 1,
        protocol: '',
        extensions: '',
        bufferedAmount: 0,
        attempt: 0,
      },
      'connection.removed': { connectionId: 'c' },
      'server.state': {
        serverId: 's',
        url: 'ws://127.0.0.1:1/',
        host: '127.0.0.1',
        port: 1,
        path: '/',
        protocols: [],
        echo: true,
        running: true,
        clientCount: 0,
      },
      'server.clients': { serverId: 's', clients: [] },
      'server.hits': {
        serverId: 's',
        routes: [{ path: '/', rules: [{ rule: 'ping', hits: 1 }], otherwise: 0 }],
      },
      'server.mockReload': { serverId: 's', file: '/w/mocks/m.yaml', ok: true },
      'log.appended': { logId: 'c', entries: [], firstSeq: 1, lastSeq: 0 },
      'log.cleared': { logId: 'c' },
      'session.replayProgress': { replayId: 'replay-1', report: { done: false, sent: 0 } },
      'flow.progress': { runId: 'flow-1', report: { runId: 'flow-1', status: 'running', steps: [] } },
      'workspace.changed': { what: 'savedConnections' },
      'ui.menu': { action: 'connection.new' },
    } as never;
    for (const name of eventNames) expect(samples[name], `sample for ${name}`).toBeDefined();

    const got: [string, unknown][] = [];
    const offs = eventNames.map((name) => api.on[name]((payload: unknown) => got.push([name, payload])));
    const sentBefore = fake.sent.length;
    sendEvents(
      fake.contents as unknown as WebContents,
      eventNames.map((name) => ({ name, payload: samples[name] }) as never),
    );
    expect(fake.sent.length - sentBefore).toBe(1); // one IPC message for the whole batch
    expect(fake.sent.at(-1)!.channel).toBe(eventBatchChannel);
    expect(got).toEqual(eventNames.map((name) => [name, samples[name]]));

    for (const off of offs) off();
    sendEvents(fake.contents as unknown as WebContents, [{ name: 'log.cleared', payload: { logId: 'c' } }]);
    expect(got).toHaveLength(eventNames.length);
  });

  it('a saved connection made through one window is announced to every window', async () => {
    const changed = (sent: { channel: string; payload: unknown }[]): unknown[] =>
      sent.flatMap((m) =>
        m.channel === eventBatchChannel
          ? (m.payload as { name: string; payload: unknown }[]).filter((e) => e.name === 'workspace.changed')
          : [],
      );
    const before = [changed(fake.sent).length, changed(fake.straySent).length];
    const saved = await api.savedConnection.save({ name: 'Shared', options: { url: 'ws://127.0.0.1:9/' } });
    expect(saved.ok).toBe(true);
    await until(() => changed(fake.sent).length > before[0]! && changed(fake.straySent).length > before[1]!);
    const announcement = { name: 'workspace.changed', payload: { what: 'savedConnections' } };
    expect(changed(fake.sent).at(-1)).toEqual(announcement);
    expect(changed(fake.straySent).at(-1)).toEqual(announcement);
  });

  it('a flood of frames becomes few IPC messages, each a batch on the one event channel', async () => {
    const server = await engine.call('server.start', { port: 0 });
    const conn = engine.openConnection({ url: `ws://127.0.0.1:${server.port}/` });
    await until(() => conn.info().readyState === 1);
    const sentBefore = fake.sent.length;
    const started = Date.now();
    for (let i = 0; i < 5000; i++) conn.send({ type: 'text', text: `m${i}` });
    await until(() => engine.log(conn.id).lastSeq >= 10_000 + 1);
    await new Promise((r) => setTimeout(r, 60));
    const elapsed = Date.now() - started;
    const messages = fake.sent.slice(sentBefore);
    expect(messages.every((m) => m.channel === eventBatchChannel && Array.isArray(m.payload))).toBe(true);
    // 10,000 log entries (5,000 out, 5,000 echoed in) in at most one message per 16 ms flush.
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.length).toBeLessThanOrEqual(Math.ceil(elapsed / 16) + 2);
    await engine.call('server.stop', { serverId: server.serverId });
  });
});
