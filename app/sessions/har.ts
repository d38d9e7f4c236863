/**
 * HAR import and export of WebSocket traffic, in the shape Chromium (Chrome,
 * Edge) and Firefox developer tools write: the upgrade request's entry carries
 * `_webSocketMessages` of `{type: send|receive|error, time: epoch seconds,
 * opcode: 1 text | 2 binary (base64), data}`. Lenient on input (messages
 * lacking time/opcode/data or with an unknown type are skipped, as Chromium's
 * own importer does), exact on output. Times are kept to the microsecond.
 */
import { createRedactor, type Redactor } from '../variables/redact.js';
import { redactEntry, redactHeader } from './session-redact.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import { base64ToBytes, bytesToBase64, utf8Decode, utf8Encode } from '../payload/codecs.js';
import { createReadStream } from 'node:fs';
import { JsonScanner, JsonSyntaxError } from './json-scanner.js';
import { makeHeader, type SessionEntry, type SessionHeader } from './session-format.js';

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

/** An import that would create nothing is an error, not an empty success (the app and the CLI). */
export function noWebSocketEntries(where: string): DuplexError {
  return new DuplexError(
    ErrorCodes.HAR_NO_WEBSOCKET,
    `${where} has no WebSocket entries (_webSocketMessages), so nothing was imported. Record the page with the Network panel open and the WS filter off, then save it as HAR again.`,
  );
}

/** What an import writes sessions into: one `start` per WebSocket entry, then its entries in order. */
export interface HarSink<W> {
  start(header: SessionHeader): W;
  /** May return a promise (a write in progress): the import reads on once it settles. */
  add(target: W, entry: SessionEntry): void | Promise<void>;
  end(target: W): void | Promise<void>;
}

/** Where a HAR is read from: a file, or the text the UI sent; both are scanned in slices. */
export type HarInput = { path: string } | { text: string; where: string };

/** Slice of a HAR scanned before the writes it started are awaited. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Imports a HAR without building its sessions in memory: a first pass
 * collects each entry's request and start time (and counts its messages), a
 * second converts the messages one by one into `sink`.
 */
export async function importHarStream<W>(
  input: HarInput,
  sink: HarSink<W>,
): Promise<{ skippedMessages: number; sessions: W[] }> {
  const where = 'path' in input ? input.path : input.where;
  const text = 'text' in input ? Buffer.from(input.text, 'utf8') : undefined;
  const chunks = (): AsyncIterable<Buffer> | Iterable<Buffer> =>
    text ? slices(text) : createReadStream((input as { path: string }).path, { highWaterMark: CHUNK_BYTES });
  const run = new HarImport<W>(where, sink);
  for (const pass of [run.collect(), run.convert()]) {
    for await (const chunk of chunks()) {
      pass.write(chunk);
      await pass.settle();
    }
    pass.end();
    await pass.settle();
  }
  return { skippedMessages: run.skippedMessages, sessions: run.targets };
}

function* slices(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += CHUNK_BYTES) yield buf.subarray(i, i + CHUNK_BYTES);
}

/** The two passes of one import. */
class HarImport<W> {
  readonly #where: string;
  readonly #sink: HarSink<W>;
  readonly #metas = new Map<number, EntryMeta>();
  readonly #open = new Map<number, { target: W; seq: number; meta: EntryMeta; header: SessionHeader }>();
  readonly targets: W[] = [];

  constructor(where: string, sink: HarSink<W>) {
    this.#where = where;
    this.#sink = sink;
  }

