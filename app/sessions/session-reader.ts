/**
 * Reads a session file. A torn last line (a recording killed mid-write) is
 * reported as a warning and skipped; any other bad line, a missing or foreign
 * header, or a newer format version is a DUPLEX_ERR_FILE error naming the line
 * and the problem. The file is only ever read, never rewritten.
 */
import { open, readFile } from 'node:fs/promises';
import { DuplexError, ErrorCodes } from '../errors.js';
import {
  SESSION_FORMAT,
  SESSION_VERSION,
  lineToEntry,
  sessionHeaderSchema,
  sessionLineSchema,
  type SessionEntry,
  type SessionHeader,
  type SessionWarning,
} from './session-format.js';

export interface ReadSession {
  path: string;
  header: SessionHeader;
  entries: SessionEntry[];
  warnings: SessionWarning[];
}

export async function readSessionFile(path: string): Promise<ReadSession> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DuplexError(
      ErrorCodes.FILE,
      (err as NodeJS.ErrnoException).code === 'ENOENT'
        ? `Session file ${path} does not exist; check the path.`
        : `Cannot read session file ${path}: ${(err as Error).message}.`,
    );
  }
  return { path, ...parseSession(text, path) };
}

/** Parses the text of a session file; `where` names it in errors. */
export function parseSession(
  text: string,
  where = 'session',
): { header: SessionHeader; entries: SessionEntry[]; warnings: SessionWarning[] } {
  const lines = text.split('\n');
  // A file that ends with a newline splits into a last empty string; one that does not has a torn tail.
  const tornTail = lines[lines.length - 1] !== '';
  if (!tornTail) lines.pop();
  if (lines.length === 0 || (lines.length === 1 && lines[0]!.trim() === '')) {
    throw fileError(where, 1, 'the file is empty; a session starts with a header line');
  }
  const header = parseHeader(lines[0]!, where, tornTail && lines.length === 1);
  const entries: SessionEntry[] = [];
  const warnings: SessionWarning[] = [];
  let lastSeq = 0;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const isLast = i === lines.length - 1;
    if (raw.trim() === '') continue;
    let problem: string | undefined;
    let entry: SessionEntry | undefined;
    try {
      const parsed = sessionLineSchema.safeParse(JSON.parse(raw));
      if (parsed.success) entry = lineToEntry(parsed.data);
      else problem = describeIssues(parsed.error.issues);
    } catch (err) {
      problem = err instanceof DuplexError ? err.message : `not valid JSON (${(err as Error).message})`;
    }
    if (entry && entry.seq <= lastSeq) {
      problem = `seq ${entry.seq} does not follow seq ${lastSeq}; lines are out of order or repeated`;
      entry = undefined;
    }
    if (problem !== undefined) {
      if (isLast && tornTail) {
        warnings.push({
          line: lineNo,
          message: `line ${lineNo} is incomplete (${raw.length} characters, no line end): the recording was cut off while writing it; it was skipped`,
        });
        continue;
      }
      throw fileError(where, lineNo, problem);
    }
    lastSeq = entry!.seq;
    entries.push(entry!);
  }
  return { header, entries, warnings };
}

/** Reads only the header line (for listings), without loading the whole file. */
export async function readSessionHeader(path: string): Promise<SessionHeader> {
  const handle = await open(path, 'r').catch((err: Error) => {
    throw new DuplexError(ErrorCodes.FILE, `Cannot read session file ${path}: ${err.message}.`);
  });
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buf, 0, buf.length, total);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      chunks.push(chunk);
      total += bytesRead;
      if (chunk.includes(10) || total > 16 * 1024 * 1024) break;
    }
    const all = Buffer.concat(chunks);
    const nl = all.indexOf(10);
    const first = all.subarray(0, nl === -1 ? all.length : nl).toString('utf8');
    if (first.trim() === '')
      throw fileError(path, 1, 'the file is empty; a session starts with a header line');
    return parseHeader(first, path, nl === -1);
  } finally {
    await handle.close();
  }
}

function parseHeader(raw: string, where: string, torn: boolean): SessionHeader {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw fileError(
      where,
      1,
      torn
        ? 'the header line is incomplete; the recording was cut off before it started'
        : `the header is not valid JSON (${(err as Error).message})`,
    );
  }
  const obj = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (obj['format'] !== SESSION_FORMAT) {
    throw fileError(
      where,
      1,
      `the header has format ${JSON.stringify(obj['format'])}, expected "${SESSION_FORMAT}"; this is not a Duplex session file (import HAR files with "duplex import")`,
    );
  }
  const version = obj['version'];
  if (typeof version === 'number' && version > SESSION_VERSION) {
    throw fileError(
      where,
      1,
      `format version ${version} is newer than this Duplex reads (version ${SESSION_VERSION}); update Duplex to open it`,
    );
  }
  const parsed = sessionHeaderSchema.safeParse(json);
  if (!parsed.success) throw fileError(where, 1, `bad header: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'line'}: ${i.message}`)
    .join('; ');
}

function fileError(where: string, line: number, problem: string): DuplexError {
  return new DuplexError(ErrorCodes.FILE, `${where}, line ${line}: ${problem}. The file was not changed.`, {
    file: where,
    line,
  });
}
