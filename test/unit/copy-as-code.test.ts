/**
 * "Copy as code" snippets, each checked by what reads it: the shell parses the
 * wscat and websocat commands (wscat is run against a real server), Node runs
 * the JavaScript with `ws` standing in for the browser's WebSocket, Python
 * parses the Python and its string literals must read back as the values.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { requestAsCode, shellQuote, type CodeRequest } from '../../renderer/src/lib/copy-as-code.js';

const ROOT = join(import.meta.dirname, '../..');
/** Characters a shell or a string literal would take for its own. */
const asciiTricky = `it's "quoted" $HOME \`id\` \\ back; & | *`;
const tricky = `${asciiTricky} é 😀`;

/** The words bash makes of a command line (the program name replaced by a printer). */
function shellWords(commandLine: string, program: string): { words: string[]; stdin: string } {
  const script = `${program}() { printf '%s\\0' "$@"; printf '\\1'; cat; }\n${commandLine}`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const [args, stdin] = r.stdout.split('\u0001') as [string, string];
  return { words: args.split('\0').slice(0, -1), stdin };
}

interface Seen {
  headers: Record<string, string | string[] | undefined>;
  protocol: string;
  messages: string[];
}

const protocolsOf = (seen: Seen): string[] =>
  String(seen.headers['sec-websocket-protocol'] ?? '').split(/\s*,\s*/);

let server: WebSocketServer | undefined;
afterEach(() => server?.close());

