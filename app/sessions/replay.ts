/**
 * Client replay: opens a connection to the recorded URL (or another), re-sends
 * the recorded outgoing messages in order at their recorded offsets scaled by
 * `speed` (0 = no waiting), and with `verify` waits for the recorded incoming
 * messages between sends and compares them. The result is a report (what was
 * sent, what matched, the first mismatches as readable diffs, send timing).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_REPLAY_TIMEOUT_MS } from '../api.js';
import type { ConnectOptions, ReplayReport } from '../contract.js';
import { ClientConnection } from '../connections/client-connection.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import { utf8Decode } from '../payload/codecs.js';
import type { Session } from './session-format.js';
import type { SessionSource } from './session-reader.js';
import { compareMessages, parseJsonPath, type Message } from './session-compare.js';
import { clientSteps, planClientReplay } from './session-script.js';

/** Bytes queued on the socket above which a fast replay waits for them to drain. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

export interface ReplayOptions {
  /** Target URL; default the recorded one. */
  url?: string;
  /** 1 = recorded pace, 2 = twice as fast, 0 = no waiting. */
  speed?: number;
  verify?: boolean;
  /** JSON paths skipped when comparing JSON messages, e.g. `$.timestamp`. */
  ignore?: string[];
  /** How long to wait for each recorded incoming message (default DEFAULT_REPLAY_TIMEOUT_MS, 5000). */
  timeoutMs?: number;
  /** Which client's conversation to replay from a server recording (default the first). */
  clientId?: string;
  /** Mismatches kept in the report (default 10). */
  maxMismatches?: number;
  /** Makes the connection (the engine passes its own so the replay shows up as a tab). */
  connect?: (options: ConnectOptions) => ClientConnection;
  /** Called after each send and each comparison, and when paused, resumed or stopped. */
  onProgress?: (report: ReplayReport) => void;
  /** Pause / resume / step / stop from outside (the UI); see ReplayControl. */
  control?: ReplayControl;
}

/**
 * Steers a running replay. Pause holds it before its next send (incoming
 * messages are still received, and the verify timeout does not run while
 * paused); resume continues with the recorded gaps from where it was held;
 * step sends the next message now and stays paused; stop ends the replay
 * (the report says `stopped`) and closes the connection.
 */
export class ReplayControl {
  #paused = false;
  #stopped = false;
  #steps = 0;
  #pausedAt = 0;
  #pausedTotal = 0;
  #next: { promise: Promise<void>; resolve: () => void } | undefined;
  #onChange: (() => void) | undefined;

  constructor(options: { paused?: boolean } = {}) {
    if (options.paused) this.pause();
  }

  get paused(): boolean {
    return this.#paused;
  }
  get stopped(): boolean {
    return this.#stopped;
  }

  /** ms spent paused so far, including a pause still running. */
  pausedMs(): number {
    return this.#pausedTotal + (this.#paused ? performance.now() - this.#pausedAt : 0);
  }

