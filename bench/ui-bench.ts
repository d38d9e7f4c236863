/**
 * UI performance run (`npm run bench:ui`, not a test): `duplex ui` in
 * Chromium, one connection tab open to a local server that floods it for
 * 10 s, once per rate (20,000 and 100,000 messages/s; UI_BENCH_RATES). Measures, in the page, the longest main-thread block
 * (Long Tasks API and the largest gap between animation frames), the input
 * latency of key presses typed into the Message box while it streams
 * (keydown → next frame), and the JS heap at the end.
 */
import { WebSocket, WebSocketServer } from 'ws';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { launchChromium, startUi } from '../test/e2e/browser-harness.js';
import { decodeBridgeMessage, encodeBridgeMessage, type BridgeResponse } from '../app/bridge-codec.js';

const RATES = (process.env['UI_BENCH_RATES'] ?? process.env['UI_BENCH_RATE'] ?? '20000,100000')
  .split(',')
  .map(Number);
/** What each rate must meet: the longest frame gap, and the p95 input latency (ms). */
const TARGETS: Record<number, { frameGap: number; p95: number }> = {
  20_000: { frameGap: 100, p95: 50 },
  100_000: { frameGap: 50, p95: 50 },
};
const SECONDS = Number(process.env['UI_BENCH_SECONDS'] ?? 10);
/** A renderer build to serve instead of out/renderer (e.g. an unminified one for profiling). */
const RENDERER = process.env['UI_BENCH_RENDERER'];
/** Rows in the log the filter row measures over (0 skips it). */
const FILTER_ROWS = Number(process.env['UI_BENCH_FILTER_ROWS'] ?? 1_000_000);
/** How long a filter over FILTER_ROWS may take to apply (the issue's target). */
const FILTER_TARGET_MS = 200;

interface PageStats {
  longTasks: number[];
  maxFrameGap: number;
  /** Frames that came more than 100 ms after the previous one. */
  slowFrames: number;
  frames: number;
  latencies: number[];
}

declare const window: {
  __bench: PageStats;
  requestAnimationFrame(cb: () => void): void;
  PerformanceObserver: new (cb: (list: { getEntries(): { duration: number }[] }) => void) => {
    observe(o: object): void;
  };
  addEventListener(type: string, cb: (e: { timeStamp: number }) => void, capture?: boolean): void;
  MessageChannel: new () => { port1: { onmessage: () => void }; port2: { postMessage(v: unknown): void } };
  performance: { now(): number };
};
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  addEventListener(
    type: string,
    cb: (e: { key?: string; target?: { tagName?: string } }) => void,
    options: { capture: boolean },
  ): void;
};
declare const requestAnimationFrame: (cb: () => void) => void;

