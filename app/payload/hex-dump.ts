/**
 * Hex dump rows for the hex view: offset, 16 bytes in hex, ASCII.
 * Rows are produced for one byte range at a time, so a 64 MiB frame is never
 * dumped whole: the view asks the engine for the bytes of the rows it shows.
 */
export const BYTES_PER_ROW = 16;

export interface HexRow {
  offset: number;
  /** `00000000` */
  offsetText: string;
  /** `00 ff 10 …` (16 groups, fewer on the last row) */
  hex: string;
  /** printable ASCII, `.` for the rest */
  ascii: string;
}

/** Rows for `bytes`, which start at absolute offset `baseOffset` of the payload. */
export function hexRows(bytes: Uint8Array, baseOffset = 0): HexRow[] {
  const rows: HexRow[] = [];
  for (let i = 0; i < bytes.length; i += BYTES_PER_ROW) {
    const slice = bytes.subarray(i, i + BYTES_PER_ROW);
    let hex = '';
    let ascii = '';
    for (let j = 0; j < slice.length; j++) {
      const b = slice[j]!;
      hex += (j === 0 ? '' : ' ') + b.toString(16).padStart(2, '0');
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    const offset = baseOffset + i;
    rows.push({ offset, offsetText: offset.toString(16).padStart(8, '0'), hex, ascii });
  }
  return rows;
}

/** One row as text: `00000000  00 ff 10 …  |...|` */
export function formatHexRow(row: HexRow): string {
  return `${row.offsetText}  ${row.hex.padEnd(BYTES_PER_ROW * 3 - 1)}  |${row.ascii}|`;
}
