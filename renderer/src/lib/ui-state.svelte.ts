/**
 * What the window looks like, remembered across reloads and restarts: pane
 * sizes, the open tabs with their unsaved drafts, the active tab. UI state
 * only (localStorage): connections themselves live in the engine, and the
 * Workbench merges this with `live.list` when it starts.
 */
import type { ComposerMode } from './compose-payload.js';
import type { ConnectionDraft } from './connection-tab.svelte.js';

const KEY = 'duplex.ui';
const VERSION = 1;

export type StoredTab =
  | {
      kind: 'connection';
      savedId?: string;
      /** The engine connection the tab showed (reattached when the engine still runs it). */
      connectionId?: string;
      draft: ConnectionDraft;
      dirty: boolean;
      composer: { mode: ComposerMode; draft: string };
      /** Seqs pinned in the connection's log (kept with connectionId: they number that log's entries). */
      pins?: number[];
    }
  | {
      kind: 'server';
      /** The engine server the tab showed (shown again when the engine still runs it). */
      serverId?: string;
      draft: ServerDraft;
      composer: { mode: ComposerMode; draft: string };
      pins?: number[];
    }
  | { kind: 'session'; name: string }
  | { kind: 'mock'; name: string; /** Unsaved text of the file, when the tab had edits. */ text?: string };

/** What a mock server tab's listen options hold before it is started. */
export interface ServerDraft {
  port: string;
  path: string;
  protocols: string;
  echo: boolean;
}

/** Pins remembered per log: at most this many, the newest. */
export const MAX_STORED_PINS = 10_000;

export interface StoredWindow {
  tabs: StoredTab[];
  /** Index of the active tab in `tabs`. */
  active: number;
}

export const PANE_LIMITS = {
  sidebar: { min: 180, max: 480, initial: 252 },
  upper: { min: 120, max: 640, initial: 200 },
} as const;

export class UiState {
  sidebarWidth = $state<number>(PANE_LIMITS.sidebar.initial);
  upperHeight = $state<number>(PANE_LIMITS.upper.initial);
  /** The tabs as they were when the page went away; read once at start. */
  readonly restored: StoredWindow | undefined;
  readonly #storage: Storage | undefined;

  constructor(storage: Storage | undefined = safeStorage()) {
    this.#storage = storage;
    const stored = read(storage);
    if (stored) {
      this.sidebarWidth = clamp(stored.sidebarWidth, PANE_LIMITS.sidebar);
      this.upperHeight = clamp(stored.upperHeight, PANE_LIMITS.upper);
      this.restored = stored.window;
    }
  }

  /** Writes the pane sizes and the given tabs (called, debounced, whenever either changes). */
  save(window: StoredWindow): void {
    try {
      this.#storage?.setItem(
        KEY,
        JSON.stringify({
          version: VERSION,
          sidebarWidth: this.sidebarWidth,
          upperHeight: this.upperHeight,
          window,
        }),
      );
    } catch {
      // Full or blocked storage: the window still works, it is only not remembered.
    }
  }
}

function read(
  storage: Storage | undefined,
): { sidebarWidth: number; upperHeight: number; window: StoredWindow } | undefined {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as { version?: number; window?: StoredWindow } & Record<string, unknown>;
    if (value.version !== VERSION || !Array.isArray(value.window?.tabs)) return undefined;
    return {
      sidebarWidth: Number(value['sidebarWidth']),
      upperHeight: Number(value['upperHeight']),
      window: value.window,
    };
  } catch {
    return undefined; // a value from another version, or not JSON: start fresh
  }
}

function clamp(v: number, limits: { min: number; max: number; initial: number }): number {
  return Number.isFinite(v) ? Math.min(limits.max, Math.max(limits.min, Math.round(v))) : limits.initial;
}

/** localStorage, or undefined where it is blocked (a sandboxed or private page). */
export function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
