/**
 * Remembers the window's size, position and maximized state in
 * <userData>/window-state.json, and only restores bounds that are still
 * visible on one of the current displays.
 */
import { readFileSync } from 'node:fs';
import { screen, type BrowserWindow, type Rectangle } from 'electron';
import { writeFileAtomic } from '../app/workspace/json-file.js';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

export const DEFAULT_BOUNDS = { width: 1280, height: 820 };

export function loadWindowState(file: string): Partial<WindowState> {
  try {
    const state = JSON.parse(readFileSync(file, 'utf8')) as Partial<WindowState>;
    const b = state.bounds;
    if (!b || ![b.x, b.y, b.width, b.height].every((n) => Number.isFinite(n))) return {};
    const visible = screen.getAllDisplays().some(({ workArea: a }) => {
      return b.x < a.x + a.width && b.x + b.width > a.x && b.y < a.y + a.height && b.y + b.height > a.y;
    });
    const bounds = { ...b, width: Math.max(640, b.width), height: Math.max(400, b.height) };
    return visible
      ? { bounds, maximized: state.maximized === true }
      : { maximized: state.maximized === true };
  } catch {
    return {}; // first start, or an unreadable file: default size, centered
  }
}

/** Saves the state when the window moves, resizes (debounced) or closes. */
export function trackWindowState(window: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | undefined;
  const save = (): void => {
    if (window.isDestroyed()) return;
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    void writeFileAtomic(file, JSON.stringify(state, null, 2) + '\n').catch(() => undefined);
  };
  const later = (): void => {
    clearTimeout(timer);
    timer = setTimeout(save, 500);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const)
    window.on(event as 'resize', later);
  window.on('close', () => {
    clearTimeout(timer);
    save();
  });
}
