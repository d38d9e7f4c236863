/**
 * Interop with a real browser: Debian's Chromium (driven by playwright-core) opens
 * `new WebSocket(url)` to the Duplex MockServer, sends text and an ArrayBuffer,
 * and gets both back with the right types and bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium, missingChromium } from '../support/chromium.js';
import { MockServer } from '../../app/server/mock-server.js';
import { echoBehaviour } from '../../app/server/behaviour.js';

const missing = missingChromium();
if (missing) console.warn(`Skipping Chromium interop: ${missing}`);

interface BrowserResult {
  protocol: string;
  text: { type: string; value: string };
  binary: { type: string; bytes: number[] };
}

describe.skipIf(missing)(
  `Chromium as a browser client of the MockServer${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let browser: Browser;
    let server: MockServer;

    beforeAll(async () => {
      server = new MockServer('browser', { path: '/ws', protocols: ['duplex.test'] });
      await server.start();
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
    });

    it('sends text and an ArrayBuffer and gets both back with the right types and bytes', async () => {
      const page = await browser.newPage();
      const result = await page.evaluate(async (url: string): Promise<BrowserResult> => {
        const ws = new WebSocket(url, ['duplex.test']);
        ws.binaryType = 'arraybuffer';
        (globalThis as unknown as { testSocket: WebSocket }).testSocket = ws;
        const replies: unknown[] = [];
        await new Promise<void>((resolve, reject) => {
          ws.onerror = () => reject(new Error('WebSocket error in the browser'));
          ws.onmessage = (ev: MessageEvent) => {
            replies.push(ev.data);
            if (replies.length === 2) resolve();
          };
          ws.onopen = () => {
            ws.send('hello from Chromium ✓');
            ws.send(new Uint8Array([0, 1, 2, 127, 128, 254, 255]).buffer);
          };
        });
        const [text, binary] = replies;
        return {
          protocol: ws.protocol,
          text: { type: typeof text, value: String(text) },
          binary: {
            type: Object.prototype.toString.call(binary),
            bytes: binary instanceof ArrayBuffer ? [...new Uint8Array(binary)] : [],
          },
        };
      }, server.url);

      expect(result.protocol).toBe('duplex.test');
      expect(result.text).toEqual({ type: 'string', value: 'hello from Chromium ✓' });
      expect(result.binary).toEqual({ type: '[object ArrayBuffer]', bytes: [0, 1, 2, 127, 128, 254, 255] });

      // While the browser is still connected, the server lists it with its request headers.
      const [client] = server.clients();
      expect(client).toBeDefined();
      expect(client!.path).toBe('/ws');
      expect(client!.protocol).toBe('duplex.test');
      expect(client!.remoteAddress).toBe('127.0.0.1');
      expect(String(client!.headers['user-agent'])).toMatch(/Chrome\/\d+/);
      expect(client!.headers['sec-websocket-version']).toBe('13');
      expect(server.log.read(1, 100, { kinds: ['binary'], dir: 'in' })[0]?.size).toBe(7);

      const close = await page.evaluate(
        () =>
          new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
            const ws = (globalThis as unknown as { testSocket: WebSocket }).testSocket;
            ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
            ws.close(4005, 'browser done');
          }),
      );
      expect(close).toEqual({ code: 4005, reason: 'browser done', wasClean: true });
      await page.close();
    });

    it('sees a server-initiated close code and reason in the browser', async () => {
      const page = await browser.newPage();
      const opened = new Promise<string>((resolve) =>
        server.setBehaviours([{ kind: 'manual', open: (c) => resolve(c.info.clientId) }, echoBehaviour()]),
      );
      const closePromise = page.evaluate(
        (url: string) =>
          new Promise<{ code: number; reason: string }>((resolve, reject) => {
            const ws = new WebSocket(url, 'duplex.test');
            ws.onerror = () => reject(new Error('WebSocket error in the browser'));
            ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason });
          }),
        server.url,
      );
      const clientId = await opened;
      server.closeClient(clientId, 4321, 'server says bye');
      expect(await closePromise).toEqual({ code: 4321, reason: 'server says bye' });
      server.setBehaviours([echoBehaviour()]);
      await page.close();
    });
  },
);
