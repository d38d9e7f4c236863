/**
 * `duplex connect` as a process, against `duplex serve` and against servers
 * written in the test (ws, raw http, raw tcp, https): the exact --json shapes,
 * sends in command-line order across --send / --send-hex / --send-base64,
 * --count, --wait, --close/--reason, and exit codes 0 / 1 / 2.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import type { TLSSocket } from 'node:tls';
import { planConnect } from '../../cli/connect.js';
import { makeTestPki, type TestPki } from '../support/pki.js';
import { CliProcess, duplex, freePort, runDuplex, startServe } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface TestServer {
  url: string;
  /** Connections that completed the handshake. */
  sockets: WebSocket[];
  headers: Record<string, string | string[] | undefined>[];
  closes: { code: number; reason: string }[];
}

/** A ws server on port 0; `onConnection` decides what it does with each client; `options` go to ws. */
async function wsServer(
  onConnection: (ws: WebSocket) => void = () => undefined,
  options: ServerOptions = {},
): Promise<TestServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (p) => [...p].at(-1) ?? false,
    ...options,
  });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const server: TestServer = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`,
    sockets: [],
    headers: [],
    closes: [],
  };
  wss.on('connection', (ws, req) => {
    server.sockets.push(ws);
    server.headers.push(req.headers);
    ws.on('close', (code, reason) => server.closes.push({ code, reason: reason.toString('utf8') }));
    onConnection(ws);
  });
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return server;
}

const echo = (ws: WebSocket): void => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
};

function track(p: CliProcess): CliProcess {
  cleanups.push(() => p.kill());
  return p;
}

describe('duplex connect --json', () => {
  it('against duplex serve: exact shapes, sends in command-line order across the three flags, exit 0', async () => {
    const { serve, url } = await startServe();
    track(serve);
    const p = await runDuplex(
      'connect',
      url,
      '--json',
      '--send-hex',
      '01 02',
      '--send',
      'first text',
      '--send-base64',
      'AAEC',
      '--send',
      'last',
      '--send-hex',
      'ff',
      '--count',
      '5',
    );
    expect(p.result).toEqual({ code: 0, signal: null });
    expect(p.stderr).toBe('');
    const events = p.events;
    expect(events[0]).toEqual({
      event: 'open',
      url,
      protocol: '',
      status: 101,
      headers: expect.objectContaining({ upgrade: 'websocket', 'sec-websocket-accept': expect.any(String) }),
    });
    const sent = [
      { type: 'binary', data: 'AQI=', size: 2 },
      { type: 'text', data: 'first text', size: 10 },
      { type: 'binary', data: 'AAEC', size: 3 },
      { type: 'text', data: 'last', size: 4 },
      { type: 'binary', data: '/w==', size: 1 },
    ];
    const messages = events.slice(1, -1);
    expect(messages.map(({ t: _t, ...rest }) => rest)).toEqual([
      ...sent.map((m) => ({ event: 'message', dir: 'out', ...m })),
      ...sent.map((m) => ({ event: 'message', dir: 'in', ...m })),
    ]);
    for (const m of messages) {
      expect(Object.keys(m)).toEqual(['event', 'dir', 'type', 'data', 'size', 't']);
      expect(m['t']).toBeGreaterThanOrEqual(0);
      expect(m['t']).toBeLessThan(5000);
    }
    expect(events.at(-1)).toEqual({ event: 'close', code: 1000, reason: '', wasClean: true });
  });

  it('--count N closes after exactly N received messages, without waiting for --wait', async () => {
    const server = await wsServer((ws) => {
      for (let i = 1; i <= 10; i++) ws.send(`msg ${i}`);
    });
    const started = Date.now();
    const p = await runDuplex('connect', server.url, '--json', '--count', '3', '--wait', '20000');
    expect(p.result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(15_000);
    const inbound = p.events.filter((e) => e['event'] === 'message');
    expect(inbound.map((e) => e['data'])).toEqual(['msg 1', 'msg 2', 'msg 3']);
    expect(inbound.every((e) => e['dir'] === 'in' && e['type'] === 'text')).toBe(true);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 1000, reason: '', wasClean: true });
    await expect.poll(() => server.closes).toEqual([{ code: 1000, reason: '' }]);
  });

  it('--wait MS closes after MS ms without traffic', async () => {
    const server = await wsServer((ws) => setTimeout(() => ws.send('late but within the wait'), 200));
    const p = duplex('connect', server.url, '--json', '--wait', '700');
    track(p);
    await p.waitForLine(/"event":"open"/);
    const openedAt = Date.now();
    expect((await p.exit()).code).toBe(0);
    const elapsed = Date.now() - openedAt;
    // 200 ms until the message, then 700 ms of quiet.
    expect(elapsed).toBeGreaterThanOrEqual(850);
    expect(elapsed).toBeLessThan(5000);
    const msg = p.events.find((e) => e['event'] === 'message')!;
    expect(msg).toMatchObject({ dir: 'in', data: 'late but within the wait' });
    expect(msg['t']).toBeGreaterThanOrEqual(150);
  });

  it('--close 4000 --reason: the server receives that code and reason, the close line echoes it', async () => {
    const server = await wsServer(echo);
    const p = await runDuplex(
      'connect',
      server.url,
      '--json',
      '--send',
      'x',
      '--count',
      '1',
      '--close',
      '4000',
      '--reason',
      'done here',
    );
    expect(p.result.code).toBe(0);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 4000, reason: 'done here', wasClean: true });
    await expect.poll(() => server.closes).toEqual([{ code: 4000, reason: 'done here' }]);
  });

  it('--close 1011 --allow-wire-codes: the server receives 1011 (a code the browser rule refuses)', async () => {
    const server = await wsServer(echo);
    const p = await runDuplex(
      'connect',
      server.url,
      '--json',
      '--wait',
      '0',
      '--close',
      '1011',
      '--reason',
      'testing the server',
      '--allow-wire-codes',
    );
    expect(p.result.code).toBe(0);
    expect(p.events.at(-1)).toEqual({
      event: 'close',
      code: 1011,
      reason: 'testing the server',
      wasClean: true,
    });
    await expect.poll(() => server.closes).toEqual([{ code: 1011, reason: 'testing the server' }]);
  });

  it('sends --header, --origin and --protocol; reports the chosen protocol', async () => {
    const server = await wsServer();
    const p = await runDuplex(
      'connect',
      server.url,
      '--json',
      '--wait',
      '50',
      '--header',
      'Authorization: Bearer abc:def',
      '--header',
      'X-Trace:  42 ',
      '--origin',
      'https://example.test',
      '--protocol',
      'v1',
      '--protocol',
      'v2',
    );
    expect(p.result.code).toBe(0);
    expect(server.headers[0]).toMatchObject({
      authorization: 'Bearer abc:def',
      'x-trace': '42',
      origin: 'https://example.test',
      'sec-websocket-protocol': 'v1,v2',
    });
    expect(p.events[0]).toMatchObject({ event: 'open', protocol: 'v2', status: 101 });
  });

  it('the peer closing cleanly ends the run with exit 0 and the peer code', async () => {
    const server = await wsServer((ws) => ws.close(1001, 'going away'));
    const p = await runDuplex('connect', server.url, '--json', '--wait', '10000');
    expect(p.result.code).toBe(0);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 1001, reason: 'going away', wasClean: true });
  });

  it('the peer dropping the socket (no closing handshake) → close 1006, exit 1', async () => {
    const server = await wsServer((ws) => ws.on('message', () => ws.terminate()));
    const p = await runDuplex('connect', server.url, '--json', '--send', 'boom', '--wait', '10000');
    expect(p.result.code).toBe(1);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 1006, reason: '', wasClean: false });
  });
});

describe('duplex connect failures (exit 1)', () => {
  let http401: HttpServer;
  let url401 = '';
  beforeAll(async () => {
    http401 = createHttpServer();
    http401.on('upgrade', (_req, socket: Socket) => {
      const body = 'token required: send Authorization';
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    await new Promise<void>((resolve) => http401.listen(0, '127.0.0.1', resolve));
    url401 = `ws://127.0.0.1:${(http401.address() as { port: number }).port}/`;
  });
  afterAll(() => {
    http401.close();
  });

  it('a 401 handshake: error line with DUPLEX_ERR_HANDSHAKE_REJECTED, status and body; exit 1', async () => {
    const p = await runDuplex('connect', url401, '--json');
    expect(p.result.code).toBe(1);
    const error = p.events.find((e) => e['event'] === 'error')!;
    expect(Object.keys(error)).toEqual(['event', 'code', 'message']);
    expect(error['code']).toBe('DUPLEX_ERR_HANDSHAKE_REJECTED');
    expect(error['message']).toContain('401');
    expect(error['message']).toContain('token required: send Authorization');
    expect(p.events.map((e) => e['event'])).toEqual(['error', 'close']);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 1006, reason: '', wasClean: false });
    expect(p.stderrLines).toHaveLength(1);
    expect(p.stderr).toContain('401');

    const human = await runDuplex('connect', url401);
    expect(human.result.code).toBe(1);
    expect(human.stderr).toMatch(/HTTP 401.*token required/);
  });

  it('connection refused: DUPLEX_ERR_CONNECTION_FAILED, exit 1', async () => {
    const port = await freePort();
    const p = await runDuplex('connect', `ws://127.0.0.1:${port}/`, '--json');
    expect(p.result.code).toBe(1);
    expect(p.events[0]).toMatchObject({ event: 'error', code: 'DUPLEX_ERR_CONNECTION_FAILED' });
    expect(p.events[0]!['message']).toContain('ECONNREFUSED');
  });

  it('a server that never answers the handshake: --handshake-timeout → DUPLEX_ERR_HANDSHAKE_TIMEOUT, exit 1', async () => {
    const silent = createTcpServer((socket) => cleanups.push(() => socket.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => silent.close());
    const started = Date.now();
    const p = await runDuplex(
      'connect',
      `ws://127.0.0.1:${(silent.address() as { port: number }).port}/`,
      '--json',
      '--handshake-timeout',
      '300',
    );
    expect(p.result.code).toBe(1);
    expect(p.events[0]).toMatchObject({ event: 'error', code: 'DUPLEX_ERR_HANDSHAKE_TIMEOUT' });
    expect(p.events[0]!['message']).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('duplex connect bad arguments (exit 2, before connecting)', () => {
  it.each([
    ['close code 999', ['--close', '999'], /Close code 999/],
    ['close code 1005', ['--close', '1005'], /Close code 1005/],
    ['close code 2999', ['--close', '2999'], /Close code 2999/],
    ['close code 5000', ['--close', '5000'], /Close code 5000/],
    [
      'close code not a number',
      ['--close', 'abc'],
      /^duplex connect: --close "abc": expected a whole number\.$/,
    ],
    [
      'close code not a number with the opt-in',
      ['--close', '1e3', '--allow-wire-codes'],
      /^duplex connect: --close "1e3": expected a whole number\.$/,
    ],
    ['close code 1011 without the opt-in', ['--close', '1011'], /Close code 1011 .*valid on the wire/],
    ['close code 1005 with the opt-in', ['--close', '1005', '--allow-wire-codes'], /Close code 1005 cannot/],
    ['a 124-byte reason', ['--reason', 'r'.repeat(124)], /124 bytes.*123/],
    ['bad hex', ['--send', 'ok', '--send-hex', '0g'], /--send-hex "0g".*not a hex digit/],
    ['odd hex', ['--send-hex', 'abc'], /odd number of digits/],
    ['bad base64', ['--send-base64', 'no*pe'], /--send-base64 "no\*pe"/],
    ['bad header syntax', ['--header', 'NoColonHere'], /"Name: value"/],
    ['bad header name', ['--header', 'Bad Name: x'], /--header/],
    ['bad --count', ['--count', '0'], /--count "0"/],
    ['bad --wait', ['--wait', 'soon'], /--wait "soon"/],
    ['duplicate --protocol', ['--protocol', 'a', '--protocol', 'a'], /twice/],
    ['unreadable --ca', ['--ca', '/nonexistent/ca.pem'], /--ca \/nonexistent\/ca\.pem/],
    ['--cert without --key', ['--cert', '/nonexistent/c.pem'], /--cert needs --key/],
    ['--pfx with --cert', ['--pfx', 'a.pfx', '--cert', 'c.pem', '--key', 'k.pem'], /--pfx or --cert/],
    ['--passphrase alone', ['--passphrase', 'x'], /--passphrase unlocks/],
    ['unreadable --pfx', ['--pfx', '/nonexistent/c.pfx'], /--pfx \/nonexistent\/c\.pfx/],
    ['bad --reconnect', ['--reconnect', '0'], /--reconnect "0"/],
    ['bad --heartbeat', ['--heartbeat', '5'], /--heartbeat "5".*from 100/],
  ])('%s', async (_name, args, message) => {
    const server = await wsServer();
    const p = await runDuplex('connect', server.url, '--json', ...args);
    expect(p.result.code).toBe(2);
    expect(p.stderrLines).toHaveLength(1);
    expect(p.stderr).toMatch(message);
    expect(p.stdoutLines).toEqual([]);
    expect(server.sockets).toHaveLength(0);
  });

  it.each([['not a url'], ['http//missing-colon'], ['ftp://example.com/'], ['ws://example.com/#frag']])(
    'malformed URL %s',
    async (url) => {
      const p = await runDuplex('connect', url, '--json');
      expect(p.result.code).toBe(2);
      expect(p.stderrLines).toHaveLength(1);
      expect(p.stderr).toMatch(/ws:\/\/|fragment/);
      expect(p.stdoutLines).toEqual([]);
    },
  );

  it('an unknown option or a missing URL is a usage error too', async () => {
    const [unknown, missing] = await Promise.all([
      runDuplex('connect', 'ws://127.0.0.1:1/', '--bogus'),
      runDuplex('connect'),
    ]);
    expect(unknown.result.code).toBe(2);
    expect(missing.result.code).toBe(2);
  });
});

describe('duplex connect, human output', () => {
  it('prints open, → / ← lines with size and preview, and close', async () => {
    const server = await wsServer(echo);
    const p = await runDuplex(
      'connect',
      server.url,
      '--send',
      'hi\nthere',
      '--send-hex',
      '00ff',
      '--count',
      '2',
      '--protocol',
      'p1',
    );
    expect(p.result.code).toBe(0);
    expect(p.stdoutLines).toEqual([
      `open ${server.url} (status 101, protocol p1)`,
      '→ text 8 B: hi\\nthere',
      '→ binary 2 B: 00 ff',
      '← text 8 B: hi\\nthere',
      '← binary 2 B: 00 ff',
      'close 1000 (clean)',
    ]);
  });
});

describe('duplex connect over TLS', () => {
  let dir = '';
  let certPem = '';
  let keyPem = '';
  const haveOpenssl = (() => {
    try {
      execFileSync('openssl', ['version']);
      return true;
    } catch {
      return false;
    }
  })();

  beforeAll(() => {
    if (!haveOpenssl) return;
    dir = mkdtempSync(join(tmpdir(), 'duplex-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!haveOpenssl)(
    'self-signed: refused by default (exit 1), accepted with --insecure or --ca FILE (exit 0) [skipped where openssl is missing: it makes the certificate]',
    async () => {
      const https = createHttpsServer({ cert: certPem, key: keyPem });
      const wss = new WebSocketServer({ server: https });
      wss.on('connection', echo);
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        https.close();
      });
      const url = `wss://127.0.0.1:${(https.address() as { port: number }).port}/`;
      const [strict, insecure, ca] = await Promise.all([
        runDuplex('connect', url, '--json', '--send', 'tls'),
        runDuplex('connect', url, '--json', '--send', 'tls', '--count', '1', '--insecure'),
        runDuplex('connect', url, '--json', '--send', 'tls', '--count', '1', '--ca', join(dir, 'cert.pem')),
      ]);
      expect(strict.result.code).toBe(1);
      expect(strict.events[0]).toMatchObject({ event: 'error', code: 'DUPLEX_ERR_CONNECTION_FAILED' });
      for (const ok of [insecure, ca]) {
        expect(ok.result.code).toBe(0);
        expect(ok.events.filter((e) => e['event'] === 'message').map((e) => e['dir'])).toEqual(['out', 'in']);
      }
    },
  );
});

describe('duplex connect --reconnect and --heartbeat', () => {
  it('the flags become the engine options the UI sets', () => {
    const plan = planConnect(
      'ws://127.0.0.1:1/',
      { header: [], protocol: [], reconnect: '3', heartbeat: '250' },
      [],
    );
    expect(plan.options.reconnect).toEqual({ maxAttempts: 3 });
    expect(plan.options.heartbeat).toEqual({ intervalMs: 250 });
  });

  it('--reconnect 2 against a port that refuses: two reconnect attempts are logged, then exit 1', async () => {
    const port = await freePort();
    const p = await runDuplex('connect', `ws://127.0.0.1:${port}/`, '--json', '--reconnect', '2');
    expect(p.result.code).toBe(1);
    const attempts = p.events.filter((e) => e['event'] === 'reconnecting');
    expect(attempts.map((e) => [e['attempt'], e['of']])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(p.events.at(-1)).toMatchObject({ event: 'close', code: 1006 });
  });

  it('--heartbeat: pings a peer that answers and stays up (exit 0); drops a peer that never pongs with DUPLEX_ERR_HEARTBEAT_TIMEOUT (exit 1), long before --wait', async () => {
    // ws answers every ping itself (autoPong) unless told not to.
    const countPings = (pings: number[]) => (ws: WebSocket) => {
      const i = pings.push(0) - 1;
      ws.on('ping', () => pings[i]!++);
    };
    const answeredPings: number[] = [];
    const ignoredPings: number[] = [];
    const answering = await wsServer(countPings(answeredPings));
    const silent = await wsServer(countPings(ignoredPings), { autoPong: false });

    const started = Date.now();
    const [alive, dropped] = await Promise.all([
      // 400 ms leaves a busy test machine room to pong in time; the silent peer gets 150.
      runDuplex('connect', answering.url, '--json', '--heartbeat', '400', '--wait', '2000'),
      runDuplex('connect', silent.url, '--json', '--heartbeat', '150', '--wait', '10000').then((p) =>
        Object.assign(p, { elapsed: Date.now() - started }),
      ),
    ]);

    // 1. Pongs come back: pinged every 400 ms for the whole --wait, then closed by the CLI as usual.
    expect(alive.result).toEqual({ code: 0, signal: null });
    expect(alive.stderr).toBe('');
    expect(alive.events.map((e) => e['event'])).toEqual(['open', 'close']);
    expect(alive.events.at(-1)).toEqual({ event: 'close', code: 1000, reason: '', wasClean: true });
    expect(answering.sockets).toHaveLength(1);
    expect(answeredPings[0]).toBeGreaterThanOrEqual(3);
    await expect.poll(() => answering.closes).toEqual([{ code: 1000, reason: '' }]);

    // 2. No pong: the connection is dropped with the heartbeat error, well before the 10 s --wait.
    expect(dropped.result).toEqual({ code: 1, signal: null });
    expect(dropped.elapsed).toBeLessThan(5000);
    expect(ignoredPings[0]).toBeGreaterThanOrEqual(1);
    expect(dropped.events.map((e) => e['event'])).toEqual(['open', 'error', 'close']);
    expect(dropped.events[1]).toEqual({
      event: 'error',
      code: 'DUPLEX_ERR_HEARTBEAT_TIMEOUT',
      message: 'No pong within 150 ms of a heartbeat ping; the connection was dropped.',
    });
    expect(dropped.events.at(-1)).toEqual({ event: 'close', code: 1006, reason: '', wasClean: false });
    expect(dropped.stderrLines).toEqual([
      'duplex connect: No pong within 150 ms of a heartbeat ping; the connection was dropped.',
    ]);
    // The CLI cut the socket (no closing handshake): the server sees 1006.
    await expect.poll(() => silent.closes).toEqual([{ code: 1006, reason: '' }]);
  });
});

describe('duplex connect with a client certificate (--cert/--key, --pfx/--passphrase)', () => {
  let pki: TestPki;
  let url = '';
  const seen: string[] = [];
  beforeAll(async () => {
    pki = makeTestPki();
    const https = createHttpsServer({
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (ws, req) => {
      seen.push(String((req.socket as TLSSocket).getPeerCertificate().subject.CN));
      echo(ws);
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    url = `wss://127.0.0.1:${(https.address() as { port: number }).port}/`;
    afterAllCleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      https.close();
      pki.remove();
    });
  });
  const afterAllCleanups: (() => void)[] = [];
  afterAll(() => {
    for (const fn of afterAllCleanups) fn();
  });

  it('connects with PEM files and with a PFX + passphrase; without a certificate it is refused and says why', async () => {
    const f = pki.files;
    const base = ['connect', url, '--json', '--send', 'mtls', '--count', '1', '--ca', f.caCert];
    const [pem, pfx, none] = await Promise.all([
      runDuplex(...base, '--cert', f.clientCert, '--key', f.clientKey),
      runDuplex(...base, '--pfx', f.clientPfx, '--passphrase', pki.pfxPassphrase),
      runDuplex(...base),
    ]);
    for (const ok of [pem, pfx]) {
      expect(ok.result.code).toBe(0);
      expect(ok.events.filter((e) => e['event'] === 'message').map((e) => e['dir'])).toEqual(['out', 'in']);
    }
    expect(seen).toEqual(['duplex-test-client', 'duplex-test-client']);
    expect(none.result.code).toBe(1);
    expect(none.events[0]).toMatchObject({ event: 'error', code: 'DUPLEX_ERR_CONNECTION_FAILED' });
    expect(String(none.events[0]!['message'])).toMatch(/requires a client certificate/);
  });
});
