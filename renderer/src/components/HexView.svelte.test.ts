import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import HexView from './HexView.svelte';

describe('HexView', () => {
  it('shows offset, 16 bytes of hex and ASCII per row', async () => {
    const bytes = new Uint8Array(40).map((_, i) => (i === 1 ? 0xff : i === 2 ? 0x10 : 0x41 + (i % 26)));
    bytes[0] = 0;
    const load = vi.fn(async (offset: number, length: number) => bytes.slice(offset, offset + length));
    render(HexView, { size: bytes.length, load });
    const region = screen.getByRole('region', { name: 'Hex view' });
    await waitFor(() => expect(region.querySelectorAll('.hex-row:not(.loading)').length).toBe(3));
    const rows = [...region.querySelectorAll('.hex-row')].map((r) => r.textContent?.trim());
    expect(rows[0]).toBe('00000000  00 ff 10 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |...DEFGHIJKLMNOP|');
    expect(rows[1]).toMatch(/^00000010 {2}51 52 /);
    expect(rows[2]).toBe('00000020  47 48 49 4a 4b 4c 4d 4e                          |GHIJKLMN|');
    expect(load).toHaveBeenCalledWith(0, 40);
  });

  it('reads only the chunk in view of a 64 MiB payload', async () => {
    const size = 64 * 1024 * 1024;
    const load = vi.fn(async (_offset: number, length: number) => new Uint8Array(length).fill(0x61));
    render(HexView, { size, load });
    const region = screen.getByRole('region', { name: 'Hex view' });
    await waitFor(() => expect(region.querySelector('.hex-row:not(.loading)')).not.toBeNull());
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith(0, 64 * 1024);
    expect(region.querySelectorAll('.hex-row').length).toBeLessThan(60);
  });
});
