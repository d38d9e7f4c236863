/**
 * The workbench: saved connections, open tabs (connections and mock servers),
 * and the routing of engine events to the tab they concern. One instance,
 * provided to components through context.
 */
import { Environments } from './environments.svelte.js';
import type { WorkbenchApi } from '../../../app/api.js';
import type {
  ConnectionInfo,
  LiveState,
  MenuAction,
  MockSummary,
  SavedConnection,
  ServerInfo,
  WorkspacePart,
} from '../../../app/contract.js';
import { ConnectionTab, emptyDraft, type ConnectionDraft } from './connection-tab.svelte.js';
import { STARTER_MOCK } from './mock-doc.js';
import { MockTab, type MockHost } from './mock-tab.svelte.js';
import { FlowTab } from './flow-tab.svelte.js';
import { Flows } from './flows.svelte.js';
import { ServerTab } from './server-tab.svelte.js';
import { Sessions } from './sessions.svelte.js';
import { ReplayTab } from './sessions-replay.svelte.js';
import { SessionTab } from './sessions-tab.svelte.js';
import { Theme } from './theme.svelte.js';
import type { LogModel } from './log-model.svelte.js';
import { MAX_STORED_PINS, UiState, type StoredTab, type StoredWindow } from './ui-state.svelte.js';
import { withoutSessionExt } from '../../../app/vocabulary.js';
import { CREDENTIAL_HEADERS } from '../../../app/variables/variable-names.js';

export type Tab = ConnectionTab | ServerTab | SessionTab | ReplayTab | MockTab | FlowTab;

/** A place keyboard focus is sent to after an action (the URL of a new connection, the next tab …). */
export type FocusTarget = 'url' | 'log-search' | 'active-tab' | 'new-connection';

export class Workbench {
  readonly api: WorkbenchApi;
  readonly theme = new Theme();
  /** Pane sizes and the open tabs, remembered across reloads. */
  readonly ui: UiState;
  readonly sessions: Sessions;
  readonly flows: Flows;
  /** The workspace's environments and the one the request bar chose. */
  readonly environments: Environments;
  #saved = $state.raw<SavedConnection[]>([]);
  #tabs = $state.raw<Tab[]>([]);
  #servers = $state.raw<ServerTab[]>([]);
  #mocks = $state.raw<MockSummary[]>([]);
  #mocksError = $state('');
  #activeId = $state<string | undefined>(undefined);
  #notice = $state('');
  #unsubscribe: (() => void)[] = [];
  /** State of connections whose tab is not known yet (an event can beat the open response). */
  #early = new Map<string, ConnectionInfo>();
  readonly #active = $derived(this.#tabs.find((t) => t.id === this.#activeId));

  constructor(api: WorkbenchApi, ui: UiState = new UiState()) {
    this.api = api;
    this.ui = ui;
    this.sessions = new Sessions(api);
    this.flows = new Flows(api);
    this.environments = new Environments(api);
  }

  get saved(): SavedConnection[] {
    return this.#saved;
  }
  get tabs(): Tab[] {
    return this.#tabs;
  }
  /** Every mock server the workbench knows, open in a tab or not. */
  get servers(): ServerTab[] {
    return this.#servers;
  }
  /** The mock files of the workspace (mocks/NAME.yaml), as the sidebar lists them. */
  get mocks(): MockSummary[] {
    return this.#mocks;
  }
  get mocksError(): string {
    return this.#mocksError;
  }
  get active(): Tab | undefined {
    return this.#active;
  }
  get activeId(): string | undefined {
    return this.#activeId;
  }
  /** A one-line message for the status bar (errors of sidebar actions). */
  get notice(): string {
    return this.#notice;
  }

