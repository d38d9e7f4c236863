/**
 * HAR import and export of WebSocket traffic, in the shape Chromium (Chrome,
 * Edge) and Firefox developer tools write: the upgrade request's entry carries
 * `_webSocketMessages` of `{type: send|receive|error, time: epoch seconds,
 * opcode: 1 text | 2 binary (base64), data}`. Lenient on input (messages
 * lacking time/opcode/data or with an unknown type are skipped, as Chromium's
 * own importer does), exact on output. Times are kept to the microsecond.
 */
import { DuplexError, ErrorCodes } from '../errors.js';
import { base64ToBytes, bytesToBase64, utf8Decode, utf8Encode } from '../payload/codecs.js';
import { makeHeader, type Session, type SessionEntry } from './session-format.js';

/** Request headers the WebSocket client sets itself; not kept as custom headers. */
const HANDSHAKE_HEADERS = new Set([
  'host',
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
  'content-length',
]);

interface HarHeader {
  name: string;
  value: string;
}

interface HarWebSocketMessage {
  type: 'send' | 'receive' | 'error';
  time: number;
  opcode: number;
  data: string;
}

export interface HarImportResult {
  sessions: Session[];
  /** Messages skipped because they lacked time, opcode or data, or had an unknown type. */
  skippedMessages: number;
}

export function importHar(text: string, where = 'HAR file'): HarImportResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DuplexError(ErrorCodes.FILE, `${where} is not valid JSON (${(err as Error).message}).`);
  }
  const entries = (doc as { log?: { entries?: unknown } } | null)?.log?.entries;
  if (!Array.isArray(entries)) {
    throw new DuplexError(
      ErrorCodes.FILE,
      `${where} has no log.entries list; it is not a HAR file. Save it from the browser's Network panel ("Save all as HAR").`,
    );
  }
  const sessions: Session[] = [];
  let skippedMessages = 0;
  for (const entry of entries as Record<string, unknown>[]) {
    const messages = entry?.['_webSocketMessages'];
    if (!Array.isArray(messages)) continue;
    const request = (entry['request'] ?? {}) as { url?: unknown; headers?: unknown };
    const url = toWsUrl(String(request.url ?? ''));
    const headers: Record<string, string> = {};
    let protocols: string[] = [];
    for (const h of Array.isArray(request.headers) ? (request.headers as HarHeader[]) : []) {
      if (typeof h?.name !== 'string' || typeof h.value !== 'string' || h.name.startsWith(':')) continue;
      const lower = h.name.toLowerCase();
      if (lower === 'sec-websocket-protocol') {
        protocols = h.value
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean);
      } else if (!HANDSHAKE_HEADERS.has(lower)) headers[h.name] = h.value;
    }
    const valid = (messages as Partial<HarWebSocketMessage>[]).filter(
      (m): m is HarWebSocketMessage =>
        typeof m?.time === 'number' &&
        typeof m.opcode === 'number' &&
        typeof m.data === 'string' &&
        (m.type === 'send' || m.type === 'receive' || m.type === 'error'),
    );
    skippedMessages += messages.length - valid.length;
    const started = Date.parse(String(entry['startedDateTime'] ?? ''));
    const startUs = Number.isFinite(started)
      ? Math.round(started * 1000)
      : valid.length > 0
        ? Math.round(valid[0]!.time * 1e6)
        : 0;
    const sessionEntries: SessionEntry[] = valid.map((m, i) => {
      const t = (Math.round(m.time * 1e6) - startUs) / 1000;
      const seq = i + 1;
      if (m.type === 'error')
        return { seq, t, dir: 'none', kind: 'error', data: new Uint8Array(0), note: m.data };
      const dir = m.type === 'send' ? 'out' : 'in';
      if (m.opcode === 1) return { seq, t, dir, kind: 'text', data: utf8Encode(m.data) };
      const kind = m.opcode === 9 ? 'ping' : m.opcode === 10 ? 'pong' : 'binary';
      let data: Uint8Array;
      try {
        data = base64ToBytes(m.data);
      } catch {
        throw new DuplexError(
          ErrorCodes.FILE,
          `${where}: message ${i + 1} of ${url} has opcode ${m.opcode} but its data is not base64; the HAR file is damaged.`,
        );
      }
      return { seq, t, dir, kind, data };
    });
    const header = makeHeader({
      role: 'client',
      url,
      headers,
      protocols,
      startedAt: startUs / 1000,
      createdAt: Number.isFinite(started)
        ? new Date(started).toISOString()
        : new Date(startUs / 1000).toISOString(),
      source: 'har',
      name: nameFromUrl(url),
    });
    sessions.push({ header, entries: sessionEntries });
  }
  return { sessions, skippedMessages };
}

/** A HAR 1.2 document with one WebSocket entry per conversation (one per client of a server recording). */
export function exportHar(session: Session, creatorVersion = '0.1.0'): object {
  const { header } = session;
  const clients =
    header.role === 'server'
      ? [...new Set(session.entries.map((e) => e.clientId).filter((c): c is string => c !== undefined))]
      : [undefined];
  // HAR is written from the browser's side: "send" is what the client sent.
  const clientSends = header.role === 'client' ? 'out' : 'in';
  const startUs = Math.round(header.startedAt * 1000);
  const entries = clients.map((clientId) => {
    const mine = session.entries.filter((e) => clientId === undefined || e.clientId === clientId);
    const messages = mine
      .filter((e) => e.kind === 'text' || e.kind === 'binary' || (e.kind === 'error' && e.note !== undefined))
      .map((e) => ({
        type: e.kind === 'error' ? 'error' : e.dir === clientSends ? 'send' : 'receive',
        time: (startUs + Math.round(e.t * 1000)) / 1e6,
        opcode: e.kind === 'text' ? 1 : e.kind === 'binary' ? 2 : -1,
        data: e.kind === 'text' ? utf8Decode(e.data) : e.kind === 'binary' ? bytesToBase64(e.data) : e.note!,
      }));
    const requestHeaders = Object.entries(header.headers).map(([name, value]) => ({ name, value }));
    if (header.protocols.length > 0) {
      requestHeaders.push({ name: 'Sec-WebSocket-Protocol', value: header.protocols.join(', ') });
    }
    const last = mine.length > 0 ? mine[mine.length - 1]!.t : 0;
    return {
      startedDateTime: new Date(startUs / 1000).toISOString(),
      time: Math.max(0, last),
      request: {
        method: 'GET',
        url: header.url,
        httpVersion: 'HTTP/1.1',
        headers: requestHeaders,
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 101,
        statusText: 'Switching Protocols',
        httpVersion: 'HTTP/1.1',
        headers: [],
        cookies: [],
        content: { size: 0, mimeType: 'x-unknown' },
        redirectURL: '',
        headersSize: -1,
        bodySize: 0,
      },
      cache: {},
      timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0, wait: 0, receive: 0 },
      _resourceType: 'websocket',
      _webSocketMessages: messages,
    };
  });
  return {
    log: {
      version: '1.2',
      creator: { name: 'Duplex', version: creatorVersion },
      pages: [],
      entries,
    },
  };
}

function toWsUrl(url: string): string {
  return url.replace(/^http(s?):/i, 'ws$1:');
}

function nameFromUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'imported';
  }
}
