/**
 * The keyboard shortcuts of the workbench, one table for the Electron menu
 * (accelerators) and the renderer (browser mode, and keys the menu does not
 * own). Runtime-free: no Node, no DOM.
 *
 * Keys are written as Electron accelerators ("CmdOrCtrl+Alt+N"). A shortcut
 * may have several keys: the first one with a modifier is the menu's; the
 * renderer accepts them all. Keys a browser keeps for itself (Ctrl+N, Ctrl+W,
 * Ctrl+Tab) always come with a second key that reaches a web page.
 */
import type { MenuAction } from './contract.js';

export interface Shortcut {
  action: MenuAction;
  /** What it does, as the menu and the help overlay say it. */
  label: string;
  keys: readonly string[];
  /** The menu it appears in (Electron). */
  menu: 'File' | 'Connection' | 'View' | 'Help';
}

export const shortcuts: readonly Shortcut[] = [
  {
    action: 'connection.new',
    label: 'New connection',
    keys: ['CmdOrCtrl+N', 'CmdOrCtrl+Alt+N'],
    menu: 'File',
  },
  { action: 'server.start', label: 'New mock server', keys: ['CmdOrCtrl+Shift+S'], menu: 'File' },
  { action: 'tab.close', label: 'Close tab', keys: ['CmdOrCtrl+W', 'CmdOrCtrl+Alt+W'], menu: 'File' },
  { action: 'connection.focusUrl', label: 'Focus the URL', keys: ['CmdOrCtrl+L'], menu: 'Connection' },
  { action: 'message.send', label: 'Send the message', keys: ['CmdOrCtrl+Enter'], menu: 'Connection' },
  { action: 'log.find', label: 'Find in log', keys: ['CmdOrCtrl+F'], menu: 'Connection' },
  { action: 'tab.next', label: 'Next tab', keys: ['CmdOrCtrl+Shift+]', 'Ctrl+PageDown'], menu: 'View' },
  { action: 'tab.previous', label: 'Previous tab', keys: ['CmdOrCtrl+Shift+[', 'Ctrl+PageUp'], menu: 'View' },
  { action: 'theme.toggle', label: 'Toggle light / dark', keys: ['CmdOrCtrl+Shift+D'], menu: 'View' },
  { action: 'help.shortcuts', label: 'Keyboard shortcuts', keys: ['?', 'F1'], menu: 'Help' },
];

const MODIFIERS = new Set([
  'CmdOrCtrl',
  'CommandOrControl',
  'Ctrl',
  'Control',
  'Cmd',
  'Command',
  'Alt',
  'Shift',
]);

/** The key of a shortcut the menu registers: the first with a modifier or a function key (never a bare "?"). */
export function menuAccelerator(s: Shortcut): string | undefined {
  return s.keys.find((k) => k.includes('+') || /^F\d+$/.test(k));
}

export interface KeyChord {
  /** Cmd on macOS, Ctrl elsewhere. */
  mod: boolean;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  /** The key itself: a letter upper-cased, or a name (Enter, PageDown, F1, ?, [, ]). */
  key: string;
}

/** An accelerator as parts, for the given platform. */
export function parseKeys(keys: string, mac: boolean): KeyChord {
  const parts = keys.split('+');
  // "CmdOrCtrl++" would end in an empty part; no shortcut uses "+" as a key.
  const key = parts.pop()!;
  const has = (...names: string[]) => parts.some((p) => names.includes(p));
  const cmdOrCtrl = has('CmdOrCtrl', 'CommandOrControl');
  const cmd = has('Cmd', 'Command') || (mac && cmdOrCtrl);
  const ctrl = has('Ctrl', 'Control') || (!mac && cmdOrCtrl);
  for (const p of parts) if (!MODIFIERS.has(p)) throw new Error(`unknown modifier ${p} in ${keys}`);
  return {
    mod: mac ? cmd : ctrl,
    ctrl: mac ? ctrl : false,
    alt: has('Alt'),
    shift: has('Shift'),
    key: key.length === 1 ? key.toUpperCase() : key,
  };
}

/** How a key is written for a person: "Ctrl+Alt+N", "⌘⌥N" on macOS. */
export function describeKeys(keys: string, mac: boolean): string {
  const c = parseKeys(keys, mac);
  const key = c.key === 'Enter' ? (mac ? '↩' : 'Enter') : c.key;
  if (mac) return `${c.ctrl ? '⌃' : ''}${c.alt ? '⌥' : ''}${c.shift ? '⇧' : ''}${c.mod ? '⌘' : ''}${key}`;
  return [c.mod ? 'Ctrl' : '', c.alt ? 'Alt' : '', c.shift ? 'Shift' : '', key].filter(Boolean).join('+');
}