  pause(): void {
    if (this.#paused || this.#stopped) return;
    this.#paused = true;
    this.#pausedAt = performance.now();
    this.#changed();
  }

  resume(): void {
    if (!this.#paused || this.#stopped) return;
    this.#pausedTotal += performance.now() - this.#pausedAt;
    this.#paused = false;
    this.#steps = 0;
    this.#changed();
  }

  /** Lets one more send through while paused (pauses first when running). */
  step(): void {
    if (this.#stopped) return;
    if (!this.#paused) this.pause();
    this.#steps++;
    this.#changed();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#changed();
  }

  /** @internal Called by replaySession on every change (to report progress). */
  listen(onChange: () => void): void {
    this.#onChange = onChange;
  }

  /** @internal Resolves on the next pause/resume/step/stop. */
  changed(): Promise<void> {
    if (!this.#next) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.#next = { promise, resolve };
    }
    return this.#next.promise;
  }

  /** @internal Takes a step token, if one is waiting. */
  takeStep(): boolean {
    if (this.#steps === 0) return false;
    this.#steps--;
    return true;
  }

  #changed(): void {
    const next = this.#next;
    this.#next = undefined;
    next?.resolve();
    this.#onChange?.();
  }
}

export type { ReplayReport, ReplayMismatch } from '../contract.js';

/**
 * Replays a session held in memory or streamed from its file (a SessionSource:
 * one pass to plan, one to send; memory does not grow with the file).
 */
export async function replaySession(
  session: Session | SessionSource,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `Speed ${speed} is not a number ≥ 0; use 1 for the recorded pace.`,
    );
  }
  const ignore = (options.ignore ?? []).map(parseJsonPath);
  const timeoutMs = options.timeoutMs ?? DEFAULT_REPLAY_TIMEOUT_MS;
  const maxMismatches = options.maxMismatches ?? 10;
  const verify = options.verify ?? false;
  const entries = (): AsyncIterable<Session['entries'][number]> | Session['entries'] =>
    typeof session.entries === 'function' ? session.entries() : session.entries;
  const role = session.header.role;
  const plan = await planClientReplay(entries(), role, options.clientId);
  const url = options.url ?? session.header.url;
  const report: ReplayReport = {
    url,
    done: false,
    ok: false,
    speed,
    verify,
    toSend: plan.toSend,
    sent: 0,
    expected: plan.expected,
    compared: 0,
    matched: 0,
    mismatches: [],
    deviationsMs: [],
  };
  const connectOptions: ConnectOptions = { url };
  if (Object.keys(session.header.headers).length > 0) connectOptions.headers = session.header.headers;
  if (session.header.protocols.length > 0) connectOptions.protocols = session.header.protocols;

  // Received messages not compared yet (only with verify); `receivedBefore` were compared and dropped.
  const received: Message[] = [];
  let receivedBefore = 0;
  let wake: (() => void) | undefined;
  let closed = false;
  let conn: ClientConnection | undefined;
  const control = options.control;
  const sync = (): void => {
    if (!control) return;
    report.paused = control.paused;
    if (control.stopped) report.stopped = true;
  };
  sync();
  control?.listen(() => {
    sync();
    wake?.();
    if (!report.done) options.onProgress?.(report);
  });
  try {
    conn = options.connect
      ? options.connect(connectOptions)
      : new ClientConnection('replay', connectOptions).connect();
    report.connectionId = conn.id;
    conn.on('error', () => undefined); // failures arrive as the close before open, or in the report
    conn.on('message', (entry) => {
      if (verify && (entry.kind === 'text' || entry.kind === 'binary')) {
        received.push({ kind: entry.kind, data: entry.payload.slice() });
        wake?.();
      }
    });
    conn.on('close', () => {
      closed = true;
      wake?.();
    });
    await waitOpen(conn);
    options.onProgress?.(report); // connected: the totals are known
    let t0 = performance.now();
    let incoming = 0;
    for await (const step of clientSteps(entries(), role, plan)) {
      if (control?.stopped) break;
      if (step.action === 'receive') {
        if (!verify) continue;
        const index = incoming++;
        // Time spent paused does not count against the timeout.
        const pausedBefore = control?.pausedMs() ?? 0;
        const due = performance.now() + timeoutMs;
        const left = (): number => due + (control?.pausedMs() ?? 0) - pausedBefore - performance.now();
        while (receivedBefore + received.length <= index && !closed && !control?.stopped && left() > 0) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, Math.max(1, left()));
          });
          clearTimeout(timer);
          wake = undefined;
        }
        const got = received[index - receivedBefore];
        if (!got && control?.stopped) break;
        if (!got) {
          report.mismatches.push({
            index: index + 1,
            seq: step.entry.seq,
            problems: [
              `${closed ? 'the connection closed before' : `nothing arrived within ${timeoutMs} ms for`} recorded incoming message #${index + 1}: ${describe(step.entry)}`,
              report.expected - index - 1 > 0
                ? `${report.expected - index - 1} later incoming messages were not checked`
                : '',
            ].filter(Boolean),
          });
          break;
        }
        received.shift();
        receivedBefore++;
        report.compared++;
        const problems = compareMessages({ kind: step.entry.kind, data: step.entry.data }, got, ignore);
        if (problems.length === 0) report.matched++;
        else if (report.mismatches.length < maxMismatches) {
          report.mismatches.push({ index: index + 1, seq: step.entry.seq, problems });
        }
        options.onProgress?.(report);
        continue;
      }
      const scheduled = speed > 0 ? step.t / speed : 0;
      if (control) {
        // Paused time shifts the schedule; a step sends now and the recorded gaps continue from it.
        const go = await waitTurn(control, () => (speed > 0 ? t0 + control.pausedMs() + scheduled : 0));
        if (go === 'stopped') break;
        if (go === 'stepped') t0 = performance.now() - control.pausedMs() - scheduled;
        if (speed > 0) report.deviationsMs.push(performance.now() - t0 - control.pausedMs() - scheduled);
      } else if (speed > 0) {
        await sleepUntil(t0 + scheduled);
        report.deviationsMs.push(performance.now() - t0 - scheduled);
      }
      const e = step.entry;
      conn.send(
        e.kind === 'text'
          ? { type: 'text', text: utf8Decode(e.data) }
          : { type: 'binary', data: e.data as Uint8Array<ArrayBuffer> },
      );
      report.sent++;
      options.onProgress?.(report);
      // At speed 0 the file reads faster than the socket sends: wait for the queue to drain.
      while (conn.bufferedAmount > HIGH_WATER_BYTES && conn.readyState === 1 && !control?.stopped) {
        await sleep(1);
      }
    }
    if (verify && report.mismatches.length === 0 && !control?.stopped) {
      // Anything beyond the recording that is already on its way counts as a difference.
      await sleep(50);
      for (
        let i = Math.max(report.expected, receivedBefore);
        i < receivedBefore + received.length && report.mismatches.length < maxMismatches;
        i++
      ) {
        const extra = received[i - receivedBefore]!;
        report.mismatches.push({
          index: i + 1,
          seq: 0,
          problems: [
            `unexpected extra ${extra.kind} message (${extra.data.byteLength} bytes) beyond the recording`,
          ],
        });
      }
    }
    sync();
    report.ok =
      !report.stopped &&
      report.sent === report.toSend &&
      (!verify || (report.mismatches.length === 0 && report.compared === report.expected));
  } catch (err) {
    report.error = toErrorInfo(err);
    report.ok = false;
  } finally {
    if (conn?.readyState === 1) conn.close(1000, 'replay finished');
    else if (conn?.readyState === 0) conn.terminate();
    report.done = true;
    report.paused = false;
    options.onProgress?.(report);
  }
  return report;
}

