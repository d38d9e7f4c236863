/**
 * `duplex connect URL`: opens a client connection, sends the given messages in
 * command-line order, waits for replies (a count, the peer's close, or a quiet
 * period), closes, and prints every event. Arguments are checked with the
 * engine's own rules before any connection is made; bad ones exit 2.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { connectOptionsSchema, type ConnectOptions, type Payload } from '../app/contract.js';
import { Engine } from '../app/engine.js';
import { DuplexError, ErrorCodes, toErrorInfo, type ErrorInfo } from '../app/errors.js';
import type { ClientConnection, CloseEventInfo } from '../app/connections/client-connection.js';
import type { LogEntry } from '../app/log/message-log.js';
import { base64ToBytes, hexToBytes } from '../app/payload/codecs.js';
import { checkCloseArgs, checkWellFormed, parseWebSocketUrl, ReadyState } from '../app/websocket-rules.js';
import { Output, arrow, describeMessage, messageData, oneLine } from './output.js';

export const DEFAULT_WAIT_MS = 1000;
export const DEFAULT_CLOSE_CODE = 1000;
const MAX_TIMER_MS = 2_147_483_647;

/** A --send, --send-hex or --send-base64 as written, in command-line order. */
export interface RawSend {
  flag: '--send' | '--send-hex' | '--send-base64';
  value: string;
}

interface ConnectFlags {
  header: string[];
  protocol: string[];
  origin?: string;
  count?: string;
  wait?: string;
  close?: string;
  reason?: string;
  insecure?: boolean;
  ca?: string;
  handshakeTimeout?: string;
  json?: boolean;
  record?: string;
}

/** Everything `duplex connect` will do, checked. */
export interface ConnectPlan {
  options: ConnectOptions;
  sends: Payload[];
  count: number | undefined;
  waitMs: number;
  closeCode: number;
  closeReason: string | undefined;
  json: boolean;
  /** Session file to record the connection into. */
  record?: string | undefined;
}

export interface ConnectSession {
  engine: Engine;
  connection: ClientConnection;
}

export function registerConnect(program: Command): void {
  // Commander keeps each option's values apart; one shared list keeps their order across the three flags.
  const sends: RawSend[] = [];
  const send =
    (flag: RawSend['flag']) =>
    (value: string): string => {
      sends.push({ flag, value });
      return value;
    };
  program
    .command('connect')
    .description('Connect to a WebSocket server, send messages, print what comes back, then close')
    .argument('<URL>', 'ws:// or wss:// URL')
    .option('--header <header>', 'request header written "Name: value" (repeatable)', collect, [] as string[])
    .option('--protocol <P>', 'subprotocol to offer (repeatable)', collect, [] as string[])
    .option('--origin <O>', 'Origin header')
    .option('--send <TEXT>', 'send a text message (repeatable)', send('--send'))
    .option('--send-hex <HEX>', 'send a binary message given as hex (repeatable)', send('--send-hex'))
    .option(
      '--send-base64 <B64>',
      'send a binary message given as base64 (repeatable)',
      send('--send-base64'),
    )
    .option('--count <N>', 'close after receiving N messages')
    .option('--wait <MS>', `close after MS ms without traffic (default ${DEFAULT_WAIT_MS})`)
    .option('--close <CODE>', `close code (default ${DEFAULT_CLOSE_CODE}; 1000 or 3000–4999)`)
    .option('--reason <R>', 'close reason (at most 123 UTF-8 bytes)')
    .option('--insecure', 'accept self-signed and untrusted TLS certificates')
    .option('--ca <FILE>', 'trust the CA certificate(s) in this PEM file')
    .option('--handshake-timeout <MS>', 'give up when the handshake takes longer than MS ms')
    .option('--json', 'print one JSON object per line')
    .option('--record <FILE>', 'record the session to FILE (see docs/session-format.md)')
    .action(async (url: string, flags: ConnectFlags) => {
      let plan: ConnectPlan;
      try {
        plan = planConnect(url, flags, sends);
      } catch (err) {
        process.stderr.write(`duplex connect: ${toErrorInfo(err).message}\n`);
        process.exit(2);
      }
      await runConnect(plan);
    });
}

