import { describe, expect, it } from 'vitest';
import { shortcutFor } from './shortcuts.js';

const press = (init: KeyboardEventInit & { target?: HTMLElement }): KeyboardEvent => {
  const e = new KeyboardEvent('keydown', { bubbles: true, ...init });
  if (init.target) Object.defineProperty(e, 'target', { value: init.target });
  return e;
};

describe('shortcutFor', () => {
  it('matches by key code and modifiers, Ctrl off macOS and Cmd on it', () => {
    const newConn = { code: 'KeyN', key: 'n', ctrlKey: true, altKey: true };
    expect(shortcutFor(press(newConn), false)?.action).toBe('connection.new');
    expect(shortcutFor(press(newConn), true)).toBeUndefined();
    expect(shortcutFor(press({ code: 'KeyN', key: 'n', metaKey: true, altKey: true }), true)?.action).toBe(
      'connection.new',
    );
    // An extra modifier is another shortcut (or none).
    expect(shortcutFor(press({ ...newConn, shiftKey: true }), false)).toBeUndefined();
  });

  it('Shift+] is the next tab whatever character the layout makes of it', () => {
    const e = press({ code: 'BracketRight', key: '}', ctrlKey: true, shiftKey: true });
    expect(shortcutFor(e, false)?.action).toBe('tab.next');
  });

  it('"?" opens the help, but not while typing in a field', () => {
    expect(shortcutFor(press({ key: '?', code: 'Slash', shiftKey: true }), false)?.action).toBe(
      'help.shortcuts',
    );
    const input = document.createElement('input');
    expect(
      shortcutFor(press({ key: '?', code: 'Slash', shiftKey: true, target: input }), false),
    ).toBeUndefined();
    // A modifier shortcut works from a field (Ctrl+L from the composer).
    expect(shortcutFor(press({ key: 'l', code: 'KeyL', ctrlKey: true, target: input }), false)?.action).toBe(
      'connection.focusUrl',
    );
  });
});
