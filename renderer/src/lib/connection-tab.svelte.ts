/**
 * One connection tab: the editable request (URL, headers, subprotocols,
 * origin, options), the engine connection it opened, its log and composer.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type {
  ConnectOptions,
  ConnectionInfo,
  LiveConnection,
  RecordingInfo,
  SavedConnection,
} from '../../../app/contract.js';
import {
  ReadyState,
  checkCloseArgs,
  clientCloseRule,
  parseWebSocketUrl,
} from '../../../app/websocket-rules.js';
import { ComposerState } from './composer.svelte.js';
import { LogModel } from './log-model.svelte.js';

export interface HeaderRow {
  id: number;
  name: string;
  value: string;
}

export interface ConnectionDraft {
  name: string;
  url: string;
  headers: HeaderRow[];
  /** Comma- or space-separated subprotocols. */
  protocols: string;
  origin: string;
  tlsInsecure: boolean;
  ca: string;
  /** Client certificate: PEM cert + key, or a PFX (base64 of the file) with its file name. */
  clientCert: string;
  clientKey: string;
  pfx: string;
  pfxName: string;
  passphrase: string;
  perMessageDeflate: boolean;
  handshakeTimeoutMs: string;
  /** Reconnect attempts after a drop ('' = off). */
  reconnectAttempts: string;
  /** Heartbeat ping interval in ms ('' = off). */
  heartbeatMs: string;
}

let nextTabId = 1;
let nextRowId = 1;

export class ConnectionTab {
  readonly kind = 'connection' as const;
  readonly id = `tab-${nextTabId++}`;
  readonly log: LogModel;
  readonly composer: ComposerState;
  readonly #api: WorkbenchApi;
  #savedId = $state<string | undefined>(undefined);
  #draft = $state<ConnectionDraft>(emptyDraft());
  #info = $state.raw<ConnectionInfo | undefined>(undefined);
  #error = $state('');
  #dirty = $state(false);
  #busy = $state(false);
  /** The options the engine connection was opened with (JSON), to tell a reconnect from a new request. */
  #openedWith = $state('');
  /** The URL the live connection was opened with. */
  #openedUrl = $state('');
  /** The environment the live connection was opened with. */
  #openedEnvironment: string | undefined;

  constructor(api: WorkbenchApi, saved?: SavedConnection) {
    this.#api = api;
    this.log = new LogModel(api);
    this.composer = new ComposerState(api, saved?.id);
    if (saved) this.load(saved);
  }

  get savedId(): string | undefined {
    return this.#savedId;
  }
  /** The name, or the URL: the live connection's while one is open (an edit not yet applied does not rename the tab). */
  get title(): string {
    return this.#draft.name || this.unappliedUrl || this.#draft.url || 'New connection';
  }
  /** The editable request; components bind to its fields. */
  get draft(): ConnectionDraft {
    return this.#draft;
  }
  get info(): ConnectionInfo | undefined {
    return this.#info;
  }
  get connectionId(): string | undefined {
    return this.#info?.connectionId;
  }
  /** 0–3, or 3 (CLOSED) before the first connect. */
  get readyState(): ReadyState {
    return this.#info?.readyState ?? ReadyState.CLOSED;
  }
  get error(): string {
    return this.#error;
  }
  get dirty(): boolean {
    return this.#dirty;
  }
  get busy(): boolean {
    return this.#busy;
  }

