/**
 * The flow runner through the engine (file.runFlow, flow.run, flow.rerunStep),
 * against a Duplex mock started for each run: real sockets on 127.0.0.1.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FlowRunReport, FlowStepResult } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { ErrorCodes } from '../../app/errors.js';
import { until } from '../support/until.js';

const fixtures = fileURLToPath(new URL('../fixtures/flows/', import.meta.url));
const chatMock = join(fixtures, 'chat-mock.yaml');

let dir: string;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duplex-flow-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await engine?.dispose();
});

async function runFlow(yaml: string, extra: { vars?: Record<string, string>; env?: string } = {}) {
  engine = new Engine({ workspaceDir: dir });
  const file = join(dir, `flow-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  return engine.call('file.runFlow', { file, mock: chatMock, workspace: dir, ...extra });
}

const statuses = (r: FlowRunReport) => r.steps.map((s) => `${s.stepId}:${s.status}`);
const failed = (r: FlowRunReport): FlowStepResult => r.steps.find((s) => s.status === 'failed')!;

describe('a flow against a Duplex mock', () => {
  it('runs the docs example: two named connections chat, capture, ping, none, closes', async () => {
    engine = new Engine({ workspaceDir: dir });
    const report = await engine.call('file.runFlow', { file: join(fixtures, 'chat.yaml') });
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
    expect(report.steps.every((s) => s.status === 'passed')).toBe(true);
    expect(report.steps).toHaveLength(14);
    expect(report.passed).toBe(14);
    for (const s of report.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.captured).toEqual({ said: 'hello from lobby' });
    expect(report.connections.map((c) => c.name)).toEqual(['alice', 'bob']);
    expect(report.connections.every((c) => c.connectionId && c.url?.startsWith('ws://127.0.0.1:'))).toBe(
      true,
    );
    expect(report.mockUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    expect(report.steps[4]!.title).toBe('alice says hello');
    // The mock was stopped with the run; the connections are closed.
    expect([...engine.servers.values()].every((s) => !s.running)).toBe(true);
  });

  it('repeats N times and over a list, with typed values in json', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - expect: { json: { path: $.type, equals: welcome } }
  - repeat:
      times: 3
      steps:
        - send: { json: { n: "{{index}}", label: "n{{index}}" } }
        - expect: { json: { path: $.n, equals: "{{index}}" } }
        - expect: { json: { path: $.label, equals: "n{{index}}" }, none: true, within: 1 }
  - repeat:
      over: [a, b]
      as: letter
      steps:
        - send: "{{letter}}{{index}}"
        - expect: { text: { equals: "{{letter}}{{index}}" }, strict: true }
  - send: { hex: "00 ff 01" }
  - expect: { binary: { equalsHex: "ff00" } }
  - send: { json: { type: ping, id: 7 } }
  - expect: { json: { path: $.type, equals: pong } }
  - capture: { as: pongId, json: $.id }
  - send: { json: { got: "{{pongId}}" } }
  - expect: { json: { path: $.got, equals: 7 } }
`);
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
    const inner = report.steps.filter((s) => s.stepId === 'steps[2].repeat.steps[0]');
    expect(inner.map((s) => s.rounds)).toEqual([[0], [1], [2]]);
    expect(report.steps.filter((s) => s.stepId === 'steps[3].repeat.steps[1]')).toHaveLength(2);
    expect(report.captured).toEqual({ pongId: 7 });
  });

  it('a message that does not match fails with what was expected and what arrived; the rest is skipped', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: first
  - send: second
  - expect: { text: { equals: third }, within: 300 }
  - send: never
`);
    expect(report.status).toBe('failed');
    expect(statuses(report)).toEqual([
      'steps[0]:passed',
      'steps[1]:passed',
      'steps[2]:passed',
      'steps[3]:failed',
      'steps[4]:skipped',
    ]);
    const f = failed(report);
    expect(f.message).toContain(
      'expected a message matching text equals "third" on main; none within 300 ms',
    );
    expect(f.message).toContain(
      '3 arrived that did not match: "{\\"type\\":\\"welcome\\",\\"room\\":\\"r\\"}", "first", "second"',
    );
    expect(f.expected).toBe('a message matching text equals "third" within 300 ms');
    expect(f.received).toEqual(['"{\\"type\\":\\"welcome\\",\\"room\\":\\"r\\"}"', '"first"', '"second"']);
    expect(report).toMatchObject({ passed: 3, failed: 1, skipped: 1 });
  });

  it('strict: the next message must match', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: a
  - expect: { text: { equals: a }, strict: true }
`);
    expect(failed(report).message).toMatch(
      /expected the next message on main to be a message matching text equals "a"; it was "\{\\"type\\":\\"welcome\\"/,
    );
  });

  it('none fails when a message arrives, and names it', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - expect: { none: true, within: 500 }
`);
    expect(failed(report).message).toMatch(
      /^expected no message on main within 500 ms; one arrived: "\{\\"type\\":\\"welcome\\"/,
    );
  });

  it('expects a refused handshake by status, and fails a connect that is refused', async () => {
    const ok = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/private", expect: { status: 401 } }
`);
    expect(ok.status, JSON.stringify(failed(ok))).toBe('passed');
    const refused = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/private" }
`);
    expect(failed(refused).message).toMatch(
      /^could not connect main: The server answered the upgrade with HTTP 401/,
    );
    expect(failed(refused).received).toEqual(['HTTP 401']);
    const withToken = await runFlow(
      `steps:
  - connect: { url: "{{mock.url}}/private", headers: { Authorization: "Bearer {{token}}" } }
  - send: hi
  - expect: { text: { equals: hi } }
`,
      { vars: { token: 'letmein' } },
    );
    expect(withToken.status, JSON.stringify(failed(withToken))).toBe('passed');
  });

  it('an unknown variable fails the step before anything is sent, naming it', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: "token {{token}}"
`);
    expect(failed(report).message).toMatch(
      /^Unknown variable token in the message of steps\[1\]; no environment is active: choose one \(--env NAME\) or pass --var token=VALUE\./,
    );
    const conn = [...engine.connections.values()][0]!;
    expect(conn.log.read(1, 100).some((e) => e.dir === 'out' && e.kind === 'text')).toBe(false);
  });

  it('reads variables from an environment, --var over it, and the flow vars under both', async () => {
    await mkdir(join(dir, 'environments'), { recursive: true });
    await writeFile(
      join(dir, 'environments', 'dev.json'),
      JSON.stringify({
        version: 1,
        variables: [
          { name: 'room', value: 'dev-room' },
          { name: 'who', value: 'env' },
        ],
      }),
    );
    const report = await runFlow(
      `vars: { room: default-room, who: flow, extra: flow-extra }
steps:
  - connect: { url: "{{mock.url}}/rooms/{{room}}" }
  - expect: { json: { path: $.room, equals: dev-room } }
  - send: "{{who}} {{extra}}"
  - expect: { text: { equals: "cli flow-extra" } }
`,
      { env: 'dev', vars: { who: 'cli' } },
    );
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
  });

  it('a secret of the environment is sent, but a failure quotes it as [redacted]', async () => {
    await mkdir(join(dir, 'environments'), { recursive: true });
    await writeFile(
      join(dir, 'environments', 'prod.json'),
      JSON.stringify({ version: 1, variables: [{ name: 'token', secret: true }] }),
    );
    process.env['DUPLEX_SECRET_TOKEN'] = 's3cr3t-value';
    try {
      const report = await runFlow(
        `steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: "token={{token}}"
  - expect: { text: { equals: nope }, within: 200 }
`,
        { env: 'prod' },
      );
      const f = failed(report);
      expect(f.message).toContain('"token=[redacted]"');
      expect(JSON.stringify(report)).not.toContain('s3cr3t-value');
      // What went over the wire was the secret itself.
      const conn = [...engine.connections.values()][0]!;
      const sent = conn.log.read(1, 100).find((e) => e.dir === 'out' && e.kind === 'text')!;
      expect(Buffer.from(sent.payload).toString()).toBe('token=s3cr3t-value');
    } finally {
      delete process.env['DUPLEX_SECRET_TOKEN'];
    }
  });

  it("connects a saved connection by name, with the step's fields over its options", async () => {
    engine = new Engine({ workspaceDir: dir });
    await engine.call('savedConnection.save', {
      name: 'Chat room',
      options: { url: '{{mock.url}}/rooms/saved', headers: { 'X-From': 'saved' } },
    });
    const file = join(dir, 'saved.yaml');
    await writeFile(
      file,
      `steps:
  - connect: { saved: Chat room, headers: { X-Step: "yes" } }
  - expect: { on: main, json: { path: $.room, equals: saved } }
  - connect: { as: other, saved: Nope }
`,
    );
    const report = await engine.call('file.runFlow', { file, mock: chatMock, workspace: dir });
    expect(statuses(report)).toEqual(['steps[0]:passed', 'steps[1]:passed', 'steps[2]:failed']);
    expect(failed(report).message).toBe('No saved connection named "Nope"; the saved ones are "Chat room".');
    const conn = engine.connection(report.connections[0]!.connectionId!);
    expect(conn.options.headers).toEqual({ 'X-From': 'saved', 'X-Step': 'yes' });
  });

  it("takes the flow's env: when the run names none", async () => {
    await mkdir(join(dir, 'environments'), { recursive: true });
    await writeFile(
      join(dir, 'environments', 'staging.json'),
      JSON.stringify({ version: 1, variables: [{ name: 'room', value: 'staging-room' }] }),
    );
    const report = await runFlow(`env: staging
steps:
  - connect: { url: "{{mock.url}}/rooms/{{room}}" }
  - expect: { json: { path: $.room, equals: staging-room } }
`);
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
  });

  it('close: our code, the code the peer answers with; the peer closing with a code', async () => {
    const report = await runFlow(`steps:
  - connect: { as: a, url: "{{mock.url}}/rooms/r" }
  - connect: { as: b, url: "{{mock.url}}/rooms/r" }
  - close: { on: a, code: 4001, reason: done, expect: { code: 4001, reason: done } }
  - send: { on: b, json: { op: quit } }
  - expect: { on: b, close: { code: 4001 } }
`);
    const f = failed(report);
    expect(f.stepId).toBe('steps[4]');
    expect(f.message).toBe('expected the peer to close with 4001; it closed with 4000 "bye"');
  });

  it('ping waits for the pong with its payload; pong: false only sends', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - ping: { data: "hb-1", within: 1000 }
  - ping: { pong: false }
`);
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
  });

  it('a step on a connection that is closed says so', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - close: { code: 1000 }
  - send: late
`);
    expect(failed(report).message).toBe('cannot send on main: it is closed (1000)');
  });

  it('wait runs to completion: the step takes at least its ms and the next step starts after it', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - wait: 150
  - send: after
  - expect: { text: { equals: after } }
`);
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
    const [, wait, send] = report.steps;
    expect(wait).toMatchObject({ stepId: 'steps[1]', type: 'wait', status: 'passed' });
    // Node may fire a timer up to 1 ms early; nothing here bounds how late it may be.
    expect(wait!.durationMs).toBeGreaterThanOrEqual(149);
    expect(send!.startedAt - wait!.startedAt).toBeGreaterThanOrEqual(149);
  });

  it('expect text regex (with flags) passes on a matching message and fails naming the regex', async () => {
    const ok = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: "ID=42"
  - expect: { text: { regex: "^id=\\\\d+$", flags: i }, within: 2000 }
`);
    expect(ok.status, JSON.stringify(failed(ok))).toBe('passed');
    const bad = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: "id=abc"
  - expect: { text: { regex: "^id=\\\\d+$" }, within: 300 }
`);
    expect(statuses(bad)).toEqual(['steps[0]:passed', 'steps[1]:passed', 'steps[2]:failed']);
    const f = failed(bad);
    expect(f.message).toContain('expected a message matching text /^id=\\d+$/ on main; none within 300 ms');
    expect(f.received).toContain('"id=abc"');
  });

  it('capture by regex puts group 1 into a variable that a later send uses', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: "code=8812; next"
  - expect: { text: { contains: "code=" } }
  - capture: { as: code, regex: "code=(\\\\d+)" }
  - send: "got {{code}}"
  - expect: { text: { equals: "got 8812" }, strict: true }
`);
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
    expect(report.captured).toEqual({ code: '8812' });
    const conn = [...engine.connections.values()][0]!;
    const sent = conn.log
      .read(1, 100)
      .filter((e) => e.dir === 'out' && e.kind === 'text')
      .map((e) => Buffer.from(e.payload).toString());
    expect(sent).toEqual(['code=8812; next', 'got 8812']);
  });

  it('capture fails when the path finds nothing, naming the message', async () => {
    const report = await runFlow(`steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - expect: { json: { path: $.type, equals: welcome } }
  - capture: { as: x, json: $.nope }
`);
    expect(failed(report).message).toMatch(
      /^\$\.nope finds nothing in "\{\\"type\\":\\"welcome\\".*, so x was not captured$/,
    );
  });
});

describe('flows in the workspace', () => {
  it('list, read with outline, save refuses an invalid flow with line and field, delete', async () => {
    engine = new Engine({ workspaceDir: dir });
    await engine.call('flow.save', {
      name: 'echo',
      text: 'steps:\n  - connect: { url: ws://127.0.0.1:1/ }\n  - send: hi\n',
    });
    const list = await engine.call('flow.list', {});
    expect(list.find((f) => f.name === 'echo')).toMatchObject({ path: 'flows/echo.yaml', steps: 2 });
    const read = await engine.call('flow.read', { name: 'echo' });
    expect(read.steps.map((s) => [s.id, s.title])).toEqual([
      ['steps[0]', 'connect main to ws://127.0.0.1:1/'],
      ['steps[1]', 'send hi on main'],
    ]);
    const bad = await engine
      .call('flow.save', { name: 'echo', text: 'steps:\n  - send: { on: x, text: hi }\n' })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: ErrorCodes.FLOW_FILE,
      details: { file: 'flows/echo.yaml', line: 2, field: 'steps[0].send.on' },
    });
    expect((await engine.call('flow.read', { name: 'echo' })).text).toContain('send: hi');
    expect(await engine.call('flow.delete', { name: 'echo' })).toEqual({ deleted: true });
  });

  it('flow.run streams flow.progress, keeps the connections open for a re-run of one step, then stops', async () => {
    engine = new Engine({ workspaceDir: dir, flushMs: 1 });
    await mkdir(join(dir, 'mocks'), { recursive: true });
    await writeFile(
      join(dir, 'mocks', 'chat.yaml'),
      await import('node:fs/promises').then((fs) => fs.readFile(chatMock, 'utf8')),
    );
    await engine.call('flow.save', {
      name: 'rerun',
      text: `steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: again
  - expect: { text: { equals: again }, within: 2000 }
`,
    });
    const events: FlowRunReport[] = [];
    engine.subscribe((batch) => {
      for (const e of batch) if (e.name === 'flow.progress') events.push(e.payload.report);
    });
    const started = await engine.call('flow.run', { name: 'rerun', mock: 'chat', keepOpen: true });
    const runId = started.runId;
    let report = started;
    while (report.status === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      report = await engine.call('flow.status', { runId });
    }
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
    expect(report.open).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(events.length).toBeGreaterThan(1);
    expect(events.at(-1)!.status).toBe('passed');

    // Re-run the send and the expect: the connection is still open.
    await engine.call('flow.rerunStep', { runId, stepId: 'steps[2]' });
    report = await engine.call('flow.rerunStep', { runId, stepId: 'steps[3]' });
    expect(report.steps.slice(-2).map((s) => [s.stepId, s.status, s.rerun])).toEqual([
      ['steps[2]', 'passed', true],
      ['steps[3]', 'passed', true],
    ]);
    // The events after a re-run keep saying the connections are open (the tab's re-run buttons follow them).
    await new Promise((r) => setTimeout(r, 20));
    expect(events.at(-1)).toMatchObject({ status: 'passed', open: true });
    const unknown = await engine
      .call('flow.rerunStep', { runId, stepId: 'steps[9]' })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: ErrorCodes.NOT_FOUND });

    // A reloaded window makes no connection tab of a flow's connection.
    expect((await engine.call('live.list', {})).connections).toEqual([]);
    const stopped = await engine.call('flow.stop', { runId });
    expect(stopped.open).toBeUndefined();
    const connId = stopped.connections[0]!.connectionId!;
    expect(engine.connection(connId).readyState).toBe(3);
    await expect(engine.call('flow.rerunStep', { runId, stepId: 'steps[2]' })).rejects.toMatchObject({
      code: ErrorCodes.INVALID_STATE,
    });
  });

  it("flow.run resolves with the launch's --var (duplex ui --var), under the run's own vars", async () => {
    engine = new Engine({ workspaceDir: dir, flushMs: 1, launch: { vars: { word: 'cli', other: 'cli' } } });
    await mkdir(join(dir, 'mocks'), { recursive: true });
    await writeFile(
      join(dir, 'mocks', 'chat.yaml'),
      await import('node:fs/promises').then((fs) => fs.readFile(chatMock, 'utf8')),
    );
    await engine.call('flow.save', {
      name: 'launch-vars',
      text: `steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: "{{word}} {{other}}"
  - expect: { text: { equals: "cli run" }, within: 2000 }
`,
    });
    let report = await engine.call('flow.run', { name: 'launch-vars', mock: 'chat', vars: { other: 'run' } });
    while (report.status === 'running') {
      await new Promise((r) => setTimeout(r, 20));
      report = await engine.call('flow.status', { runId: report.runId });
    }
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
  });

  it('flow.fromSession: a recording becomes a flow of its sends and expects, which passes against the same mock', async () => {
    engine = new Engine({ workspaceDir: dir, flushMs: 1 });
    const server = await engine.mocks.start(chatMock, { port: 0 });
    const url = `${server.url.replace(/\/$/, '')}/rooms/rec`;
    const conn = engine.openConnection({ url });
    await new Promise<void>((r) => conn.once('open', () => r()));
    const rec = await engine.call('session.recordStart', {
      logId: conn.id,
      name: 'rec.jsonl',
      includeExisting: true,
    });
    const inbound = () => conn.log.read(1, 100).filter((e) => e.dir === 'in' && e.kind !== 'close').length;
    conn.send({ type: 'text', text: 'one' });
    conn.send({ type: 'binary', data: new Uint8Array([0, 0xff, 7]) });
    await until(() => inbound() === 3);
    conn.close(1000, 'done');
    await new Promise((r) => conn.once('close', r));
    await engine.call('session.recordStop', { logId: conn.id });
    const made = await engine.call('flow.fromSession', { name: rec.name, flowName: 'from-rec' });
    expect(made).toMatchObject({ name: 'from-rec', path: 'flows/from-rec.yaml', sends: 2, expects: 3 });
    const read = await engine.call('flow.read', { name: 'from-rec' });
    // In recorded order: both sends went out before their answers came back.
    expect(read.steps.map((s) => s.type)).toEqual([
      'connect',
      'expect',
      'send',
      'send',
      'expect',
      'expect',
      'close',
    ]);
    expect(read.text).toContain('equals: one');
    expect(read.text).toContain('equalsHex: ff00');
    expect(read.text).toContain('code: 1000');
    const { runId } = await engine.call('flow.run', { name: 'from-rec' });
    await until(async () => (await engine.call('flow.status', { runId })).status !== 'running');
    const report = await engine.call('flow.status', { runId });
    expect(report.status, JSON.stringify(failed(report))).toBe('passed');
  });

  it('flow.stop ends a step that is waiting', async () => {
    engine = new Engine({ workspaceDir: dir });
    await engine.call('flow.save', {
      name: 'slow',
      text: 'steps:\n  - wait: 60000\n  - wait: 1\n',
    });
    const { runId } = await engine.call('flow.run', { name: 'slow' });
    await new Promise((r) => setTimeout(r, 50));
    const report = await engine.call('flow.stop', { runId });
    expect(report.status).toBe('stopped');
    expect(statuses(report)).toEqual(['steps[0]:failed', 'steps[1]:skipped']);
    expect(report.steps[0]!.message).toBe('stopped before the step finished');
  });
});