/** Checks every argument with the engine's rules; throws the DuplexError of the first bad one. */
export function planConnect(url: string, flags: ConnectFlags, rawSends: readonly RawSend[]): ConnectPlan {
  parseWebSocketUrl(url);
  const closeCode = flags.close === undefined ? DEFAULT_CLOSE_CODE : integer('--close', flags.close);
  const bad = checkCloseArgs(closeCode, flags.reason);
  if (bad) throw bad;

  const sends = rawSends.map((s) => toPayload(s));
  const count = flags.count === undefined ? undefined : integer('--count', flags.count, 1);
  const waitMs = flags.wait === undefined ? DEFAULT_WAIT_MS : integer('--wait', flags.wait, 0, MAX_TIMER_MS);

  const headers: Record<string, string> = {};
  for (const h of flags.header) {
    const [name, value] = parseHeader(h);
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const seen = new Set<string>();
  for (const p of flags.protocol) {
    if (seen.has(p)) throw syntax(`Subprotocol "${p}" is given twice; offer each --protocol once.`);
    seen.add(p);
  }

  const options: ConnectOptions = { url };
  if (Object.keys(headers).length > 0) options.headers = headers;
  if (flags.protocol.length > 0) options.protocols = flags.protocol;
  if (flags.origin !== undefined) options.origin = flags.origin;
  if (flags.handshakeTimeout !== undefined) {
    options.handshakeTimeoutMs = integer('--handshake-timeout', flags.handshakeTimeout, 1);
  }
  if (flags.insecure || flags.ca !== undefined) {
    options.tls = {};
    if (flags.insecure) options.tls.insecure = true;
    if (flags.ca !== undefined) options.tls.ca = readCa(flags.ca);
  }
  const parsed = connectOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `${describePath(issue.path)}: ${issue.message}. Fix that argument and run again.`,
    );
  }
  return {
    options: parsed.data,
    sends,
    count,
    waitMs,
    closeCode,
    closeReason: flags.reason,
    json: flags.json ?? false,
    record: flags.record,
  };
}

/**
 * Builds the engine and opens the connection. The one place where engine
 * objects are made, so options such as recording hook in here.
 */
export function openConnect(plan: ConnectPlan): ConnectSession {
  const engine = new Engine();
  const connection = engine.openConnection(plan.options);
  if (plan.record !== undefined) {
    // The file opens in the background; the recording holds every entry from the first.
    engine.sessions.recordToFile(connection.id, plan.record).catch((err: unknown) => {
      connection.terminate();
      process.stderr.write(`duplex connect: ${toErrorInfo(err).message}\n`);
      process.exit(2);
    });
  }
  return { engine, connection };
}

