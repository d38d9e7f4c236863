/** Small display helpers shared by the log, the detail pane and the tabs. */

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/** `14:03:07.123` in local time. */
export function formatTime(t: number): string {
  const d = new Date(t);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** `+42 ms`, `+3.207 s`, `+2:05.300` (minutes). */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? '−' : '+';
  const abs = Math.abs(Math.round(ms));
  if (abs < 1000) return `${sign}${abs} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(3)} s`;
  const min = Math.floor(abs / 60_000);
  return `${sign}${min}:${((abs % 60_000) / 1000).toFixed(3).padStart(6, '0')}`;
}

/** One line of a preview: newlines shown as ⏎, capped so rows stay cheap to render. */
export function previewLine(text: string, max = 240): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  return cut.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, ' ');
}

/** The icon of a row's direction: received, sent, or an event of Duplex. */
export const dirIcon = { in: 'arrow-down', out: 'arrow-up', none: 'dot' } as const;
export const dirLabel = { in: 'received', out: 'sent', none: 'event' } as const;

/** A text cut at the ranges a search matched, for <mark>ing them; the whole text when nothing matched. */
export function splitMatches(
  text: string,
  search: { ranges(text: string): [number, number][] } | undefined,
): { at: number; text: string; hit: boolean }[] {
  const ranges = search && text ? search.ranges(text) : [];
  if (ranges.length === 0) return [{ at: 0, text, hit: false }];
  const parts: { at: number; text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) parts.push({ at, text: text.slice(at, start), hit: false });
    parts.push({ at: start, text: text.slice(start, end), hit: true });
    at = end;
  }
  if (at < text.length) parts.push({ at, text: text.slice(at), hit: false });
  return parts;
}
