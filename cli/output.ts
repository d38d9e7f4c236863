/**
 * Output of the `duplex` subcommands: one line per event, either a JSON object
 * (`--json`, for scripts) or a readable line (for people). Lines are buffered
 * and written once per tick, so a flood of frames costs one write per tick,
 * not one per frame. Errors also go to stderr as one line.
 */
import type { LogEntry } from '../app/log/message-log.js';
import { bytesToBase64, bytesToHex, utf8Decode } from '../app/payload/codecs.js';
import { toErrorInfo, type ErrorInfo } from '../app/errors.js';
import type { Redactor } from '../app/variables/redact.js';

/** Characters of text, or bytes of binary, shown in a human line. */
const PREVIEW_CHARS = 120;
const PREVIEW_BYTES = 32;
/** Flush early when this many characters are waiting. */
const FLUSH_AT = 64 * 1024;

export class Output {
  readonly json: boolean;
  #pending: string[] = [];
  #pendingChars = 0;
  #scheduled = false;
  /** Wraps every write (an interactive prompt is cleared before and redrawn after). */
  around: (write: () => void) => void = (write) => write();

  constructor(json: boolean) {
    this.json = json;
    // A reader that went away (`duplex serve | head -1`) is not an error of ours.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }

  /** One JSON object per line (with --json). */
  event(obj: Record<string, unknown>): void {
    this.#push(JSON.stringify(obj));
  }

  /** One readable line (without --json). */
  line(text: string): void {
    this.#push(text);
  }

  /** With --json: the JSON line; without: the human line. */
  emit(obj: Record<string, unknown>, human: () => string): void {
    this.#push(this.json ? JSON.stringify(obj) : human());
  }

  /** An error: its message on stderr, and with --json also an error event on stdout (with its details when asked). */
  error(info: ErrorInfo, prefix = 'duplex', withDetails = false): void {
    if (this.json) {
      const details = withDetails && info.details !== undefined ? { details: info.details } : {};
      this.event({ event: 'error', code: info.code, message: info.message, ...details });
    }
    this.around(() => {
      this.#write();
      printError(prefix, info.message);
    });
  }

  flush(): void {
    if (this.#pending.length > 0) this.around(() => this.#write());
  }

  #write(): void {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('\n') + '\n';
    this.#pending = [];
    this.#pendingChars = 0;
    process.stdout.write(text);
  }

  /**
   * Disposes the engine (stops servers, closes recordings); true when that went
   * well, false after printing what failed (a recording the disk cut short).
   */
  async disposed(engine: { dispose(): Promise<void> }, prefix: string): Promise<boolean> {
    try {
      await engine.dispose();
      return true;
    } catch (err) {
      this.error(toErrorInfo(err), prefix);
      return false;
    }
  }

  /** Flushes, waits until stdout took everything, then exits with `code`. */
  exit(code: number): void {
    this.flush();
    process.exitCode = code;
    process.stdout.write('', () => process.exit(code));
  }

  #push(line: string): void {
    this.#pending.push(line);
    this.#pendingChars += line.length;
    if (this.#pendingChars >= FLUSH_AT) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }
}

/**
 * Runs output steps in the order they were queued. A step that needs a
 * command's answer (the handshake of an open, a client's address) holds back
 * the steps after it; while none waits, a step runs at once, so a flood of
 * frames costs no promise per frame.
 */
export class InOrder {
  #tail: Promise<void> | undefined;
  #waiting = 0;
  readonly #onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Runs `step` now, or after the steps still waiting. */
  run(step: () => void | Promise<void>): void {
    if (this.#waiting === 0) {
      try {
        const result = step();
        if (result) this.#hold(result);
      } catch (err) {
        this.#onError(err);
      }
      return;
    }
    this.#hold(this.#tail!.then(step));
  }

  /** Resolves when every queued step has run. */
  async idle(): Promise<void> {
    while (this.#tail) await this.#tail;
  }

  #hold(promise: Promise<void>): void {
    this.#waiting++;
    const tail = promise.catch(this.#onError).finally(() => {
      this.#waiting--;
      if (this.#tail === tail) this.#tail = undefined;
    });
    this.#tail = tail;
  }
}

/**
 * One line on stderr: `duplex connect: message`. Line breaks inside the
 * message (a server's error page, a file's text) are escaped, and the line
 * always ends, so one error is one line for the person and for scripts.
 */
export function printError(prefix: string, message: string): void {
  process.stderr.write(`${prefix}: ${oneLine(message.trimEnd())}\n`);
}

/** A warning line on stderr, like printError. */
export function printWarning(prefix: string, message: string): void {
  printError(`${prefix}: warning`, message);
}

/** `data` of a JSON message event: the text, or base64 for binary. */
export function messageData(entry: LogEntry): string {
  return entry.kind === 'binary' ? bytesToBase64(entry.payload) : utf8Decode(entry.payload);
}

/** `text 5 B: hello` or `binary 3 B: 01 02 03` — one line, control characters escaped. */
export function describeMessage(entry: LogEntry): string {
  const head = `${entry.kind} ${entry.size} B`;
  if (entry.size === 0) return head;
  if (entry.kind === 'binary') {
    const hex = bytesToHex(entry.payload.subarray(0, PREVIEW_BYTES), ' ');
    return `${head}: ${hex}${entry.size > PREVIEW_BYTES ? ' …' : ''}`;
  }
  const text = utf8Decode(entry.payload.subarray(0, PREVIEW_CHARS * 4));
  const cut = text.length > PREVIEW_CHARS;
  return `${head}: ${oneLine(cut ? text.slice(0, PREVIEW_CHARS) : text)}${cut || entry.size > PREVIEW_CHARS * 4 ? '…' : ''}`;
}

/** Escapes line breaks and other control characters so a message stays on one line. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === '\n'
      ? '\\n'
      : c === '\r'
        ? '\\r'
        : c === '\t'
          ? '\\t'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** `→` for frames Duplex sent, `←` for frames it received. */
export function arrow(dir: string): string {
  return dir === 'out' ? '→' : '←';
}

/** The entry as printed: its payload with the log's secrets redacted (the size stays what went over the wire). */
export function redactedEntry(entry: LogEntry, redact: Redactor | undefined): LogEntry {
  if (!redact) return entry;
  const payload =
    entry.kind === 'binary' ? redact.binaryBytes(entry.payload) : redact.textBytes(entry.payload);
  if (payload === entry.payload) return entry;
  const { seq, t, dir, kind, size, clientId, code, reason, note, rule } = entry;
  return { seq, t, dir, kind, size, clientId, code, reason, note, rule, payload };
}
