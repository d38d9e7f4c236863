/**
 * `duplex connect URL`: opens a client connection, sends the given messages in
 * command-line order, waits for replies (a count, the peer's close, or a quiet
 * period), closes, and prints every event. Lines piped into stdin are sent
 * too; with a terminal on stdin (or -i) it is interactive: each typed line is
 * sent, with slash commands (cli/interactive.ts). Arguments are checked with the
 * engine's own rules before any connection is made; bad ones exit USAGE (2).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  connectOptionsSchema,
  type ConnectionInfo,
  type ConnectOptions,
  type Payload,
} from '../app/contract.js';
import { Engine } from '../app/engine.js';
import { DuplexError, ErrorCodes, toErrorInfo, type ErrorInfo } from '../app/errors.js';
import type { LogEntry } from '../app/log/message-log.js';
import { base64ToBytes, hexToBytes } from '../app/payload/codecs.js';
import { redactError, type Redactor } from '../app/variables/redact.js';
import { checkCloseArgs, checkWellFormed, clientCloseRule, ReadyState } from '../app/websocket-rules.js';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import {
  MAX_TIMER_MS,
  addRedactOption,
  addVariableOptions,
  variableChoiceOf,
  checkWebSocketUrl,
  collect,
  wholeNumberArg,
  jsonOption,
  parseHeaders,
  readFlagFile,
} from './options.js';
import {
  InOrder,
  Output,
  arrow,
  describeMessage,
  messageData,
  oneLine,
  printError,
  redactedEntry,
} from './output.js';
import { LineInput, SLASH_HELP, parseInputLine, type InputCommand } from './interactive.js';

export const DEFAULT_WAIT_MS = 1000;
export const DEFAULT_CLOSE_CODE = 1000;

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
  allowWireCodes?: boolean;
  insecure?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  pfx?: string;
  passphrase?: string;
  reconnect?: string;
  heartbeat?: string;
  handshakeTimeout?: string;
  json?: boolean;
  record?: string;
  env?: string;
  var?: string[];
  workspace?: string;
  redact?: boolean;
  interactive?: boolean;
  keepOpen?: boolean;
}

/**
 * Where stdin lines go: `interactive` (typed lines and slash commands),
 * `piped` (each line sent as text), or `none` (a terminal on a one-shot run).
 */
export type ConnectInput = 'interactive' | 'piped' | 'none';

/** Everything `duplex connect` will do, checked. */
export interface ConnectPlan {
  options: ConnectOptions;
  sends: Payload[];
  count: number | undefined;
  waitMs: number;
  closeCode: number;
  closeReason: string | undefined;
  /** --close may be any code valid on the wire, not only the browser's. */
  allowWireCodes: boolean;
  json: boolean;
  /** Session file to record the connection into. */
  record?: string | undefined;
  /** `--env` and `--var`: what `{{name}}` in the URL, headers and messages resolves with. */
  variables: { environment?: string; vars?: Record<string, string> };
  /** The workspace folder holding environments/ and secrets.local.json. */
  workspace: string;
  /** False with --no-redact: secrets and Authorization/Cookie values are printed and recorded as they are. */
  redact: boolean;
  input: ConnectInput;
  /** Stay connected until the peer closes or Ctrl+C; no --wait. */
  keepOpen: boolean;
  /** Draw a prompt (stdin and stdout are terminals). */
  prompt: boolean;
}

