/**
 * Helpers shared by the benchmark sections: run settings, alternating A/B
 * rounds, medians and number formatting.
 */

export interface BenchSettings {
  /** Length of one timed run, ms. */
  runMs: number;
  /** Timed runs per side of an A/B comparison (the median is reported). */
  rounds: number;
  /** Length of the untimed warm-up run of each side, ms. */
  warmupMs: number;
  /**
   * Untimed start of every run, ms: the connection is open and traffic flows,
   * but counting starts only after it, so a run measures the steady state (for
   * Duplex: the log already at its budget, dropping old entries), not the start.
   */
  settleMs: number;
  /** Whether a group of cases (e.g. "echo") is wanted; BENCH_ONLY=receive,echo limits them. */
  only(group: string): boolean;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const groups = env.BENCH_ONLY?.split(',').map((g) => g.trim());
  return {
    runMs: positive(env.BENCH_RUN_MS, 1200),
    rounds: positive(env.BENCH_ROUNDS, 5),
    warmupMs: positive(env.BENCH_WARMUP_MS, 500),
    settleMs: positive(env.BENCH_SETTLE_MS, 500),
    only: (group) => !groups || groups.includes(group),
  };
}

export interface AbResult {
  /** Every timed run of side A (e.g. raw ws), in order. */
  a: number[];
  b: number[];
  medianA: number;
  medianB: number;
  /** medianB / medianA. */
  ratio: number;
}

/**
 * Measures two sides alternately — warm-up A, warm-up B, then A B A B … — so a
 * slow start, a GC pause or a neighbour's burst of CPU does not land on one side
 * only. Each call of a side gets a duration in ms and resolves to its rate.
 */
export async function alternate(
  sideA: (ms: number) => Promise<number>,
  sideB: (ms: number) => Promise<number>,
  settings: BenchSettings,
): Promise<AbResult> {
  await sideA(settings.warmupMs);
  await sideB(settings.warmupMs);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < settings.rounds; i++) {
    a.push(await sideA(settings.runMs));
    b.push(await sideB(settings.runMs));
  }
  const medianA = median(a);
  const medianB = median(b);
  return { a, b, medianA, medianB, ratio: medianB / medianA };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 1234567 → "1.23 M", 45210 → "45.2 k". */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)} M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(1)} k`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(2)} k`;
  return perSecond.toFixed(0);
}

export function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * Runs full garbage collections when node was started with --expose-gc, with
 * pauses between them: ArrayBuffer memory is freed off the main thread, so
 * process.memoryUsage().arrayBuffers lags one collection behind.
 */
export async function collectGarbage(): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return false;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}
