import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import MessageLog from './MessageLog.svelte';
import { LogModel } from '../lib/log-model.svelte.js';
import { createFakeApi } from '../../test-support/fake-api.js';

function setup(count: number) {
  const api = createFakeApi();
  const log = new LogModel(api, 'conn-x');
  api.on['log.appended']((batch) => batch.logId === 'conn-x' && log.onAppended(batch));
  api.fillLog('conn-x', count);
  render(MessageLog, { api, log });
  return { api, log };
}

describe('MessageLog', () => {
  it('renders only the visible rows of 100,000 entries', async () => {
    const { log } = setup(100_000);
    await waitFor(() => expect(log.count).toBe(100_000));
    const list = screen.getByRole('log', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('button.row').length).toBeGreaterThan(0));
    const rows = list.querySelectorAll('.slot');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByText('100,000 messages')).toBeTruthy();
  });

  it('shows direction, time, kind, size and preview per row, and details on select', async () => {
    const { api, log } = setup(0);
    api.appendEntry('conn-x', 'out', { type: 'text', text: '{"hello":"world"}' });
    api.appendEntry('conn-x', 'in', { type: 'binary', data: new Uint8Array([0, 255, 16]) });
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(2),
    );
    const list = screen.getByRole('log', { name: 'Messages' });
    const [out, bin] = [...list.querySelectorAll('button.row')] as HTMLElement[];
    expect(out!.querySelector('.arrow')!.textContent).toBe('↑');
    expect(out!.querySelector('.kind')!.textContent).toBe('text');
    expect(out!.querySelector('.num')!.textContent).toBe('17 B');
    expect(out!.querySelector('.preview')!.textContent).toBe('{"hello":"world"}');
    expect(out!.querySelector('.time')!.textContent).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(bin!.querySelector('.arrow')!.textContent).toBe('↓');
    expect(bin!.querySelector('.preview')!.textContent).toBe('00 ff 10');

    await fireEvent.click(out!);
    expect(log.selected?.seq).toBe(1);
    const tree = screen.getByRole('tree', { name: 'JSON' });
    expect(tree.textContent).toContain('"hello": "world"');
    expect(tree.querySelector('[aria-label="Copy path $.hello"]')).not.toBeNull();
    await fireEvent.click(bin!);
    const hex = screen.getByRole('region', { name: 'Hex view' });
    await waitFor(() => expect(hex.textContent).toContain('00000000  00 ff 10'));
  });

  it('filters by direction through the engine filter', async () => {
    const { api, log } = setup(0);
    for (let i = 0; i < 6; i++)
      api.appendEntry('conn-x', i % 2 ? 'in' : 'out', { type: 'text', text: `m${i}` });
    await fireEvent.click(screen.getByRole('button', { name: '↓ In' }));
    await waitFor(() => expect(log.count).toBe(3));
    expect(
      api.calls.some(([n, input]) => n === 'log.read' && JSON.stringify(input).includes('"dir":"in"')),
    ).toBe(true);
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'later' });
    api.appendEntry('conn-x', 'out', { type: 'text', text: 'not shown' });
    await waitFor(() => expect(log.total).toBe(8));
    expect(log.count).toBe(4);
  });

  it('reads pages it has not seen when the batch carried only the newest entries', async () => {
    const { api } = setup(50_000);
    await waitFor(() =>
      expect(
        screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length,
      ).toBeGreaterThan(0),
    );
    expect(api.calls.some(([n]) => n === 'log.read')).toBe(true);
  });

  it('scrolls a 1,000,000-entry log: the middle of the scrollbar shows the middle rows, read on demand', async () => {
    const { log } = setup(1_000_000);
    await waitFor(() => expect(log.count).toBe(1_000_000));
    const list = screen.getByRole('log', { name: 'Messages' });
    const spacer = list.firstElementChild as HTMLElement;
    expect(parseFloat(spacer.style.height)).toBeLessThanOrEqual(8_000_000); // scaled to what browsers lay out
    list.scrollTop = (parseFloat(spacer.style.height) - 480) / 2;
    await fireEvent.scroll(list);
    await waitFor(() => {
      const seqs = [...list.querySelectorAll('button.row .time')].length;
      expect(seqs).toBeGreaterThan(10);
    });
    const first = log.rowAt(Math.floor(1_000_000 / 2));
    expect(first?.seq).toBe(500_001);
    expect(list.querySelectorAll('.slot').length).toBeLessThan(60);
  });
});