/** Readable text of a report: a summary line, then the first mismatches. */
export function formatReplayReport(report: ReplayReport): string {
  const lines: string[] = [];
  const pace = report.speed === 0 ? 'no waiting' : `speed ${report.speed}`;
  lines.push(`replayed ${report.sent}/${report.toSend} outgoing messages to ${report.url} (${pace})`);
  if (report.verify) {
    lines.push(
      `verified ${report.matched}/${report.expected} incoming messages match` +
        (report.mismatches.length ? `; ${report.mismatches.length} shown below` : ''),
    );
  }
  for (const m of report.mismatches) {
    lines.push(`✗ incoming message #${m.index}${m.seq ? ` (recorded seq ${m.seq})` : ''}:`);
    for (const p of m.problems) lines.push(`    ${p}`);
  }
  if (report.stopped) lines.push(`stopped before the end (${report.sent}/${report.toSend} sent)`);
  if (report.error) lines.push(`error: ${report.error.code}: ${report.error.message}`);
  if (report.deviationsMs.length > 0) {
    const s = timingStats(report.deviationsMs);
    lines.push(
      `send timing vs recording: max ${s.maxMs.toFixed(1)} ms, p95 ${s.p95Ms.toFixed(1)} ms, mean ${s.meanMs.toFixed(1)} ms`,
    );
  }
  lines.push(report.ok ? 'OK' : 'FAILED');
  return lines.join('\n');
}

export function timingStats(deviations: number[]): { maxMs: number; p95Ms: number; meanMs: number } {
  const abs = deviations.map(Math.abs).sort((a, b) => a - b);
  if (abs.length === 0) return { maxMs: 0, p95Ms: 0, meanMs: 0 };
  return {
    maxMs: abs[abs.length - 1]!,
    p95Ms: abs[Math.min(abs.length - 1, Math.ceil(abs.length * 0.95) - 1)]!,
    meanMs: abs.reduce((a, b) => a + b, 0) / abs.length,
  };
}

/** Waits until the send may go: not paused (or a step token), and its scheduled time reached. */
async function waitTurn(control: ReplayControl, target: () => number): Promise<'go' | 'stepped' | 'stopped'> {
  for (;;) {
    if (control.stopped) return 'stopped';
    if (control.paused) {
      if (control.takeStep()) return 'stepped';
      await control.changed();
      continue;
    }
    const due = target();
    if (performance.now() >= due) return 'go';
    // Recheck after the wait: a pause during it moves the target.
    await Promise.race([sleepUntil(due), control.changed()]);
  }
}

async function waitOpen(conn: ClientConnection): Promise<void> {
  if (conn.readyState === 1) return;
  await new Promise<void>((resolve, reject) => {
    const onOpen = (): void => {
      conn.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      conn.off('open', onOpen);
      const info = conn.info().error;
      reject(
        new DuplexError(
          info?.code ?? ErrorCodes.CONNECTION_FAILED,
          info?.message ?? `The connection to ${conn.url} closed before it opened.`,
        ),
      );
    };
    conn.once('open', onOpen);
    conn.once('close', onClose);
  });
}

/** Timers fire late by a millisecond or more; the last SPIN_MS before a send are waited out in I/O turns. */
const SPIN_MS = 2;

/** Waits until `target` (performance.now() time): a timer for most of it, then yields to I/O until due. */
async function sleepUntil(target: number): Promise<void> {
  for (;;) {
    const left = target - performance.now();
    if (left <= 0) return;
    if (left > SPIN_MS) await sleep(left - SPIN_MS);
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function describe(e: { kind: string; data: Uint8Array }): string {
  if (e.kind === 'binary') return `binary, ${e.data.byteLength} bytes`;
  const text = utf8Decode(e.data);
  return JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text);
}