  /** CONNECTING or OPEN: the request the engine runs cannot change until a disconnect. */
  get live(): boolean {
    return this.readyState === ReadyState.CONNECTING || this.readyState === ReadyState.OPEN;
  }
  /** The URL of the live connection, when the URL field says something else (the edit applies at the next connect). */
  get unappliedUrl(): string | undefined {
    return this.live && this.#draft.url.trim() !== this.#openedUrl ? this.#openedUrl : undefined;
  }
  /** The request was edited (headers, options …) since the live connection opened. */
  get unapplied(): boolean {
    return this.live && requestKey(this.#draft) !== this.#openedWith;
  }

  markDirty(): void {
    this.#dirty = true;
  }

  load(saved: SavedConnection): void {
    this.#savedId = saved.id;
    this.#draft = draftFrom(saved);
    this.#dirty = false;
    this.composer.bindSaved(saved.id);
  }

  addHeader(): void {
    this.#draft.headers.push({ id: nextRowId++, name: '', value: '' });
    this.#dirty = true;
  }

  removeHeader(id: number): void {
    this.#draft.headers = this.#draft.headers.filter((h) => h.id !== id);
    this.#dirty = true;
  }

  /**
   * Shows a connection the engine already runs (opened before a reload, or in
   * another window): its request as it was opened, its state and its log.
   */
  adopt(live: LiveConnection, saved?: SavedConnection, recording?: RecordingInfo): void {
    if (saved) this.load(saved);
    this.#draft = draftFrom({ name: saved?.name ?? '', options: live.options });
    const request = requestKey(this.#draft);
    // Edited after saving and connected without saving: the tab shows the request that runs, unsaved.
    this.#dirty = saved !== undefined && request !== requestKey(draftFrom(saved));
    this.#info = live.info;
    this.#openedWith = request;
    this.#openedUrl = live.options.url;
    this.#openedEnvironment = live.environment;
    void this.log.reattach(live.info.connectionId, recording);
  }

  /** Puts back a draft the window had before a reload (over the request an adopted connection runs). */
  restoreDraft(draft: ConnectionDraft, dirty: boolean): void {
    this.#draft = {
      ...emptyDraft(),
      ...draft,
      headers: draft.headers.map((h) => ({ ...h, id: nextRowId++ })),
    };
    this.#dirty = dirty || (this.#openedWith !== '' && requestKey(this.#draft) !== this.#openedWith);
  }

  /** The draft as contract options, or an error that says what to fix. */
  options(): { ok: true; value: ConnectOptions } | { ok: false; error: string } {
    return requestOf($state.snapshot(this.#draft));
  }

  /** Saves the draft as a saved connection (creates one the first time). */
  async save(): Promise<SavedConnection | undefined> {
    const opts = this.options();
    if (!opts.ok) {
      this.#error = opts.error;
      return undefined;
    }
    const r = await this.#api.savedConnection.save({
      ...(this.#savedId ? { id: this.#savedId } : {}),
      name: this.#draft.name.trim() || hostOf(this.#draft.url),
      options: opts.value,
    });
    if (!r.ok) {
      this.#error = r.error.message;
      return undefined;
    }
    this.#savedId = r.value.id;
    this.#draft.name = r.value.name;
    this.#dirty = false;
    this.#error = '';
    this.composer.bindSaved(r.value.id);
    return r.value;
  }

  /** Connects with the request as drafted; `{{name}}` in it resolves with `environment` (engine side). */
  async connect(environment?: string): Promise<void> {
    const opts = this.options();
    if (!opts.ok) {
      this.#error = opts.error;
      return;
    }
    this.#busy = true;
    this.#error = '';
    try {
      const previous = this.#info;
      const request = JSON.stringify(opts.value);
      // The same request again: the engine reconnects the same connection, so the log continues.
      // The environment is part of the request: another one is another connection.
      const same = request === this.#openedWith && environment === this.#openedEnvironment;
      if (previous && previous.readyState === ReadyState.CLOSED && same) {
        const again = await this.#api.connection.reconnect({ connectionId: previous.connectionId });
        if (again.ok) {
          this.#info = again.value;
          return;
        }
      }
      // A changed request (or a connection the engine no longer has) is a new connection and log.
      if (previous) await this.#api.connection.remove({ connectionId: previous.connectionId });
      const savedConnectionId = this.#savedId;
      const r = await this.#api.connection.open({
        ...opts.value,
        ...(savedConnectionId ? { savedConnectionId } : {}),
        ...(environment !== undefined ? { environment } : {}),
      });
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      this.#info = r.value;
      this.#openedWith = request;
      this.#openedUrl = opts.value.url;
      this.#openedEnvironment = environment;
      this.log.attach(r.value.connectionId);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Closes with an optional code and reason (any code valid on the wire with
   * allowWireCodes); returns the validation error, or '' once sent.
   */
  async disconnect(code?: number, reason?: string, allowWireCodes = false): Promise<string> {
    const bad = checkCloseArgs(code, reason, clientCloseRule(allowWireCodes));
    if (bad) return bad.message;
    const id = this.connectionId;
    if (!id) return '';
    const r = await this.#api.connection.close({
      connectionId: id,
      ...(code !== undefined ? { code } : {}),
      ...(reason !== undefined && reason !== '' ? { reason } : {}),
      ...(allowWireCodes ? { allowWireCodes } : {}),
    });
    if (!r.ok) return r.error.message;
    this.#info = r.value;
    return '';
  }

  async send(): Promise<boolean> {
    const payload = this.composer.build();
    const id = this.connectionId;
    if (!payload) return false;
    if (!id || this.readyState !== ReadyState.OPEN) {
      this.composer.reportError('Not connected: press Connect first, then send.');
      return false;
    }
    const r = await this.#api.connection.send({ connectionId: id, payload });
    if (!r.ok) {
      this.composer.reportError(r.error.message);
      return false;
    }
    return true;
  }

  async ping(): Promise<void> {
    const id = this.connectionId;
    if (!id || this.readyState !== ReadyState.OPEN) {
      this.composer.reportError('Not connected: press Connect first, then ping.');
      return;
    }
    const r = await this.#api.connection.ping({ connectionId: id });
    if (!r.ok) this.composer.reportError(r.error.message);
  }

  /** Removes the engine connection (when the tab closes), closing it first as Disconnect does. */
  async dispose(): Promise<void> {
    const id = this.connectionId;
    if (!id) return;
    // Removing alone drops the TCP connection: the server would see 1006, not a normal closure.
    if (this.readyState === ReadyState.CONNECTING || this.readyState === ReadyState.OPEN) {
      await this.#api.connection.close({ connectionId: id, code: 1000 });
    }
    await this.#api.connection.remove({ connectionId: id });
  }

