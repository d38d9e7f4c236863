/**
 * The result rows every benchmark section returns, and their markdown table.
 */

export interface BenchRow {
  /** What was measured, e.g. "receive 64 B text (msg/s)". */
  case: string;
  /** The baseline figure, already formatted ("—" when there is none). */
  raw: string;
  /** The Duplex figure, already formatted. */
  duplex: string;
  /** Duplex / baseline, or undefined when it does not apply. */
  ratio: number | undefined;
  /** The target, formatted, e.g. "≥ 0.80". */
  target: string;
  /** Whether the target was met; undefined for an informational row. */
  ok: boolean | undefined;
  /** Raw numbers for the JSON output. */
  data?: Record<string, unknown>;
}

export interface BenchSection {
  /** Short name used to pick sections on the command line, e.g. "engine". */
  name: string;
  title: string;
  run(): Promise<BenchRow[]>;
}

export function markdownTable(rows: BenchRow[]): string {
  const header = ['case', 'raw ws', 'Duplex', 'ratio', 'target', 'ok'];
  const body = rows.map((r) => [
    r.case,
    r.raw,
    r.duplex,
    r.ratio === undefined ? '—' : r.ratio.toFixed(2),
    r.target,
    r.ok === undefined ? '—' : r.ok ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