async function startServer(): Promise<{ url: string; seen: Promise<Seen> }> {
  server = new WebSocketServer({ port: 0, handleProtocols: (protocols) => [...protocols].at(-1) ?? false });
  await once(server, 'listening');
  const seen = new Promise<Seen>((resolve) => {
    server!.on('connection', (socket, request) => {
      socket.on('message', (data) => {
        resolve({ headers: request.headers, protocol: socket.protocol, messages: [data.toString()] });
        socket.close(1000);
      });
    });
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/path?q=a&b=c`, seen };
}

describe('shell quoting', () => {
  it('leaves plain words alone and makes anything else one literal word', () => {
    expect(shellQuote('ws://127.0.0.1:8080/x')).toBe('ws://127.0.0.1:8080/x');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const values = [tricky, '', ' ', '$(rm -rf /)', "'", 'a\nb', '!event', '*'];
    const line = `show ${values.map(shellQuote).join(' ')}`;
    expect(shellWords(line, 'show').words).toEqual(values);
  });
});

describe('wscat', () => {
  it('is one command the shell splits into the right options', () => {
    const request: CodeRequest = {
      url: 'wss://example.com/feed?x=1&y=2',
      headers: { Authorization: 'Bearer abc', 'X-Note': tricky },
      protocols: ['v2.chat', 'v1.chat'],
      origin: 'https://app.example',
      insecure: true,
    };
    const code = requestAsCode('wscat', request);
    expect(code.split(/\s/)[0]).toBe('wscat');
    expect(shellWords(code, 'wscat').words).toEqual([
      '-c',
      'wss://example.com/feed?x=1&y=2',
      '-H',
      'Authorization: Bearer abc',
      '-H',
      `X-Note: ${tricky}`,
      '-s',
      'v2.chat',
      '-s',
      'v1.chat',
      '-o',
      'https://app.example',
      '-n',
    ]);
  });

  it(
    'connects with the headers, subprotocols and origin, and sends the message (run against a server)',
    { timeout: 20_000 },
    async () => {
      const { url, seen } = await startServer();
      const message = `{"say": ${JSON.stringify(tricky)}}`;
      const code = requestAsCode('wscat', {
        url,
        // Header values are Latin-1 on the wire (Node refuses others): the shell's special characters are the test.
        headers: { 'X-Token': asciiTricky },
        protocols: ['one', 'two'],
        origin: 'https://o.example',
        message,
      });
      const wscat = join(ROOT, 'node_modules/wscat/bin/wscat');
      const child = spawn('bash', ['-c', `wscat() { exec node ${shellQuote(wscat)} "$@"; }\n${code}`], {
        // stdin stays open: wscat quits when its console input ends.
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        const got = await Promise.race([
          seen,
          once(child, 'exit').then(() => Promise.reject(new Error(`wscat exited: ${stderr}`))),
        ]);
        expect(got.messages).toEqual([message]);
        expect(got.headers['x-token']).toBe(asciiTricky);
        expect(protocolsOf(got)).toEqual(['one', 'two']);
        expect(got.protocol).toBe('two');
        expect(got.headers['origin']).toBe('https://o.example');
      } finally {
        child.kill();
      }
    },
  );
});

describe('websocat', () => {
  it('puts headers, protocols, origin and -k before the URL', () => {
    const code = requestAsCode('websocat', {
      url: 'wss://example.com/a b',
      headers: { 'X-Note': tricky },
      protocols: ['a', 'b'],
      origin: 'https://o',
      insecure: true,
    });
    expect(shellWords(code, 'websocat').words).toEqual([
      '-H',
      `X-Note: ${tricky}`,
      '--protocol',
      'a, b',
      '--origin',
      'https://o',
      '-k',
      'wss://example.com/a b',
    ]);
  });

  it('pipes a one-line message as a line, and a message of several lines NUL-terminated with -0', () => {
    const one = shellWords(requestAsCode('websocat', { url: 'ws://h/', message: tricky }), 'websocat');
    expect(one).toEqual({ words: ['-n', 'ws://h/'], stdin: `${tricky}\n` });
    const multi = '{\n  "a": 1\n}';
    const many = shellWords(requestAsCode('websocat', { url: 'ws://h/', message: multi }), 'websocat');
    expect(many).toEqual({ words: ['-0', '-n', 'ws://h/'], stdin: `${multi}\0` });
  });
});

describe('JavaScript WebSocket', () => {
  it('says in a comment that a browser cannot set headers or Origin, and names them', () => {
    const code = requestAsCode('javascript', {
      url: 'ws://h/',
      headers: { Authorization: 'x', 'X-Id': 'y' },
      origin: 'https://o',
    });
    expect(code).toMatch(/^\/\/ A browser WebSocket cannot set request headers/);
    expect(code).toContain('// Not sent from here: Authorization, X-Id, Origin.');
    expect(code).not.toContain("'x'");
    expect(requestAsCode('javascript', { url: 'ws://h/' })).not.toMatch(/headers/);
  });

  it('runs: opens with the subprotocols and sends the message exactly', async () => {
    const { url, seen } = await startServer();
    const message = `${tricky}\n\u2028 </script> '\\'`;
    const code = requestAsCode('javascript', { url, protocols: ['p1', 'p2'], message });
    const quiet = { log: () => undefined };
    // `ws` has the browser's constructor (url, protocols) and addEventListener.
    new Function('WebSocket', 'console', code)(WebSocket, quiet);
    const got = await seen;
    expect(got.messages).toEqual([message]);
    expect(protocolsOf(got)).toEqual(['p1', 'p2']);
    expect(got.protocol).toBe('p2');
  });

  it('passes a single subprotocol as a string', () => {
    expect(requestAsCode('javascript', { url: 'ws://h/', protocols: ['graphql-ws'] })).toContain(
      "new WebSocket('ws://h/', 'graphql-ws');",
    );
  });
});

describe('Python websockets', () => {
  /** Parses the program with Python and returns every string constant in it. */
  function pythonStrings(code: string): string[] {
    const reader =
      'import ast, json, sys\n' +
      'tree = ast.parse(sys.stdin.read())\n' +
      'print(json.dumps([n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]))';
    const r = spawnSync('python3', ['-c', reader], { input: code, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as string[];
  }

  it('is valid Python whose literals are the request values, quotes and all', () => {
    const message = `${tricky}\n\t\u0001"`;
    const code = requestAsCode('python', {
      url: 'wss://example.com/x',
      headers: { 'X-Note': tricky },
      protocols: ['v1'],
      origin: 'https://o',
      insecure: true,
      message,
    });
    const strings = pythonStrings(code);
    expect(strings).toEqual(
      expect.arrayContaining(['wss://example.com/x', 'X-Note', tricky, 'v1', 'https://o', message]),
    );
    expect(code).toContain('from websockets.asyncio.client import connect');
    expect(code).toContain('additional_headers={"X-Note": ');
    expect(code).toContain('ssl=insecure');
    // JSON reads better in single quotes; the parse above proves both quotings.
    expect(requestAsCode('python', { url: 'ws://h/', message: '{"a": 1}' })).toContain(
      `await ws.send('{"a": 1}')`,
    );
    expect(pythonStrings(requestAsCode('python', { url: 'ws://h/', message: `"it's"` }))).toContain(`"it's"`);
    expect(code).toContain('insecure.verify_mode = ssl.CERT_NONE');
  });

  it('has no TLS context for ws:// and no options when there are none', () => {
    const code = requestAsCode('python', { url: 'ws://h/', insecure: true });
    expect(code).not.toContain('ssl');
    expect(code).toContain('async with connect("ws://h/") as ws:');
    expect(pythonStrings(code)).toContain('ws://h/');
  });
});
