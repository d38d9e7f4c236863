/**
 * Flows against servers nobody here wrote: python3-websockets (Debian's 10.4,
 * /usr/bin/python3) as an echo server (peers/echo_server.py) and as a chat room
 * (peers/chat_server.py), run through the engine's file.runFlow like `duplex test`.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRunReport } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';

const PYTHON = '/usr/bin/python3';
const peer = (name: string): string => fileURLToPath(new URL(`./peers/${name}`, import.meta.url));

function missingPeer(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} is missing (${r.error.message})`;
  if (r.status !== 0)
    return `python3-websockets is not installed for ${PYTHON} (apt-get install python3-websockets)`;
  return undefined;
}
const missing = missingPeer();
if (missing) console.warn(`Skipping python3-websockets flow interop: ${missing}`);

async function startPeer(script: string): Promise<{ proc: ChildProcessWithoutNullStreams; url: string }> {
  const proc = spawn(PYTHON, [peer(script)], { stdio: 'pipe' });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} printed nothing in 10 s: ${stderr}`)), 10_000);
    createInterface({ input: proc.stdout }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  return { proc, url: `ws://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

describe.skipIf(missing)(
  `flows against python3-websockets servers${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let echo: Awaited<ReturnType<typeof startPeer>>;
    let chat: Awaited<ReturnType<typeof startPeer>>;
    let dir: string;
    let engine: Engine;

    beforeAll(async () => {
      [echo, chat] = await Promise.all([startPeer('echo_server.py'), startPeer('chat_server.py')]);
      dir = mkdtempSync(join(tmpdir(), 'duplex-py-flows-'));
    });
    afterAll(() => {
      for (const p of [echo, chat]) p?.proc.stdin.end();
      rmSync(dir, { recursive: true, force: true });
    });
    afterEach(async () => {
      await engine?.dispose();
    });

    async function run(name: string, yaml: string): Promise<FlowRunReport> {
      engine = new Engine();
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, yaml);
      return engine.call('file.runFlow', {
        file,
        workspace: dir,
        vars: { echo: echo.url, chat: chat.url },
      });
    }
    const failure = (r: FlowRunReport) => JSON.stringify(r.steps.find((s) => s.status === 'failed'));

    it('echo server: subprotocol, text, binary, JSON, ping/pong, none, the peer closing with 4002, our close code answered', async () => {
      const report = await run(
        'echo',
        `steps:
  - connect: { url: "{{echo}}/echo", protocols: [chat.v1], expect: { protocol: chat.v1 } }
  - send: hello python
  - expect: { text: { equals: hello python }, strict: true }
  - send: { hex: "00 01 fe ff" }
  - expect: { binary: { equalsHex: "0001feff" }, kind: binary }
  - send: { json: { n: 1, list: [a, b] } }
  - expect: { json: { path: "$.list[1]", equals: b } }
  - ping: { data: py-ping }
  - expect: { none: true, within: 200 }
  - send: close-me
  - expect: { close: { code: 4002, reason: bye from python } }
  - connect: { url: "{{echo}}/echo" }
  - close: { code: 4000, reason: done, expect: { code: 4000 } }
`,
      );
      expect(report.status, failure(report)).toBe('passed');
      expect(report.passed).toBe(13);
    });

    it('echo server: a refused upgrade is expected by its status', async () => {
      const report = await run(
        'private',
        'steps:\n  - connect: { url: "{{echo}}/private", expect: { status: 401 } }\n',
      );
      expect(report.status, failure(report)).toBe('passed');
    });

    it('chat room: alice and bob talk, a captured id is matched with its type, repeat over a list, bob is sent away', async () => {
      const report = await run(
        'chat',
        `steps:
  - connect: { as: alice, url: "{{chat}}/room" }
  - expect: { on: alice, json: { path: $.type, equals: welcome } }
  - capture: { on: alice, as: aliceId, json: $.id }
  - connect: { as: bob, url: "{{chat}}/room" }
  - expect: { on: bob, json: { path: $.type, equals: welcome } }
  - send: { on: alice, json: { type: say, text: hi bob } }
  - expect: { on: bob, all: [ { json: { path: $.from, equals: "{{aliceId}}" } }, { json: { path: $.text, equals: hi bob } } ] }
  - repeat:
      over: [one, two]
      as: word
      steps:
        - send: { on: bob, json: { type: say, text: "{{word}}" } }
        - expect: { on: alice, json: { path: $.text, equals: "{{word}}" } }
  - expect: { on: bob, none: true, within: 200 }
  - send: { on: bob, text: quit }
  - expect: { on: bob, close: { code: 4001, reason: bye } }
  - expect: { on: alice, none: true, within: 200 }
  - close: { on: alice, code: 1000 }
`,
      );
      expect(report.status, failure(report)).toBe('passed');
      expect(typeof report.captured['aliceId']).toBe('number');
      expect(report.steps.filter((s) => s.rounds.length === 1)).toHaveLength(4);
    });

    it('a wrong expectation against python fails with what the server sent', async () => {
      const report = await run(
        'wrong',
        `steps:
  - connect: { url: "{{chat}}/room" }
  - send: ping me
  - expect: { text: { equals: pong me }, within: 300 }
`,
      );
      expect(report.status).toBe('failed');
      const failed = report.steps.find((s) => s.status === 'failed')!;
      expect(failed.message).toMatch(
        /expected a message matching text equals "pong me" on main; none within 300 ms; 2 arrived that did not match: "\{\\"type\\": \\"welcome\\", \\"id\\": \d+\}", "ping me"/,
      );
    });
  },
);
