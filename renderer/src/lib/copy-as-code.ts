/**
 * "Copy as code": the current request (URL, headers, subprotocols, origin,
 * TLS check, and the draft message when there is one) as a command or a
 * program for another client. Pure: strings in, a string out; every value is
 * quoted for the shell or the language it lands in.
 */
import type { ConnectOptions } from '../../../app/contract.js';
import { CREDENTIAL_HEADERS, REDACTED } from '../../../app/variables/variable-names.js';

export const codeTargets = ['wscat', 'websocat', 'javascript', 'python'] as const;
export type CodeTarget = (typeof codeTargets)[number];
export const codeTargetLabels: Record<CodeTarget, string> = {
  wscat: 'wscat',
  websocat: 'websocat',
  javascript: 'JavaScript (WebSocket)',
  python: 'Python (websockets)',
};

export interface CodeRequest {
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
  origin?: string;
  /** Skip the TLS certificate check. */
  insecure?: boolean;
  /** A text message to send once open. */
  message?: string;
}

/** The parts of a connection's options another client can reproduce, and a text message to send. */
export function codeRequestFrom(options: ConnectOptions, message?: string): CodeRequest {
  const request: CodeRequest = { url: options.url };
  if (options.headers) request.headers = options.headers;
  if (options.protocols) request.protocols = options.protocols;
  if (options.origin) request.origin = options.origin;
  if (options.tls?.insecure) request.insecure = true;
  if (message !== undefined && message !== '') request.message = message;
  return request;
}

/** The request with Authorization / Cookie (and their kin) values as `[redacted]`: the default when copying. */
export function redactCredentials(request: CodeRequest): CodeRequest {
  if (!request.headers) return request;
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      CREDENTIAL_HEADERS.has(name.toLowerCase()) ? REDACTED : value,
    ]),
  );
  return { ...request, headers };
}

export function requestAsCode(target: CodeTarget, request: CodeRequest): string {
  switch (target) {
    case 'wscat':
      return wscat(request);
    case 'websocat':
      return websocat(request);
    case 'javascript':
      return javascript(request);
    case 'python':
      return python(request);
  }
}

/** POSIX shell single quotes: safe for any text; a quote inside becomes '\''. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Parts are the program, then an option with its value each; one part per line once the line gets long. */
function command(parts: string[]): string {
  const line = parts.join(' ');
  return line.length <= 100 ? line : parts.join(' \\\n  ');
}

function wscat(r: CodeRequest): string {
  const parts = [`wscat -c ${shellQuote(r.url)}`];
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  for (const p of r.protocols ?? []) parts.push(`-s ${shellQuote(p)}`);
  if (r.origin) parts.push(`-o ${shellQuote(r.origin)}`);
  if (r.insecure) parts.push('-n');
  // -x sends once connected; -w -1 then keeps the connection open to print replies.
  if (r.message !== undefined) parts.push(`-x ${shellQuote(r.message)}`, '-w -1');
  return command(parts);
}

function websocat(r: CodeRequest): string {
  const parts = ['websocat'];
  for (const [name, value] of Object.entries(r.headers ?? {})) {
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  if (r.protocols?.length) parts.push(`--protocol ${shellQuote(r.protocols.join(', '))}`);
  if (r.origin) parts.push(`--origin ${shellQuote(r.origin)}`);
  if (r.insecure) parts.push('-k');
  if (r.message === undefined) return command([...parts, shellQuote(r.url)]);
  // websocat sends each line of its input as one message; a message of several lines is
  // ended with NUL instead (-0). -n keeps the connection open for replies after the input ends.
  const lines = r.message.includes('\n');
  const run = command([...parts, ...(lines ? ['-0'] : []), '-n', shellQuote(r.url)]);
  return `printf ${lines ? "'%s\\0'" : "'%s\\n'"} ${shellQuote(r.message)} | ${run}`;
}

function javascript(r: CodeRequest): string {
  const lines: string[] = [];
  const headers = Object.keys(r.headers ?? {});
  if (headers.length > 0 || r.origin) {
    lines.push(
      '// A browser WebSocket cannot set request headers: the browser sends its own.',
      `// Not sent from here: ${[...headers, ...(r.origin ? ['Origin'] : [])].join(', ')}.`,
      '// Use a query parameter or a first message instead, or a Node client such as `ws`.',
    );
  }
  if (r.insecure)
    lines.push('// Certificate checks cannot be turned off from page code; the browser decides.');
  const protocols = r.protocols ?? [];
  const args = [jsString(r.url)];
  if (protocols.length === 1) args.push(jsString(protocols[0]!));
  else if (protocols.length > 1) args.push(`[${protocols.map(jsString).join(', ')}]`);
  lines.push(
    `const ws = new WebSocket(${args.join(', ')});`,
    "ws.binaryType = 'arraybuffer';",
    "ws.addEventListener('open', () => {",
    "  console.log('open', ws.protocol);",
  );
  if (r.message !== undefined) lines.push(`  ws.send(${jsString(r.message)});`);
  lines.push(
    '});',
    "ws.addEventListener('message', (event) => console.log('message', event.data));",
    "ws.addEventListener('close', (event) => console.log('close', event.code, event.reason));",
  );
  return lines.join('\n');
}

function python(r: CodeRequest): string {
  const options: string[] = [];
  const headers = Object.entries(r.headers ?? {});
  if (headers.length > 0) {
    options.push(
      `additional_headers={${headers.map(([n, v]) => `${pyString(n)}: ${pyString(v)}`).join(', ')}}`,
    );
  }
  if (r.protocols?.length) options.push(`subprotocols=[${r.protocols.map(pyString).join(', ')}]`);
  if (r.origin) options.push(`origin=${pyString(r.origin)}`);
  const tls = r.insecure && /^wss:/i.test(r.url);
  if (tls) options.push('ssl=insecure');
  const call = options.length
    ? `connect(\n        ${[pyString(r.url), ...options].join(',\n        ')},\n    )`
    : `connect(${pyString(r.url)})`;
  const lines = [
    '# websockets 13 or newer (pip install websockets); before 13, use',
    '# websockets.connect(...) with extra_headers= instead of additional_headers=.',
    'import asyncio',
    ...(tls ? ['import ssl'] : []),
    '',
    'from websockets.asyncio.client import connect',
    '',
  ];
  if (tls) {
    lines.push(
      '# Skips the certificate check, as the request does.',
      'insecure = ssl.create_default_context()',
      'insecure.check_hostname = False',
      'insecure.verify_mode = ssl.CERT_NONE',
      '',
    );
  }
  lines.push(
    '',
    'async def main():',
    `    async with ${call} as ws:`,
    '        print("open", ws.subprotocol)',
  );
  if (r.message !== undefined) lines.push(`        await ws.send(${pyString(r.message)})`);
  lines.push(
    '        async for message in ws:',
    '            print("message", message)',
    '',
    '',
    'asyncio.run(main())',
  );
  return lines.join('\n');
}

/** A JavaScript string literal (JSON's escapes, plus U+2028/9 for older parsers). */
function jsString(value: string): string {
  return `'${JSON.stringify(value)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}'`;
}

/** A Python str literal: double quotes (single when the text has double and no single quotes); escapes as needed. */
function pyString(value: string): string {
  const quote = value.includes('"') && !value.includes("'") ? "'" : '"';
  let out = quote;
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += `\\u${cp.toString(16)}`;
    else out += ch;
  }
  return out + quote;
}
