/**
 * The sessions folder of a workspace (`<workspace>/sessions/`): lists session
 * files with their headers, opens them read-only through an offset index
 * (built in the background on first open, extended as a recording grows),
 * renames, deletes, imports HAR into new files and exports HAR. Sessions are
 * named by file name; names never leave the folder.
 */
import { createRedactor } from '../variables/redact.js';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionSummary } from '../contract.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import { harNameOf, withSessionExt } from '../vocabulary.js';
import { AtomicStreamFile } from './atomic-stream.js';
import {
  SESSION_EXT,
  entryToLine,
  type Session,
  type SessionHeader,
  type SessionWarning,
} from './session-format.js';
import { openSessionSource, readSessionHeader } from './session-reader.js';
import { SessionIndex } from './session-index.js';
import { exportHarChunks, importHarStream, type HarInput } from './har.js';

/** Largest session session.export turns into one HAR text (the CLI's `duplex export` streams any size). */
export const EXPORT_TEXT_MAX_BYTES = 64 * 1024 * 1024;

export type { SessionSummary } from '../contract.js';

export class SessionStore {
  readonly dir: string;
  readonly #indexes = new Map<string, { ino: number; index: SessionIndex }>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Absolute path of a session name; refuses names that would leave the folder. */
  pathOf(name: string): string {
    if (!isSessionName(name)) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        `"${name}" is not a session name: use a file name ending in ${SESSION_EXT}, without / or \\ and not starting with a dot.`,
      );
    }
    return join(this.dir, name);
  }

  async list(): Promise<SessionSummary[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new DuplexError(ErrorCodes.FILE, `Cannot list ${this.dir}: ${(err as Error).message}.`);
    }
    const out: SessionSummary[] = [];
    for (const name of names.filter(isSessionName).sort()) {
      const summary = await this.summary(name).catch(() => undefined);
      if (summary) out.push(summary);
    }
    return out;
  }

  async summary(name: string): Promise<SessionSummary> {
    const path = this.pathOf(name);
    const st = await stat(path).catch(() => {
      throw notFound(name, this.dir);
    });
    const summary: SessionSummary = { name, path, size: st.size, modifiedAt: st.mtimeMs };
    try {
      const h = await readSessionHeader(path);
      summary.role = h.role;
      summary.url = h.url;
      summary.createdAt = h.createdAt;
      if (h.name !== undefined) summary.title = h.name;
      if (h.source !== undefined) summary.source = h.source;
    } catch (err) {
      summary.error = toErrorInfo(err);
    }
    return summary;
  }

  /**
   * The session's index: the header is read now, the scan of its events runs
   * in the background (build() waits for it). A file that grew since (a
   * recording) is scanned on from where the index stopped.
   */
  async index(name: string): Promise<SessionIndex> {
    const path = this.pathOf(name);
    const st = await stat(path).catch(() => {
      throw notFound(name, this.dir);
    });
    const hit = this.#indexes.get(name);
    let index = hit && hit.ino === st.ino && st.size >= hit.index.scannedBytes ? hit.index : undefined;
    if (!index) {
      index = await SessionIndex.open(path);
      this.#indexes.set(name, { ino: st.ino, index });
    }
    if (!index.complete || st.size > index.scannedBytes) {
      const built = index;
      void built.build().catch(() => {
        if (this.#indexes.get(name)?.index === built) this.#indexes.delete(name);
      });
    }
    return index;
  }

  async rename(name: string, newName: string): Promise<SessionSummary> {
    const target = withSessionExt(newName);
    const from = this.pathOf(name);
    const to = this.pathOf(target);
    await stat(from).catch(this.#missing(name));
    // rename() would replace the target: a name that is taken is refused first.
    if (
      await stat(to).then(
        () => true,
        () => false,
      )
    ) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `A session named "${target}" already exists; choose another name.`,
      );
    }
    await rename(from, to).catch(this.#missing(name));
    this.#indexes.delete(name);
    return this.summary(target);
  }

  async delete(name: string): Promise<void> {
    await rm(this.pathOf(name)).catch(this.#missing(name));
    this.#indexes.delete(name);
  }

  /** Writes each WebSocket entry of a HAR text (what the UI sends) as a new session file, as it scans. */
  async importHar(
    text: string,
    sourceName = 'HAR file',
  ): Promise<{ sessions: SessionSummary[]; skippedMessages: number }> {
    const { sessions, skippedMessages } = await importHarToFolder({ text, where: sourceName }, this.dir);
    const written: SessionSummary[] = [];
    for (const s of sessions) written.push(await this.summary(s.name));
    return { sessions: written, skippedMessages };
  }

  /** The session as one HAR text, for sessions up to EXPORT_TEXT_MAX_BYTES. */
  async exportHar(name: string, redact?: boolean): Promise<{ fileName: string; har: string }> {
    const index = await this.index(name);
    const { size } = await stat(index.path);
    if (size > EXPORT_TEXT_MAX_BYTES) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        `${name} is ${(size / 1024 / 1024).toFixed(0)} MiB, too large to export in the window; run "duplex export ${index.path} --out FILE.har", which streams it.`,
      );
    }
    const source = await openSessionSource(index.path);
    const parts: string[] = [];
    const redactor = createRedactor({ credentialHeaders: redact !== false });
    for await (const chunk of exportHarChunks(source.header, () => source.entries(), undefined, redactor)) {
      parts.push(chunk);
    }
    return { fileName: harNameOf(name), har: parts.join('') };
  }

  /** A free file name for a new recording, found by listing the folder without blocking. */
  async freeName(base: string): Promise<string> {
    return freeName(base, await namesIn(this.dir));
  }

  /** A missing file is NOT_FOUND naming the session; other errors pass. */
  #missing(name: string): (err: NodeJS.ErrnoException) => never {
    return (err) => {
      throw err.code === 'ENOENT' ? notFound(name, this.dir) : err;
    };
  }
}