  /**
   * Subscribes to engine events, loads the workspace, and shows again every
   * connection and server the engine runs (the page was reloaded, or this is
   * another window): the engine, not this page, knows what is open.
   */
  async start(): Promise<void> {
    const on = this.api.on;
    this.#unsubscribe.push(
      on['connection.state']((info) => this.#onConnectionState(info)),
      on['server.state']((info) => this.#serverTab(info.serverId)?.onState(info)),
      on['server.clients']((e) => this.#serverTab(e.serverId)?.onClients(e.clients)),
      on['server.hits']((e) => this.#serverTab(e.serverId)?.onHits(e)),
      on['server.mockReload']((e) => {
        const name = this.#servers.find((s) => s.serverId === e.serverId)?.mockName;
        for (const t of this.#tabs)
          if (t.kind === 'mock' && t.name === name) t.onReload(e.ok, e.error?.message);
      }),
      on['log.appended']((batch) => this.#logOf(batch.logId)?.onAppended(batch)),
      on['log.cleared']((e) => this.#logOf(e.logId)?.onCleared()),
      on['flow.progress']((e) => {
        for (const t of this.#tabs) if (t.kind === 'flow') t.onProgress(e.report);
      }),
      on['ui.menu']((e) => this.runMenu(e.action)),
      on['workspace.changed']((e) => void this.#reload(e.what)),
      on['session.replayProgress']((e) => {
        for (const t of this.#tabs)
          if (t.kind === 'replay' && t.replayId === e.replayId) t.onProgress(e.report);
      }),
    );
    const saved = await this.api.savedConnection.list({});
    if (saved.ok) this.#saved = saved.value;
    else this.#notice = saved.error.message;
    // After the saved connections, so a connection's tab can find the one it was opened from.
    const live = await this.api.live.list({});
    if (live.ok) this.#reattach(live.value);
    else this.#notice = live.error.message;
    this.#restoreWindow();
    await Promise.all([
      this.sessions.refresh(),
      this.refreshMocks(),
      this.flows.refresh(),
      this.environments.start(),
    ]);
  }

  stop(): void {
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
  }

  activate(id: string): void {
    if (this.#tabs.some((t) => t.id === id)) this.#activeId = id;
  }

  /** Opens (or focuses) the tab of a saved connection. */
  openSaved(saved: SavedConnection): ConnectionTab {
    const open = this.#tabs.find(
      (t): t is ConnectionTab => t.kind === 'connection' && t.savedId === saved.id,
    );
    if (open) {
      this.#activeId = open.id;
      return open;
    }
    return this.#add(new ConnectionTab(this.api, saved));
  }

  /** A new unsaved connection tab. */
  newConnection(url = ''): ConnectionTab {
    const tab = new ConnectionTab(this.api);
    tab.draft.url = url;
    this.focusRequest = 'url';
    return this.#add(tab);
  }

  /** A new mock server tab (not started yet). */
  newServer(): ServerTab {
    const tab = new ServerTab(this.api);
    this.#servers = [...this.#servers, tab];
    return this.#add(tab);
  }

  openServer(tab: ServerTab): void {
    if (!this.#tabs.includes(tab)) this.#tabs = [...this.#tabs, tab];
    this.#activeId = tab.id;
  }

  /** A mock tab with unsaved edits that the person asked to close: App asks what to do. */
  closingUnsaved = $state<MockTab | undefined>(undefined);

  /**
   * Closes a tab; a connection tab's connection is removed, a server keeps running in the sidebar.
   * A mock tab with unsaved edits is not closed but asked about (closingUnsaved), unless `discard`.
   */
  async closeTab(id: string, discard = false): Promise<void> {
    const index = this.#tabs.findIndex((t) => t.id === id);
    const tab = this.#tabs[index];
    if (!tab) return;
    if (tab.kind === 'mock' && tab.dirty && !discard) {
      this.closingUnsaved = tab;
      return;
    }
    if (this.closingUnsaved === tab) this.closingUnsaved = undefined;
    this.#tabs = this.#tabs.filter((t) => t.id !== id);
    if (this.#activeId === id) this.#activeId = (this.#tabs[index] ?? this.#tabs[index - 1])?.id;
    this.focusRequest = this.#activeId ? 'active-tab' : 'new-connection';
    if (tab.kind === 'connection' || tab.kind === 'replay' || tab.kind === 'mock' || tab.kind === 'flow')
      await tab.dispose();
    else if (tab.kind === 'server' && !tab.running) this.#servers = this.#servers.filter((s) => s !== tab);
  }

  /** Connects a tab and applies any state that arrived before the open response. */
  async connect(tab: ConnectionTab): Promise<void> {
    await tab.connect(this.environments.active);
    this.catchUp(tab);
  }

  /** Saves a tab's draft and refreshes the sidebar. */
  async saveTab(tab: ConnectionTab): Promise<void> {
    const saved = await tab.save();
    if (saved) this.#upsertSaved(saved);
  }

  async createSaved(): Promise<void> {
    this.newConnection();
  }

  async renameSaved(id: string, name: string): Promise<string> {
    const r = await this.api.savedConnection.rename({ id, name });
    if (!r.ok) return r.error.message;
    this.#upsertSaved(r.value);
    for (const t of this.#tabs) if (t.kind === 'connection' && t.savedId === id) t.draft.name = r.value.name;
    return '';
  }

  async duplicateSaved(id: string): Promise<void> {
    const r = await this.api.savedConnection.duplicate({ id });
    if (!r.ok) {
      this.#notice = r.error.message;
      return;
    }
    this.#upsertSaved(r.value);
    this.openSaved(r.value);
  }

  async deleteSaved(id: string): Promise<void> {
    const r = await this.api.savedConnection.delete({ id });
    if (!r.ok) {
      this.#notice = r.error.message;
      return;
    }
    this.#saved = this.#saved.filter((s) => s.id !== id);
  }

  /** A new connection tab aimed at a running mock server. */
  connectTo(server: ServerTab): void {
    const tab = new ConnectionTab(this.api);
    tab.draft.url = server.info?.url ?? emptyDraft().url;
    this.#add(tab);
  }

  /** Opens (or focuses) a session file read-only in a tab. */
  openSession(name: string): SessionTab {
    const open = this.#tabs.find((t): t is SessionTab => t.kind === 'session' && t.name === name);
    if (open) {
      this.#activeId = open.id;
      return open;
    }
    const tab = this.#add(new SessionTab(this.api, name));
    void tab.open();
    return tab;
  }

  /** Opens (or focuses) a flow file in a tab. */
  openFlow(name: string): FlowTab {
    const open = this.#tabs.find((t): t is FlowTab => t.kind === 'flow' && t.name === name);
    if (open) {
      this.#activeId = open.id;
      return open;
    }
    const tab = this.#add(new FlowTab(this.api, name, this.environments));
    void tab.load();
    return tab;
  }

  /** Makes a flow of a session (named after it) and opens it. */
  async flowFromSession(session: string): Promise<void> {
    const name = await this.flows.fromSession(session, sessionFlowName(session, this.flows.list));
    if (name) this.openFlow(name);
  }

  /** Deletes a flow file and closes its tab. */
  async deleteFlow(name: string): Promise<void> {
    for (const t of this.#tabs) if (t.kind === 'flow' && t.name === name) await this.closeTab(t.id);
    await this.flows.remove(name);
  }

  /** A new replay tab for a session, aimed at its recorded URL until the user changes it. */
  replaySession(name: string, url = ''): ReplayTab {
    return this.#add(new ReplayTab(this.api, name, url));
  }

  /** Renames a session file; open tabs follow. Returns the error message, or ''. */
  async renameSession(name: string, newName: string): Promise<string> {
    const r = await this.sessions.rename(name, newName);
    if ('error' in r) return r.error;
    for (const t of this.#tabs) if (t.kind === 'session' && t.name === name) t.renamed(r.name);
    return '';
  }

  /** Deletes a session file and closes its tab. */
  async deleteSession(name: string): Promise<void> {
    await this.sessions.remove(name);
    for (const t of this.#tabs) if (t.kind === 'session' && t.name === name) await this.closeTab(t.id);
  }

  // ---- mocks: files of the workspace's mocks/ folder

  async refreshMocks(): Promise<void> {
    const r = await this.api.mock.list({});
    if (r.ok) {
      this.#mocks = r.value;
      this.#mocksError = '';
    } else this.#mocksError = r.error.message;
  }

  /** Creates mocks/NAME.yaml from the starter mock and opens it; returns the error message, or ''. */
  async createMock(name: string): Promise<string> {
    const trimmed = name.trim();
    if (this.#mocks.some((m) => m.name === trimmed)) return `A mock named "${trimmed}" exists already.`;
    const r = await this.api.mock.save({ name: trimmed, text: STARTER_MOCK });
    if (!r.ok) return r.error.message;
    await this.refreshMocks();
    this.openMock(trimmed);
    return '';
  }

  /** Opens (or focuses) a mock file in a tab. */
  openMock(name: string): MockTab {
    const open = this.#tabs.find((t): t is MockTab => t.kind === 'mock' && t.name === name);
    if (open) {
      this.#activeId = open.id;
      return open;
    }
    const tab = this.#add(new MockTab(this.api, name, this.#mockHost));
    void tab.load();
    return tab;
  }

  /** Deletes a mock file (its running server keeps running until stopped) and closes its tab. */
  async deleteMock(name: string): Promise<void> {
    const r = await this.api.mock.delete({ name });
    if (!r.ok) this.#notice = r.error.message;
    for (const t of this.#tabs) if (t.kind === 'mock' && t.name === name) await this.closeTab(t.id, true);
    await this.refreshMocks();
  }

  /** The running server of a mock of the workspace, if any. */
  mockServer(name: string): ServerTab | undefined {
    return this.#servers.find((s) => s.running && s.mockName === name);
  }

  /** Starts a mock by name; returns the error message, or ''. */
  async startMock(name: string): Promise<string> {
    if (this.mockServer(name)) return '';
    const r = await this.api.mock.start({ name });
    if (!r.ok) return r.error.message;
    const known = this.#servers.find((s) => s.serverId === r.value.serverId);
    if (known) known.onState(r.value);
    else this.#servers = [...this.#servers, new ServerTab(this.api, r.value)];
    return '';
  }

  /** Stops a mock's running server; a stopped mock server not open in a tab leaves the sidebar. */
  async stopMock(name: string): Promise<string> {
    const server = this.mockServer(name);
    if (!server) return '';
    await server.stop();
    if (!this.#tabs.includes(server)) this.#servers = this.#servers.filter((s) => s !== server);
    return server.error;
  }

  /**
   * Serves a session file back as a mock server (each client gets the recorded server
   * messages; in conversation mode each after the client message that preceded it) and opens it.
   */
  async serveSession(name: string, conversation: boolean): Promise<string> {
    const r = await this.api.mock.serveSession({ name, port: 0, conversation });
    if (!r.ok) return r.error.message;
    const tab = new ServerTab(this.api, r.value);
    this.#servers = [...this.#servers, tab];
    this.openServer(tab);
    return '';
  }

  /** Turns a recording into mocks/MOCKNAME.yaml (a rule per client message) and opens it. */
  async mockFromSession(name: string, mockName: string): Promise<string> {
    const trimmed = mockName.trim();
    if (this.#mocks.some((m) => m.name === trimmed))
      return `A mock named "${trimmed}" exists already; pick another name.`;
    const r = await this.api.mock.fromSession({ name, mockName: trimmed });
    if (!r.ok) return r.error.message;
    await this.refreshMocks();
    this.openMock(trimmed);
    return '';
  }

  readonly #mockHost: MockHost = {
    server: (name) => this.mockServer(name),
    start: (name) => this.startMock(name),
    stop: (name) => this.stopMock(name),
  };

  /** Where keyboard focus goes next (App moves it once the DOM is there, then clears this). */
  focusRequest = $state<FocusTarget | undefined>(undefined);
  /** The keyboard shortcuts overlay is open. */
  helpOpen = $state(false);

  /** A menu item or its shortcut (Electron's menu sends it; in browser mode App matches the key). */
  runMenu(action: MenuAction): void {
    const active = this.active;
    switch (action) {
      case 'connection.new':
        this.newConnection();
        return;
      case 'server.start':
        this.newServer();
        return;
      case 'theme.toggle':
        this.theme.toggle();
        return;
      case 'tab.close':
        if (active) void this.closeTab(active.id);
        return;
      case 'tab.next':
      case 'tab.previous':
        this.cycleTab(action === 'tab.next' ? 1 : -1);
        return;
      case 'connection.focusUrl':
        if (active?.kind === 'connection') this.focusRequest = 'url';
        return;
      case 'message.send':
        if (active?.kind === 'connection') void active.send();
        return;
      case 'log.find':
        if (active) this.focusRequest = 'log-search';
        return;
      case 'help.shortcuts':
        this.helpOpen = !this.helpOpen;
        return;
    }
  }

  /** Activates the next (+1) or previous (-1) tab, wrapping around. */
  cycleTab(step: 1 | -1): void {
    const n = this.#tabs.length;
    if (n === 0) return;
    const i = this.#tabs.findIndex((t) => t.id === this.#activeId);
    this.#activeId = this.#tabs[(i + step + n) % n]!.id;
    this.focusRequest = 'active-tab';
  }

  dismissNotice(): void {
    this.#notice = '';
  }

  /** The open tabs as the window remembers them (UiState saves this). */
  windowSnapshot(): StoredWindow {
    const tabs: StoredTab[] = [];
    let active = 0;
    for (const t of this.#tabs) {
      if (t.id === this.#activeId) active = tabs.length;
      if (t.kind === 'connection') {
        tabs.push({
          kind: 'connection',
          ...(t.savedId ? { savedId: t.savedId } : {}),
          ...(t.connectionId ? { connectionId: t.connectionId } : {}),
          draft: storableDraft($state.snapshot(t.draft)),
          dirty: t.dirty,
          composer: { mode: t.composer.mode, draft: t.composer.draft },
          ...(t.connectionId ? pinsOf(t.log) : {}),
        });
      } else if (t.kind === 'server') {
        tabs.push({
          kind: 'server',
          ...(t.serverId ? { serverId: t.serverId } : {}),
          draft: t.draft,
          composer: { mode: t.composer.mode, draft: t.composer.draft },
          ...(t.serverId ? pinsOf(t.log) : {}),
        });
      } else if (t.kind === 'session') {
        tabs.push({ kind: 'session', name: t.name });
      } else if (t.kind === 'mock') {
        // Unsaved edits come back after a reload (small files only: localStorage is small).
        const unsaved = t.dirty && t.text.length <= 256 * 1024 ? { text: t.text } : {};
        tabs.push({ kind: 'mock', name: t.name, ...unsaved });
      }
    }
    return { tabs, active };
  }

  /**
   * Opens the tabs the window had, in their order, with their drafts: a tab whose
   * connection the engine still runs is the reattached tab; the others open closed.
   * Reattached connections the window did not know come after them.
   */
  #restoreWindow(): void {
    const stored = this.ui.restored;
    if (!stored || stored.tabs.length === 0) return;
    const adopted = [...this.#tabs];
    const ordered: Tab[] = [];
    for (const s of stored.tabs) {
      if (s.kind === 'session') {
        // A session file deleted meanwhile opens with its error, as a sidebar click would.
        const tab = new SessionTab(this.api, s.name);
        void tab.open();
        ordered.push(tab);
        continue;
      }
      if (s.kind === 'mock') {
        const tab = new MockTab(this.api, s.name, this.#mockHost);
        void tab.load(s.text);
        ordered.push(tab);
        continue;
      }
      if (s.kind === 'server') {
        // The server the engine still runs (listed in the sidebar by #reattach), or a new one not started.
        let server = s.serverId ? this.#servers.find((x) => x.serverId === s.serverId) : undefined;
        if (server && s.pins) server.log.restorePins(s.pins);
        if (!server) {
          server = new ServerTab(this.api);
          server.restoreDraft(s.draft ?? {});
          this.#servers = [...this.#servers, server];
        }
        if (s.composer) {
          server.composer.mode = s.composer.mode;
          server.composer.draft = s.composer.draft;
        }
        if (!ordered.includes(server)) ordered.push(server);
        continue;
      }
      let tab = adopted.find(
        (t): t is ConnectionTab =>
          t.kind === 'connection' && !!s.connectionId && t.connectionId === s.connectionId,
      );
      if (tab && s.pins) tab.log.restorePins(s.pins);
      if (!tab) {
        const saved = this.#saved.find((x) => x.id === s.savedId);
        tab = new ConnectionTab(this.api, saved);
      }
      tab.restoreDraft(s.draft, s.dirty);
      tab.composer.mode = s.composer.mode;
      tab.composer.draft = s.composer.draft;
      ordered.push(tab);
    }
    const rest = this.#tabs.filter((t) => !ordered.includes(t));
    this.#tabs = [...ordered, ...rest];
    this.#activeId = (ordered[stored.active] ?? this.#tabs[0])?.id;
  }

  /** Tabs for the engine's connections and sidebar entries for its servers, with their logs. */
  #reattach(live: LiveState): void {
    const recordingOf = (logId: string) => live.recordings.find((r) => r.logId === logId && r.recording);
    // Keep what was opened while the list was loading (its tab is open): add only unknown ones.
    const knownServers = new Set(this.#servers.map((s) => s.serverId));
    const servers = live.servers
      .filter((info) => !knownServers.has(info.serverId))
      .map((info) => new ServerTab(this.api, info, recordingOf(info.serverId)));
    this.#servers = [...this.#servers, ...servers];
    const knownConnections = new Set(
      this.#tabs.map((t) => (t.kind === 'connection' || t.kind === 'replay' ? t.connectionId : undefined)),
    );
    const tabs = live.connections
      .filter((c) => !knownConnections.has(c.info.connectionId))
      .map((c) => {
        const tab = new ConnectionTab(this.api);
        const saved = this.#saved.find((s) => s.id === c.savedConnectionId);
        tab.adopt(c, saved, recordingOf(c.info.connectionId));
        // State that came before the list is older than the list's.
        this.#early.delete(c.info.connectionId);
        return tab;
      });
    if (tabs.length === 0) return;
    this.#tabs = [...this.#tabs, ...tabs];
    this.#activeId ??= tabs[0]!.id;
  }

  /** Reads a part of the workspace again after a change (from this window or another). */
  async #reload(what: WorkspacePart): Promise<void> {
    if (what === 'sessions') return this.sessions.refresh();
    if (what === 'mocks') {
      await this.refreshMocks();
      for (const t of this.#tabs) if (t.kind === 'mock') void t.reloadIfClean();
      return;
    }
    if (what === 'flows') return this.flows.refresh();
    if (what === 'environments') return this.environments.refresh();
    if (what === 'templates') {
      for (const t of [...this.#tabs, ...this.#servers])
        if (t.kind === 'connection' || t.kind === 'server') void t.composer.loadTemplates();
      return;
    }
    const r = await this.api.savedConnection.list({});
    if (r.ok) this.#saved = r.value;
  }

  #add<T extends Tab>(tab: T): T {
    this.#tabs = [...this.#tabs, tab];
    this.#activeId = tab.id;
    return tab;
  }

  #upsertSaved(saved: SavedConnection): void {
    const i = this.#saved.findIndex((s) => s.id === saved.id);
    this.#saved = i < 0 ? [...this.#saved, saved] : this.#saved.with(i, saved);
  }

  #onConnectionState(info: ConnectionInfo): void {
    const tab = this.#tabs.find(
      (t) => (t.kind === 'connection' || t.kind === 'replay') && t.connectionId === info.connectionId,
    );
    if (tab && (tab.kind === 'connection' || tab.kind === 'replay')) tab.onState(info);
    else {
      this.#early.set(info.connectionId, info);
      if (this.#early.size > 64) this.#early.delete(this.#early.keys().next().value!);
    }
  }

  /** Applies state that arrived before the tab learned its connection id. */
  catchUp(tab: ConnectionTab): void {
    const id = tab.connectionId;
    const info = id ? this.#early.get(id) : undefined;
    if (info) {
      this.#early.delete(info.connectionId);
      tab.onState(info);
    }
  }

  #serverTab(serverId: string): ServerTab | undefined {
    let tab = this.#servers.find((s) => s.serverId === serverId);
    if (!tab) {
      // A server started elsewhere (CLI, another window): list it.
      void this.api.server.get({ serverId }).then((r) => {
        if (r.ok && r.value.running && !this.#servers.some((s) => s.serverId === serverId)) {
          this.#servers = [...this.#servers, new ServerTab(this.api, r.value)];
        }
      });
      tab = undefined;
    }
    return tab;
  }

  /** The log model showing an engine log: a tab's, a server's, or one connection of a flow run. */
  #logOf(logId: string): { onAppended: LogModelTarget['onAppended']; onCleared: () => void } | undefined {
    const owner = this.#logOwner(logId);
    if (owner) return owner.log;
    for (const t of this.#tabs) {
      const log = t.kind === 'flow' ? t.logOf(logId) : undefined;
      if (log) return log;
    }
    return undefined;
  }

  #logOwner(logId: string): ConnectionTab | ReplayTab | ServerTab | undefined {
    return (
      this.#tabs.find(
        (t): t is ConnectionTab | ReplayTab =>
          (t.kind === 'connection' || t.kind === 'replay') && t.connectionId === logId,
      ) ?? this.#servers.find((s) => s.serverId === logId)
    );
  }
}

/** A log's pins as the window remembers them (the newest MAX_STORED_PINS). */
function pinsOf(log: LogModel): { pins?: number[] } {
  const pins = [...log.pinned].sort((a, b) => a - b).slice(-MAX_STORED_PINS);
  return pins.length > 0 ? { pins } : {};
}

type LogModelTarget = ConnectionTab['log'];

/** A flow name for a session that no flow has yet: `chat`, then `chat-2`, … */
function sessionFlowName(session: string, flows: readonly { name: string }[]): string {
  const base =
    withoutSessionExt(session)
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[.-]+/, '') || 'session';
  const taken = new Set(flows.map((f) => f.name));
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return name;
}

export type { ServerInfo };

/**
 * A draft as the browser's storage keeps it: without the passphrase, the client
 * key or PFX, or a credential header's value (Authorization, Cookie …) unless it
 * is only {{variable}} references. That storage belongs to the page's address,
 * which is the same for every run of `duplex ui`; these are asked again after a
 * restart.
 */
export function storableDraft(draft: ConnectionDraft): ConnectionDraft {
  return {
    ...draft,
    passphrase: '',
    clientKey: '',
    pfx: '',
    headers: draft.headers.map((h) =>
      CREDENTIAL_HEADERS.has(h.name.trim().toLowerCase()) && !/^(\s*\{\{[^{}]+\}\}\s*)+$/.test(h.value)
        ? { ...h, value: '' }
        : h,
    ),
  };
}