async function main(RATE: number): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const floodServer = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => floodServer.once('listening', r));
  const floodUrl = `ws://127.0.0.1:${(floodServer.address() as AddressInfo).port}/`;
  let client: WebSocket | undefined;
  floodServer.on('connection', (ws) => (client = ws));

  const ui = await startUi(RENDERER ? { renderer: RENDERER } : {});
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(ui.url);
    await page
      .getByRole('navigation', { name: 'Workspace' })
      .getByRole('button', { name: 'New connection' })
      .click();
    await page.getByRole('textbox', { name: 'URL' }).fill(floodUrl);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('status', { name: 'Connection state: OPEN' }).waitFor();
    while (!client) await new Promise((r) => setTimeout(r, 10));

    // Monitors inside the page.
    await page.evaluate(() => {
      const stats: PageStats = { longTasks: [], maxFrameGap: 0, slowFrames: 0, frames: 0, latencies: [] };
      window.__bench = stats;
      new window.PerformanceObserver((list) => {
        for (const e of list.getEntries()) stats.longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
      let last = window.performance.now();
      const frame = (): void => {
        const now = window.performance.now();
        stats.maxFrameGap = Math.max(stats.maxFrameGap, now - last);
        if (now - last > 100) stats.slowFrames++;
        stats.frames++;
        last = now;
        window.requestAnimationFrame(frame);
      };
      window.requestAnimationFrame(frame);
      window.addEventListener(
        'keydown',
        (e) => {
          const start = e.timeStamp;
          window.requestAnimationFrame(() => {
            const ch = new window.MessageChannel();
            ch.port1.onmessage = () => stats.latencies.push(window.performance.now() - start);
            ch.port2.postMessage(0);
          });
        },
        true,
      );
    });
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.click();
    const profiler = process.env['UI_BENCH_PROFILE'] ? await page.context().newCDPSession(page) : undefined;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.start');
    }
    const tracer = process.env['UI_BENCH_TRACE'] ? await page.context().newCDPSession(page) : undefined;
    const traceEvents: TraceEvent[] = [];
    if (tracer) {
      (tracer as unknown as { on(n: string, l: (e: { value: TraceEvent[] }) => void): void }).on(
        'Tracing.dataCollected',
        (e) => traceEvents.push(...e.value),
      );
      await tracer.send('Tracing.start', {
        categories: 'devtools.timeline,v8',
        transferMode: 'ReportEvents',
      });
    }

    // Flood: RATE messages/s for SECONDS, paced every 5 ms.
    const payload = (i: number): string =>
      JSON.stringify({ seq: i, symbol: 'DUPX', price: 100 + (i % 997) / 10, side: i % 2 ? 'buy' : 'sell' });
    let sent = 0;
    const started = Date.now();
    const total = RATE * SECONDS;
    const flood = new Promise<void>((done) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * RATE));
        while (sent < due) client!.send(payload(sent++));
        if (sent >= total) {
          clearInterval(timer);
          done();
        }
      }, 5);
    });
    // Type while it streams: one key every 100 ms.
    let typing = true;
    const typer = (async () => {
      while (typing) {
        await page.keyboard.press('x');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await flood;
    const floodSeconds = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 1000)); // let the last batches land
    typing = false;
    await typer;

    if (profiler) printProfile(await profiler.send('Profiler.stop'));
    if (tracer) {
      const done = new Promise((r) =>
        (tracer as unknown as { once(n: string, l: (v: unknown) => void): void }).once(
          'Tracing.tracingComplete',
          r,
        ),
      );
      await tracer.send('Tracing.end');
      await done;
      printTrace(traceEvents);
    }
    const stats = await page.evaluate(() => window.__bench);
    const shown = (await page.locator('.count').first().textContent())?.replace(/\s+/g, ' ').trim();
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };

    const lat = [...stats.latencies].sort((a, b) => a - b);
    const pct = (p: number): number =>
      lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
    const longest = Math.max(0, ...stats.longTasks);
    const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    const lines = [
      `UI bench: ${sent.toLocaleString()} messages in ${floodSeconds.toFixed(1)} s (${Math.round(sent / floodSeconds).toLocaleString()}/s) into one connection tab`,
      `  log shows:            ${shown}`,
      `  longest long task:    ${longest.toFixed(0)} ms (${stats.longTasks.length} long tasks > 50 ms)`,
      `  longest frame gap:    ${stats.maxFrameGap.toFixed(0)} ms over ${stats.frames} frames (${(stats.frames / (floodSeconds + 1)).toFixed(0)} fps; ${stats.slowFrames} gaps > 100 ms)`,
      `  input latency:        p50 ${pct(50).toFixed(0)} ms, p95 ${pct(95).toFixed(0)} ms, max ${pct(100).toFixed(0)} ms (${lat.length} key presses, keydown → next frame)`,
      `  JS heap after GC:     ${mb(heap.usedSize)} used of ${mb(heap.totalSize)}`,
      target(RATE, stats.maxFrameGap, pct(95)),
      `  machine load average: ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (${cpus().length} cores; other processes skew these figures)`,
    ];
    console.log(lines.join('\n'));
    if (FILTER_ROWS > 0) console.log((await filterBench(page, ui.url)).join('\n'));
  } finally {
    await browser.close();
    await ui.stop();
    client?.terminate();
    floodServer.close();
  }
}

/**
 * The filter row: a connection whose log holds FILTER_ROWS messages (opened through
 * the bridge with a log budget that holds them all, then shown by reloading the
 * page, which reattaches to it), and the time from applying a filter (a click, or
 * Enter in the search box) until the count of matching rows is final.
 */