/** Whether stdin and stdout are terminals (process.stdin.isTTY and process.stdout.isTTY). */
export interface Terminals {
  stdin: boolean;
  stdout: boolean;
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
    .option(
      '--close <CODE>',
      `close code (default ${DEFAULT_CLOSE_CODE}; 1000 or 3000–4999, any wire code with --allow-wire-codes)`,
    )
    .option('--reason <R>', 'close reason (at most 123 UTF-8 bytes)')
    .option(
      '--allow-wire-codes',
      'let --close be any code valid on the wire (1001–1003, 1007–1014 too), to test how the server handles it',
    )
    .option('--insecure', 'accept self-signed and untrusted TLS certificates')
    .option('--ca <FILE>', 'trust the CA certificate(s) in this PEM file')
    .option('--cert <FILE>', 'client certificate (PEM) for servers that ask for one; needs --key')
    .option('--key <FILE>', 'private key (PEM) of --cert')
    .option(
      '--pfx <FILE>',
      'client certificate and key as a PKCS#12 (.pfx/.p12) file, instead of --cert/--key',
    )
    .option('--passphrase <P>', 'passphrase of --pfx or of an encrypted --key')
    .option('--reconnect <N>', 'when the connection drops, reconnect up to N times (with backoff)')
    .option('--heartbeat <MS>', 'ping every MS ms; drop the connection when no pong comes back in that time')
    .option('--handshake-timeout <MS>', 'give up when the handshake takes longer than MS ms')
    .addOption(jsonOption())
    .option('--record <FILE>', 'record the session to FILE (see docs/session-format.md)')
    .option(
      '-i, --interactive',
      'send each line read from stdin, with /ping, /close, /binary and /help (the default with a terminal on stdin and no --send, --count or --wait)',
    )
    .option(
      '--keep-open',
      'stay connected until the peer closes or Ctrl+C, however quiet (instead of --wait)',
    );
  const connect = program.commands.at(-1)!;
  addVariableOptions(connect);
  addRedactOption(connect);
  connect.action(async (url: string, flags: ConnectFlags) => {
    let plan: ConnectPlan;
    try {
      plan = planConnect(url, flags, sends, {
        stdin: process.stdin.isTTY === true,
        stdout: process.stdout.isTTY === true,
      });
    } catch (err) {
      const info = toErrorInfo(err);
      printError('duplex connect', info.message);
      process.exit(exitCodeFor(info.code));
    }
    await runConnect(plan);
  });
}

/** Checks every argument with the engine's rules; throws the DuplexError of the first bad one. */
export function planConnect(
  url: string,
  flags: ConnectFlags,
  rawSends: readonly RawSend[],
  terminals: Terminals = { stdin: false, stdout: false },
): ConnectPlan {
  // A URL with {{name}} is checked once its variables are resolved (connection.open does).
  if (!url.includes('{{')) checkWebSocketUrl(url);
  const closeCode = flags.close === undefined ? DEFAULT_CLOSE_CODE : wholeNumberArg('--close', flags.close);
  const allowWireCodes = flags.allowWireCodes ?? false;
  const bad = checkCloseArgs(closeCode, flags.reason, clientCloseRule(allowWireCodes));
  if (bad) throw bad;

  const sends = rawSends.map((s) => toPayload(s));
  const count = flags.count === undefined ? undefined : wholeNumberArg('--count', flags.count, 1);
  const waitMs =
    flags.wait === undefined ? DEFAULT_WAIT_MS : wholeNumberArg('--wait', flags.wait, 0, MAX_TIMER_MS);
  const keepOpen = flags.keepOpen ?? false;
  if (keepOpen && flags.wait !== undefined) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      '--keep-open and --wait both say when to close; give one of them.',
    );
  }
  // A terminal on stdin makes a run interactive unless its flags already say what to send and when to stop.
  const oneShot = rawSends.length > 0 || flags.count !== undefined || flags.wait !== undefined;
  const input: ConnectInput =
    flags.interactive || (terminals.stdin && !oneShot) ? 'interactive' : terminals.stdin ? 'none' : 'piped';

  const headers = parseHeaders(flags.header);
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
    options.handshakeTimeoutMs = wholeNumberArg('--handshake-timeout', flags.handshakeTimeout, 1);
  }
  if (flags.reconnect !== undefined) {
    options.reconnect = { maxAttempts: wholeNumberArg('--reconnect', flags.reconnect, 1, 1000) };
  }
  if (flags.heartbeat !== undefined) {
    options.heartbeat = { intervalMs: wholeNumberArg('--heartbeat', flags.heartbeat, 100, 3_600_000) };
  }
  const tls = tlsOptions(flags);
  if (tls) options.tls = tls;
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
    allowWireCodes,
    json: flags.json ?? false,
    record: flags.record,
    variables: variableChoiceOf(flags),
    workspace: resolve(flags.workspace ?? '.'),
    redact: flags.redact ?? true,
    input,
    keepOpen,
    prompt: input === 'interactive' && terminals.stdin && terminals.stdout,
  };
}

