/**
 * One mock server tab: the listen options, the running server, its clients,
 * its log (optionally narrowed to one client) and a composer that sends to
 * the selected client or broadcasts.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type {
  RecordingInfo,
  RuleHits,
  ServerClientInfo,
  ServerInfo,
  ServerOptions,
} from '../../../app/contract.js';
import { checkCloseArgs } from '../../../app/websocket-rules.js';
import { ComposerState } from './composer.svelte.js';
import { LogModel } from './log-model.svelte.js';
import type { ServerDraft } from './ui-state.svelte.js';

let nextServerTab = 1;

export class ServerTab {
  readonly kind = 'server' as const;
  readonly id = `server-tab-${nextServerTab++}`;
  readonly log: LogModel;
  readonly composer: ComposerState;
  readonly #api: WorkbenchApi;
  #port = $state('0');
  #path = $state('/');
  #protocols = $state('');
  #echo = $state(true);
  #info = $state.raw<ServerInfo | undefined>(undefined);
  #clients = $state.raw<ServerClientInfo[]>([]);
  #target = $state<string | undefined>(undefined);
  #error = $state('');
  #busy = $state(false);
  #hits = $state.raw<RuleHits | undefined>(undefined);

  constructor(api: WorkbenchApi, info?: ServerInfo, recording?: RecordingInfo) {
    this.#api = api;
    this.log = new LogModel(api);
    this.composer = new ComposerState(api);
    if (info) this.adopt(info, recording);
  }

  get title(): string {
    if (this.#info?.mock?.name) return `${this.#info.mock.name} :${this.#info.port}`;
    return this.#info
      ? `Mock :${this.#info.port}${this.#info.path === '/' ? '' : this.#info.path}`
      : 'New mock server';
  }
  get port(): string {
    return this.#port;
  }
  set port(v: string) {
    this.#port = v;
  }
  get path(): string {
    return this.#path;
  }
  set path(v: string) {
    this.#path = v;
  }
  get protocols(): string {
    return this.#protocols;
  }
  set protocols(v: string) {
    this.#protocols = v;
  }
  get echo(): boolean {
    return this.#echo;
  }
  set echo(v: boolean) {
    this.#echo = v;
  }
  get info(): ServerInfo | undefined {
    return this.#info;
  }
  get serverId(): string | undefined {
    return this.#info?.serverId;
  }
  get running(): boolean {
    return this.#info?.running ?? false;
  }
  get clients(): ServerClientInfo[] {
    return this.#clients;
  }
  /** Client the composer sends to; undefined = broadcast. */
  get target(): string | undefined {
    return this.#target;
  }
  /** The selected client's details, while it is connected. */
  get targetClient(): ServerClientInfo | undefined {
    return this.#target === undefined ? undefined : this.#clients.find((c) => c.clientId === this.#target);
  }
  get error(): string {
    return this.#error;
  }
  get busy(): boolean {
    return this.#busy;
  }
  /** How often each rule answered, while the server runs a mock (server.hits events keep it current). */
  get hits(): RuleHits | undefined {
    return this.#hits;
  }
  /** The mock's name, when the server runs a mock of the workspace. */
  get mockName(): string | undefined {
    return this.#info?.mock?.name;
  }

  /** Shows a server the engine already runs (started elsewhere or before a reload), with its log. */
  adopt(info: ServerInfo, recording?: RecordingInfo): void {
    this.#info = info;
    this.#port = String(info.port);
    this.#path = info.path;
    this.#echo = info.echo;
    this.#protocols = info.protocols.join(', ');
    void this.log.reattach(info.serverId, recording);
    void this.refreshClients();
    if (info.behaviours.includes('rules')) void this.refreshHits();
  }

  async refreshHits(): Promise<void> {
    const id = this.serverId;
    if (!id) return;
    const r = await this.#api.server.hits({ serverId: id });
    if (r.ok) this.#hits = r.value;
  }

  onHits(hits: RuleHits): void {
    if (hits.serverId === this.serverId) this.#hits = hits;
  }

  /** The listen options as typed (remembered across reloads). */
  get draft(): ServerDraft {
    return { port: this.#port, path: this.#path, protocols: this.#protocols, echo: this.#echo };
  }

  /** Puts back the listen options of a tab that was not running before a reload. */
  restoreDraft(draft: ServerDraft): void {
    if (this.#info) return; // a running server shows what it runs
    // Stored by an earlier page: a field it lacks keeps its default.
    if (typeof draft.port === 'string') this.#port = draft.port;
    if (typeof draft.path === 'string') this.#path = draft.path;
    if (typeof draft.protocols === 'string') this.#protocols = draft.protocols;
    if (typeof draft.echo === 'boolean') this.#echo = draft.echo;
  }

  selectTarget(clientId: string | undefined): void {
    this.#target = clientId;
  }

  options(): { ok: true; value: ServerOptions } | { ok: false; error: string } {
    const port = Number(this.#port.trim() || '0');
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return { ok: false, error: 'Port is a number from 0 to 65535 (0 picks a free port).' };
    }
    const path = this.#path.trim() || '/';
    if (!/^\/[^\s?#]*$/.test(path)) {
      return { ok: false, error: 'Path starts with / and has no spaces, ? or #, e.g. /ws.' };
    }
    const options: ServerOptions = { host: '127.0.0.1', port, path, echo: this.#echo };
    const protocols = this.#protocols.split(/[\s,]+/).filter(Boolean);
    if (protocols.length > 0) options.protocols = protocols;
    return { ok: true, value: options };
  }

  async start(): Promise<void> {
    const opts = this.options();
    if (!opts.ok) {
      this.#error = opts.error;
      return;
    }
    this.#busy = true;
    this.#error = '';
    try {
      const r = await this.#api.server.start(opts.value);
      if (!r.ok) {
        this.#error = r.error.message;
        return;
      }
      this.#info = r.value;
      this.#port = String(r.value.port);
      this.#clients = [];
      this.log.attach(r.value.serverId);
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<void> {
    const id = this.serverId;
    if (!id) return;
    this.#busy = true;
    try {
      const r = await this.#api.server.stop({ serverId: id });
      if (!r.ok) this.#error = r.error.message;
      else this.#info = r.value;
      this.#clients = [];
      this.#target = undefined;
      // Next start listens on the same port again unless the person changes it.
      this.#port = r.ok ? String(r.value.port) : this.#port;
    } finally {
      this.#busy = false;
    }
  }

  async refreshClients(): Promise<void> {
    const id = this.serverId;
    if (!id) return;
    const r = await this.#api.server.clients({ serverId: id });
    if (r.ok) this.#clients = r.value;
  }

  async send(): Promise<boolean> {
    const payload = this.composer.build();
    const id = this.serverId;
    if (!payload) return false;
    if (!id || !this.running) {
      this.composer.reportError('The server is stopped: press Start server first.');
      return false;
    }
    const target = this.#target;
    const r = target
      ? await this.#api.server.send({ serverId: id, clientId: target, payload })
      : await this.#api.server.broadcast({ serverId: id, payload });
    if (!r.ok) {
      this.composer.reportError(r.error.message);
      return false;
    }
    if (!target && 'sent' in r.value && r.value.sent === 0) {
      this.composer.reportError('No client is connected, so the broadcast reached nobody.');
    }
    return true;
  }

  /** Closes one client with a code and reason; returns the validation error or ''. */
  async closeClient(clientId: string, code?: number, reason?: string): Promise<string> {
    const bad = checkCloseArgs(code, reason, 'wire');
    if (bad) return bad.message;
    const id = this.serverId;
    if (!id) return '';
    const r = await this.#api.server.closeClient({
      serverId: id,
      clientId,
      ...(code !== undefined ? { code } : {}),
      ...(reason ? { reason } : {}),
    });
    return r.ok ? '' : r.error.message;
  }

  /** Drops one client's TCP connection without a closing handshake; returns an error message or ''. */
  async terminateClient(clientId: string): Promise<string> {
    const id = this.serverId;
    if (!id) return '';
    const r = await this.#api.server.terminateClient({ serverId: id, clientId });
    return r.ok ? '' : r.error.message;
  }

  onState(info: ServerInfo): void {
    if (info.serverId !== this.serverId) return;
    this.#info = info;
    if (!info.running) this.#clients = [];
  }

  onClients(clients: ServerClientInfo[]): void {
    this.#clients = clients;
    if (this.#target && !clients.some((c) => c.clientId === this.#target)) {
      // The selected client left: back to all clients, in the composer and in the log.
      this.#target = undefined;
      this.log.setClient(undefined);
    }
  }
}