async function filterBench(page: Page, uiUrl: string): Promise<string[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  server.on('connection', (ws) => {
    let i = 0;
    const burst = (): void => {
      const end = Math.min(FILTER_ROWS, i + 5000);
      for (; i < end; i++) {
        ws.send(
          JSON.stringify({
            seq: i,
            type: i % 10 === 0 ? 'tick' : 'trade',
            symbol: 'DUPX',
            price: 100 + (i % 997) / 10,
          }),
        );
        // Pings (and the client's pongs) among the messages, so hiding them has rows to hide.
        if (i % 10 === 5) ws.ping();
      }
      if (i < FILTER_ROWS) setTimeout(burst, ws.bufferedAmount > 4 * 1024 * 1024 ? 5 : 0);
    };
    burst();
  });
  try {
    const bridgeUrl = uiUrl.replace(/^http:\/\/([^/]+)\/.*[?&]token=([^&]+).*$/, 'ws://$1/bridge?token=$2');
    await bridgeCall(bridgeUrl, 'connection.open', { url, logBudgetBytes: 1024 * 1024 * 1024 });
    page.on('crash', () => console.error('filter bench: the page crashed'));
    page.on('pageerror', (err) => console.error(`filter bench: page error: ${err.message}`));
    await page.reload();
    // The reloaded page shows every live connection again; the filter runs in this one's tab.
    await page.getByRole('tab', { name: new RegExp(url.replace(/[./]/g, '\\$&')) }).click();
    const count = page.locator('.count').first();
    const started = Date.now();
    await page
      .waitForFunction(
        (rows) =>
          document.querySelector('.count')?.textContent?.replace(/\s+/g, ' ').includes(`${rows} messages`),
        FILTER_ROWS.toLocaleString('en-US'),
        { timeout: 120_000, polling: 100 },
      )
      .catch(async (err: unknown) => {
        const shown = (await count.textContent())?.replace(/\s+/g, ' ').trim();
        throw new Error(`the log did not reach ${FILTER_ROWS} messages in 120 s; it shows "${shown}"`, {
          cause: err,
        });
      });
    const loadSeconds = (Date.now() - started) / 1000;
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    const mode = page.getByRole('combobox', { name: 'Search mode' });
    const rows: [string, number, string][] = [];
    const measure = async (
      label: string,
      apply: () => Promise<void>,
      reset: () => Promise<void>,
    ): Promise<void> => {
      await page.evaluate(() => {
        const w = window as unknown as { __filterStart: number };
        w.__filterStart = 0;
        // Timed from the Enter that applies a search, or the click on a filter button.
        const start = (e: { key?: string; target?: { tagName?: string } }): void => {
          if (e.key === 'Enter' || e.target?.tagName === 'BUTTON') w.__filterStart ||= performance.now();
        };
        document.addEventListener('keydown', start, { capture: true });
        document.addEventListener('click', start, { capture: true });
      });
      const profiler = process.env['UI_BENCH_PROFILE'] ? await page.context().newCDPSession(page) : undefined;
      if (profiler) {
        await profiler.send('Profiler.enable');
        await profiler.send('Profiler.start');
      }
      await apply();
      const ms = await page.evaluate(
        () =>
          new Promise<number>((done) => {
            const w = window as unknown as { __filterStart: number };
            const settled = (): boolean => {
              const text = document.querySelector('.count')?.textContent?.replace(/\s+/g, ' ') ?? '';
              return /shown of [\d,]+/.test(text) && !text.includes('searching');
            };
            // A filter that never settles is reported as NaN after a minute, not waited for forever.
            setTimeout(() => done(NaN), 60_000);
            const check = (): void =>
              settled() ? done(performance.now() - w.__filterStart) : requestAnimationFrame(check);
            check();
          }),
      );
      rows.push([label, ms, (await count.textContent())!.replace(/\s+/g, ' ').trim()]);
      if (profiler) {
        console.log(`${label}:`);
        printProfile(await profiler.send('Profiler.stop'));
      }
      await reset();
      await page.waitForFunction(() => !document.querySelector('.count')?.textContent?.includes('shown'));
    };
    await measure(
      'hide pings (kinds)',
      () => page.getByRole('button', { name: 'Hide pings' }).click(),
      () => page.getByRole('button', { name: 'Show pings' }).click(),
    );
    const search = async (m: string, text: string): Promise<void> => {
      await mode.selectOption(m);
      await box.fill(text);
      // fill() starts the typing pause; Enter applies at once and is what is timed.
      await page.waitForTimeout(300);
      await page.waitForFunction(() => !document.querySelector('.count')?.textContent?.includes('searching'));
      await box.fill('');
      await page.waitForTimeout(300);
      await box.fill(text);
      await box.press('Enter');
    };
    const clear = async (): Promise<void> => {
      await box.fill('');
      await box.press('Enter');
    };
    await measure('search text "tick"', () => search('text', 'tick'), clear);
    await measure('search regex "price":1\\d\\d\\.5', () => search('regex', '"price":1\\d\\d\\.5'), clear);
    await measure('JSON path $.type == "tick"', () => search('jsonpath', '$.type == "tick"'), clear);
    return [
      `Filter over ${FILTER_ROWS.toLocaleString()} rows (loaded in ${loadSeconds.toFixed(1)} s; target ≤ ${FILTER_TARGET_MS} ms from applying to the final count):`,
      ...rows.map(
        ([label, ms, shown]) =>
          `  ${label.padEnd(34)} ${ms.toFixed(0).padStart(5)} ms  ${ms <= FILTER_TARGET_MS ? 'met' : 'MISSED'}  (${shown})`,
      ),
    ];
  } finally {
    for (const c of server.clients) c.terminate();
    server.close();
  }
}

