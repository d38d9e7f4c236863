/**
 * How `duplex` reports what went wrong: on stderr, one line that ends with a
 * line end whatever the message holds, and with the exit code of its kind
 * (cli/exit-codes.ts: 1 the run failed, 2 the command or its input was wrong).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runDuplexRaw } from './helpers.js';

/** stderr is exactly one line: `duplex CMD: …\n`, no other line break or carriage return inside. */
function expectOneErrorLine(stderr: string, command: string): void {
  expect(stderr.startsWith(`duplex ${command}: `)).toBe(true);
  expect(stderr.endsWith('\n')).toBe(true);
  expect(stderr.slice(0, -1)).not.toMatch(/[\r\n]/);
}

let dir: string;
let session: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-cli-errors-'));
  session = join(dir, 'one.jsonl');
  const port = await freePort();
  writeFileSync(
    session,
    JSON.stringify({
      format: 'duplex-session',
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      startedAt: 0,
      role: 'client',
      url: `ws://127.0.0.1:${port}/`,
    }) +
      '\n' +
      JSON.stringify({ seq: 1, t: 0, dir: 'out', kind: 'text', text: 'hi' }) +
      '\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('duplex connect: header-like arguments', () => {
  it('an --origin with CR/LF exits 2 before connecting, like a --header with CR/LF', async () => {
    const port = await freePort(); // nothing listens: a connection attempt would exit 1
    const url = `ws://127.0.0.1:${port}/`;
    const origin = await runDuplexRaw('connect', url, '--origin', 'https://a.example\r\nX-Injected: 1');
    expect(origin.code).toBe(2);
    expectOneErrorLine(origin.stderr, 'connect');
    expect(origin.stderr).toContain('--origin');
    expect(origin.stderr).toContain('line breaks');

    const header = await runDuplexRaw('connect', url, '--header', 'X-A: 1\r\nX-Injected: 1');
    expect(header.code).toBe(2);
    expectOneErrorLine(header.stderr, 'connect');
  });
});

describe('duplex connect: a rejected handshake', () => {
  let http401: HttpServer;
  let url401 = '';
  beforeAll(async () => {
    http401 = createHttpServer();
    http401.on('upgrade', (_req, socket: Socket) => {
      const body = '<html>\r\n<h1>401</h1>\nlog in first\r\n</html>';
      socket.end(
        `HTTP/1.1 401 Unauthorized\r\nContent-Type: text/html\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    await new Promise<void>((resolve) => http401.listen(0, '127.0.0.1', resolve));
    url401 = `ws://127.0.0.1:${(http401.address() as { port: number }).port}/`;
  });
  afterAll(() => http401.close());

  it('a 401 body with line breaks stays one escaped line on stderr', async () => {
    const p = await runDuplexRaw('connect', url401);
    expect(p.code).toBe(1);
    expectOneErrorLine(p.stderr, 'connect');
    expect(p.stderr).toContain('HTTP 401');
    expect(p.stderr).toContain('<h1>401</h1>\\nlog in first');

    const json = await runDuplexRaw('connect', url401, '--json');
    expectOneErrorLine(json.stderr, 'connect');
    const error = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((e) => e['event'] === 'error')!;
    // Scripts get the body as the server sent it, inside the JSON string.
    expect(error['message']).toContain('<h1>401</h1>\nlog in first');
  });
});

describe('duplex replay: a malformed --url', () => {
  it('prints its reason on stderr, nothing on stdout, and exits 2', async () => {
    const p = await runDuplexRaw('replay', session, '--url', 'not a url');
    expect(p.code).toBe(2);
    expect(p.stdout).toBe('');
    expectOneErrorLine(p.stderr, 'replay');
    expect(p.stderr).toContain('not a url');
  });
});

describe('file errors', () => {
  it('each is one line on stderr ending with a line end, exit 2', async () => {
    const missing = join(dir, 'missing.jsonl');
    const notSession = join(dir, 'garbage.jsonl');
    writeFileSync(notSession, 'not json\r\nat all\n');
    const cases: [string, string[]][] = [
      ['export', ['export', missing, '--out', join(dir, 'out.har')]],
      ['export', ['export', notSession, '--out', join(dir, 'out.har')]],
      ['export', ['export', session, '--out', dir]], // a folder is in the way
      ['replay', ['replay', notSession]],
      ['import', ['import', missing]],
      ['import', ['import', notSession]],
      ['serve', ['serve', '--port', '0', '--replay', notSession]],
    ];
    for (const [command, args] of cases) {
      const p = await runDuplexRaw(...args);
      expect({ args, code: p.code }).toEqual({ args, code: 2 });
      expectOneErrorLine(p.stderr, command);
    }
  });
});
