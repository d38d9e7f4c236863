/**
 * `duplex connect` reading stdin: in a real terminal (a pty made by python3's
 * pty module), with -i over piped stdin, and piped lines without -i; the
 * slash commands, --keep-open, and the exit codes, against real ws servers.
 */
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { planConnect } from '../../cli/connect.js';
import { parseInputLine } from '../../cli/interactive.js';
import { CLI_PATH, CliProcess, duplex } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Peer {
  url: string;
  /** What the server received, in order: `text:…`, `binary:<hex>`, `ping:…`. */
  received: string[];
  closes: { code: number; reason: string }[];
}

/** An echo server that notes every frame it gets; `onConnection` may add to it. */
async function echoPeer(onConnection: (ws: WebSocket) => void = () => undefined): Promise<Peer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const peer: Peer = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/`,
    received: [],
    closes: [],
  };
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary) => {
      peer.received.push(isBinary ? `binary:${data.toString('hex')}` : `text:${data.toString('utf8')}`);
      ws.send(data, { binary: isBinary });
    });
    ws.on('ping', (data: Buffer) => peer.received.push(`ping:${data.toString('utf8')}`));
    ws.on('close', (code, reason) => peer.closes.push({ code, reason: reason.toString('utf8') }));
    onConnection(ws);
  });
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  return peer;
}

function track(p: CliProcess): CliProcess {
  cleanups.push(() => p.kill());
  return p;
}

/** Runs the CLI inside a pseudo-terminal: python3's pty.spawn copies our pipe to it and its screen back. */
const PTY = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';
const havePty = (() => {
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const screens = new WeakMap<CliProcess, string[]>();
function inTerminal(...args: string[]): CliProcess {
  const p = track(new CliProcess('python3', ['-c', PTY, process.execPath, CLI_PATH, ...args]));
  // Everything written to the terminal, the prompt's unfinished line included.
  const chunks: string[] = [];
  p.child.stdout.on('data', (c: string) => chunks.push(c));
  screens.set(p, chunks);
  return p;
}

/** The screen text without terminal control sequences (cursor moves, line clears). */
function screen(p: CliProcess): string {
  const raw = screens.get(p)?.join('') ?? p.stdout;
  // eslint-disable-next-line no-control-regex
  return raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!havePty)(
  'duplex connect in a terminal [skipped without python3: its pty module makes the terminal]',
  () => {
    it('sends typed lines, prints replies as they come, /ping gets its pong, Ctrl+C closes with 1000, exit 0', async () => {
      const peer = await echoPeer();
      const p = inTerminal('connect', peer.url);
      await p.waitForLine(/open ws:\/\//);
      p.child.stdin.write('hello\r');
      await p.waitForLine(/← text 5 B: hello/);
      p.child.stdin.write('/ping abc\r');
      await p.waitForLine(/← pong 3 B: abc/);
      p.child.stdin.write('\x03'); // Ctrl+C
      const exit = await p.exit();
      expect(exit.code).toBe(0);
      expect(peer.received).toEqual(['text:hello', 'ping:abc']);
      expect(peer.closes).toEqual([{ code: 1000, reason: '' }]);
      expect(screen(p)).toMatch(/close 1000 \(clean\)/);
    });

    it('a reply arriving while a line is half typed: printed above, the prompt redrawn with the same text', async () => {
      let client: WebSocket | undefined;
      const peer = await echoPeer((ws) => (client = ws));
      const p = inTerminal('connect', peer.url);
      await p.waitForLine(/open ws:\/\//);
      p.child.stdin.write('draft');
      await until(() => screen(p).includes('> draft'), 'the typed text at the prompt');
      client!.send('pushed by the server');
      await p.waitForLine(/← text 20 B: pushed by the server/);
      await until(
        () => /← text 20 B: pushed by the server\n> draft/.test(screen(p)),
        'the prompt and the draft redrawn under the reply',
      );
      p.child.stdin.write('\r');
      await until(() => peer.received.includes('text:draft'), 'the draft sent when Enter is pressed');
      p.child.stdin.write('/close 4002 done here\r');
      expect((await p.exit()).code).toBe(0);
      expect(peer.closes).toEqual([{ code: 4002, reason: 'done here' }]);
    });

    it('with --send in a terminal the run stays one-shot: it closes after --wait of silence, exit 0', async () => {
      const peer = await echoPeer();
      const p = inTerminal('connect', peer.url, '--send', 'once', '--wait', '300');
      expect((await p.exit()).code).toBe(0);
      expect(peer.received).toEqual(['text:once']);
      expect(screen(p)).toMatch(/← text 4 B: once\nclose 1000 \(clean\)/);
    });
  },
);

describe('duplex connect -i with piped stdin', () => {
  it('/ping, /binary, plain lines and //escaped lines in order; /close CODE REASON; --json events; exit 0', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', '-i', peer.url, '--json'));
    p.child.stdin.write('hello\n/ping abc\n/binary 00 ff 10\n//slash\n');
    await until(() => peer.received.length === 4, 'four frames at the server');
    await p.waitForLine(/"event":"pong"/);
    p.child.stdin.write('/close 4001 bye now\n');
    expect((await p.exit()).code).toBe(0);
    expect(peer.received).toEqual(['text:hello', 'ping:abc', 'binary:00ff10', 'text:/slash']);
    expect(peer.closes).toEqual([{ code: 4001, reason: 'bye now' }]);
    const events = p.events;
    expect(events.filter((e) => e['event'] === 'message' && e['dir'] === 'in').map((e) => e['data'])).toEqual(
      ['hello', 'AP8Q', '/slash'],
    );
    expect(events).toContainEqual({ event: 'pong', dir: 'in', data: 'abc', size: 3 });
    expect(events.at(-1)).toEqual({ event: 'close', code: 4001, reason: 'bye now', wasClean: true });
  });

  it('a bad /close code, /binary with bad hex and an unknown command are reported on stderr; the session goes on', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', '-i', peer.url));
    p.child.stdin.write('/close 1001\n/binary 0g\n/nope\n/help\nstill here\n');
    await p.waitForLine(/← text 10 B: still here/);
    await until(() => p.stderrLines.length >= 4, 'the three errors and the help');
    expect(p.stderr).toMatch(/Close code 1001 is not allowed/);
    expect(p.stderr).toMatch(/hex/i);
    expect(p.stderr).toMatch(/Unknown command \/nope; type \/help/);
    expect(p.stderr).toMatch(/\/close \[CODE \[REASON\]\]/);
    p.child.stdin.write('/close\n');
    expect((await p.exit()).code).toBe(0);
    expect(peer.closes).toEqual([{ code: 1000, reason: '' }]);
  });

  it('--allow-wire-codes lets /close send 1011', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', '-i', '--allow-wire-codes', peer.url));
    p.child.stdin.write('/close 1011 broke\n');
    expect((await p.exit()).code).toBe(0);
    expect(peer.closes).toEqual([{ code: 1011, reason: 'broke' }]);
  });

  it('after the input ends the connection closes after --wait ms of silence', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', '-i', peer.url, '--wait', '200'));
    p.child.stdin.end('last\n');
    expect((await p.exit()).code).toBe(0);
    expect(peer.received).toEqual(['text:last']);
  });
});

describe('duplex connect with lines piped in (no -i)', () => {
  it('sends each line as text, after the --send messages, slash lines included as they are', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', peer.url, '--send', 'first', '--count', '3', '--json'));
    p.child.stdin.end('piped one\n/ping literally\n');
    expect((await p.exit()).code).toBe(0);
    expect(peer.received).toEqual(['text:first', 'text:piped one', 'text:/ping literally']);
  });
});

describe('duplex connect --keep-open', () => {
  it('stays connected through silence longer than --wait would allow, until the peer closes (its code, exit 0)', async () => {
    const peer = await echoPeer((ws) => setTimeout(() => ws.close(4005, 'server done'), 1800));
    const started = Date.now();
    const p = track(duplex('connect', peer.url, '--keep-open', '--send', 'hi', '--json'));
    expect((await p.exit()).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1800);
    expect(p.events.at(-1)).toEqual({ event: 'close', code: 4005, reason: 'server done', wasClean: true });
  });

  it('ends on SIGINT with a 1000 close, exit 0', async () => {
    const peer = await echoPeer();
    const p = track(duplex('connect', peer.url, '--keep-open', '--send', 'hi'));
    await p.waitForLine(/← text 2 B: hi/);
    p.child.kill('SIGINT');
    expect((await p.exit()).code).toBe(0);
    expect(peer.closes).toEqual([{ code: 1000, reason: '' }]);
  });

  it('--keep-open with --wait is a usage error (exit 2) before connecting', async () => {
    const p = track(duplex('connect', 'ws://127.0.0.1:1/', '--keep-open', '--wait', '10'));
    expect((await p.exit()).code).toBe(2);
    expect(p.stderr).toMatch(/--keep-open and --wait/);
  });
});

describe('connect input modes and the slash-command parser', () => {
  const tty = { stdin: true, stdout: true };
  it('a terminal makes a run interactive unless --send, --count or --wait make it one-shot; -i always', () => {
    const flags = { header: [], protocol: [] };
    expect(planConnect('ws://h/', flags, [], tty)).toMatchObject({ input: 'interactive', prompt: true });
    expect(planConnect('ws://h/', { ...flags, count: '1' }, [], tty).input).toBe('none');
    expect(planConnect('ws://h/', flags, [{ flag: '--send', value: 'x' }], tty).input).toBe('none');
    expect(planConnect('ws://h/', flags, []).input).toBe('piped');
    expect(planConnect('ws://h/', { ...flags, interactive: true }, [])).toMatchObject({
      input: 'interactive',
      prompt: false,
    });
  });

  it('parses lines into sends and commands', () => {
    expect(parseInputLine('hi')).toEqual({ kind: 'send', payload: { type: 'text', text: 'hi' } });
    expect(parseInputLine('//x')).toEqual({ kind: 'send', payload: { type: 'text', text: '/x' } });
    expect(parseInputLine('')).toEqual({ kind: 'empty' });
    expect(parseInputLine('/ping')).toEqual({ kind: 'ping' });
    expect(parseInputLine('/close 3000 a b')).toEqual({ kind: 'close', code: 3000, reason: 'a b' });
    expect(parseInputLine('/close')).toEqual({ kind: 'close' });
    expect(() => parseInputLine('/close 1001')).toThrow(/1001/);
    expect(parseInputLine('/close 1001', true)).toEqual({ kind: 'close', code: 1001 });
    expect(() => parseInputLine('/close 3000 ' + 'x'.repeat(124))).toThrow(/123/);
    expect(() => parseInputLine('/binary')).toThrow(/hex/);
  });
});
