/**
 * Mock files served by the engine, driven by python3-websockets (Debian's 10.4,
 * /usr/bin/python3) — clients nobody here wrote: every matcher, action,
 * template helper, handshake rule and stream of docs/mock-format.md, and the
 * rule each answer is logged with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import type { ServerInfo } from '../../app/contract.js';
import { missingPythonPeer, runMockClient, type PeerOp } from './peers/mock-client.js';

const missing = missingPythonPeer();
if (missing) console.warn(`Skipping python mock interop: ${missing}`);
const peer = runMockClient;
type Op = PeerOp;

const MOCK = `
port: 0
name: interop
vars: { token: s3cret }
routes:
  - path: /auth
    handshake:
      require: { header: { authorization: "Bearer {{vars.token}}" }, query: { v: "2" } }
      reject: { status: 403, body: "no entry", headers: { x-why: token } }
    otherwise: echo
  - path: /proto
    protocols: [chat.v2, chat.v1]
    otherwise: echo
  - path: /rooms/:room
    onConnect:
      - send: "welcome {{params.room}} {{client.id}}"
    rules:
      - name: say
        when: { json: { path: "$.type", equals: "say" } }
        then: [ { broadcast: "{{params.room}}:{{msg.json.text}}", to: room } ]
      - name: shout
        when: { json: { path: "$.type", equals: "shout" } }
        then: [ { broadcast: "all:{{msg.json.text}}", to: all } ]
      - name: gossip
        when: { json: { path: "$.type", equals: "gossip" } }
        then: [ { broadcast: "others:{{msg.json.text}}", to: others } ]
    otherwise: none
  - path: /match
    rules:
      - { name: text-equals, when: { text: { equals: exact } }, then: [ { send: equals } ] }
      - { name: text-contains, when: { text: { contains: needle } }, then: [ { send: contains } ] }
      - { name: text-regex, when: { text: { regex: "^re+gex$", flags: i } }, then: [ { send: regex } ] }
      - { name: json-equals, when: { json: { path: "$.a", equals: 1 } }, then: [ { send: json-equals } ] }
      - { name: json-exists, when: { json: { path: "$.b", exists: true } }, then: [ { send: json-exists } ] }
      - { name: json-regex, when: { json: { path: "$.c", regex: "^x" } }, then: [ { send: json-regex } ] }
      - { name: binary-prefix, when: { binary: { prefixHex: "00ff" } }, then: [ { sendHex: "01" } ] }
      - { name: binary-equals, when: { binary: { equalsHex: "abcd" } }, then: [ { sendHex: "02" } ] }
      - { name: kind-binary, when: { kind: binary }, then: [ { sendBase64: "AwQ=" } ] }
      - name: all
        when: { all: [ { text: { contains: "A" } }, { text: { contains: "B" } } ] }
        then: [ { send: all } ]
      - name: any
        when: { any: [ { text: { equals: x1 } }, { text: { equals: x2 } } ] }
        then: [ { send: any } ]
      - name: not
        when: { all: [ { text: { contains: neg } }, { not: { text: { contains: "yes" } } } ] }
        then: [ { send: not } ]
    otherwise: [ { send: "otherwise {{msg.text}}" } ]
  - path: /actions
    rules:
      - when: { text: { equals: json } }
        then: [ { sendJson: { id: "{{client.id}}", n: 5, ok: true, tags: [ "t-{{client.id}}" ] } } ]
      - when: { text: { equals: slow } }
        then: [ { delay: 30 }, { send: late } ]
      - { when: { text: { equals: quit } }, then: [ { close: { code: 4000, reason: bye } } ] }
      - { when: { text: { equals: cut } }, then: [ { terminate: true } ] }
      - { when: { text: { equals: drop } }, then: [ { drop: true } ] }
      - { when: { text: { equals: frag } }, then: [ { send: abcdefghij, fragments: 3 } ] }
      - { when: { text: { regex: "^again" } }, then: [ { delay: 5 }, { echo: true, fragments: 2 } ] }
      - { when: { text: { equals: hang } }, then: [ { answerPings: false }, { send: hung } ] }
      - { when: { text: { equals: wake } }, then: [ { answerPings: true }, { send: awake } ] }
      - name: seq
        when: { text: { equals: seq } }
        then: [ { responses: { from: [ { send: first }, [ { send: second }, { send: second-b } ] ] } } ]
      - name: rnd
        when: { text: { equals: rnd } }
        then: [ { responses: { pick: random, from: [ { send: r1 }, { send: r2 } ] } } ]
      - { when: { text: { equals: file } }, then: [ { sendFile: payload.bin } ] }
      - { when: { text: { equals: textfile } }, then: [ { sendFile: payload.txt, as: text } ] }
      - name: helpers
        when: { text: { equals: helpers } }
        then:
          - send: '{{now "yyyy"}}|{{epochMs}}|{{uuid}}|{{randomInt 7 7}}|{{randomFloat 2 2}}|{{faker "string.numeric" 4}}|{{json msg.text}}|{{text msg.size}}|{{msg.hex}}|{{msg.base64}}|{{msg.kind}}'
      - name: counters
        when: { text: { equals: count } }
        then: [ { send: "rule {{counters.rule}} client {{counters.client}} seq {{seq}}" } ]
      - name: who
        when: { text: { equals: who } }
        then: [ { send: "{{client.remoteAddress}} {{client.headers.x-peer}} {{client.query.q}}" } ]
      - name: bad
        when: { text: { equals: bad } }
        then: [ { send: "{{vars.missing}}" } ]
    otherwise: echo
  - path: /each
    streams:
      - { every: 20, to: each, count: 3, send: "each {{seq}} {{client.id}}" }
    rules:
      - { when: { text: { equals: probe } }, then: [ { delay: 150 }, { send: probe } ] }
    otherwise: none
  - path: /shared
    streams:
      - { name: shared, every: 100, to: all, count: 8, send: "shared {{seq}}" }
    otherwise: none
  - path: /all
    streams:
      - { name: ticker, every: 20, to: all, count: 2, send: "all {{seq}}" }
    rules:
      - { when: { text: { equals: probe } }, then: [ { delay: 150 }, { send: probe } ] }
    otherwise: none
`;

describe.skipIf(missing)('mock files against python3-websockets clients', () => {
  let dir: string;
  let engine: Engine;
  let server: ServerInfo;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'duplex-pymock-'));
    writeFileSync(join(dir, 'interop.yaml'), MOCK);
    writeFileSync(join(dir, 'payload.bin'), Buffer.from('00010203', 'hex'));
    writeFileSync(join(dir, 'payload.txt'), 'file text');
    engine = new Engine();
    server = (await engine.call('file.serveMock', { file: join(dir, 'interop.yaml') })).server;
    base = `ws://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handshake: require header and query, else the reject status, body and headers', async () => {
    const r = await peer([
      { op: 'refused', url: `${base}/auth?v=2` },
      { op: 'refused', url: `${base}/auth?v=1`, headers: { Authorization: 'Bearer s3cret' } },
      { op: 'connect', c: 'a', url: `${base}/auth?v=2`, headers: { Authorization: 'Bearer s3cret' } },
      { op: 'send', c: 'a', text: 'in' },
      { op: 'recv', c: 'a' },
      { op: 'refused', url: `${base}/nowhere` },
    ]);
    expect(r[0]).toMatchObject({ status: 403, body: 'no entry', headers: { 'x-why': 'token' } });
    expect(r[1]).toMatchObject({ status: 403 });
    expect(r[4]).toEqual({ type: 'text', text: 'in' });
    expect(r[5]).toMatchObject({ status: 404 });
    expect(String(r[5]!['body'])).toContain('/nowhere');
  });

  it('subprotocols: the first of the route that the client offers; none offered is refused', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/proto`, subprotocols: ['chat.v1', 'chat.v2'] },
      { op: 'connect', c: 'b', url: `${base}/proto`, subprotocols: ['chat.v1'] },
      { op: 'connect', c: 'c', url: `${base}/proto`, subprotocols: ['other'] },
    ]);
    expect(r).toEqual([{ subprotocol: 'chat.v2' }, { subprotocol: 'chat.v1' }, { status: 400 }]);
  });

  it('onConnect with route params; broadcast to room, all and others', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/rooms/red` },
      { op: 'recv', c: 'a' },
      { op: 'connect', c: 'b', url: `${base}/rooms/red` },
      { op: 'recv', c: 'b' },
      { op: 'connect', c: 'x', url: `${base}/rooms/blue` },
      { op: 'recv', c: 'x' },
      { op: 'send', c: 'a', text: '{"type":"say","text":"hi"}' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'b' },
      { op: 'send', c: 'b', text: '{"type":"gossip","text":"psst"}' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'x', text: '{"type":"shout","text":"hey"}' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'x' },
    ]);
    const texts = r.map((x) => x['text']);
    expect(texts[1]).toMatch(/^welcome red \d+$/);
    expect(texts[5]).toMatch(/^welcome blue \d+$/);
    // x (room blue) got no "red:hi" and b did not get its own gossip: their next messages are the shout.
    expect(texts.slice(7)).toEqual([
      'red:hi',
      'red:hi',
      undefined,
      'others:psst',
      undefined,
      'all:hey',
      'all:hey',
      'all:hey',
    ]);
  });

  it('every matcher, and otherwise when none matches; the log names the rule', async () => {
    const sends: Op[] = [
      { text: 'exact' },
      { text: 'a needle here' },
      { text: 'REEEGEX' },
      { text: '{"a":1}' },
      { text: '{"b":null}' },
      { text: '{"c":"xyz"}' },
      { hex: '00ff10' },
      { hex: 'abcd' },
      { hex: '99' },
      { text: 'B and A' },
      { text: 'x2' },
      { text: 'neg' },
      { text: 'neg yes' },
    ];
    const ops: Op[] = [{ op: 'connect', c: 'a', url: `${base}/match` }];
    for (const s of sends) ops.push({ op: 'send', c: 'a', ...s }, { op: 'recv', c: 'a' });
    const r = await peer(ops);
    const replies = r.filter((_, i) => i > 0 && i % 2 === 0).map((x) => x['text'] ?? x['hex']);
    expect(replies).toEqual([
      'equals',
      'contains',
      'regex',
      'json-equals',
      'json-exists',
      'json-regex',
      '01',
      '02',
      '0304',
      'all',
      'any',
      'not',
      'otherwise neg yes',
    ]);
    const rules = inRules(engine, server.serverId, 13);
    expect(rules).toEqual([
      'text-equals',
      'text-contains',
      'text-regex',
      'json-equals',
      'json-exists',
      'json-regex',
      'binary-prefix',
      'binary-equals',
      'kind-binary',
      'all',
      'any',
      'not',
      'otherwise',
    ]);
    const hits = await engine.call('server.hits', { serverId: server.serverId });
    const match = hits.routes.find((h) => h.path === '/match')!;
    expect(match.rules.find((h) => h.rule === 'text-equals')!.hits).toBeGreaterThanOrEqual(1);
    expect(match.otherwise).toBeGreaterThanOrEqual(1);
  });

  it('actions: sendJson, delay, drop, responses in turn and at random, sendFile, close', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/actions` },
      { op: 'send', c: 'a', text: 'json' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'slow' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'drop' },
      { op: 'send', c: 'a', text: 'after-drop' },
      { op: 'recv', c: 'a' },
      ...[1, 2, 3].flatMap(() => [
        { op: 'send', c: 'a', text: 'seq' },
        { op: 'recv', c: 'a' },
      ]),
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'rnd' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'file' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'textfile' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'quit' },
      { op: 'recv', c: 'a' },
    ]);
    const json = JSON.parse(String(r[2]!['text'])) as Record<string, unknown>;
    expect(json).toMatchObject({ n: 5, ok: true });
    expect(typeof json['id']).toBe('string');
    expect(r[4]).toEqual({ type: 'text', text: 'late' });
    expect(r[7]).toEqual({ type: 'text', text: 'after-drop' }); // the echo of the next message: drop sent nothing
    expect([r[9], r[11], r[13], r[14]].map((x) => x!['text'])).toEqual([
      'first',
      'second',
      'second-b',
      'first',
    ]);
    expect(['r1', 'r2']).toContain(r[16]!['text']);
    expect(r[18]).toEqual({ type: 'binary', hex: '00010203' });
    expect(r[20]).toEqual({ type: 'text', text: 'file text' });
    expect(r[22]).toEqual({ closed: 4000, reason: 'bye' });
  });

  it('responses at random: many draws, each response appears and nothing else', async () => {
    const ops: Op[] = [{ op: 'connect', c: 'a', url: `${base}/actions` }];
    for (let i = 0; i < 40; i++) ops.push({ op: 'send', c: 'a', text: 'rnd' }, { op: 'recv', c: 'a' });
    const draws = (await peer(ops)).filter((_, i) => i > 0 && i % 2 === 0).map((x) => x['text']);
    expect(draws).toHaveLength(40);
    // Both appear unless one was drawn 40 times in a row: a chance of 2 in 2^40.
    expect(new Set(draws)).toEqual(new Set(['r1', 'r2']));
  });

  it('streams to all: a client that joins late gets the same shared ticks, from where the ticker is', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/shared` },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      // b joins after tick 2 has gone out: a ticker of its own would start b at 1.
      { op: 'connect', c: 'b', url: `${base}/shared` },
      { op: 'recvUntil', c: 'b', text: 'shared 8' },
      { op: 'recvUntil', c: 'a', text: 'shared 8' },
    ]);
    const a = [r[1]!['text'], r[2]!['text'], ...(r[5]!['texts'] as string[])];
    const b = r[4]!['texts'] as string[];
    expect(a).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `shared ${n}`));
    expect(Number(b[0]!.split(' ')[1])).toBeGreaterThanOrEqual(3);
    expect(b).toEqual(a.slice(a.length - b.length));
  });

  it('echo: the received message back after a delay, here in two frames', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/actions` },
      { op: 'send', c: 'a', text: 'again and again' },
      { op: 'recv', c: 'a' },
      { op: 'frames', url: `${base}/actions`, text: 'again' },
    ]);
    expect(r[2]).toEqual({ type: 'text', text: 'again and again' });
    expect(r[3]!['frames']).toEqual([
      { opcode: 'TEXT', fin: false, size: 3 },
      { opcode: 'CONT', fin: true, size: 2 },
    ]);
  });

  it('terminate: the client sees 1006', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/actions` },
      { op: 'send', c: 'a', text: 'cut' },
      { op: 'recv', c: 'a' },
    ]);
    expect(r[2]).toMatchObject({ closed: 1006 });
  });

  it('fragments: one message in three frames, as websockets parses them', async () => {
    const r = await peer([{ op: 'frames', url: `${base}/actions`, text: 'frag' }]);
    expect(r[0]!['frames']).toEqual([
      { opcode: 'TEXT', fin: false, size: 4 },
      { opcode: 'CONT', fin: false, size: 3 },
      { opcode: 'CONT', fin: true, size: 3 },
    ]);
  });

  it('answerPings false: pings go unanswered until answerPings true', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/actions` },
      { op: 'ping', c: 'a' },
      { op: 'send', c: 'a', text: 'x' },
      { op: 'recv', c: 'a' },
      { op: 'ponged', c: 'a' },
      { op: 'send', c: 'a', text: 'hang' },
      { op: 'recv', c: 'a' },
      { op: 'ping', c: 'a' },
      { op: 'send', c: 'a', text: 'y' },
      { op: 'recv', c: 'a' },
      { op: 'ponged', c: 'a' },
      { op: 'send', c: 'a', text: 'wake' },
      { op: 'recv', c: 'a' },
      { op: 'ping', c: 'a' },
      { op: 'send', c: 'a', text: 'z' },
      { op: 'recv', c: 'a' },
      { op: 'ponged', c: 'a' },
    ]);
    // The server answers in order: a pong sent before the echo has arrived by the time the echo has.
    expect(r[4]).toEqual({ ponged: true });
    expect(r[6]!['text']).toBe('hung');
    expect(r[10]).toEqual({ ponged: false });
    expect(r[12]!['text']).toBe('awake');
    expect(r[16]).toEqual({ ponged: true });
  });

  it('template helpers, counters and client fields; an unset variable is logged as the rule failing', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/actions?q=qq`, headers: { 'X-Peer': 'py' } },
      { op: 'send', c: 'a', text: 'helpers' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'count' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'count' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'who' },
      { op: 'recv', c: 'a' },
      { op: 'send', c: 'a', text: 'bad' },
      { op: 'send', c: 'a', text: 'after-bad' },
      { op: 'recv', c: 'a' },
    ]);
    const parts = String(r[2]!['text']).split('|');
    expect(parts[0]).toBe(String(new Date().getFullYear()));
    expect(Number(parts[1])).toBeGreaterThan(1_600_000_000_000);
    expect(parts[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parts.slice(3)).toEqual([
      '7',
      '2',
      expect.stringMatching(/^\d{4}$/),
      '"helpers"',
      '7',
      '68656c70657273',
      'aGVscGVycw==',
      'text',
    ]);
    const first = /^rule (\d+) client (\d+) seq (\d+)$/.exec(String(r[4]!['text']))!;
    const second = /^rule (\d+) client (\d+) seq (\d+)$/.exec(String(r[6]!['text']))!;
    expect(Number(second[1])).toBe(Number(first[1]) + 1);
    expect([first[2], second[2]]).toEqual(['2', '3']);
    expect(second[3]).toBe(second[1]);
    expect(r[8]!['text']).toBe('127.0.0.1 py qq');
    expect(r[11]!['text']).toBe('after-bad');
    const notes = engine
      .log(server.serverId)
      .read(1, 100_000, { kinds: ['error'] })
      .map((e) => e.note);
    expect(notes.some((n) => /vars\.missing/.test(n ?? ''))).toBe(true);
  });

  it('streams: each client its own ticks up to count; all: one ticker for the route', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/each` },
      { op: 'send', c: 'a', text: 'probe' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'connect', c: 'b', url: `${base}/all` },
      { op: 'send', c: 'b', text: 'probe' },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'b' },
    ]);
    // The probe answers after 150 ms: a stream that ignored its count would have sent a 4th tick first.
    expect(r.slice(2, 6).map((x) => String(x['text']).replace(/ \d+$/, ' ID'))).toEqual([
      'each 1 ID',
      'each 2 ID',
      'each 3 ID',
      'probe',
    ]);
    expect(r.slice(8).map((x) => x['text'])).toEqual(['all 1', 'all 2', 'probe']);
    const streamRules = engine
      .log(server.serverId)
      .read(1, 100_000, { dir: 'out' })
      .filter((e) => e.rule === 'ticker').length;
    expect(streamRules).toBe(2);
  });

  it('streams to each: two clients, each its own ticks, count and id; otherwise none sends nothing', async () => {
    const r = await peer([
      { op: 'connect', c: 'a', url: `${base}/each` },
      { op: 'connect', c: 'b', url: `${base}/each` },
      // No rule matches: otherwise none answers nothing, so a's next message after its ticks is the probe.
      { op: 'send', c: 'a', text: 'nothing matches this' },
      { op: 'send', c: 'a', text: 'probe' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'a' },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'b' },
      { op: 'recv', c: 'b' },
    ]);
    const texts = r.filter((x) => x['op'] === 'recv' || 'text' in x).map((x) => String(x['text']));
    const a = texts.slice(0, 4);
    const b = texts.slice(4, 7);
    expect(a.map((t) => t.replace(/ \S+$/, ' ID'))).toEqual(['each 1 ID', 'each 2 ID', 'each 3 ID', 'probe']);
    expect(b.map((t) => t.replace(/ \S+$/, ' ID'))).toEqual(['each 1 ID', 'each 2 ID', 'each 3 ID']);
    const idOf = (t: string): string => t.split(' ')[2]!;
    expect(new Set(a.slice(0, 3).map(idOf)).size).toBe(1);
    expect(new Set(b.map(idOf)).size).toBe(1);
    expect(idOf(a[0]!)).not.toBe(idOf(b[0]!));
  });
});

describe.skipIf(missing)('wss:// mocks against python3-websockets with its own certificate checks', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'duplex-pytls-'));
    engine = new Engine();
  });
  afterAll(async () => {
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a generated certificate: its fingerprint in the server info, exported, trusted by the client', async () => {
    writeFileSync(
      join(dir, 'tls.yaml'),
      'tls: { selfSigned: true }\nroutes: [ { path: /, otherwise: echo } ]\n',
    );
    const { server } = await engine.call('file.serveMock', { file: join(dir, 'tls.yaml') });
    expect(server.url).toMatch(/^wss:\/\//);
    const cert = await engine.call('server.certificate', { serverId: server.serverId });
    expect(server.tls?.fingerprint).toBe(new X509Certificate(cert.pem).fingerprint256);
    writeFileSync(join(dir, cert.fileName), cert.pem);
    const r = await peer([
      { op: 'connect', c: 'untrusting', url: server.url },
      { op: 'connect', c: 'a', url: server.url, cafile: join(dir, cert.fileName) },
      { op: 'send', c: 'a', text: 'secure' },
      { op: 'recv', c: 'a' },
    ]);
    expect(r[0]).toEqual({ error: 'SSLCertVerificationError' });
    expect(r[3]).toEqual({ type: 'text', text: 'secure' });
  });

  it("the user's own certificate and key files", async () => {
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    writeFileSync(join(dir, 'own.crt'), pems.cert);
    writeFileSync(join(dir, 'own.key'), pems.private);
    writeFileSync(
      join(dir, 'own.yaml'),
      'tls: { cert: own.crt, key: own.key }\nroutes: [ { path: /, otherwise: echo } ]\n',
    );
    const { server } = await engine.call('file.serveMock', { file: join(dir, 'own.yaml') });
    expect(server.tls).toEqual({
      fingerprint: new X509Certificate(pems.cert).fingerprint256,
      selfSigned: false,
    });
    const r = await peer([
      { op: 'connect', c: 'a', url: server.url, cafile: join(dir, 'own.crt') },
      { op: 'send', c: 'a', hex: '0102' },
      { op: 'recv', c: 'a' },
    ]);
    expect(r[2]).toEqual({ type: 'binary', hex: '0102' });
  });
});

/** The rules logged on the last `count` received text/binary entries. */
function inRules(engine: Engine, serverId: string, count: number): (string | undefined)[] {
  const log = engine.log(serverId);
  const received = log
    .read(1, 100_000, { dir: 'in' })
    .filter((e) => e.kind === 'text' || e.kind === 'binary');
  return received.slice(-count).map((e) => e.rule);
}
