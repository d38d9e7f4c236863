/**
 * The session file format (documented in docs/session-format.md): line-delimited
 * JSON, one header line, then one line per log event. This file holds the types,
 * the schemas of both kinds of line, and the conversions between a line and a
 * log entry. Runtime-light: no file access here.
 */
import { z } from 'zod';
import { directions, logKinds, type Direction, type LogEntryView, type LogKind } from '../contract.js';
import { base64ToBytes, bytesToBase64, bytesToHex, utf8Decode, utf8Encode } from '../payload/codecs.js';
import { PREVIEW_BYTES, type LogEntry } from '../log/message-log.js';
import { isTextKind } from '../vocabulary.js';

export const SESSION_FORMAT = 'duplex-session';
/** The newest format version this build reads and writes. */
export const SESSION_VERSION = 1;
export { SESSION_EXT } from '../vocabulary.js';

export const sessionRoles = ['client', 'server'] as const;
export type SessionRole = (typeof sessionRoles)[number];

export const sessionHeaderSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.number().int().min(1),
  /** ISO 8601 time the recording started. */
  createdAt: z.string(),
  /** Unix epoch ms the event times `t` count from. */
  startedAt: z.number(),
  role: z.enum(sessionRoles),
  url: z.string(),
  headers: z.record(z.string(), z.string()).default({}),
  protocols: z.array(z.string()).default([]),
  name: z.string().optional(),
  /** Where the session came from: `duplex` (recorded) or `har` (imported). */
  source: z.string().optional(),
});
export type SessionHeader = z.output<typeof sessionHeaderSchema>;

export const sessionLineSchema = z
  .object({
    seq: z.number().int().min(1),
    /** ms since header.startedAt (may be fractional for imported sessions). */
    t: z.number(),
    dir: z.enum(directions),
    kind: z.enum(logKinds),
    /** Client id on a server recording. */
    client: z.string().optional(),
    /** UTF-8 payload. */
    text: z.string().optional(),
    /** Binary payload, standard base64. */
    b64: z.string().optional(),
    code: z.number().int().optional(),
    reason: z.string().optional(),
    note: z.string().optional(),
  })
  .refine((l) => l.text === undefined || l.b64 === undefined, 'a line has either "text" or "b64", not both');
export type SessionLine = z.output<typeof sessionLineSchema>;

/** One event of a session, in memory. */
export interface SessionEntry {
  seq: number;
  t: number;
  dir: Direction;
  kind: LogKind;
  data: Uint8Array;
  clientId?: string;
  code?: number;
  reason?: string;
  note?: string;
}

export interface Session {
  header: SessionHeader;
  entries: SessionEntry[];
}

/** Problems a reader tolerated (a torn last line), for the UI and the CLI to show. */
export interface SessionWarning {
  line: number;
  message: string;
}

export function makeHeader(
  fields: Pick<SessionHeader, 'role' | 'url'> & Partial<Omit<SessionHeader, 'format' | 'version'>>,
): SessionHeader {
  const startedAt = fields.startedAt ?? Date.now();
  const header: SessionHeader = {
    format: SESSION_FORMAT,
    version: SESSION_VERSION,
    createdAt: fields.createdAt ?? new Date(startedAt).toISOString(),
    startedAt,
    role: fields.role,
    url: fields.url,
    headers: fields.headers ?? {},
    protocols: fields.protocols ?? [],
  };
  if (fields.name !== undefined) header.name = fields.name;
  if (fields.source !== undefined) header.source = fields.source;
  return header;
}

/** Serializes an entry to its line (without the newline). */
export function entryToLine(entry: SessionEntry): string {
  const line: SessionLine = { seq: entry.seq, t: entry.t, dir: entry.dir, kind: entry.kind };
  if (entry.clientId !== undefined) line.client = entry.clientId;
  const isCloseReason =
    entry.kind === 'close' && entry.reason !== undefined && sameBytes(entry.data, utf8Encode(entry.reason));
  if (entry.data.byteLength > 0 && !isCloseReason) {
    const text = isTextKind(entry.kind) ? utf8Decode(entry.data) : undefined;
    // Text that does not survive a UTF-8 round trip is stored as base64 so it stays byte-exact.
    if (text !== undefined && sameBytes(utf8Encode(text), entry.data)) line.text = text;
    else line.b64 = bytesToBase64(entry.data);
  }
  if (entry.code !== undefined) line.code = entry.code;
  if (entry.reason !== undefined) line.reason = entry.reason;
  if (entry.note !== undefined) line.note = entry.note;
  return JSON.stringify(line);
}

/** The in-memory entry of a validated line. */
export function lineToEntry(line: SessionLine): SessionEntry {
  let data: Uint8Array;
  if (line.text !== undefined) data = utf8Encode(line.text);
  else if (line.b64 !== undefined) data = base64ToBytes(line.b64);
  else if (line.kind === 'close' && line.reason) data = utf8Encode(line.reason);
  else data = new Uint8Array(0);
  const entry: SessionEntry = { seq: line.seq, t: line.t, dir: line.dir, kind: line.kind, data };
  if (line.client !== undefined) entry.clientId = line.client;
  if (line.code !== undefined) entry.code = line.code;
  if (line.reason !== undefined) entry.reason = line.reason;
  if (line.note !== undefined) entry.note = line.note;
  return entry;
}

/** A session entry from a live log entry; `t` becomes relative to the recording start. */
export function fromLogEntry(entry: LogEntry, seq: number, startedAt: number): SessionEntry {
  const out: SessionEntry = {
    seq,
    t: entry.t - startedAt,
    dir: entry.dir,
    kind: entry.kind,
    data: entry.payload,
  };
  if (entry.clientId !== undefined) out.clientId = entry.clientId;
  if (entry.code !== undefined) out.code = entry.code;
  if (entry.reason !== undefined) out.reason = entry.reason;
  if (entry.note !== undefined) out.note = entry.note;
  return out;
}

/** The view the log list shows; `t` is absolute (epoch ms) like live logs. */
export function toSessionEntryView(
  entry: SessionEntry,
  startedAt: number,
  previewBytes = PREVIEW_BYTES,
): LogEntryView {
  const view: LogEntryView = {
    seq: entry.seq,
    t: startedAt + entry.t,
    dir: entry.dir,
    kind: entry.kind,
    size: entry.data.byteLength,
    preview: '',
    truncated: false,
  };
  if (entry.clientId !== undefined) view.clientId = entry.clientId;
  if (entry.code !== undefined) view.code = entry.code;
  if (entry.reason !== undefined) view.reason = entry.reason;
  if (entry.note !== undefined) view.note = entry.note;
  if (view.size > 0) {
    const text = isTextKind(entry.kind);
    view.preview = text
      ? utf8Decode(entry.data.subarray(0, previewBytes))
      : bytesToHex(entry.data.subarray(0, 64), ' ');
    view.truncated = text ? view.size > previewBytes : view.size > 64;
  }
  return view;
}

/** A text or binary data message (what replay sends and compares). */
export function isDataMessage(entry: SessionEntry): boolean {
  return entry.kind === 'text' || entry.kind === 'binary';
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