/**
 * Runs the plan through the engine's commands, like the UI: connection.open,
 * file.record, connection.send, connection.close. Printing follows the log
 * (every entry, full payloads) and the connection.state events (open, close, errors).
 */
export async function runConnect(plan: ConnectPlan): Promise<void> {
  const out = new Output(plan.json);
  const engine = new Engine({ flushMs: 1, workspaceDir: plan.workspace });
  // Replaced once the connection exists: what is printed passes through the connection's redactor.
  let redact: Redactor | undefined;
  let connectionId = '';
  let openedAt = 0;
  let received = 0;
  let failed = false;
  let closing = false;
  let ended = false;
  let opened = false;
  let idle: NodeJS.Timeout | undefined;
  let reported: ErrorInfo | undefined;
  // Lines are printed in log order; some wait for a command's answer (open needs the handshake).
  const printer = new InOrder((err) => onError(toErrorInfo(err)));
  const inOrder = (step: () => void | Promise<void>): void => printer.run(step);

  // Typed lines keep the connection open; it closes on /close, Ctrl+C, or --wait of silence after the input ends.
  let inputOpen = plan.input === 'interactive';
  let ready = false;
  const queued: string[] = [];
  const input = plan.input === 'none' ? undefined : startInput();

  const finish = (code: ExitCode): void => {
    if (ended) return;
    ended = true;
    input?.close();
    void out.disposed(engine, 'duplex connect').then((ok) => out.exit(ok ? code : ExitCode.FAILED));
  };
  const armIdle = (): void => {
    if (closing || plan.keepOpen || inputOpen) return;
    if (idle) idle.refresh();
    else idle = setTimeout(closeNow, plan.waitMs);
  };
  const closeNow = (code = plan.closeCode, reason = plan.closeReason): void => {
    if (closing || ended) return;
    closing = true;
    if (idle) clearTimeout(idle);
    void (async () => {
      const { readyState } = await engine.call('connection.get', { connectionId });
      // Closing while CONNECTING fails the connection, as in the browser; CLOSING or CLOSED needs nothing.
      if (readyState !== ReadyState.OPEN && readyState !== ReadyState.CONNECTING) return;
      await engine.call('connection.close', {
        connectionId,
        code,
        reason,
        allowWireCodes: plan.allowWireCodes,
      });
    })().catch((err: unknown) => onError(toErrorInfo(err)));
  };
  const onError = (info: ErrorInfo): void => {
    if (reported && reported.code === info.code && reported.message === info.message) return;
    reported = info;
    failed = true;
    // "Could not connect to <URL>": the resolved URL may hold a secret.
    out.error(redact ? redactError(info, redact) : info, 'duplex connect');
  };
  const onState = (info: ConnectionInfo): void => {
    if (info.connectionId !== connectionId) return;
    inOrder(() => {
      if (info.error) onError(info.error);
      if (info.readyState !== ReadyState.CLOSED || ended) return;
      if (idle) clearTimeout(idle);
      const code = info.closeCode ?? 1006;
      const reason = info.closeReason ?? '';
      const wasClean = info.wasClean ?? false;
      out.emit(
        { event: 'close', code, reason, wasClean },
        () => `close ${code}${reason ? ` ${oneLine(reason)}` : ''} (${wasClean ? 'clean' : 'abnormal'})`,
      );
      finish(wasClean && !failed ? ExitCode.OK : ExitCode.FAILED);
    });
  };
  const onEntry = (entry: LogEntry): void => {
    if (entry.kind === 'open') {
      // `t` counts from the log's own open entry: the same clock as the message entries.
      openedAt = entry.t;
      opened = true;
      const info = engine.call('connection.get', { connectionId });
      inOrder(async () => printOpen(out, await info, redact));
      inOrder(async () => {
        for (const payload of plan.sends) await engine.call('connection.send', { connectionId, payload });
      });
      inOrder(() => {
        ready = true;
        for (const line of queued.splice(0)) onInputLine(line);
        input?.showPrompt();
        armIdle();
      });
      return;
    }
    if (plan.input === 'interactive' && (entry.kind === 'ping' || entry.kind === 'pong')) {
      const line = out.json
        ? JSON.stringify({ event: entry.kind, dir: entry.dir, data: messageData(entry), size: entry.size })
        : `${arrow(entry.dir)} ${describeMessage(entry)}`;
      inOrder(() => out.line(line));
      return;
    }
    if (entry.kind !== 'text' && entry.kind !== 'binary') return;
    if (entry.dir === 'in') {
      // With --count, exactly N incoming messages are reported, even if more arrive while closing.
      if (plan.count !== undefined && received >= plan.count) return;
      received++;
    }
    // The line is made now, while the entry is at hand; printing it may wait for the open line.
    const line = out.json
      ? JSON.stringify({
          event: 'message',
          dir: entry.dir,
          type: entry.kind,
          data: messageData(redactedEntry(entry, redact)),
          size: entry.size,
          t: Math.max(0, entry.t - openedAt),
        })
      : `${arrow(entry.dir)} ${describeMessage(redactedEntry(entry, redact))}`;
    const countReached = entry.dir === 'in' && plan.count !== undefined && received >= plan.count;
    inOrder(() => {
      out.line(line);
      if (countReached) closeNow();
      else if (opened) armIdle();
    });
  };

  engine.subscribe((events) => {
    for (const e of events) if (e.name === 'connection.state') onState(e.payload);
  });
  try {
    // A --record path that cannot be written is reported before the connection is made.
    if (plan.record !== undefined) await engine.call('file.recordCheck', { path: plan.record });
    // Every message's variables are checked before connecting: an unknown one sends nothing.
    for (const payload of plan.sends) {
      if (payload.type === 'text' && payload.text.includes('{{')) {
        await engine.call('env.resolve', { ...plan.variables, text: payload.text });
      }
    }
    connectionId = (await engine.call('connection.open', { ...plan.options, ...plan.variables }))
      .connectionId;
    redact = engine.variables.redactor(connectionId, plan.redact);
    // The contract's events carry previews; the CLI prints whole payloads, so it follows the
    // engine's log of the connection in-process: first what opening logged, then each new entry.
    engine
      .connection(connectionId)
      .on('reconnecting', ({ attempt, delayMs }) =>
        inOrder(() =>
          out.emit(
            { event: 'reconnecting', attempt, of: plan.options.reconnect?.maxAttempts, delayMs },
            () => `reconnecting in ${delayMs} ms (attempt ${attempt}/${plan.options.reconnect?.maxAttempts})`,
          ),
        ),
      );
    const log = engine.log(connectionId);
    for (const entry of log.read(log.firstSeq, Number.MAX_SAFE_INTEGER)) onEntry(entry);
    log.on('entry', onEntry);
    if (plan.record !== undefined) {
      await engine.call('file.record', { logId: connectionId, path: plan.record, redact: plan.redact });
    }
  } catch (err) {
    const info = toErrorInfo(err);
    out.error(info, 'duplex connect');
    ended = true;
    await out.disposed(engine, 'duplex connect');
    return out.exit(exitCodeFor(info.code));
  }
  // A second Ctrl+C does not wait for a peer that never answers the close.
  const interrupt = (): void => (closing ? finish(ExitCode.FAILED) : closeNow());
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  function startInput(): LineInput {
    const lines = new LineInput({
      prompt: plan.prompt,
      onLine: (line) => {
        if (closing || ended) return;
        if (!ready) queued.push(line);
        else onInputLine(line);
      },
      onEnd: () => {
        if (!inputOpen) return;
        inputOpen = false;
        if (ready) armIdle();
      },
      onInterrupt: () => interrupt(),
    });
    out.around = (write) => lines.around(write);
    return lines;
  }

  function onInputLine(line: string): void {
    let command: InputCommand;
    if (plan.input === 'piped') command = { kind: 'send', payload: { type: 'text', text: line } };
    else {
      try {
        command = parseInputLine(line, plan.allowWireCodes);
      } catch (err) {
        // A mistyped command is reported and the session goes on.
        out.around(() => printError('duplex connect', toErrorInfo(err).message));
        return;
      }
    }
    switch (command.kind) {
      case 'send': {
        const { payload } = command;
        return inOrder(async () => void (await engine.call('connection.send', { connectionId, payload })));
      }
      case 'ping': {
        const { payload } = command;
        return inOrder(async () => void (await engine.call('connection.ping', { connectionId, payload })));
      }
      case 'close':
        return inOrder(() => closeNow(command.code ?? DEFAULT_CLOSE_CODE, command.reason));
      case 'help':
        return out.around(() => process.stderr.write(SLASH_HELP.join('\n') + '\n'));
      case 'empty':
        return;
    }
  }
}

