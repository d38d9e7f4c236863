import { describe, expect, it } from 'vitest';
import { menuActions } from '../../app/contract.js';
import { describeKeys, menuAccelerator, parseKeys, shortcuts } from '../../app/shortcuts.js';

describe('the shortcut table', () => {
  it('every menu action has one shortcut, and every key parses', () => {
    expect(shortcuts.map((s) => s.action).sort()).toEqual([...menuActions].sort());
    for (const s of shortcuts) for (const k of s.keys) expect(() => parseKeys(k, false)).not.toThrow();
  });

  it('no two shortcuts share a key', () => {
    const keys = shortcuts.flatMap((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the menu registers a key with a modifier (or F1), never the bare "?" that would eat typing', () => {
    const help = shortcuts.find((s) => s.action === 'help.shortcuts')!;
    expect(menuAccelerator(help)).toBe('F1');
    for (const s of shortcuts) expect(menuAccelerator(s)).toBeDefined();
  });

  it('reads keys for people on each platform', () => {
    expect(describeKeys('CmdOrCtrl+Alt+N', false)).toBe('Ctrl+Alt+N');
    expect(describeKeys('CmdOrCtrl+Alt+N', true)).toBe('⌥⌘N');
    expect(describeKeys('CmdOrCtrl+Enter', false)).toBe('Ctrl+Enter');
  });
});
