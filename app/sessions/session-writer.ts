/**
 * The recorder: appends the events of a MessageLog to a session file as they
 * happen, without synchronous file I/O (the engine's thread also serves the
 * window). The file is opened and the header line written and fsynced in the
 * background as soon as the writer is made; `ready` settles when that is done
 * (and rejects when the file cannot be made). Event lines are serialized at
 * once (the log's payload memory is reused) and appended on a short cadence
 * (every FLUSH_MS, or sooner when much is pending), one write at a time, so a
 * killed process leaves every line up to the last append and at most one torn
 * line after it. stop() appends the rest, fsyncs and closes.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';
import type { LogEntry, MessageLog } from '../log/message-log.js';
import { NO_REDACTION, type Redactor } from '../variables/redact.js';
import { entryToLine, fromLogEntry, makeHeader, type SessionHeader } from './session-format.js';
import { redactEntry, redactHeader } from './session-redact.js';

/** Longest time an event waits in memory before its append starts (durability stays within 100 ms). */
export const FLUSH_MS = 50;
/** Pending bytes that trigger an early append. */
const FLUSH_BYTES = 1024 * 1024;

export interface SessionWriterOptions {
  path: string;
  header: Omit<Parameters<typeof makeHeader>[0], 'startedAt'> & { startedAt?: number };
  /** `wx` (default) refuses to overwrite an existing file; `w` replaces it. */
  flags?: 'w' | 'wx';
  flushMs?: number;
  /** Secrets and credential headers to keep out of the file (default: nothing is redacted). */
  redact?: Redactor;
}

export class SessionWriter {
  readonly path: string;
  readonly header: SessionHeader;
  /** Settles once the file is open and its header is on disk; rejects with DUPLEX_ERR_FILE. */
  readonly ready: Promise<void>;
  #handle: FileHandle | undefined;
  #open = true;
  #pending: string[] = [];
  #pendingBytes = 0;
  /** The append in progress; appends never overlap, so lines stay whole and in order. */
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #nextSeq = 1;
  #detach: (() => void) | undefined;
  #failure: DuplexError | undefined;
  readonly #redact: Redactor;

  constructor(options: SessionWriterOptions) {
    this.path = options.path;
    this.#redact = options.redact ?? NO_REDACTION;
    this.header = makeHeader(redactHeader({ headers: {}, ...options.header }, this.#redact));
    this.ready = this.#start(options.flags ?? 'wx');
    this.#writing = this.ready.catch(() => undefined);
    this.#timer = setInterval(() => void this.flush(), options.flushMs ?? FLUSH_MS);
    this.#timer.unref();
  }

  async #start(flags: 'w' | 'wx'): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      await mkdir(dirname(this.path), { recursive: true });
      handle = await open(this.path, flags, 0o644);
      await handle.write(JSON.stringify(this.header) + '\n');
      await handle.sync();
      this.#handle = handle;
    } catch (err) {
      await handle?.close().catch(() => undefined);
      this.#failure = cannotRecord(this.path, err);
      this.#stopTimer();
      this.#detach?.();
      this.#open = false;
      throw this.#failure;
    }
  }

  /** Events written or waiting to be written. */
  get entries(): number {
    return this.#nextSeq - 1;
  }

  get recording(): boolean {
    return this.#open;
  }

  /** The first write error, if the disk failed during recording. */
  get failure(): DuplexError | undefined {
    return this.#failure;
  }

  /** Records every new entry of `log`; with `includeExisting`, the entries it holds now first. */
  attach(log: MessageLog, includeExisting = false): this {
    if (includeExisting) for (const e of log.read(log.firstSeq, Infinity)) this.append(e);
    const onEntry = (e: LogEntry): void => this.append(e);
    log.on('entry', onEntry);
    this.#detach = () => log.off('entry', onEntry);
    return this;
  }

  append(entry: LogEntry): void {
    if (!this.#open) return;
    const made = fromLogEntry(entry, this.#nextSeq++, this.header.startedAt);
    const line = entryToLine(redactEntry(made, this.#redact)) + '\n';
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= FLUSH_BYTES) void this.flush();
  }

  /** Starts an append of what is pending (whole lines only); resolves when it is written. */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#writing;
    const chunk = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = this.#writing.then(async () => {
      if (!this.#handle) return;
      try {
        // A full disk first takes part of a write and fails only the next one: keep writing the rest.
        for (let rest = Buffer.from(chunk); rest.length > 0;) {
          const { bytesWritten } = await this.#handle.write(rest);
          if (bytesWritten === 0) throw new Error('the disk took no more bytes');
          rest = rest.subarray(bytesWritten);
        }
      } catch (err) {
        this.#failure ??= new DuplexError(
          ErrorCodes.FILE,
          `Recording to ${this.path} failed: ${(err as Error).message}. The file holds the events before the failure.`,
        );
        this.#open = false;
        await this.#close();
      }
    });
    return this.#writing;
  }

  /** Stops recording: detaches, appends the rest, fsyncs and closes. Idempotent. */
  async stop(): Promise<{ path: string; entries: number }> {
    this.#detach?.();
    this.#detach = undefined;
    this.#stopTimer();
    await this.flush();
    this.#open = false;
    await this.#writing;
    if (this.#handle) {
      try {
        await this.#handle.sync();
      } catch {
        // The data is written; only durability against power loss is in doubt.
      }
    }
    await this.#close();
    return { path: this.path, entries: this.entries };
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #close(): Promise<void> {
    this.#stopTimer();
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Opens `path` the way a recording will (creating it and its folder, keeping
 * what it holds) and closes it: a path that cannot be recorded to fails with
 * the writer's error before anything connects or listens.
 */
export async function checkRecordingPath(path: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    await mkdir(dirname(path), { recursive: true });
    handle = await open(path, 'a', 0o644);
  } catch (err) {
    throw cannotRecord(path, err);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function cannotRecord(path: string, err: unknown): DuplexError {
  return new DuplexError(
    ErrorCodes.FILE,
    (err as NodeJS.ErrnoException).code === 'EEXIST'
      ? `Cannot record to ${path}: the file already exists. Choose another name or delete it first.`
      : `Cannot record to ${path}: ${(err as Error).message}. Check that the folder is writable.`,
  );
}
