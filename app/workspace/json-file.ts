/**
 * One versioned JSON document on disk, written atomically (temp file, fsync,
 * rename, fsync of the folder) so a crash leaves either the old or the new
 * file, never half of one. A file that does not parse, or has a version this
 * build does not know, is moved aside (never overwritten) and reported with
 * DUPLEX_ERR_FILE; the document then starts empty. A file of a newer version
 * is left where it is, untouched, and every read and update reports it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';

export interface JsonFileOptions<T> {
  /** Absolute path of the file. */
  path: string;
  /** Format version written to the file; other versions are refused. */
  version: number;
  /** Value when the file does not exist yet. */
  empty: () => T;
  /** Checks the parsed body (without the version); throws a message on bad content. */
  parse: (body: unknown) => T;
}

export class JsonFile<T> {
  readonly path: string;
  readonly #options: JsonFileOptions<T>;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: JsonFileOptions<T>) {
    this.path = options.path;
    this.#options = options;
  }

  /** Reads the document; a corrupt file is moved aside and reported. */
  read(): Promise<T> {
    return this.#serial(() => this.#read());
  }

  /** Read, change, write — serialized with every other update of this file. */
  update<R>(change: (doc: T) => { doc: T; result: R }): Promise<R> {
    return this.#serial(async () => {
      const { doc, result } = change(await this.#read());
      await writeFileAtomic(
        this.path,
        JSON.stringify({ version: this.#options.version, ...doc }, null, 2) + '\n',
      );
      return result;
    });
  }

  #serial<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #read(): Promise<T> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.#options.empty();
      throw new DuplexError(
        ErrorCodes.FILE,
        `Cannot read ${this.path}: ${(err as Error).message}. Check the file's permissions.`,
      );
    }
    const loaded = this.#load(text);
    if (loaded.ok) return loaded.doc;
    const keptAs = await this.#moveAside();
    throw new DuplexError(
      ErrorCodes.FILE,
      `${this.path} could not be loaded (${loaded.problem}). It was kept as ${keptAs} and was not changed; ` +
        'fix or delete that copy. Duplex starts this list empty.',
      { file: this.path, keptAs },
    );
  }

  /** The document, or why the file cannot be loaded; throws for a newer version (that file is not ours to move). */
  #load(text: string): { ok: true; doc: T } | { ok: false; problem: string } {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { ok: false, problem: (err as Error).message };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return { ok: false, problem: 'it is not a JSON object' };
    }
    const { version, ...body } = json as Record<string, unknown>;
    const known = this.#options.version;
    if (typeof version === 'number' && version > known) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `${this.path} has format version ${version}, written by a newer Duplex; this one reads version ${known}. ` +
          'The file was left unchanged: upgrade Duplex to open it.',
        { file: this.path, version },
      );
    }
    if (version !== known) {
      return {
        ok: false,
        problem: `its format version is ${JSON.stringify(version)}, this Duplex reads version ${known}`,
      };
    }
    try {
      return { ok: true, doc: this.#options.parse(body) };
    } catch (err) {
      return { ok: false, problem: (err as Error).message };
    }
  }

  async #moveAside(): Promise<string> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const keptAs = join(dirname(this.path), `${basename(this.path, '.json')}.corrupt-${stamp}.json`);
    await rename(this.path, keptAs);
    return keptAs;
  }
}

/** Writes a whole file atomically: temp file in the same folder, fsync, rename, fsync the folder. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', mode);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw new DuplexError(
      ErrorCodes.FILE,
      `Cannot write ${path}: ${(err as Error).message}. Check that the workspace folder is writable.`,
    );
  }
  await syncFolder(dir);
}

export async function syncFolder(dir: string): Promise<void> {
  // Makes the rename durable; folders cannot be opened for fsync on Windows.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on folders; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}