  get skippedMessages(): number {
    let n = 0;
    for (const m of this.#metas.values()) if (m.ws) n += m.skipped;
    return n;
  }

  collect(): HarPass {
    return harPass(this.#where, {
      onEntry: (i, field, value) => {
        const meta = metaOf(this.#metas, i);
        if (field === 'request') meta.request = value;
        else meta.startedDateTime = value;
      },
      onMessages: (i) => void (metaOf(this.#metas, i).ws = true),
      onMessage: (i, m) => {
        const meta = metaOf(this.#metas, i);
        if (!isHarMessage(m)) meta.skipped++;
        else meta.firstTime ??= m.time;
      },
    });
  }

  convert(): HarPass {
    return harPass(this.#where, {
      onMessages: (i) => {
        const meta = this.#metas.get(i)!;
        const header = headerOf(meta);
        const target = this.#sink.start(header);
        this.targets.push(target);
        this.#open.set(i, { target, seq: 0, meta, header });
      },
      onMessage: (i, m) => {
        const slot = this.#open.get(i)!;
        if (!isHarMessage(m)) return;
        return this.#sink.add(
          slot.target,
          messageToEntry(m, ++slot.seq, slot.meta, slot.header.url, this.#where),
        );
      },
      onMessagesEnd: (i) => {
        const slot = this.#open.get(i)!;
        this.#open.delete(i);
        return this.#sink.end(slot.target);
      },
    });
  }
}

interface EntryMeta {
  request?: unknown;
  startedDateTime?: unknown;
  ws: boolean;
  skipped: number;
  firstTime?: number;
}

function metaOf(metas: Map<number, EntryMeta>, i: number): EntryMeta {
  let m = metas.get(i);
  if (!m) metas.set(i, (m = { ws: false, skipped: 0 }));
  return m;
}

function isHarMessage(m: unknown): m is HarWebSocketMessage {
  const x = m as Partial<HarWebSocketMessage> | null;
  return (
    typeof x?.time === 'number' &&
    typeof x.opcode === 'number' &&
    typeof x.data === 'string' &&
    (x.type === 'send' || x.type === 'receive' || x.type === 'error')
  );
}

function startUsOf(meta: EntryMeta): number {
  const started = Date.parse(String(meta.startedDateTime ?? ''));
  return Number.isFinite(started)
    ? Math.round(started * 1000)
    : meta.firstTime !== undefined
      ? Math.round(meta.firstTime * 1e6)
      : 0;
}

function headerOf(meta: EntryMeta): SessionHeader {
  const request = (meta.request ?? {}) as { url?: unknown; headers?: unknown };
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
  const started = Date.parse(String(meta.startedDateTime ?? ''));
  const startUs = startUsOf(meta);
  return makeHeader({
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
}

function messageToEntry(
  m: HarWebSocketMessage,
  seq: number,
  meta: EntryMeta,
  url: string,
  where: string,
): SessionEntry {
  const t = (Math.round(m.time * 1e6) - startUsOf(meta)) / 1000;
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
      `${where}: message ${seq} of ${url} has opcode ${m.opcode} but its data is not base64; the HAR file is damaged.`,
    );
  }
  return { seq, t, dir, kind, data };
}

interface HarScanHandlers {
  onEntry?: (entry: number, field: 'request' | 'startedDateTime', value: unknown) => void;
  onMessages?: (entry: number) => void;
  onMessage?: (entry: number, message: unknown) => void | Promise<void>;
  onMessagesEnd?: (entry: number) => void | Promise<void>;
}

interface HarPass {
  write(chunk: Buffer): void;
  end(): void;
  /** Waits for the writes the handlers started. */
  settle(): Promise<void>;
}

/** One pass over a HAR: log.entries[i].request / startedDateTime, and each of its _webSocketMessages. */
function harPass(where: string, h: HarScanHandlers): HarPass {
  let sawEntries = false;
  // Only the elements of a _webSocketMessages *array* are messages.
  let inMessages = false;
  let waits: Promise<void>[] = [];
  const wait = (r: void | Promise<void>): void => {
    if (r) waits.push(r);
  };
  const scanner = new JsonScanner({
    route: (p) => {
      if (p.length <= 1) return p.length === 0 || p[0] === 'log' ? 'descend' : 'skip';
      if (p[0] !== 'log') return 'skip';
      if (p.length === 2) return p[1] === 'entries' ? 'descend' : 'skip';
      if (p.length === 3) return 'descend';
      if (p.length === 4) {
        if (p[3] === '_webSocketMessages') return 'descend';
        return p[3] === 'request' || p[3] === 'startedDateTime' ? 'value' : 'skip';
      }
      return p.length === 5 && p[3] === '_webSocketMessages' ? 'value' : 'skip';
    },
    onOpen: (p, kind) => {
      if (p.length === 2 && kind === 'array') sawEntries = true;
      if (p.length === 4 && kind === 'array') {
        inMessages = true;
        h.onMessages?.(p[2] as number);
      }
    },
    onClose: (p, kind) => {
      if (p.length === 4 && kind === 'array') {
        inMessages = false;
        wait(h.onMessagesEnd?.(p[2] as number));
      }
    },
    onValue: (p, value) => {
      if (p.length === 4) h.onEntry?.(p[2] as number, p[3] as 'request' | 'startedDateTime', value);
      else if (p.length === 5 && inMessages) wait(h.onMessage?.(p[2] as number, value));
    },
  });
  const syntax = (fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      if (err instanceof JsonSyntaxError) {
        throw new DuplexError(ErrorCodes.FILE, `${where} is not valid JSON (${err.message}).`);
      }
      throw err;
    }
  };
  return {
    write: (chunk) => syntax(() => scanner.write(chunk)),
    end: () => {
      syntax(() => scanner.end());
      if (!sawEntries) {
        throw new DuplexError(
          ErrorCodes.FILE,
          `${where} has no log.entries list; it is not a HAR file. Save it from the browser's Network panel ("Save all as HAR").`,
        );
      }
    },
    settle: async () => {
      const w = waits;
      waits = [];
      await Promise.all(w);
    },
  };
}

/**
 * A HAR 1.2 document with one WebSocket entry per conversation (one per
 * client of a server recording, from the client's side), as text pieces read
 * from a stream of the session: one pass for a client recording, and for a server recording one
 * pass to list its clients, then one per client. `entries()` starts a pass.
 */
export async function* exportHarChunks(
  fullHeader: SessionHeader,
  entries: () => AsyncIterable<SessionEntry>,
  creatorVersion = '0.1.0',
  redact: Redactor = createRedactor(),
): AsyncGenerator<string> {
  const header = redactHeader(fullHeader, redact);
  let clients: (string | undefined)[] = [undefined];
  if (header.role === 'server') {
    const seen = new Set<string>();
    for await (const e of entries()) if (e.clientId !== undefined) seen.add(e.clientId);
    clients = [...seen];
  }
  const clientSends = header.role === 'client' ? 'out' : 'in';
  const doc = JSON.stringify(harDocument([], creatorVersion), null, 2);
  // The envelope around the entries list, split where the entries go.
  const cut = doc.indexOf('"entries": [') + '"entries": ['.length;
  yield doc.slice(0, cut);
  let first = true;
  for (const clientId of clients) {
    // `time` (the last event's offset) is only known at the end, so the entry is closed with it.
    const { time: _time, ...head } = harEntry(header, 0);
    void _time;
    const open = JSON.stringify({ ...head, _webSocketMessages: [] }, null, 2).replace(/\n/g, '\n      ');
    yield `${first ? '' : ','}\n      ${open.slice(0, open.lastIndexOf('[]'))}[`;
    first = false;
    let last = 0;
    let count = 0;
    let batch: string[] = [];
    for await (const e of entries()) {
      if (clientId !== undefined && e.clientId !== clientId) continue;
      last = e.t;
      if (!travelsInHar(e)) continue;
      batch.push(
        `${count++ === 0 ? '' : ','}\n        ${JSON.stringify(harMessage(redactEntry(e, redact), header, clientSends))}`,
      );
      if (batch.length >= 1000) {
        yield batch.join('');
        batch = [];
      }
    }
    if (batch.length > 0) yield batch.join('');
    yield `${count > 0 ? '\n        ' : ''}],\n        "time": ${JSON.stringify(Math.max(0, last))}\n      }`;
  }
  yield `${first ? '' : '\n    '}${doc.slice(cut)}\n`;
}

/** Only text, binary and error events travel in HAR. */
function travelsInHar(e: SessionEntry): boolean {
  return e.kind === 'text' || e.kind === 'binary' || (e.kind === 'error' && e.note !== undefined);
}

/** HAR is written from the browser's side: "send" is what the client sent. */
function harMessage(e: SessionEntry, header: SessionHeader, clientSends: 'in' | 'out'): object {
  const startUs = Math.round(header.startedAt * 1000);
  return {
    type: e.kind === 'error' ? 'error' : e.dir === clientSends ? 'send' : 'receive',
    time: (startUs + Math.round(e.t * 1000)) / 1e6,
    opcode: e.kind === 'text' ? 1 : e.kind === 'binary' ? 2 : -1,
    data: e.kind === 'text' ? utf8Decode(e.data) : e.kind === 'binary' ? bytesToBase64(e.data) : e.note!,
  };
}

function harEntry(header: SessionHeader, lastT: number) {
  const startUs = Math.round(header.startedAt * 1000);
  const requestHeaders = Object.entries(header.headers).map(([name, value]) => ({ name, value }));
  if (header.protocols.length > 0) {
    requestHeaders.push({ name: 'Sec-WebSocket-Protocol', value: header.protocols.join(', ') });
  }
  return {
    startedDateTime: new Date(startUs / 1000).toISOString(),
    time: Math.max(0, lastT),
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
  };
}

function harDocument(entries: object[], creatorVersion: string): object {
  return {
    log: { version: '1.2', creator: { name: 'Duplex', version: creatorVersion }, pages: [], entries },
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