/** Writes a session as a new file in `dir` (atomically, never over an existing file); returns its name. */
export async function writeNewSession(dir: string, session: Session): Promise<string> {
  const file = new NewSessionFile(dir, session.header, await namesIn(dir));
  for (const e of session.entries) await file.add(e);
  await file.commit();
  return file.name;
}

/**
 * Imports a HAR (a file, or the UI's text) into `dir` as it scans: one new
 * session file per WebSocket entry, each written to a temporary file and
 * renamed into place.
 */
export async function importHarToFolder(
  input: HarInput,
  dir: string,
): Promise<{
  sessions: { name: string; header: SessionHeader; entries: number }[];
  skippedMessages: number;
}> {
  const files: NewSessionFile[] = [];
  const taken = await namesIn(dir);
  try {
    const { skippedMessages } = await importHarStream(input, {
      start: (header) => {
        const f = new NewSessionFile(dir, header, taken);
        files.push(f);
        return f;
      },
      add: (f, e) => f.add(e),
      end: (f) => f.commit(),
    });
    return {
      sessions: files.map((f) => ({ name: f.name, header: f.header, entries: f.entries })),
      skippedMessages,
    };
  } catch (err) {
    await Promise.all(files.map((f) => f.abort()));
    throw err;
  }
}

/** Exports a session file as a HAR file, streaming both; returns the reader's warnings. */
/** A session file as a HAR file; credential headers are redacted unless `redact` is false. */
export async function exportHarFile(
  sessionPath: string,
  out: string,
  redact?: boolean,
): Promise<SessionWarning[]> {
  const source = await openSessionSource(sessionPath);
  const file = new AtomicStreamFile(out);
  const redactor = createRedactor({ credentialHeaders: redact !== false });
  try {
    for await (const chunk of exportHarChunks(source.header, () => source.entries(), undefined, redactor)) {
      await file.write(chunk);
    }
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  return source.warnings;
}

/** A session file being written in one go (import): header line first, then its entries. */
class NewSessionFile {
  readonly name: string;
  readonly header: SessionHeader;
  readonly #file: AtomicStreamFile;
  entries = 0;
  #committed = false;

  /** `taken`: the names in the folder (namesIn) and those given out since; this one is added. */
  constructor(dir: string, header: SessionHeader, taken: Set<string>) {
    const stamp = header.createdAt.replace(/[:.]/g, '-').replace(/Z$/, '');
    this.name = freeName(`${slug(header.name ?? header.url)}-${stamp}`, taken);
    taken.add(this.name);
    this.header = header;
    this.#file = new AtomicStreamFile(join(dir, this.name));
    this.#file.write(JSON.stringify(header) + '\n');
  }

  add(e: Session['entries'][number]): Promise<void> | undefined {
    this.entries++;
    return this.#file.write(entryToLine(e) + '\n');
  }

  async commit(): Promise<void> {
    await this.#file.commit();
    this.#committed = true;
  }

  async abort(): Promise<void> {
    if (this.#committed) await rm(this.#file.path, { force: true });
    else await this.#file.abort();
  }
}

/** The file names in `dir` (none when it does not exist yet), listed without blocking. */
async function namesIn(dir: string): Promise<Set<string>> {
  return new Set(
    await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    }),
  );
}

/** `base` as a session file name that is not in `taken`: `base.jsonl`, else `base-2.jsonl`, … */
function freeName(base: string, taken: Set<string>): string {
  const clean = slug(base) || 'session';
  for (let i = 1; ; i++) {
    const name = `${clean}${i === 1 ? '' : `-${i}`}${SESSION_EXT}`;
    if (!taken.has(name)) return name;
  }
}

export function isSessionName(name: string): boolean {
  return (
    name.endsWith(SESSION_EXT) &&
    name.length > SESSION_EXT.length &&
    name.length <= 255 &&
    !name.startsWith('.') &&
    !/[/\\\0]/.test(name)
  );
}

function slug(text: string): string {
  return text
    .replace(/^wss?:\/\//, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|-+$/g, '')
    .slice(0, 80);
}

function notFound(name: string, dir: string): DuplexError {
  return new DuplexError(
    ErrorCodes.NOT_FOUND,
    `No session "${name}" in ${dir}; it may have been renamed or deleted. List the sessions again.`,
  );
}
