#!/usr/bin/env node
/**
 * Draws Duplex's app icon (build/icon.png, 512×512 RGBA) in plain code: a
 * rounded indigo square with two opposed arrows, "both directions at once".
 * No binary downloads; the PNG is encoded with node:zlib. Run after changing it:
 *   node scripts/make-icon.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 512;
const out = new URL('../build/icon.png', import.meta.url);

function pixel(x, y) {
  // Rounded square with a vertical gradient.
  const r = 96;
  const m = 16;
  const cx = Math.min(Math.max(x, m + r), SIZE - m - r);
  const cy = Math.min(Math.max(y, m + r), SIZE - m - r);
  const d = Math.hypot(x - cx, y - cy);
  const inside = Math.min(1, Math.max(0, r + 0.5 - d));
  if (inside === 0) return [0, 0, 0, 0];
  const t = y / SIZE;
  let rgb = [Math.round(79 - 30 * t), Math.round(70 - 30 * t), Math.round(229 - 60 * t)];
  if (arrow(x, y, 200, true) || arrow(x, y, 312, false)) rgb = [245, 247, 255];
  return [...rgb, Math.round(255 * inside)];
}

/** A vertical arrow centered at column cx: shaft plus head, pointing up or down. */
function arrow(x, y, cx, up) {
  const top = 120;
  const bottom = 392;
  const head = 84;
  const shaft = 22;
  const yy = up ? y : top + bottom - y; // mirror the down arrow
  if (yy < top || yy > bottom) return false;
  if (yy < top + head) return Math.abs(x - cx) <= ((yy - top) / head) * 66;
  return Math.abs(x - cx) <= shaft;
}

const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    // 2×2 supersampling for smooth edges.
    const samples = [pixel(x, y), pixel(x + 0.5, y), pixel(x, y + 0.5), pixel(x + 0.5, y + 0.5)];
    for (let c = 0; c < 4; c++) {
      raw[y * (SIZE * 4 + 1) + 1 + x * 4 + c] = Math.round(samples.reduce((s, p) => s + p[c], 0) / 4);
    }
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out.pathname} (${png.length} bytes)`);