/** Runs one command through the UI's bridge, as the page would. */
async function bridgeCall(bridgeUrl: string, name: string, input: unknown): Promise<unknown> {
  const ws = new WebSocket(bridgeUrl);
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  try {
    const reply = new Promise<BridgeResponse>((ok) =>
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const msg = decodeBridgeMessage(isBinary ? new Uint8Array(data) : data.toString()) as {
          type: string;
        };
        if (msg.type === 'response') ok(msg as BridgeResponse);
      }),
    );
    ws.send(encodeBridgeMessage({ type: 'request', id: 1, name: name as never, input }));
    const r = await reply;
    if (!r.result.ok) throw new Error(`${name}: ${r.result.error.message}`);
    return r.result.value;
  } finally {
    ws.close();
  }
}

function target(rate: number, frameGap: number, p95: number): string {
  const t = TARGETS[rate] ?? { frameGap: 100, p95: 50 };
  const met = frameGap <= t.frameGap && p95 < t.p95;
  return `  target (frame gap ≤ ${t.frameGap} ms, input p95 < ${t.p95} ms): ${met ? 'met' : 'MISSED'}`;
}

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  tid: number;
  ts: number;
}

/** Time by trace event name on the renderer main thread (UI_BENCH_TRACE=1), and the longest tasks. */
function printTrace(events: TraceEvent[]): void {
  const mainTid = (events as (TraceEvent & { args?: { name?: string } })[]).find(
    (e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain',
  )?.tid;
  const tasks = events
    .filter((e) => e.name === 'RunTask' && e.ph === 'X' && e.tid === mainTid && (e.dur ?? 0) > 50_000)
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0));
  const byName = new Map<string, number>();
  for (const e of events) {
    if (
      e.ph !== 'X' ||
      e.tid !== mainTid ||
      e.name === 'RunTask' ||
      e.name === 'ThreadControllerImpl::RunTask'
    )
      continue;
    byName.set(e.name, (byName.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
  }
  console.log('Main thread time by event (ms, nested events overlap):');
  for (const [k, ms] of [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18)) {
    console.log(`  ${ms.toFixed(0).padStart(7)}  ${k}`);
  }
  for (const t of tasks.filter((t) => t.tid === mainTid).slice(0, 3)) {
    const inside = events.filter(
      (e) =>
        e.tid === mainTid &&
        e.ph === 'X' &&
        e.ts >= t.ts &&
        e.ts + (e.dur ?? 0) <= t.ts + (t.dur ?? 0) &&
        e !== t,
    );
    const top = inside.sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0)).slice(0, 6);
    console.log(
      `  long task ${((t.dur ?? 0) / 1000).toFixed(0)} ms: ${top.map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(0)}`).join(', ')}`,
    );
  }
}

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time per function (UI_BENCH_PROFILE=1): where the renderer's main thread went. */
function printProfile({ profile }: { profile: CpuProfile }): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const f = byId.get(samples[i]!)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log('Top self time (ms):');
  for (const [k, ms] of top) console.log(`  ${ms.toFixed(0).padStart(7)}  ${k}`);
  // Inclusive time: a sample counts for every function on its stack (once each).
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const seen = new Set<string>();
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      total.set(key, (total.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
    }
  }
  console.log('Top total time (ms):');
  for (const [k, ms] of [...total.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40))
    console.log(`  ${ms.toFixed(0).padStart(7)}  ${k}`);
}

for (const rate of RATES) await main(rate);
