/**
 * The server side of the mock benchmark, one server per process
 * (`node mock-bench-server.js KIND`), so client and server never share an event
 * loop and the memory a server reports is its own:
 *
 * - ws-echo:     a bare `ws` echo server (the baseline);
 * - rules-echo:  the Duplex MockServer running a mock of 20 rules, the echo rule last;
 * - rules-template: the same 19 rules, then echo rules that render the reply with a template;
 * - ws-fanout:   a bare `ws` server that sends one text message to every client every 100 ms;
 * - mock-fanout: a Duplex mock whose stream sends to all clients every 100 ms.
 *
 * It reports `{ port }` over IPC; on `{ memory: true }` it collects garbage (with
 * --expose-gc) and answers `{ memory: heapUsed + arrayBuffers, rss }`; on
 * `{ cpu: true }` it answers `{ cpu }`, its CPU time so far in µs.
 */
import { WebSocketServer, WebSocket } from 'ws';
import { loadMockText } from '../app/server/mock-file.js';
import { RulesBehaviour } from '../app/server/mock-rules.js';
import { MockServer } from '../app/server/mock-server.js';
import { FANOUT_INTERVAL_MS, FANOUT_TEXT } from './mock-bench-shared.js';

/** Nineteen rules that a 64 B "aaa…" text or 4 KiB binary message passes by, then `echo` (the rules after them). */
const nineteenRules = (echo: string): string => `port: 0
routes:
  - path: /
    rules:
${Array.from({ length: 6 }, (_, i) => `      - { when: { json: { path: "$.type", equals: "t${i}" } }, then: [ { send: "r${i}" } ] }`).join('\n')}
${Array.from({ length: 5 }, (_, i) => `      - { when: { text: { equals: "hello ${i}" } }, then: [ { send: "e${i}" } ] }`).join('\n')}
${Array.from({ length: 4 }, (_, i) => `      - { when: { text: { regex: "^cmd${i}:" } }, then: [ { send: "c${i}" } ] }`).join('\n')}
${Array.from({ length: 4 }, (_, i) => `      - { when: { binary: { prefixHex: "ff0${i}" } }, then: [ { sendHex: "0${i}" } ] }`).join('\n')}
${echo}
    otherwise: none
`;

/** The 20th rule: the `echo` action, for every message. */
const ECHO_RULE = `      - name: echo
        when: { any: [ { kind: text }, { kind: binary } ] }
        then: [ { echo: true } ]`;
/** The 20th and 21st rules: the reply rendered by a template, as a mock file without `echo` would write it. */
const TEMPLATE_RULES = `      - name: echo binary
        when: { kind: binary }
        then: [ { sendBase64: "{{msg.base64}}" } ]
      - name: echo text
        when: { kind: text }
        then: [ { send: "{{msg.text}}" } ]`;

async function start(kind: string): Promise<number> {
  if (kind === 'ws-echo' || kind === 'ws-fanout') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      if (kind === 'ws-echo') ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
    if (kind === 'ws-fanout') {
      setInterval(() => {
        for (const ws of wss.clients) if (ws.readyState === WebSocket.OPEN) ws.send(FANOUT_TEXT);
      }, FANOUT_INTERVAL_MS);
    }
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    return (wss.address() as { port: number }).port;
  }
  const text =
    kind === 'rules-echo'
      ? nineteenRules(ECHO_RULE)
      : kind === 'rules-template'
        ? nineteenRules(TEMPLATE_RULES)
        : `routes:\n  - path: /\n    streams: [ { every: ${FANOUT_INTERVAL_MS}, to: all, send: "${FANOUT_TEXT}" } ]\n    otherwise: none\n`;
  const mock = loadMockText(text, `${kind}.yaml`);
  const server = new MockServer(kind, { port: 0 }, { behaviours: [new RulesBehaviour(mock)] });
  return (await server.start()).port;
}

const kind = process.argv[2] ?? '';
if (!['ws-echo', 'rules-echo', 'rules-template', 'ws-fanout', 'mock-fanout'].includes(kind)) {
  console.error(`mock-bench-server: unknown kind "${kind}"`);
  process.exit(2);
}
process.send?.({ port: await start(kind) });
process.on('message', (message: { memory?: boolean; cpu?: boolean }) => {
  if (message.cpu) {
    const used = process.cpuUsage();
    return void process.send?.({ cpu: used.user + used.system });
  }
  if (!message.memory) return process.exit(0);
  const gc = (globalThis as { gc?: () => void }).gc;
  const answer = (): void => {
    const m = process.memoryUsage();
    process.send?.({ memory: m.heapUsed + m.arrayBuffers, rss: m.rss, gc: Boolean(gc) });
  };
  if (!gc) return answer();
  gc();
  setTimeout(() => {
    gc();
    setTimeout(answer, 50);
  }, 50);
});
process.on('disconnect', () => process.exit(0));
