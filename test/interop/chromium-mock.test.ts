/**
 * Mocks of a workspace, driven through the engine's commands as the UI drives
 * them, with Chromium's own WebSocket as the client: save (validated), list,
 * start by name, hit counts as a command and an event, reload on save and on a
 * bad edit, try a message, a recording turned into rules and a session served
 * back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type EngineEvent } from '../../app/engine.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';
import { launchChromium, missingChromium } from '../support/chromium.js';
import { until } from '../support/until.js';

const missing = missingChromium();
if (missing) console.warn(`Skipping Chromium mock interop: ${missing}`);

const CHAT = `port: 0
routes:
  - path: /chat
    onConnect: [ { send: "welcome {{client.id}}" } ]
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then: [ { sendJson: { type: pong, id: "{{msg.json.id}}" } } ]
      - name: bytes
        when: { binary: { prefixHex: "00ff" } }
        then: [ { sendHex: "ff00{{msg.hex}}" } ]
      - name: version
        when: { text: { equals: version } }
        then: [ { send: v1 } ]
    otherwise: echo
`;

/** A page with one open socket; `ask` sends and resolves with the next message (text, or hex of binary). */
async function openSocket(page: Page, url: string): Promise<string> {
  return page.evaluate(
    (u: string) =>
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(u);
        ws.binaryType = 'arraybuffer';
        const inbox: string[] = [];
        const waiting: ((m: string) => void)[] = [];
        ws.onmessage = (ev: MessageEvent) => {
          const m =
            typeof ev.data === 'string'
              ? ev.data
              : [...new Uint8Array(ev.data as ArrayBuffer)]
                  .map((b) => b.toString(16).padStart(2, '0'))
                  .join('');
          const w = waiting.shift();
          if (w) w(m);
          else inbox.push(m);
        };
        const next = (): Promise<string> =>
          inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiting.push(r));
        Object.assign(globalThis, {
          next,
          ask: (text: string | number[]) => {
            ws.send(typeof text === 'string' ? text : new Uint8Array(text).buffer);
            return next();
          },
          closeSocket: () => ws.close(),
        });
        ws.onerror = () => reject(new Error('WebSocket error in the browser'));
        ws.onopen = () => void next().then(resolve);
      }),
    url,
  );
}

const ask = (page: Page, message: string | number[]): Promise<string> =>
  page.evaluate(
    (m) => (globalThis as unknown as { ask: (m: string | number[]) => Promise<string> }).ask(m),
    message,
  );
const next = (page: Page): Promise<string> =>
  page.evaluate(() => (globalThis as unknown as { next: () => Promise<string> }).next());

