/**
 * The sessions folder of a workspace (`<workspace>/sessions/`): lists session
 * files with their headers, opens them read-only (parsed once, re-read when the
 * file changes), renames, deletes, imports HAR into new files and exports HAR.
 * Sessions are named by file name; names never leave the folder.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionSummary } from '../contract.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import { writeFileAtomic } from '../workspace/json-file.js';
import { SESSION_EXT, sessionToText, type Session } from './session-format.js';
import { readSessionFile, readSessionHeader, type ReadSession } from './session-reader.js';
import { exportHar, importHar } from './har.js';

export type { SessionSummary } from '../contract.js';

export class SessionStore {
  readonly dir: string;
  readonly #cache = new Map<string, { mtimeMs: number; size: number; session: ReadSession }>();

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

  /** The parsed session (cached until the file changes, e.g. while it is still recording). */
  async open(name: string): Promise<ReadSession> {
    const path = this.pathOf(name);
    const st = await stat(path).catch(() => {
      throw notFound(name, this.dir);
    });
    const hit = this.#cache.get(name);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.session;
    const session = await readSessionFile(path);
    this.#cache.set(name, { mtimeMs: st.mtimeMs, size: st.size, session });
    return session;
  }

  async rename(name: string, newName: string): Promise<SessionSummary> {
    const target = newName.endsWith(SESSION_EXT) ? newName : newName + SESSION_EXT;
    const from = this.pathOf(name);
    const to = this.pathOf(target);
    if (!existsSync(from)) throw notFound(name, this.dir);
    if (existsSync(to)) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `A session named "${target}" already exists; choose another name.`,
      );
    }
    await rename(from, to);
    this.#cache.delete(name);
    return this.summary(target);
  }

  async delete(name: string): Promise<void> {
    const path = this.pathOf(name);
    if (!existsSync(path)) throw notFound(name, this.dir);
    await rm(path);
    this.#cache.delete(name);
  }

  /** Writes each WebSocket entry of a HAR text as a new session file. */
  async importHar(
    text: string,
    sourceName = 'HAR file',
  ): Promise<{ sessions: SessionSummary[]; skippedMessages: number }> {
    const { sessions, skippedMessages } = importHar(text, sourceName);
    const written: SessionSummary[] = [];
    for (const s of sessions) {
      const name = await writeNewSession(this.dir, s);
      written.push(await this.summary(name));
    }
    return { sessions: written, skippedMessages };
  }

  async exportHar(name: string): Promise<{ fileName: string; har: string }> {
    const session = await this.open(name);
    return {
      fileName: name.slice(0, -SESSION_EXT.length) + '.har',
      har: JSON.stringify(exportHar(session), null, 2) + '\n',
    };
  }

  /** A free file name in the folder for a new recording or import. */
  freeName(base: string): string {
    return freeName(this.dir, base);
  }
}

/** Writes a session as a new file in `dir` (atomically, never over an existing file); returns its name. */
export async function writeNewSession(dir: string, session: Session): Promise<string> {
  const stamp = session.header.createdAt.replace(/[:.]/g, '-').replace(/Z$/, '');
  const name = freeName(dir, `${slug(session.header.name ?? session.header.url)}-${stamp}`);
  await writeFileAtomic(join(dir, name), sessionToText(session));
  return name;
}

export function freeName(dir: string, base: string): string {
  const clean = slug(base) || 'session';
  for (let i = 1; ; i++) {
    const name = `${clean}${i === 1 ? '' : `-${i}`}${SESSION_EXT}`;
    if (!existsSync(join(dir, name))) return name;
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
