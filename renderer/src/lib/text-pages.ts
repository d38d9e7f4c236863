/**
 * Page bounds of UTF-8 text read in byte ranges: a page that would start or end
 * inside a character moves to the character's end, so consecutive pages join
 * exactly and no character is cut in two.
 */

/** `start` and `end` are offsets into `bytes` (which holds up to 3 bytes more on each side). */
export function textPageBounds(
  bytes: Uint8Array,
  start: number,
  end: number,
): { start: number; end: number } {
  return { start: boundary(bytes, start), end: boundary(bytes, end) };
}

/** The first offset at or after `at` that is not inside a character (not a continuation byte 10xxxxxx). */
function boundary(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length && i - at < 3 && (bytes[i]! & 0xc0) === 0x80) i++;
  return i;
}
