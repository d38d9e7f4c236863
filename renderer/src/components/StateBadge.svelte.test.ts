import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import StateBadge from './StateBadge.svelte';

describe('StateBadge', () => {
  it.each([
    [0, 'CONNECTING'],
    [1, 'OPEN'],
    [2, 'CLOSING'],
    [3, 'CLOSED'],
  ] as const)('readyState %i reads %s', (state, name) => {
    render(StateBadge, { state });
    const badge = screen.getByRole('status');
    expect(badge.textContent?.trim()).toBe(name);
    expect(badge.getAttribute('aria-label')).toBe(`Connection state: ${name}`);
    expect(badge.classList.contains(name.toLowerCase())).toBe(true);
  });

  it('says IDLE before the first connect', () => {
    render(StateBadge, { state: 3, connected: false });
    expect(screen.getByRole('status').textContent?.trim()).toBe('IDLE');
  });
});