export async function runConnect(plan: ConnectPlan): Promise<void> {
  const out = new Output(plan.json);
  const { engine, connection: conn } = openConnect(plan);
  let openedAt = 0;
  let received = 0;
  let failed = false;
  let closing = false;
  let idle: NodeJS.Timeout | undefined;

  const armIdle = (): void => {
    if (closing) return;
    if (idle) idle.refresh();
    else idle = setTimeout(closeNow, plan.waitMs);
  };
  const closeNow = (): void => {
    if (closing) return;
    closing = true;
    if (idle) clearTimeout(idle);
    if (conn.readyState === ReadyState.OPEN) conn.close(plan.closeCode, plan.closeReason);
    else if (conn.readyState === ReadyState.CONNECTING) conn.terminate();
  };
  const onError = (info: ErrorInfo): void => {
    failed = true;
    out.error(info, 'duplex connect');
  };
  const onClose = ({ code, reason, wasClean }: CloseEventInfo): void => {
    if (idle) clearTimeout(idle);
    out.emit(
      { event: 'close', code, reason, wasClean },
      () => `close ${code}${reason ? ` ${oneLine(reason)}` : ''} (${wasClean ? 'clean' : 'abnormal'})`,
    );
    void engine.dispose().then(() => out.exit(wasClean && !failed ? 0 : 1));
  };

  conn.log.on('entry', (entry: LogEntry) => {
    // `t` counts from the log's own open entry: the same clock as the message entries.
    if (entry.kind === 'open') openedAt = entry.t;
    if (entry.kind !== 'text' && entry.kind !== 'binary') return;
    if (entry.dir === 'in') {
      // With --count, exactly N incoming messages are reported, even if more arrive while closing.
      if (plan.count !== undefined && received >= plan.count) return;
      received++;
    }
    out.emit(
      {
        event: 'message',
        dir: entry.dir,
        type: entry.kind,
        data: messageData(entry),
        size: entry.size,
        t: Math.max(0, entry.t - openedAt),
      },
      () => `${arrow(entry.dir)} ${describeMessage(entry)}`,
    );
    if (plan.count !== undefined && received >= plan.count) closeNow();
    else armIdle();
  });
  conn.on('open', () => {
    const hs = conn.handshake;
    out.emit(
      {
        event: 'open',
        url: conn.url,
        protocol: conn.protocol,
        status: hs?.status ?? 101,
        headers: hs?.headers ?? {},
      },
      () =>
        `open ${conn.url} (status ${hs?.status ?? 101}, ${conn.protocol ? `protocol ${conn.protocol}` : 'no protocol'})`,
    );
    for (const payload of plan.sends) {
      try {
        conn.send(payload);
      } catch (err) {
        onError(toErrorInfo(err));
        break;
      }
    }
    armIdle();
  });
  conn.on('error', onError);
  conn.on('close', onClose);

  // ws can refuse synchronously (inside openConnection), before the listeners above existed.
  const info = conn.info();
  if (info.readyState === ReadyState.CLOSED) {
    if (info.error) onError(info.error);
    onClose({ code: info.closeCode ?? 1006, reason: info.closeReason ?? '', wasClean: false });
    return;
  }
  process.on('SIGINT', closeNow);
  process.on('SIGTERM', closeNow);
}

function toPayload(send: RawSend): Payload {
  try {
    switch (send.flag) {
      case '--send': {
        const bad = checkWellFormed(send.value);
        if (bad) throw bad;
        return { type: 'text', text: send.value };
      }
      case '--send-hex':
        return { type: 'binary', data: hexToBytes(send.value) as Uint8Array<ArrayBuffer> };
      case '--send-base64':
        return { type: 'binary', data: base64ToBytes(send.value) as Uint8Array<ArrayBuffer> };
    }
  } catch (err) {
    const info = toErrorInfo(err);
    throw new DuplexError(info.code, `${send.flag} ${JSON.stringify(send.value)}: ${info.message}`);
  }
}

function parseHeader(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!name) {
    throw syntax(
      `--header ${JSON.stringify(text)} is not "Name: value"; write it like --header "Authorization: Bearer abc".`,
    );
  }
  return [name, text.slice(colon + 1).trim()];
}

function integer(
  flag: string,
  value: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    if (flag === '--close') {
      throw new DuplexError(
        ErrorCodes.INVALID_ACCESS,
        `Close code "${value}" is not allowed: use 1000 (normal closure) or an application code from 3000 to 4999.`,
      );
    }
    const range = max === MAX_TIMER_MS ? `from ${min} to ${max}` : `of at least ${min}`;
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `${flag} ${JSON.stringify(value)}: expected a whole number ${range}.`,
    );
  }
  return n;
}

function readCa(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new DuplexError(
      ErrorCodes.FILE,
      `--ca ${file}: cannot read it (${(err as Error).message}); pass the path of a PEM certificate file.`,
    );
  }
}

function describePath(path: readonly PropertyKey[]): string {
  const [head, second] = path.map(String);
  if (head === 'headers') return `--header ${second ?? ''}`.trim();
  if (head === 'protocols') return '--protocol';
  if (head === 'origin') return '--origin';
  if (head === 'handshakeTimeoutMs') return '--handshake-timeout';
  if (head === 'url') return 'URL';
  return path.join('.') || 'arguments';
}

function syntax(message: string): DuplexError {
  return new DuplexError(ErrorCodes.SYNTAX, message);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
