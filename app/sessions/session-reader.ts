/**
 * Reads session files as streams, line by line, so a file of any size reads in
 * bounded memory. The header (line 1) must be there and be ours: a missing or
 * foreign header or a newer format version is a DUPLEX_ERR_FILE error naming
 * line 1. A bad event line anywhere (invalid JSON, an unknown dir/kind, a seq
 * that does not increase) is skipped and reported as a warning with its line
 * number, so the rest stays readable; so is a torn last line (a recording
 * killed mid-write). The file is only ever read, never rewritten.
 */
import { open } from 'node:fs/promises';
import { DuplexError, ErrorCodes } from '../errors.js';
import { directions, logKinds } from '../vocabulary.js';
import {
  SESSION_FORMAT,
  SESSION_VERSION,
  lineToEntry,
  sessionHeaderSchema,
  sessionLineSchema,
  type SessionEntry,
  type SessionHeader,
  type SessionLine,
  type SessionWarning,
} from './session-format.js';
import { readLines } from './session-lines.js';

/** Warnings kept per read; a file of garbage does not grow the list without end. */
const MAX_WARNINGS = 100;

/** Where a scan of the event lines starts: a line start, its number, and the seq before it. */
export interface ScanStart {
  offset: number;
  line: number;
  lastSeq: number;
}

/** One valid event line of a scan. */
export interface ScannedLine {
  line: SessionLine;
  /** Byte offset of the line, and of the line after it. */
  offset: number;
  end: number;
  lineNo: number;
}

/**
 * A session file opened for streaming: the header is read and checked, the
 * events are read by each call of entries() (one pass over the file each).
 * `warnings` holds the problems of the latest pass.
 */
export interface SessionSource {
  path: string;
  header: SessionHeader;
  warnings: SessionWarning[];
  entries(): AsyncIterable<SessionEntry>;
}

export async function openSessionSource(path: string): Promise<SessionSource> {
  const { header, bodyOffset } = await readHeaderLine(path);
  const warnings: SessionWarning[] = [];
  return {
    path,
    header,
    warnings,
    async *entries() {
      warnings.length = 0;
      for await (const batch of scanLines(path, { offset: bodyOffset, line: 2, lastSeq: 0 }, warnings)) {
        for (const l of batch) yield lineToEntry(l.line);
      }
    },
  };
}

/**
 * The valid event lines from `start` on, in batches. Bad lines go to `warnings`.
 * With `leaveTail`, an unfinished last line (a recording still writing it) is
 * neither read nor reported, so a later scan can continue before it.
 */
export interface ScanOptions {
  /** Leave an unfinished last line (a recording still writing it) unread and unreported. */
  leaveTail?: boolean;
  /**
   * Read only seq, t, dir, kind and client of lines written in Duplex's own
   * field order (the index needs no payloads); other lines are parsed whole.
   */
  peek?: boolean;
  /** Lines for which this is false are passed over without being parsed (a search's quick reject). */
  prefilter?: (raw: string) => boolean;
  /** Start yielding at the first line with seq ≥ `seq` (or t ≥ `t`); the lines before are only peeked at. */
  seek?: { seq: number } | { t: number };
}

function isBefore(line: SessionLine, target: { seq: number } | { t: number }): boolean {
  return 'seq' in target ? line.seq < target.seq : line.t < target.t;
}

