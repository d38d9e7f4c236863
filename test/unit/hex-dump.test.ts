/**
 * Hex dump rows: offset, 16 bytes of hex, ASCII; rows for a byte range at an absolute offset.
 */
import { describe, expect, it } from 'vitest';
import { BYTES_PER_ROW, formatHexRow, hexRows } from '../../app/payload/hex-dump.js';

describe('hexRows', () => {
  it('makes one row per 16 bytes with offset, spaced hex and ASCII', () => {
    const bytes = new Uint8Array([
      0x00,
      0xff,
      0x10,
      ...new TextEncoder().encode('Hello, world!~'),
      0x7f,
      0x20,
    ]);
    expect(bytes).toHaveLength(19);
    const rows = hexRows(bytes);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      offset: 0,
      offsetText: '00000000',
      hex: '00 ff 10 48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21',
      ascii: '...Hello, world!',
    });
    expect(rows[1]).toEqual({ offset: 16, offsetText: '00000010', hex: '7e 7f 20', ascii: '~. ' });
  });

  it('returns no rows for no bytes, and exactly one for 16', () => {
    expect(hexRows(new Uint8Array(0))).toEqual([]);
    expect(hexRows(new Uint8Array(BYTES_PER_ROW))).toHaveLength(1);
    expect(hexRows(new Uint8Array(BYTES_PER_ROW + 1))).toHaveLength(2);
  });

  it('numbers rows from the absolute base offset of the range', () => {
    const rows = hexRows(new Uint8Array(40), 0x1000_0000 - 16);
    expect(rows.map((r) => r.offsetText)).toEqual(['0ffffff0', '10000000', '10000010']);
    expect(rows.map((r) => r.offset)).toEqual([0x0ffffff0, 0x10000000, 0x10000010]);
  });
});

describe('formatHexRow', () => {
  it('formats `00000000  00 ff 10 …  |...|` and pads a short row so the ASCII column lines up', () => {
    const [full] = hexRows(Uint8Array.from({ length: 16 }, (_, i) => 0x41 + i));
    expect(formatHexRow(full!)).toBe(
      '00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|',
    );
    const [short] = hexRows(new Uint8Array([0x00, 0xff, 0x10]));
    const line = formatHexRow(short!);
    expect(line).toBe(`00000000  00 ff 10${' '.repeat(47 - 8)}  |...|`);
    expect(line.indexOf('|')).toBe(formatHexRow(full!).indexOf('|'));
  });
});
