/**
 * `duplex serve --mock FILE` and `duplex import mockoon ENV.json` as processes:
 * --json events name the rule that answered, --port overrides the file's port,
 * a mock file error exits 2 with file, line and field, a running mock reloads
 * its file and keeps its rules on a bad edit; the Mockoon import writes a mock
 * that serves and lists what it did not carry over.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ExitCode } from '../../cli/exit-codes.js';
import { ROOT, afterEachTest, duplex, freePort, runDuplex, type CliProcess } from './helpers.js';

const { track, tempDir } = afterEachTest('duplex-cli-mock-');

const MOCK = `port: 0
routes:
  - path: /
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then: [ { send: '{"type":"pong"}' } ]
      - when: { text: { equals: version } }
        then: [ { send: one } ]
    otherwise: echo
`;

async function serveMock(file: string, ...args: string[]): Promise<{ serve: CliProcess; url: string }> {
  const serve = track(duplex('serve', '--mock', file, '--json', ...args));
  const line = await serve.waitForLine(/"event":"listening"/);
  return { serve, url: (JSON.parse(line) as { url: string }).url };
}

async function ask(ws: WebSocket, text: string): Promise<string> {
  const reply = new Promise<string>((resolve) => ws.once('message', (d: Buffer) => resolve(d.toString())));
  ws.send(text);
  return reply;
}

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

describe('duplex serve --mock', () => {
  it('--json message events name the rule that answered (its name, rules[N], or otherwise)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.yaml'), MOCK);
    const { serve, url } = await serveMock(join(dir, 'm.yaml'), '--port', '0');
    const ws = await open(url);
    expect(await ask(ws, '{"type":"ping"}')).toBe('{"type":"pong"}');
    expect(await ask(ws, 'version')).toBe('one');
    expect(await ask(ws, 'other')).toBe('other');
    ws.close();
    await serve.waitForLine(/"event":"disconnect"/);
    const messages = serve.events.filter((e) => e['event'] === 'message');
    expect(messages.map((e) => [e['dir'], e['data'], e['rule']])).toEqual([
      ['in', '{"type":"ping"}', 'ping'],
      ['out', '{"type":"pong"}', 'ping'],
      ['in', 'version', 'rules[1]'],
      ['out', 'one', 'rules[1]'],
      ['in', 'other', 'otherwise'],
      ['out', 'other', undefined],
    ]);
  });

  it("uses the file's port unless --port is given", async () => {
    const dir = tempDir();
    const port = await freePort();
    writeFileSync(join(dir, 'm.yaml'), MOCK.replace('port: 0', `port: ${port}`));
    const fromFile = await serveMock(join(dir, 'm.yaml'));
    expect(fromFile.url).toBe(`ws://127.0.0.1:${port}/`);
    const other = await freePort();
    const overridden = await serveMock(join(dir, 'm.yaml'), '--port', String(other));
    expect(overridden.url).toBe(`ws://127.0.0.1:${other}/`);
  });

  it('a mock file error exits 2 naming the file, line and field; --json has them as details', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'routes:\n  - path: /\n    rules:\n      - when: { text: { equals: 1 } }\n        then: []\n',
    );
    const human = await runDuplex('serve', '--mock', file);
    expect(human.result.code).toBe(ExitCode.USAGE);
    expect(human.stderr).toContain(`${file}:4:`);
    expect(human.stderr).toContain('routes[0].rules[0].when.text.equals');

    const json = await runDuplex('serve', '--mock', file, '--json');
    expect(json.result.code).toBe(ExitCode.USAGE);
    const error = json.events.find((e) => e['event'] === 'error')!;
    expect(error).toMatchObject({
      code: 'DUPLEX_ERR_MOCK_FILE',
      details: { file, line: 4, field: 'routes[0].rules[0].when.text.equals' },
    });

    const missing = await runDuplex('serve', '--mock', join(dir, 'nope.yaml'));
    expect(missing.result.code).toBe(ExitCode.USAGE);
    expect(missing.stderr).toContain('nope.yaml');
  });

  it('a port in use exits 1, as serve does', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.yaml'), MOCK);
    const first = await serveMock(join(dir, 'm.yaml'), '--port', '0');
    const port = new URL(first.url).port;
    const second = await runDuplex('serve', '--mock', join(dir, 'm.yaml'), '--port', port);
    expect(second.result.code).toBe(ExitCode.FAILED);
  });

  it('reloads the file on change; a bad edit keeps the old rules and says why', async () => {
    const dir = tempDir();
    const file = join(dir, 'live.yaml');
    writeFileSync(file, MOCK);
    const { serve, url } = await serveMock(file, '--port', '0');
    const ws = await open(url);
    expect(await ask(ws, 'version')).toBe('one');

    writeFileSync(file, MOCK.replace('send: one', 'send: two'));
    await serve.waitForLine(/"event":"reload".*"ok":true/);
    expect(await ask(ws, 'version')).toBe('two'); // the same connection, the new rules

    writeFileSync(file, MOCK.replace('send: one', 'send: [unclosed'));
    const failed = JSON.parse(await serve.waitForLine(/"event":"reload".*"ok":false/)) as {
      error: { code: string; message: string; details: { line: number } };
    };
    expect(failed.error.code).toBe('DUPLEX_ERR_MOCK_FILE');
    expect(failed.error.details.line).toBeGreaterThan(0);
    expect(await ask(ws, 'version')).toBe('two');
    ws.close();
  });
});

describe('duplex import mockoon', () => {
  it('writes a mock that serves, and lists what was not carried over', async () => {
    const dir = tempDir();
    const env = join(ROOT, 'test/fixtures/mockoon/chat-environment.json');
    const imported = await runDuplex('import', 'mockoon', env, '--out', dir, '--json');
    expect(imported.result.code).toBe(ExitCode.OK);
    const event = imported.events[0] as { path: string; name: string; notCarriedOver: unknown[] };
    expect(event.path).toBe(join(dir, 'Chat demo.yaml'));
    expect(readFileSync(event.path, 'utf8')).toContain('path: /api/chat/:room');

    const human = await runDuplex('import', 'mockoon', env, '--out', dir);
    expect(human.result.code).toBe(ExitCode.OK);
    expect(human.stdout).toContain(`${event.path}: mock "Chat demo"`);
    expect(human.stderr.split('\n').filter((l) => l.includes('not carried over')).length).toBe(
      event.notCarriedOver.length,
    );

    const { url } = await serveMock(event.path, '--port', '0');
    const ws = await open(`${url.replace(/\/$/, '')}/api/chat/lobby`);
    expect(JSON.parse(await ask(ws, '{"type":"ping","id":"7"}'))).toEqual({
      type: 'pong',
      id: '7',
      room: 'lobby',
    });
    ws.close();
  });

  it('a file that is not JSON, or has no WebSocket route, exits 2; so does a missing argument', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x.json'), '{"hello": 1}');
    const bad = await runDuplex('import', 'mockoon', join(dir, 'x.json'), '--out', dir);
    expect(bad.result.code).toBe(ExitCode.USAGE);
    expect(bad.stderr).toContain('no WebSocket route');
    writeFileSync(join(dir, 'y.json'), 'routes: []');
    const notJson = await runDuplex('import', 'mockoon', join(dir, 'y.json'), '--out', dir);
    expect(notJson.result.code).toBe(ExitCode.USAGE);
    expect(notJson.stderr).toContain('as a Mockoon environment (JSON)');
    const none = await runDuplex('import', 'mockoon');
    expect(none.result.code).toBe(ExitCode.USAGE);
  });
});