export async function* scanLines(
  path: string,
  start: ScanStart,
  warnings: SessionWarning[],
  options: ScanOptions = {},
): AsyncGenerator<ScannedLine[]> {
  const { peek, prefilter } = options;
  let seek = options.seek;
  let lastSeq = start.lastSeq;
  let lineNo = start.line - 1;
  try {
    for await (const batch of readLines(path, { start: start.offset })) {
      const out: ScannedLine[] = [];
      for (const raw of batch) {
        lineNo++;
        if (!raw.complete && options.leaveTail) break;
        if (isBlank(raw.text)) continue;
        // Lines before a seek target, and lines a search rejects, are only peeked at (or not parsed at all).
        const quick = raw.complete && (peek || seek) ? peekEventLine(raw.text, lastSeq) : undefined;
        if (seek && quick && isBefore(quick, seek)) {
          lastSeq = quick.seq;
          continue;
        }
        if (prefilter && raw.complete && !prefilter(raw.text)) continue;
        const checked = (peek && quick) || checkEventLine(raw.text, lastSeq);
        if (typeof checked === 'string') {
          addWarning(warnings, {
            line: lineNo,
            message: raw.complete
              ? `line ${lineNo}: ${checked}; the line was skipped`
              : `line ${lineNo} is incomplete (${raw.bytes} bytes, no line end): the recording was cut off while writing it; it was skipped`,
          });
          continue;
        }
        if (seek && isBefore(checked, seek)) {
          lastSeq = checked.seq;
          continue;
        }
        seek = undefined;
        lastSeq = checked.seq;
        out.push({ line: checked, offset: raw.offset, end: raw.offset + raw.bytes, lineNo });
      }
      if (out.length > 0) yield out;
    }
  } catch (err) {
    if (err instanceof DuplexError) throw err;
    throw readFailure(path, err);
  }
}

/** The checked line, or what is wrong with it. */
function checkEventLine(raw: string, lastSeq: number): SessionLine | string {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const parsed = sessionLineSchema.safeParse(json);
  if (!parsed.success) return describeIssues(parsed.error.issues);
  if (parsed.data.seq <= lastSeq) {
    return `seq ${parsed.data.seq} does not follow seq ${lastSeq}; lines are out of order or repeated`;
  }
  return parsed.data;
}

const PEEK = new RegExp(
  String.raw`^\{"seq":(\d{1,15}),"t":(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?),"dir":"(${directions.join('|')})","kind":"(${logKinds.join('|')})"(?:,"client":"((?:[^"\\]|\\.)*)")?[,}]`,
);

/**
 * The head of a line as entryToLine writes it, without parsing the payload;
 * undefined when the line does not look like that (it is then parsed whole).
 */
function peekEventLine(raw: string, lastSeq: number): SessionLine | undefined {
  if (raw.charCodeAt(raw.length - 1) !== 0x7d) return undefined;
  const m = PEEK.exec(raw);
  if (!m) return undefined;
  const seq = Number(m[1]);
  if (seq <= lastSeq || seq < 1) return undefined;
  const line: SessionLine = {
    seq,
    t: Number(m[2]),
    dir: m[3] as SessionLine['dir'],
    kind: m[4] as SessionLine['kind'],
  };
  if (m[5] !== undefined) line.client = m[5].includes('\\') ? (JSON.parse(`"${m[5]}"`) as string) : m[5];
  return line;
}

/** Reads only the header line (for listings), without loading the whole file. */
export async function readSessionHeader(path: string): Promise<SessionHeader> {
  return (await readHeaderLine(path)).header;
}

/** The checked header and the byte offset of line 2. */
export async function readHeaderLine(path: string): Promise<{ header: SessionHeader; bodyOffset: number }> {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw readFailure(path, err);
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
    if (isBlank(first)) throw fileError(path, 1, 'the file is empty; a session starts with a header line');
    const header = parseHeader(first, path, nl === -1);
    return { header, bodyOffset: nl === -1 ? all.length : nl + 1 };
  } finally {
    await handle.close();
  }
}

function addWarning(warnings: SessionWarning[], w: SessionWarning): void {
  if (warnings.length < MAX_WARNINGS) warnings.push(w);
  else if (warnings.length === MAX_WARNINGS) {
    warnings.push({
      line: w.line,
      message: `more bad lines from line ${w.line} on; only the first ${MAX_WARNINGS} are listed`,
    });
  }
}

function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 32 && text.trim() === '');
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

function readFailure(path: string, err: unknown): DuplexError {
  return new DuplexError(
    ErrorCodes.FILE,
    (err as NodeJS.ErrnoException).code === 'ENOENT'
      ? `Session file ${path} does not exist; check the path.`
      : `Cannot read session file ${path}: ${(err as Error).message}.`,
  );
}

function fileError(where: string, line: number, problem: string): DuplexError {
  return new DuplexError(ErrorCodes.FILE, `${where}, line ${line}: ${problem}. The file was not changed.`, {
    file: where,
    line,
  });
}
