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

/** One line of a preview: newlines shown as ⏎, capped so rows stay cheap to render. */
export function previewLine(text: string, max = 240): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  return cut.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, ' ');
}

export const dirArrow = { in: '↓', out: '↑', none: '•' } as const;
export const dirLabel = { in: 'received', out: 'sent', none: 'event' } as const;
