/**
 * RulesBehaviour on a real MockServer with a `ws` client on 127.0.0.1: what the
 * rules send and how the server's log records it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadMockText } from '../../app/server/mock-file.js';
import { RulesBehaviour } from '../../app/server/mock-rules.js';
import { MockServer } from '../../app/server/mock-server.js';
import type { ServerOptions } from '../../app/contract.js';
import { until } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function rulesServer(mockText: string, options: ServerOptions = {}): Promise<MockServer> {
  const mock = loadMockText(mockText, 'm.yaml');
  const server = new MockServer('rules', { port: 0, ...options }, { behaviours: [new RulesBehaviour(mock)] });
  cleanups.push(() => server.stop());
  await server.start();
  return server;
}

async function client(url: string): Promise<{ ws: WebSocket; received: Buffer[] }> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  const received: Buffer[] = [];
  ws.on('message', (data: Buffer) => received.push(data));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, received };
}

const ECHO_MOCK = `routes:
  - path: /
    rules:
      - { name: never, when: { text: { equals: "nothing sends this" } }, then: [ { send: "x" } ] }
      - { name: echo, when: { kind: binary }, then: [ { echo: true } ] }
    otherwise: none
`;

describe('RulesBehaviour: echo', () => {
  it('logs the echoed reply as the received payload, stored once', async () => {
    const server = await rulesServer(ECHO_MOCK);
    const { ws, received } = await client(server.url);
    await until(() => server.log.lastSeq >= 2, 3000); // info, open
    const before = server.log.bytes;
    const payload = Buffer.alloc(1024 * 1024, 0x5a);
    ws.send(payload);
    await until(() => received.length === 1, 5000);
    expect(received[0]!.equals(payload)).toBe(true);
    const [inbound, outbound] = server.log.read(server.log.lastSeq - 1, 2);
    expect([inbound!.dir, inbound!.rule, outbound!.dir, outbound!.rule]).toEqual([
      'in',
      'echo',
      'out',
      'echo',
    ]);
    expect(Buffer.from(outbound!.payload).equals(payload)).toBe(true);
    // One payload's worth (and two entries' bookkeeping), not two.
    expect(server.log.bytes - before).toBeLessThan(1.5 * payload.length);
  });
});

describe('MockServer.deliverRepeat', () => {
  it('logs a copy of the bytes when the entry it repeats is no longer held', async () => {
    const server = await rulesServer(ECHO_MOCK, { logBudgetBytes: 64 * 1024 });
    const { received } = await client(server.url);
    const sent = server.deliver(server.openClients()[0]!, 'text', Buffer.from('first'))!;
    for (let i = 0; server.log.firstSeq <= sent; i++) server.note(`filler ${i}`);
    server.deliverRepeat(server.openClients()[0]!, 'text', Buffer.from('first'), sent);
    await until(() => received.length === 2, 3000);
    expect(received.map(String)).toEqual(['first', 'first']);
    const last = server.log.get(server.log.lastSeq)!;
    expect([last.dir, last.kind, Buffer.from(last.payload).toString()]).toEqual(['out', 'text', 'first']);
  });
});

describe('RulesBehaviour: onConnect', () => {
  it('runs a route’s onConnect for each client, and a route without one sends nothing first', async () => {
    const server = await rulesServer(`routes:
  - path: /greet
    onConnect: [ { send: "hi {{seq}}" } ]
    rules:
      - { name: echo, when: { kind: text }, then: [ { echo: true } ] }
  - path: /quiet
    rules:
      - { name: echo, when: { kind: text }, then: [ { echo: true } ] }
`);
    const base = server.url.replace(/\/$/, '');
    const first = await client(`${base}/greet`);
    const second = await client(`${base}/greet`);
    const quiet = await client(`${base}/quiet`);
    for (const c of [first, second, quiet]) c.ws.send('ping');
    await until(
      () => first.received.length === 2 && second.received.length === 2 && quiet.received.length === 1,
    );
    expect(first.received.map(String)).toEqual(['hi 1', 'ping']);
    expect(second.received.map(String)).toEqual(['hi 2', 'ping']);
    expect(quiet.received.map(String)).toEqual(['ping']);
  });
});