  onState(info: ConnectionInfo): void {
    if (info.connectionId !== this.connectionId) return;
    this.#info = info;
    if (info.error && info.readyState === ReadyState.CLOSED) this.#error = info.error.message;
  }
}

export function emptyDraft(url = ''): ConnectionDraft {
  return {
    name: '',
    url,
    headers: [],
    protocols: '',
    origin: '',
    tlsInsecure: false,
    ca: '',
    clientCert: '',
    clientKey: '',
    pfx: '',
    pfxName: '',
    passphrase: '',
    perMessageDeflate: true,
    handshakeTimeoutMs: '',
    reconnectAttempts: '',
    heartbeatMs: '',
  };
}

/** A draft as contract options, or an error that says what to fix. */
function requestOf(d: ConnectionDraft): { ok: true; value: ConnectOptions } | { ok: false; error: string } {
  // A URL with {{name}} is checked by the engine once its variables are resolved.
  try {
    if (!d.url.includes('{{')) parseWebSocketUrl(d.url.trim());
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
  const options: ConnectOptions = { url: d.url.trim() };
  const headers = d.headers.filter((h) => h.name.trim() !== '');
  if (headers.length > 0) {
    options.headers = Object.fromEntries(headers.map((h) => [h.name.trim(), h.value]));
  }
  const protocols = d.protocols.split(/[\s,]+/).filter(Boolean);
  if (protocols.length > 0) options.protocols = protocols;
  if (d.origin.trim()) options.origin = d.origin.trim();
  const tls: NonNullable<ConnectOptions['tls']> = {};
  if (d.tlsInsecure) tls.insecure = true;
  if (d.ca.trim()) tls.ca = d.ca;
  const cert = d.clientCert.trim();
  const key = d.clientKey.trim();
  if (cert || key) {
    if (!cert || !key) {
      return { ok: false, error: 'A client certificate needs both the certificate and its key (PEM).' };
    }
    if (d.pfx) return { ok: false, error: 'Give the client certificate as PEM or as PFX, not both.' };
    tls.cert = d.clientCert;
    tls.key = d.clientKey;
  }
  if (d.pfx) tls.pfx = d.pfx;
  if (d.passphrase) tls.passphrase = d.passphrase;
  if (Object.keys(tls).length > 0) options.tls = tls;
  if (d.reconnectAttempts.trim()) {
    const n = Number(d.reconnectAttempts);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      return { ok: false, error: 'Reconnect attempts is a whole number from 1 to 1000 (empty = off).' };
    }
    options.reconnect = { maxAttempts: n };
  }
  if (d.heartbeatMs.trim()) {
    const ms = Number(d.heartbeatMs);
    if (!Number.isInteger(ms) || ms < 100 || ms > 3_600_000) {
      return { ok: false, error: 'Heartbeat is a whole number of milliseconds, at least 100 (empty = off).' };
    }
    options.heartbeat = { intervalMs: ms };
  }
  if (!d.perMessageDeflate) options.perMessageDeflate = false;
  if (d.handshakeTimeoutMs.trim()) {
    const ms = Number(d.handshakeTimeoutMs);
    if (!Number.isInteger(ms) || ms < 1) {
      return { ok: false, error: 'Handshake timeout is a whole number of milliseconds, e.g. 10000.' };
    }
    options.handshakeTimeoutMs = ms;
  }
  return { ok: true, value: options };
}

/** A request as the tab compares it (to tell a reconnect from a new request). */
function requestKey(d: ConnectionDraft): string {
  const r = requestOf(d);
  return r.ok ? JSON.stringify(r.value) : '';
}

/** The editable draft of a request (a saved connection's, or one the engine runs). */
function draftFrom(saved: Pick<SavedConnection, 'name' | 'options'>): ConnectionDraft {
  const o = saved.options;
  return {
    name: saved.name,
    url: o.url,
    headers: Object.entries(o.headers ?? {}).map(([name, value]) => ({ id: nextRowId++, name, value })),
    protocols: (o.protocols ?? []).join(', '),
    origin: o.origin ?? '',
    tlsInsecure: o.tls?.insecure ?? false,
    ca: o.tls?.ca ?? '',
    clientCert: o.tls?.cert ?? '',
    clientKey: o.tls?.key ?? '',
    pfx: o.tls?.pfx ?? '',
    pfxName: o.tls?.pfx ? 'PFX' : '',
    passphrase: o.tls?.passphrase ?? '',
    perMessageDeflate: o.perMessageDeflate ?? true,
    handshakeTimeoutMs: o.handshakeTimeoutMs !== undefined ? String(o.handshakeTimeoutMs) : '',
    reconnectAttempts: o.reconnect ? String(o.reconnect.maxAttempts) : '',
    heartbeatMs: o.heartbeat ? String(o.heartbeat.intervalMs) : '',
  };
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return url || 'Untitled connection';
  }
}
