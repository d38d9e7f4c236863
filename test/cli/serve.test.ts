/**
 * `duplex serve` as a process: the listening line (human and --json), echo to a
 * real client, one line per client event, SIGINT/SIGTERM → clients get 1001 and
 * the process exits 0, a port in use → exit 1 with a clear message, and wscat
 * (a client nobody here wrote) gets its echo.
 */
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CliProcess, ROOT, duplex, runDuplex, startServe } from './helpers.js';

const running: CliProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
});
function track<T extends { serve: CliProcess }>(x: T): T {
  running.push(x.serve);
  return x;
}

async function openClient(url: string, protocols: string[] = []): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: Buffer, isBinary) => resolve({ data, isBinary })),
  );
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
}

describe('duplex serve', () => {
  it('prints the human listening line, echoes, logs each event, and exits 0 on SIGTERM with 1001 to clients', async () => {
    const serve = duplex('serve', '--port', '0');
    running.push(serve);
    const line = await serve.waitForLine(/^listening on /);
    expect(line).toMatch(/^listening on ws:\/\/127\.0\.0\.1:\d+\/$/);
    const url = line.slice('listening on '.length);

    const ws = await openClient(url);
    const echoed = nextMessage(ws);
    ws.send('hello');
    expect((await echoed).data.toString()).toBe('hello');
    const bin = nextMessage(ws);
    ws.send(Buffer.from([0, 1, 0xff]));
    const got = await bin;
    expect(got.isBinary).toBe(true);
    expect([...got.data]).toEqual([0, 1, 0xff]);

    await serve.waitForLine((l) => l === '[client 1] → binary 3 B: 00 01 ff');
    expect(serve.stdoutLines).toContain('[client 1] ← text 5 B: hello');
    expect(serve.stdoutLines).toContain('[client 1] → text 5 B: hello');
    expect(serve.stdoutLines).toContain('[client 1] ← binary 3 B: 00 01 ff');
    expect(
      serve.stdoutLines.some((l) => /^\[client 1\] connected from 127\.0\.0\.1:\d+ path \/$/.test(l)),
    ).toBe(true);

    const closed = closeOf(ws);
    serve.kill('SIGTERM');
    expect(await closed).toEqual({ code: 1001, reason: 'server stopping' });
    expect(await serve.exit()).toEqual({ code: 0, signal: null });
    expect(serve.stdoutLines).toContain('[client 1] disconnected: 1001 server stopping');
    expect(serve.stdoutLines.at(-1)).toBe('stopped (SIGTERM)');
  });

  it('--json: listening line, then connection / message / disconnect objects; SIGINT → 1001, exit 0', async () => {
    const { serve, url } = track(
      await startServe('--path', '/chat', '--protocol', 'chat.v2', '--protocol', 'chat'),
    );
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/chat$/);
    expect(serve.stdoutLines[0]).toBe(JSON.stringify({ event: 'listening', url }));

    const ws = await openClient(url, ['chat']);
    expect(ws.protocol).toBe('chat');
    const echoed = nextMessage(ws);
    ws.send('héllo');
    expect((await echoed).data.toString()).toBe('héllo');
    const bin = nextMessage(ws);
    ws.send(Buffer.from([1, 2, 3]));
    await bin;
    ws.close(4001, 'done');
    await closeOf(ws);
    await serve.waitForLine(/"event":"disconnect"/);

    const events = serve.events;
    expect(events[1]).toEqual({
      event: 'connection',
      clientId: '1',
      remoteAddress: '127.0.0.1',
      remotePort: expect.any(Number),
      path: '/chat',
      protocol: 'chat',
    });
    expect(events.slice(2)).toEqual([
      { event: 'message', clientId: '1', dir: 'in', type: 'text', data: 'héllo', size: 6 },
      { event: 'message', clientId: '1', dir: 'out', type: 'text', data: 'héllo', size: 6 },
      { event: 'message', clientId: '1', dir: 'in', type: 'binary', data: 'AQID', size: 3 },
      { event: 'message', clientId: '1', dir: 'out', type: 'binary', data: 'AQID', size: 3 },
      { event: 'disconnect', clientId: '1', code: 4001, reason: 'done' },
    ]);

    // A second client is open when the signal arrives: it gets 1001.
    const ws2 = await openClient(url, ['chat']);
    const closed = closeOf(ws2);
    serve.kill('SIGINT');
    expect((await closed).code).toBe(1001);
    expect(await serve.exit()).toEqual({ code: 0, signal: null });
    expect(serve.events.at(-1)).toEqual({ event: 'stopped', signal: 'SIGINT' });
  });

  it('a port in use: exit 1, one clear line on stderr naming the port and the fix, and a JSON error line', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const human = await runDuplex('serve', '--port', String(port));
      expect(human.result).toEqual({ code: 1, signal: null });
      expect(human.stdoutLines).toEqual([]);
      expect(human.stderrLines).toHaveLength(1);
      expect(human.stderr).toContain(`Port ${port}`);
      expect(human.stderr).toMatch(/already in use.*choose another port/);

      const json = await runDuplex('serve', '--port', String(port), '--json');
      expect(json.result.code).toBe(1);
      expect(json.events).toEqual([
        {
          event: 'error',
          code: 'DUPLEX_ERR_PORT_IN_USE',
          message: expect.stringContaining(`Port ${port}`),
          details: { host: '127.0.0.1', port },
        },
      ]);
      expect(json.stderrLines).toHaveLength(1);
    } finally {
      blocker.close();
    }
  });

  it('bad arguments exit 2 with one line on stderr', async () => {
    const cases = [
      ['--port', '70000'],
      ['--port', 'abc'],
      ['--port', '0', '--path', 'no-slash'],
      ['--port', '0', '--protocol', 'has space'],
    ];
    const runs = await Promise.all(cases.map((args) => runDuplex('serve', ...args)));
    runs.forEach((p, i) => {
      const label = cases[i]!.join(' ');
      expect(p.result.code, label).toBe(2);
      expect(p.stderrLines, label).toHaveLength(1);
      expect(p.stdoutLines, label).toEqual([]);
    });
  });

  it('wscat (npm) as a client gets the echo', async () => {
    const { serve, url } = track(await startServe());
    const wscat = new CliProcess(`${ROOT}node_modules/.bin/wscat`, [
      '--no-color',
      '-c',
      url,
      '-x',
      'hello from wscat',
      '-w',
      '1',
    ]);
    running.push(wscat);
    expect((await wscat.exit()).code).toBe(0);
    // In --execute mode wscat prints only what it receives: this line is the echo.
    expect(wscat.stdoutLines.map((l) => l.trim())).toEqual(['hello from wscat']);
    await serve.waitForLine(/"event":"disconnect"/);
    expect(serve.events.filter((e) => e['event'] === 'message')).toEqual([
      { event: 'message', clientId: '1', dir: 'in', type: 'text', data: 'hello from wscat', size: 16 },
      { event: 'message', clientId: '1', dir: 'out', type: 'text', data: 'hello from wscat', size: 16 },
    ]);
  });
});
