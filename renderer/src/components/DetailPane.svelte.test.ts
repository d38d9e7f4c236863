import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { Payload } from '../../../app/contract.js';
import { utf8Encode } from '../../../app/payload/codecs.js';
import DetailPane from './DetailPane.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { textPageBounds } from '../lib/text-pages.js';

const MiB = 1024 * 1024;

function setup(payload: Payload, onedit?: (p: Payload) => void) {
  const api = createFakeApi();
  const entry = api.appendEntry('log-1', 'in', payload);
  const props = { api, logId: 'log-1', entry, ...(onedit ? { onedit } : {}) };
  render(DetailPane, props);
  const reads = () =>
    api.calls
      .filter(([name]) => name === 'log.payload')
      .map(([, input]) => input as { offset?: number; length?: number });
  return { api, entry, reads };
}

describe('DetailPane', () => {
  it('shows a JSON message as a tree, and text on demand', async () => {
    setup({ type: 'text', text: '{"type":"tick","items":[{"id":7}]}' });
    const tree = screen.getByRole('tree', { name: 'JSON' });
    expect(within(tree).getByRole('button', { name: 'Copy path $.items[0].id' })).toBeTruthy();
    expect(tree.textContent).toContain('"tick"');
    await fireEvent.click(screen.getByRole('button', { name: 'Text' }));
    expect(screen.getByLabelText('Payload as text').textContent).toBe('{"type":"tick","items":[{"id":7}]}');
    expect(screen.queryByRole('tree')).toBeNull();
  });

  it('reads a cut preview whole before it shows the tree', async () => {
    const big = JSON.stringify({ rows: Array.from({ length: 400 }, (_, i) => ({ i, name: `row ${i}` })) });
    expect(big.length).toBeGreaterThan(2048);
    const { reads } = setup({ type: 'text', text: big });
    const tree = await screen.findByRole('tree', { name: 'JSON' });
    expect(reads()).toEqual([expect.objectContaining({ length: big.length })]);
    expect(tree.textContent).toContain('rows');
  });

  it('pages through a text payload over 1 MiB by byte ranges, every byte reachable', async () => {
    // 2.5 MiB of text with a two-byte character across the first page boundary.
    const text = 'a'.repeat(MiB - 1) + 'é' + 'b'.repeat(MiB) + 'c'.repeat(MiB / 2 - 1);
    const size = utf8Encode(text).byteLength;
    expect(size).toBe(2.5 * MiB);
    const { reads } = setup({ type: 'text', text });
    const body = () => screen.getByLabelText('Payload as text').textContent ?? '';
    await waitFor(() => expect(body().length).toBeGreaterThan(0));
    expect(screen.getByRole('status').textContent).toMatch(
      /^Page 1 of 3 · bytes 0 B–1(\.0)? MiB of 2\.5 MiB/,
    );
    const first = body();
    expect(first).toBe('a'.repeat(MiB - 1) + 'é'); // the character is not cut; it ends page 1
    expect(reads().every((r) => (r.length ?? 0) <= MiB + 6)).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(body().startsWith('b')).toBe(true));
    const second = body();
    await fireEvent.click(screen.getByRole('button', { name: 'Next' }));
    await waitFor(() => expect(body().startsWith('b') || body().startsWith('c')).toBe(true));
    await waitFor(() => expect(screen.getByRole('status').textContent).toMatch(/^Page 3 of 3/));
    const third = body();
    expect((screen.getByRole('button', { name: 'Next' }) as HTMLButtonElement).disabled).toBe(true);
    expect(first + second + third).toBe(text);
    await fireEvent.click(screen.getByRole('button', { name: 'Previous' }));
    await waitFor(() => expect(body()).toBe(second));
  });

  it('opens a JSON payload over 1 MiB as a tree when asked, read whole in ranges', async () => {
    const value = { items: Array.from({ length: 40_000 }, (_, i) => ({ id: i, label: `item number ${i}` })) };
    const text = JSON.stringify(value);
    expect(text.length).toBeGreaterThan(MiB);
    const { reads } = setup({ type: 'text', text });
    expect(screen.queryByRole('tree')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Open as tree' }));
    const tree = await screen.findByRole('tree', { name: 'JSON' });
    expect(within(tree).getByRole('button', { name: 'Copy path $.items' })).toBeTruthy();
    expect(reads()).toContainEqual(expect.objectContaining({ offset: 0, length: text.length }));
  });

  it('a large payload that is not JSON says so instead of showing a broken tree', async () => {
    const text = '[' + 'x'.repeat(MiB + 10);
    setup({ type: 'text', text });
    await fireEvent.click(screen.getByRole('button', { name: 'Open as tree' }));
    await waitFor(() => expect(screen.getByText(/^Cannot show it as a tree:/)).toBeTruthy());
    expect(screen.queryByRole('tree')).toBeNull();
  });

  it('edit and resend hands the whole message to the composer: text as text, binary as bytes', async () => {
    const onedit = vi.fn();
    const big = 'z'.repeat(5000);
    setup({ type: 'text', text: big }, onedit);
    await fireEvent.click(screen.getByRole('button', { name: 'Edit and resend' }));
    await waitFor(() => expect(onedit).toHaveBeenCalledWith({ type: 'text', text: big }));
  });

  it('edit and resend of a binary message gives its bytes', async () => {
    const onedit = vi.fn();
    setup({ type: 'binary', data: new Uint8Array([0, 255, 16]) }, onedit);
    await fireEvent.click(screen.getByRole('button', { name: 'Edit and resend' }));
    await waitFor(() => expect(onedit).toHaveBeenCalledTimes(1));
    expect(onedit.mock.calls[0]![0]).toEqual({ type: 'binary', data: new Uint8Array([0, 255, 16]) });
  });

  it('offers no edit and resend where there is no composer (a session file)', () => {
    setup({ type: 'text', text: 'hello' });
    expect(screen.queryByRole('button', { name: 'Edit and resend' })).toBeNull();
  });
});

describe('text page bounds', () => {
  it('moves a bound that falls inside a character to its end', () => {
    const bytes = utf8Encode('aé😀b'); // 61 | c3 a9 | f0 9f 98 80 | 62
    expect(textPageBounds(bytes, 0, 1)).toEqual({ start: 0, end: 1 });
    expect(textPageBounds(bytes, 2, 4)).toEqual({ start: 3, end: 7 });
    expect(textPageBounds(bytes, 5, 8)).toEqual({ start: 7, end: 8 });
  });
});
