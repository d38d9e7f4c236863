/**
 * A replay of a session in its own tab: the settings (target URL, speed,
 * verify with its timeout and ignored JSON paths, which client of a server
 * recording, start paused), then the engine connection the
 * replay opened with its live log, the controls (pause, resume, step, stop),
 * the progress and, at the end, the verify report.
 */
import { DEFAULT_REPLAY_TIMEOUT_MS, type WorkbenchApi } from '../../../app/api.js';
import type { ConnectionInfo, ReplayAction, ReplayReport } from '../../../app/contract.js';
import { withoutSessionExt } from '../../../app/vocabulary.js';
import { LogModel } from './log-model.svelte.js';

export interface ReplaySettings {
  url: string;
  /** 0 = no waiting, 1 = recorded pace, 2 = twice as fast… */
  speed: number;
  verify: boolean;
  /** JSON paths skipped when comparing, one a line (e.g. `$.timestamp`). */
  ignore: string;
  /** How long verify waits for each recorded incoming message, ms. */
  timeoutMs: number;
  /** Whose side of a server recording to play ('' = its first client). */
  clientId: string;
  startPaused: boolean;
}

export type ReplayPhase = 'setup' | 'starting' | 'running' | 'paused' | 'done' | 'stopped' | 'failed';

let nextReplayTab = 1;

export class ReplayTab {
  readonly kind = 'replay' as const;
  readonly id = `replay-tab-${nextReplayTab++}`;
  readonly log: LogModel;
  readonly #api: WorkbenchApi;
  readonly #session: string;
  #settings = $state<ReplaySettings>({
    url: '',
    speed: 1,
    verify: true,
    ignore: '',
    timeoutMs: DEFAULT_REPLAY_TIMEOUT_MS,
    clientId: '',
    startPaused: false,
  });
  /** Client ids of a server recording (from session.open), to pick whose side to replay. */
  #clients = $state.raw<string[]>([]);
  #replayId = $state<string | undefined>(undefined);
  #connectionId = $state<string | undefined>(undefined);
  #info = $state.raw<ConnectionInfo | undefined>(undefined);
  #report = $state.raw<ReplayReport | undefined>(undefined);
  #error = $state('');
  #starting = $state(false);

  constructor(api: WorkbenchApi, session: string, url: string) {
    this.#api = api;
    this.#session = session;
    this.#settings.url = url;
    this.log = new LogModel(api);
    void this.#loadClients();
  }

  async #loadClients(): Promise<void> {
    const r = await this.#api.session.open({ name: this.#session, count: 1 });
    if (r.ok && r.value.header.role === 'server') {
      this.#clients = r.value.clients;
      if (!this.#settings.clientId) this.#settings.clientId = r.value.clients[0] ?? '';
    }
  }

  /** Client ids of a server recording; empty for a client recording. */
  get clients(): readonly string[] {
    return this.#clients;
  }

  get session(): string {
    return this.#session;
  }
  get title(): string {
    return `Replay · ${withoutSessionExt(this.#session)}`;
  }
  /** The form; components bind to its fields. */
  get settings(): ReplaySettings {
    return this.#settings;
  }
  get replayId(): string | undefined {
    return this.#replayId;
  }
  get connectionId(): string | undefined {
    return this.#connectionId;
  }
  get info(): ConnectionInfo | undefined {
    return this.#info;
  }
  get readyState(): 0 | 1 | 2 | 3 {
    return this.#info?.readyState ?? 3;
  }
  get report(): ReplayReport | undefined {
    return this.#report;
  }
  get error(): string {
    return this.#error;
  }
  get phase(): ReplayPhase {
    const r = this.#report;
    if (this.#starting) return 'starting';
    if (!this.#replayId) return this.#error ? 'failed' : 'setup';
    if (!r) return 'running';
    if (r.done) return r.stopped ? 'stopped' : r.error ? 'failed' : 'done';
    return r.paused ? 'paused' : 'running';
  }

  /** Starts the replay with the settings (`{{name}}` in the URL resolves with `environment`). */
  async start(environment?: string): Promise<void> {
    const s = $state.snapshot(this.#settings);
    const speed = Number(s.speed);
    if (!Number.isFinite(speed) || speed < 0) {
      this.#error =
        'Speed is a number ≥ 0: 0 sends without waiting, 1 keeps the recorded pace, 2 is twice as fast.';
      return;
    }
    const timeoutMs = Number(s.timeoutMs);
    if (s.verify && !(Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 600_000)) {
      this.#error =
        'Verify timeout is a whole number of milliseconds from 1 to 600000: how long to wait for each recorded incoming message.';
      return;
    }
    const ignore = s.ignore
      .split(/[\n,]+/)
      .map((p) => p.trim())
      .filter(Boolean);
    this.#starting = true;
    this.#error = '';
    this.#report = undefined;
    try {
      const r = await this.#api.session.replay({
        name: this.#session,
        speed,
        verify: s.verify,
        ...(s.url.trim() ? { url: s.url.trim() } : {}),
        ...(ignore.length > 0 ? { ignore } : {}),
        ...(s.verify ? { timeoutMs } : {}),
        ...(s.clientId ? { clientId: s.clientId } : {}),
        ...(s.startPaused ? { startPaused: true } : {}),
        ...(environment !== undefined ? { environment } : {}),
      });
      if (!r.ok) {
        this.#error = r.error.message;
        this.#replayId = undefined;
        return;
      }
      this.#replayId = r.value.replayId;
      this.#connectionId = r.value.connectionId;
      this.log.attach(r.value.connectionId);
      const status = await this.#api.session.replayStatus({ replayId: r.value.replayId });
      if (status.ok) this.onProgress(status.value);
      const conn = await this.#api.connection.get({ connectionId: r.value.connectionId });
      if (conn.ok) this.onState(conn.value);
    } finally {
      this.#starting = false;
    }
  }

  async control(action: ReplayAction): Promise<void> {
    const replayId = this.#replayId;
    if (!replayId) return;
    const r = await this.#api.session.replayControl({ replayId, action });
    if (!r.ok) this.#error = r.error.message;
    else {
      this.#error = '';
      this.onProgress(r.value);
    }
  }

  /** Back to the settings for another run (the previous connection is removed). */
  async again(): Promise<void> {
    await this.dispose();
    this.#replayId = undefined;
    this.#report = undefined;
    this.#info = undefined;
    this.#connectionId = undefined;
    this.#error = '';
    this.log.attach(undefined);
  }

  /** A `session.replayProgress` report (or a command's answer); a finished report is never replaced by an older one. */
  onProgress(report: ReplayReport): void {
    if (this.#report?.done && !report.done) return;
    this.#report = report;
  }

  onState(info: ConnectionInfo): void {
    if (info.connectionId !== this.connectionId) return;
    this.#info = info;
  }

  /** Stops a running replay and removes its connection (the tab closes). */
  async dispose(): Promise<void> {
    if (this.#replayId && this.#report && !this.#report.done) {
      await this.#api.session.replayControl({ replayId: this.#replayId, action: 'stop' });
    }
    const id = this.connectionId;
    if (id) await this.#api.connection.remove({ connectionId: id });
  }
}
