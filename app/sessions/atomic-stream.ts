/**
 * A whole file written as a stream and made visible atomically: lines go to a
 * temporary file beside the target (in ~1 MiB writes), then fsync, rename and
 * fsync of the folder, as writeFileAtomic does for documents held in memory.
 * abort() removes the temporary file; the target is never half-written.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';
import { syncFolder } from '../workspace/json-file.js';

const WRITE_BYTES = 1024 * 1024;

export class AtomicStreamFile {
  readonly path: string;
  readonly #temp: string;
  #handle: Promise<FileHandle>;
  #pending: string[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #failed: unknown;

  constructor(path: string) {
    this.path = path;
    this.#temp = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
    );
    this.#handle = mkdir(dirname(path), { recursive: true }).then(() => open(this.#temp, 'wx', 0o644));
    this.#handle.catch((err: unknown) => (this.#failed ??= err));
  }

  /** Queues text; returns a promise when a write started (await it to keep memory bounded). */
  write(text: string): Promise<void> | undefined {
    this.#pending.push(text);
    this.#pendingBytes += text.length;
    if (this.#pendingBytes < WRITE_BYTES) return undefined;
    return this.#flush();
  }

  #flush(): Promise<void> {
    const chunk = this.#pending.join('');
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#writing = this.#writing.then(async () => {
      if (this.#failed) return;
      try {
        await (await this.#handle).write(chunk);
      } catch (err) {
        this.#failed ??= err;
      }
    });
    return this.#writing;
  }

  /** Writes the rest, syncs, and renames the file into place. */
  async commit(): Promise<void> {
    await this.#flush();
    try {
      if (this.#failed) throw this.#failed;
      const handle = await this.#handle;
      await handle.sync();
      await handle.close();
      await rename(this.#temp, this.path);
    } catch (err) {
      await this.abort();
      throw new DuplexError(
        ErrorCodes.FILE,
        `Cannot write ${this.path}: ${(err as Error).message}. Check that the folder is writable.`,
      );
    }
    await syncFolder(dirname(this.path));
  }

  /** Drops the temporary file. */
  async abort(): Promise<void> {
    this.#pending = [];
    await this.#writing;
    await this.#handle.then((h) => h.close()).catch(() => undefined);
    await rm(this.#temp, { force: true });
  }
}
