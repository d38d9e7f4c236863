/**
 * The renderer's transport (renderer/src/lib/bridge.ts) in Debian's Chromium
 * against the real bridge server: the page loads under the strict CSP with the
 * token, connectApi() opens the bridge, commands round-trip, bytes arrive as a
 * Uint8Array, events arrive. The production bundle inlines bridge.ts, so the
 * test builds it on its own as an ES module (vite, as the UI build does) and
 * serves it beside the built page. Skipped, with the reason, without Chromium
 * or the built UI.
 */
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { CHROMIUM, launchChromium } from '../support/chromium.js';
import { startBridgeServer, type BridgeServer } from '../../app/bridge/bridge-server.js';
import { Engine } from '../../app/engine.js';

const built = join(process.cwd(), 'out/renderer');
const chunk = 'bridge-under-test.js';
const skipReason = !existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium)`
  : !existsSync(join(built, 'index.html'))
    ? 'the UI is not built (out/renderer/index.html missing): run "npm run build:renderer"'
    : undefined;

describe.skipIf(skipReason !== undefined)(
  `bridge.ts in Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let engine: Engine;
    let bridge: BridgeServer;
    let browser: Browser;
    let workspace: string;

    beforeAll(async () => {
      workspace = await mkdtemp(join(tmpdir(), 'duplex-bridge-browser-'));
      const site = join(workspace, 'site');
      await cp(built, site, { recursive: true });
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          outDir: join(site, 'assets'),
          emptyOutDir: false,
          target: 'chrome120',
          lib: {
            entry: join(process.cwd(), 'renderer/src/lib/bridge.ts'),
            formats: ['es'],
            fileName: () => chunk,
          },
        },
      });
      engine = new Engine({ workspaceDir: join(workspace, 'ws') });
      bridge = await startBridgeServer({ engine, staticDir: site });
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await bridge?.stop();
      await engine?.dispose();
      await rm(workspace, { recursive: true, force: true });
    });

    it('connectApi() round-trips commands over the bridge, bytes as bytes, under the strict CSP', async () => {
      const page = await browser.newPage();
      const cspViolations: string[] = [];
      page.on('console', (m) => {
        // A <meta> cannot carry frame-ancestors; Chromium says so, harmlessly (the header carries it).
        if (/Content Security Policy/.test(m.text()) && !/frame-ancestors/.test(m.text())) {
          cspViolations.push(m.text());
        }
      });
      const response = await page.goto(bridge.url);
      expect(response!.status()).toBe(200);
      // A string, not a function: vitest would rewrite a function's import() for Node.
      const result = (await page.evaluate(`(async () => {
        const { connectApi } = await import('/assets/${chunk}');
        const api = await connectApi();
        const server = await api.server.start({ port: 0 });
        let appended = 0;
        api.on['log.appended'](() => appended++);
        const open = new Promise((resolve) =>
          api.on['connection.state']((info) => info.readyState === 1 && resolve()),
        );
        const conn = await api.connection.open({ url: 'ws://127.0.0.1:' + server.value.port + '/' });
        await open;
        const sent = await api.connection.send({
          connectionId: conn.value.connectionId,
          payload: { type: 'binary', data: new Uint8Array([0, 255, 16, 128]) },
        });
        const read = await api.log.payload({ logId: conn.value.connectionId, seq: sent.value.seq });
        await new Promise((r) => setTimeout(r, 100));
        const data = read.value.data;
        return { isBytes: data instanceof Uint8Array, bytes: Array.from(data), appended };
      })()`)) as { isBytes: boolean; bytes: number[]; appended: number };
      expect(result).toEqual({ isBytes: true, bytes: [0, 255, 16, 128], appended: expect.any(Number) });
      expect(result.appended).toBeGreaterThan(0);
      expect(cspViolations).toEqual([]);
    }, 60_000);

    it('a page without the token gets 403 and the UI never loads', async () => {
      const page = await browser.newPage();
      const response = await page.goto(`http://127.0.0.1:${bridge.port}/`);
      expect(response!.status()).toBe(403);
      expect(await page.locator('#app').count()).toBe(0);
    }, 30_000);
  },
);
