/**
 * Which shortcut of the one table (app/shortcuts.ts) a key press is, in the
 * renderer. In Electron the menu owns the keys it registers and sends
 * ui.menu; the same keys reach this matcher in browser mode.
 */
import { parseKeys, shortcuts, type Shortcut } from '../../../app/shortcuts.js';

export const isMac = (): boolean => /Mac|iPhone|iPad/.test(globalThis.navigator?.platform ?? '');

/** The key of an event as the table writes it: letters by their key code (layout-proof), brackets likewise. */
function keyOf(event: KeyboardEvent): string {
  if (/^Key[A-Z]$/.test(event.code)) return event.code.slice(3);
  if (event.code === 'BracketLeft') return '[';
  if (event.code === 'BracketRight') return ']';
  return event.key.length === 1 ? event.key.toUpperCase() : event.key;
}

/** A press in a field that takes text: plain keys (like "?") type there instead. */
function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== 'function') return false;
  return !!el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], .cm-editor');
}

export function shortcutFor(event: KeyboardEvent, mac = isMac()): Shortcut | undefined {
  const key = keyOf(event);
  const mod = mac ? event.metaKey : event.ctrlKey;
  for (const s of shortcuts) {
    for (const keys of s.keys) {
      const c = parseKeys(keys, mac);
      if (c.key !== key) continue;
      const plain = !keys.includes('+');
      if (plain) {
        // "?" is Shift+/ on most layouts: its Shift is part of the key.
        if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) continue;
        return s;
      }
      if (c.mod !== mod || c.alt !== event.altKey || c.shift !== event.shiftKey) continue;
      if (mac && c.ctrl !== event.ctrlKey) continue;
      return s;
    }
  }
  return undefined;
}

/** A dialog's keydown handler: Escape closes it, and goes no further (App's shortcuts do not see it). */
export function escapeCloses(close: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    event.stopPropagation();
    close();
  };
}