describe.skipIf(missing)('workspace mocks with Chromium as the client', () => {
  let browser: Browser;
  let dir: string;
  let engine: Engine;
  const events: EngineEvent[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'duplex-chromium-mock-'));
    engine = new Engine({ workspaceDir: dir, flushMs: 5 });
    engine.subscribe((batch) => events.push(...batch));
  });
  afterAll(async () => {
    await browser?.close();
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('save refuses an invalid mock with file, line and field; list, read and delete', async () => {
    const bad = await engine.invoke('mock.save', { name: 'chat', text: 'routes:\n  - path: nope\n' });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.error).toMatchObject({
      code: ErrorCodes.MOCK_FILE,
      details: { file: 'mocks/chat.yaml', line: 2, field: 'routes[0].path' },
    });
    expect(await engine.call('mock.list', {})).toEqual([]);

    await engine.call('mock.save', { name: 'chat', text: CHAT });
    await engine.call('mock.save', { name: 'other', text: '{"routes":[{"path":"/"}]}', format: 'json' });
    writeFileSync(join(dir, 'mocks', 'broken.yaml'), 'routes: [ { path: x } ]\n');
    const list = await engine.call('mock.list', {});
    expect(list.map((m) => [m.name, m.path, m.error?.code])).toEqual([
      ['broken', 'mocks/broken.yaml', ErrorCodes.MOCK_FILE],
      ['chat', 'mocks/chat.yaml', undefined],
      ['other', 'mocks/other.json', undefined],
    ]);
    expect((await engine.call('mock.read', { name: 'chat' })).text).toBe(CHAT);
    await engine.call('mock.delete', { name: 'other' });
    await expect(engine.call('mock.read', { name: 'other' })).rejects.toMatchObject({
      code: ErrorCodes.NOT_FOUND,
    });
    await expect(engine.call('mock.save', { name: '../escape', text: CHAT })).rejects.toBeInstanceOf(
      DuplexError,
    );
  });

  it('starts by name; Chromium gets onConnect, JSON and binary replies; hits are counted and published', async () => {
    const server = await engine.call('mock.start', { name: 'chat' });
    expect(server).toMatchObject({ behaviours: ['rules'], mock: { name: 'chat' } });
    const page = await browser.newPage();
    expect(await openSocket(page, `ws://127.0.0.1:${server.port}/chat`)).toMatch(/^welcome \d+$/);
    expect(JSON.parse(await ask(page, '{"type":"ping","id":"a1"}'))).toEqual({ type: 'pong', id: 'a1' });
    expect(await ask(page, [0x00, 0xff, 0x07])).toBe('ff0000ff07');
    expect(await ask(page, 'unmatched')).toBe('unmatched');
    const hits = await engine.call('server.hits', { serverId: server.serverId });
    expect(hits.routes[0]).toEqual({
      path: '/chat',
      rules: [
        { rule: 'ping', hits: 1 },
        { rule: 'bytes', hits: 1 },
        { rule: 'version', hits: 0 },
      ],
      otherwise: 1,
    });
    await until(() =>
      events.some(
        (e) =>
          e.name === 'server.hits' &&
          e.payload.serverId === server.serverId &&
          e.payload.routes[0]!.otherwise === 1,
      ),
    );
    const appended = events.flatMap((e) =>
      e.name === 'log.appended' && e.payload.logId === server.serverId ? e.payload.entries : [],
    );
    expect(appended.filter((e) => e.dir === 'in' && e.kind !== 'open').map((e) => e.rule)).toEqual([
      'ping',
      'bytes',
      'otherwise',
    ]);

    // "Try a message": the rule and the reply, without a socket.
    const tried = await engine.call('mock.try', {
      name: 'chat',
      path: '/chat',
      message: { type: 'text', text: '{"type":"ping","id":"t"}' },
    });
    expect(tried).toEqual({
      rule: 'ping',
      route: '/chat',
      steps: [{ action: 'send', kind: 'text', text: '{"type":"pong","id":"t"}' }],
    });

    // A save from the UI reloads the running mock; the open socket gets the new rules.
    await engine.call('mock.save', { name: 'chat', text: CHAT.replace('send: v1', 'send: v2') });
    await until(() => events.some((e) => e.name === 'server.mockReload' && e.payload.ok));
    expect(await ask(page, 'version')).toBe('v2');

    // A bad edit on disk: reported with its line, the running rules stay.
    writeFileSync(join(dir, 'mocks', 'chat.yaml'), CHAT.replace('equals: version', 'equals: [version'));
    await until(() => events.some((e) => e.name === 'server.mockReload' && !e.payload.ok));
    const failed = events.find((e) => e.name === 'server.mockReload' && !e.payload.ok)!;
    expect(failed.payload).toMatchObject({ ok: false, error: { code: ErrorCodes.MOCK_FILE } });
    expect(await ask(page, 'version')).toBe('v2');
    await page.close();
    await engine.call('server.stop', { serverId: server.serverId });
  });

  it('a recording becomes rules that answer what followed each message, and can be served back', async () => {
    const echo = await engine.call('server.start', { port: 0 });
    await engine.call('session.recordStart', { logId: echo.serverId, name: 'talk' });
    const page = await browser.newPage();
    await page.evaluate(
      (u: string) =>
        new Promise<void>((resolve) => {
          const ws = new WebSocket(u);
          let n = 0;
          ws.onopen = () => ws.send('first');
          ws.onmessage = () => {
            n++;
            if (n === 1) ws.send('second');
            else {
              ws.close();
              resolve();
            }
          };
        }),
      echo.url,
    );
    await until(async () => (await engine.call('server.clients', { serverId: echo.serverId })).length === 0);
    const recording = await engine.call('session.recordStop', { logId: echo.serverId });

    const made = await engine.call('mock.fromSession', { name: recording.name, mockName: 'from-talk' });
    expect(made).toMatchObject({ name: 'from-talk', path: 'mocks/from-talk.yaml', rules: 2 });
    const text = (await engine.call('mock.read', { name: 'from-talk' })).text;
    expect(text).toContain('equals: first');
    const rules = await engine.call('mock.start', { name: 'from-talk' });
    expect(await openSocketNoGreeting(page, `ws://127.0.0.1:${rules.port}/`)).toBe(true);
    expect(await ask(page, 'second')).toBe('second');
    expect(await ask(page, 'first')).toBe('first');

    const served = await engine.call('mock.serveSession', { name: recording.name, speed: 0 });
    expect(served.behaviours).toEqual(['recording']);
    const page2 = await browser.newPage();
    expect(await openSocket(page2, served.url)).toBe('first');
    expect(await next(page2)).toBe('second');
    await page.close();
    await page2.close();
  });
});

/** Opens a socket on a mock with no onConnect: resolves true once open. */
async function openSocketNoGreeting(page: Page, url: string): Promise<boolean> {
  return page.evaluate(
    (u: string) =>
      new Promise<boolean>((resolve, reject) => {
        const ws = new WebSocket(u);
        const inbox: string[] = [];
        const waiting: ((m: string) => void)[] = [];
        ws.onmessage = (ev: MessageEvent) => {
          const w = waiting.shift();
          if (w) w(String(ev.data));
          else inbox.push(String(ev.data));
        };
        const next = (): Promise<string> =>
          inbox.length > 0 ? Promise.resolve(inbox.shift()!) : new Promise((r) => waiting.push(r));
        Object.assign(globalThis, {
          next,
          ask: (text: string) => {
            ws.send(text);
            return next();
          },
        });
        ws.onerror = () => reject(new Error('WebSocket error in the browser'));
        ws.onopen = () => resolve(true);
      }),
    url,
  );
}
