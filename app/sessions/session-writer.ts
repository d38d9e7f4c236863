/**
 * The recorder: appends the events of a MessageLog to a session file as they
 * happen. The header line is written and fsynced when recording starts; event
 * lines are serialized at once (the log's payload memory is reused) and
 * appended on a short cadence (every FLUSH_MS, or sooner when much is pending),
 * so a killed process leaves every line up to the last flush and at most one
 * torn line after it. stop() flushes, fsyncs and closes.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';
import type { LogEntry, MessageLog } from '../log/message-log.js';
import { entryToLine, fromLogEntry, makeHeader, type SessionHeader } from './session-format.js';

/** Longest time an event waits in memory before it is written (the issue allows ≤ 100 ms). */
export const FLUSH_MS = 50;
/** Pending bytes that trigger an early flush. */
const FLUSH_BYTES = 1024 * 1024;

export interface SessionWriterOptions {
  path: string;
  header: Omit<Parameters<typeof makeHeader>[0], 'startedAt'> & { startedAt?: number };
  /** `wx` (default) refuses to overwrite an existing file; `w` replaces it. */
  flags?: 'w' | 'wx';
  flushMs?: number;
}

export class SessionWriter {
  readonly path: string;
  readonly header: SessionHeader;
  #fd: number | undefined;
  #pending: string[] = [];
  #pendingBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #nextSeq = 1;
  #detach: (() => void) | undefined;
  #failure: DuplexError | undefined;

  constructor(options: SessionWriterOptions) {
    this.path = options.path;
    this.header = makeHeader(options.header);
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      this.#fd = openSync(this.path, options.flags ?? 'wx', 0o644);
      writeSync(this.#fd, JSON.stringify(this.header) + '\n');
      fsyncSync(this.#fd);
    } catch (err) {
      if (this.#fd !== undefined) closeSync(this.#fd);
      const code = (err as NodeJS.ErrnoException).code;
      throw new DuplexError(
        ErrorCodes.FILE,
        code === 'EEXIST'
          ? `Cannot record to ${this.path}: the file already exists. Choose another name or delete it first.`
          : `Cannot record to ${this.path}: ${(err as Error).message}. Check that the folder is writable.`,
      );
    }
    this.#timer = setInterval(() => this.flush(), options.flushMs ?? FLUSH_MS);
    this.#timer.unref();
  }

  /** Events written or waiting to be written. */
  get entries(): number {
    return this.#nextSeq - 1;
  }

  get recording(): boolean {
    return this.#fd !== undefined;
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
    if (this.#fd === undefined) return;
    const line = entryToLine(fromLogEntry(entry, this.#nextSeq++, this.header.startedAt)) + '\n';
    this.#pending.push(line);
    this.#pendingBytes += line.length;
    if (this.#pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /** Writes what is pending (whole lines only). */
  flush(): void {
    if (this.#fd === undefined || this.#pending.length === 0) return;
    const chunk = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      writeSync(this.#fd, chunk);
    } catch (err) {
      this.#failure ??= new DuplexError(
        ErrorCodes.FILE,
        `Recording to ${this.path} failed: ${(err as Error).message}. The file holds the events before the failure.`,
      );
      this.#close();
    }
  }

  /** Stops recording: detaches, flushes, fsyncs and closes. Idempotent. */
  stop(): { path: string; entries: number } {
    this.#detach?.();
    this.#detach = undefined;
    this.flush();
    if (this.#fd !== undefined) {
      try {
        fsyncSync(this.#fd);
      } catch {
        // The data is written; only durability against power loss is in doubt.
      }
    }
    this.#close();
    return { path: this.path, entries: this.entries };
  }

  #close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
