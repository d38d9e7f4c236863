/**
 * The load-test exporters (app/load/): templates split into variables and
 * helpers, and the k6 script's interpreter run for behaviour. k6 cannot be
 * installed here, so the script's k6 modules are given by K6Shim below: the
 * k6/websockets calls the script makes (constructor with params.headers,
 * addEventListener, send, ping, close, readyState), modelled on `ws` after the
 * k6 documentation. It shows the script's own logic against a real Duplex mock;
 * that k6 runs it the same is checked where k6 exists (test/cli/export-load.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Engine } from '../../app/engine.js';
import { templateParts } from '../../app/load/load-source.js';

let dir: string;
let engine: Engine;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-load-unit-'));
  engine = new Engine();
});
afterEach(async () => {
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('templateParts', () => {
  it('splits text, variables and helper expressions', () => {
    expect(templateParts('a {{room}} b {{ user.id }}{{uuid}}')).toEqual([
      { kind: 'text', text: 'a ' },
      { kind: 'var', path: ['room'] },
      { kind: 'text', text: ' b ' },
      { kind: 'var', path: ['user', 'id'] },
      { kind: 'unsupported', source: '{{uuid}}' },
    ]);
    expect(templateParts('{{faker "person.firstName"}}')).toEqual([
      { kind: 'unsupported', source: '{{faker "person.firstName"}}' },
    ]);
    expect(templateParts('{{room}}', false)).toEqual([{ kind: 'text', text: '{{room}}' }]);
  });
});

interface CheckResult {
  name: string;
  ok: boolean;
}

/** The k6 modules the script imports, over `ws`; `closed` resolves when every socket closed. */
class K6Shim {
  checks: CheckResult[] = [];
  errors: string[] = [];
  sockets: WebSocket[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  modules(): Record<string, unknown> {
    const sockets = this.sockets;
    class K6WebSocket {
      static CONNECTING = 0;
      static OPEN = 1;
      static CLOSING = 2;
      static CLOSED = 3;
      binaryType = 'blob';
      readonly #ws: WebSocket;
      constructor(url: string, _protocols: unknown, params?: { headers?: Record<string, string> }) {
        this.#ws = new WebSocket(url, { headers: params?.headers ?? {} });
        sockets.push(this.#ws);
      }
      get readyState(): number {
        return this.#ws.readyState;
      }
      addEventListener(event: string, handler: (e: unknown) => void): void {
        if (event === 'message') {
          this.#ws.on('message', (data: Buffer, isBinary) =>
            handler({
              data: isBinary
                ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
                : data.toString('utf8'),
            }),
          );
        } else if (event === 'error') this.#ws.on('error', (error) => handler({ error: error.message }));
        else this.#ws.on(event, () => handler({}));
      }
      send(data: string | ArrayBuffer): void {
        this.#ws.send(typeof data === 'string' ? data : Buffer.from(data));
      }
      ping(): void {
        this.#ws.ping();
      }
      close(code?: number): void {
        this.#ws.close(code);
      }
    }
    return {
      WebSocket: K6WebSocket,
      check: (value: unknown, sets: Record<string, (v: unknown) => boolean>) => {
        for (const [name, fn] of Object.entries(sets)) this.checks.push({ name, ok: fn(value) });
        return true;
      },
      b64decode: (s: string) => {
        const b = Buffer.from(s, 'base64');
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      },
      setTimeout: (fn: () => void, ms: number) => {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          fn();
        }, ms);
        this.#timers.add(t);
        return t;
      },
      clearTimeout: (t: NodeJS.Timeout) => {
        clearTimeout(t);
        this.#timers.delete(t);
      },
    };
  }

  /** Runs the script's default function once (one iteration of one VU) and waits until it is done. */
  async iterate(script: string, env: Record<string, string>): Promise<void> {
    const body = script
      .replace(/^import .*$/gm, '')
      .replace('export const options', 'const options')
      .replace('export default function', 'const iteration = function')
      .concat('\nreturn iteration;\n');
    const m = this.modules();
    const console = { log: () => undefined, error: (s: string) => this.errors.push(s) };
    const make = new Function(
      'WebSocket',
      'check',
      'b64decode',
      'setTimeout',
      'clearTimeout',
      '__ENV',
      'console',
      body,
    ) as (...a: unknown[]) => () => void;
    make(m['WebSocket'], m['check'], m['b64decode'], m['setTimeout'], m['clearTimeout'], env, console)();
    // Like k6's event loop: the iteration ends when no timer is pending and every socket closed.
    const deadline = Date.now() + 15_000;
    while (this.#timers.size > 0 || this.sockets.some((s) => s.readyState !== WebSocket.CLOSED)) {
      if (Date.now() > deadline) throw new Error('the iteration did not end');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const MOCK = `port: 8080
routes:
  - path: /chat
    onConnect:
      - send: '{"type":"welcome"}'
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then: [ { send: '{"type":"pong","id":{{json msg.json.id}}}' } ]
      - name: auth
        when: { text: { equals: "whoami" } }
        then: [ { send: 'you are {{client.headers.authorization}}' } ]
    otherwise: echo
`;

async function exportK6(flowText: string): Promise<{ script: string; url: string }> {
  writeFileSync(join(dir, 'mock.yaml'), MOCK);
  const { server } = await engine.call('file.serveMock', { file: join(dir, 'mock.yaml'), port: 0 });
  const flow = join(dir, 'flow.yaml');
  writeFileSync(flow, flowText);
  const { path } = await engine.call('file.exportLoad', {
    file: flow,
    format: 'k6',
    out: join(dir, 'flow.k6.js'),
  });
  return { script: readFileSync(path, 'utf8'), url: server.url.replace(/\/$/, '') };
}

describe('the exported k6 script, run through the k6 API shim against a Duplex mock', () => {
  it('runs every step: sends, expects (passing over), capture, variables from -e, binary, ping, close', async () => {
    const { script, url } = await exportK6(`vars: { room: lobby }
steps:
  - connect: { url: "{{mock.url}}/chat", headers: { Authorization: "Bearer {{token}}" } }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: { json: { type: ping, id: 7 } }
  - expect: { json: { path: $.type, equals: pong } }
  - capture: { as: pid, json: $.id }
  - send: "room {{room}} id {{pid}}"
  - send: "second"
  - expect: { text: { equals: "second" } }
  - send: whoami
  - expect: { text: { regex: "^you are Bearer t0k" } }
  - send: { hex: "00 ff 10" }
  - expect: { binary: { equalsHex: "00ff10" } }
  - repeat:
      times: 2
      steps:
        - send: "round {{index}}"
        - expect: { text: { equals: "round {{index}}" }, strict: true }
  - ping:
  - close: { code: 4000 }
`);
    const shim = new K6Shim();
    await shim.iterate(script, { mock: JSON.stringify({ url }), room: 'hall', token: 't0k' });
    expect(shim.errors).toEqual([]);
    expect(shim.checks.every((c) => c.ok)).toBe(true);
    expect(shim.checks.map((c) => c.name)).toEqual([
      'steps[0]: connect',
      'steps[1]: json $.type equals "welcome"',
      'steps[3]: json $.type equals "pong"',
      // "room hall id 7" was passed over: the expect is not strict.
      'steps[7]: text equals "second"',
      'steps[9]: text regex "^you are Bearer t0k"',
      'steps[11]: binary equalsHex 00ff10',
      'steps[12].repeat.steps[1]: text equals "round {{index}}"',
      'steps[12].repeat.steps[1]: text equals "round {{index}}"',
      'steps[13]: ping',
      'steps[14]: close',
    ]);
  });

  it('a failing expect is a failed check with what arrived, and ends the iteration', async () => {
    const { script, url } = await exportK6(`steps:
  - connect: { url: "{{mock.url}}/chat" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: hello
  - expect: { text: { equals: goodbye }, strict: true, within: 2000 }
  - send: never sent
`);
    const shim = new K6Shim();
    await shim.iterate(script, { mock: JSON.stringify({ url }) });
    expect(shim.checks).toEqual([
      { name: 'steps[0]: connect', ok: true },
      { name: 'steps[1]: json $.type equals "welcome"', ok: true },
      { name: 'steps[3]: text equals "goodbye"', ok: false },
    ]);
    expect(shim.errors).toEqual(['steps[3]: text equals "goodbye": the next message did not match: "hello"']);
  });
});