function printOpen(out: Output, info: ConnectionInfo, redact: Redactor | undefined): void {
  const hs = info.handshake;
  const url = redact ? redact.text(info.url) : info.url;
  const headers = hs?.headers ?? {};
  out.emit(
    {
      event: 'open',
      url,
      protocol: info.protocol,
      status: hs?.status ?? 101,
      headers: redact ? redact.headers(headers) : headers,
    },
    () =>
      `open ${url} (status ${hs?.status ?? 101}, ${info.protocol ? `protocol ${info.protocol}` : 'no protocol'})`,
  );
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

/** --insecure, --ca and the client certificate flags; the files are read here, the engine gets their contents. */
function tlsOptions(flags: ConnectFlags): NonNullable<ConnectOptions['tls']> | undefined {
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `${flags.cert === undefined ? '--key' : '--cert'} needs ${flags.cert === undefined ? '--cert' : '--key'}: a client certificate is a PEM certificate and its key (or one --pfx file).`,
    );
  }
  if (flags.pfx !== undefined && flags.cert !== undefined) {
    throw new DuplexError(ErrorCodes.INVALID_INPUT, 'Give --pfx or --cert with --key, not both.');
  }
  if (flags.passphrase !== undefined && flags.pfx === undefined && flags.key === undefined) {
    throw new DuplexError(ErrorCodes.INVALID_INPUT, '--passphrase unlocks --pfx or --key; give one of them.');
  }
  const tls: NonNullable<ConnectOptions['tls']> = {};
  if (flags.insecure) tls.insecure = true;
  if (flags.ca !== undefined) tls.ca = readFlagFile('--ca', flags.ca, 'utf8', 'a PEM certificate file');
  if (flags.cert !== undefined)
    tls.cert = readFlagFile('--cert', flags.cert, 'utf8', 'a PEM certificate file');
  if (flags.key !== undefined) tls.key = readFlagFile('--key', flags.key, 'utf8', 'a PEM private key file');
  if (flags.pfx !== undefined) tls.pfx = readFlagFile('--pfx', flags.pfx, 'base64', 'a PKCS#12 (.pfx) file');
  if (flags.passphrase !== undefined) tls.passphrase = flags.passphrase;
  return Object.keys(tls).length > 0 ? tls : undefined;
}

function describePath(path: readonly PropertyKey[]): string {
  const [head, second] = path.map(String);
  if (head === 'headers') return `--header ${second ?? ''}`.trim();
  if (head === 'protocols') return '--protocol';
  if (head === 'origin') return '--origin';
  if (head === 'handshakeTimeoutMs') return '--handshake-timeout';
  if (head === 'url') return 'URL';
  if (head === 'tls') return second ? `--${second}` : 'TLS options';
  return path.join('.') || 'arguments';
}

function syntax(message: string): DuplexError {
  return new DuplexError(ErrorCodes.SYNTAX, message);
}
