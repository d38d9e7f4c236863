import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import Icon, { iconNames } from './Icon.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';

/** A control whose whole text is one symbol outside ASCII: a font glyph standing in for an icon. */
function glyphOnly(el: Element): boolean {
  const text = (el.textContent ?? '').trim();
  return [...text].length === 1 && /[^\x20-\x7e]/.test(text);
}

describe('Icon', () => {
  it('draws every icon as an SVG of stroked paths, hidden from assistive technology', () => {
    for (const name of iconNames) {
      const { container, unmount } = render(Icon, { name, size: 16 });
      const svg = container.querySelector('svg')!;
      expect(svg.getAttribute('data-icon'), name).toBe(name);
      expect(svg.getAttribute('aria-hidden')).toBe('true');
      expect(svg.getAttribute('width')).toBe('16');
      const paths = [...svg.querySelectorAll('path')].map((p) => p.getAttribute('d') ?? '');
      expect(paths.length, name).toBeGreaterThan(0);
      for (const d of paths) expect(d, name).toMatch(/^M[\d.\s,a-zA-Z-]+$/);
      unmount();
    }
  });

  it('no button in the workbench is a bare font glyph: icon buttons are drawn and keep their names', async () => {
    const api = createFakeApi();
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New mock server' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Start server' }));
    await screen.findByRole('button', { name: 'Stop server' });
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://127.0.0.1:9/' },
    });
    await fireEvent.click(screen.getByRole('button', { name: /^Save$/ }));
    await waitFor(() => expect(within(sidebar).getAllByRole('button', { name: /^Rename / }).length).toBe(1));
    await fireEvent.click(screen.getByRole('tab', { name: 'Headers' }));
    await fireEvent.click(screen.getByRole('button', { name: /Add header/ }));

    const controls = [...document.querySelectorAll('button, [aria-hidden="true"]')];
    expect(controls.length).toBeGreaterThan(20);
    expect(controls.filter(glyphOnly).map((el) => el.outerHTML.slice(0, 120))).toEqual([]);
    for (const name of [
      'Toggle theme',
      'Rename ',
      'Duplicate ',
      'Follow new messages',
      'Clear log',
      'Close tab ',
      'Remove header 1',
    ]) {
      const button = screen.getAllByRole('button', { name: new RegExp(`^${name}`) })[0]!;
      expect(button.querySelector('svg[data-icon]'), name).not.toBeNull();
    }
  });

  it('log rows, the direction filter, "N new" and the mock form move buttons draw their arrows too', async () => {
    const api = createFakeApi();
    api.addMock(
      'chat',
      'version: 1\nport: 0\nroutes:\n  - path: /\n    rules:\n      - when: { text: { equals: a } }\n        then: [ { send: x }, { send: y } ]\n      - when: { text: { equals: b } }\n        then: [ { send: z } ]\n',
    );
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://127.0.0.1:9/' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await screen.findByRole('status', { name: 'Connection state: OPEN' });
    await fireEvent.click(screen.getByRole('button', { name: 'Ping' }));
    await waitFor(() => expect(document.querySelectorAll('[role="log"] .row.in').length).toBeGreaterThan(0));
    const log = screen.getByRole('log', { name: 'Messages' });
    for (const [dir, icon] of [
      ['out', 'arrow-up'],
      ['in', 'arrow-down'],
      ['none', 'dot'],
    ] as const) {
      expect(log.querySelector(`.row.${dir} .arrow svg`)?.getAttribute('data-icon'), dir).toBe(icon);
    }
    for (const name of ['In', 'Out']) {
      expect(screen.getByRole('button', { name }).querySelector('svg[data-icon]'), name).not.toBeNull();
    }
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open mock chat' }));
    await screen.findByRole('region', { name: 'Rules form' });
    for (const name of ['Move rule 1 down', 'Move rule 2 up', 'Move action 1 down']) {
      expect(
        screen.getAllByRole('button', { name })[0]!.querySelector('svg[data-icon]'),
        name,
      ).not.toBeNull();
    }
    const hidden = [...document.querySelectorAll('button, [aria-hidden="true"]')];
    expect(hidden.filter(glyphOnly).map((el) => el.outerHTML.slice(0, 120))).toEqual([]);
  });
});
