/**
 * Pause, resume, step and stop of a replay started through the engine's
 * contract (session.replay + session.replayControl), against a real MockServer
 * that echoes, with the session.replayProgress events the UI follows.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplayReport } from '../../app/contract.js';
import { Engine, type EngineEvent } from '../../app/engine.js';
import { utf8Encode } from '../../app/payload/codecs.js';
import { MockServer } from '../../app/server/mock-server.js';
import { makeHeader, type SessionEntry } from '../../app/sessions/session-format.js';
import { writeNewSession } from '../../app/sessions/session-store.js';
import { until } from '../support/until.js';

let dir: string;
let engine: Engine;
let server: MockServer;
let events: EngineEvent[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-replay-control-'));
  mkdirSync(join(dir, 'sessions'));
  engine = new Engine({ workspaceDir: dir, flushMs: 5 });
  events = [];
  engine.subscribe((batch) => events.push(...batch));
  server = new MockServer('echo', {});
  await server.start();
});

afterEach(async () => {
  await engine.dispose();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A client recording of `count` messages echoed back, the sends `gapMs` apart. */
async function echoSession(count: number, gapMs: number): Promise<string> {
  const entries: SessionEntry[] = [{ seq: 1, t: 0, dir: 'none', kind: 'open', data: new Uint8Array() }];
  for (let i = 0; i < count; i++) {
    const data = utf8Encode(JSON.stringify({ n: i + 1 }));
    entries.push({ seq: entries.length + 1, t: i * gapMs, dir: 'out', kind: 'text', data });
    entries.push({ seq: entries.length + 1, t: i * gapMs + 1, dir: 'in', kind: 'text', data });
  }
  return writeNewSession(join(dir, 'sessions'), {
    header: makeHeader({ role: 'client', url: server.url, name: 'echo' }),
    entries,
  });
}

const status = (replayId: string): Promise<ReplayReport> => engine.call('session.replayStatus', { replayId });
const control = (replayId: string, action: 'pause' | 'resume' | 'step' | 'stop'): Promise<ReplayReport> =>
  engine.call('session.replayControl', { replayId, action });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('replay control', () => {
  it('starts paused, steps one message at a time, then resumes to the end with every echo matched', async () => {
    const name = await echoSession(3, 20);
    const { replayId, connectionId } = await engine.call('session.replay', {
      name,
      speed: 0,
      verify: true,
      startPaused: true,
    });
    expect(connectionId).toMatch(/^conn-/);
    await until(() => engine.connection(connectionId).readyState === 1);
    await sleep(100);
    expect(await status(replayId)).toMatchObject({ paused: true, sent: 0, done: false });

    expect(await control(replayId, 'step')).toMatchObject({ paused: true });
    await until(async () => (await status(replayId)).compared === 1);
    await sleep(100);
    expect(await status(replayId)).toMatchObject({ paused: true, sent: 1, matched: 1, done: false });

    await control(replayId, 'step');
    await until(async () => (await status(replayId)).compared === 2);
    await sleep(50);
    expect((await status(replayId)).sent).toBe(2);

    await control(replayId, 'resume');
    await until(async () => (await status(replayId)).done);
    const report = await status(replayId);
    expect(report).toMatchObject({ ok: true, sent: 3, toSend: 3, matched: 3, expected: 3, paused: false });
    expect(report.mismatches).toEqual([]);

    // The UI follows progress events; the last one carries the final report.
    await until(() =>
      events.some((e) => e.name === 'session.replayProgress' && e.payload.report.done === true),
    );
    const progress = events.filter((e) => e.name === 'session.replayProgress');
    expect(progress.some((e) => e.name === 'session.replayProgress' && e.payload.report.paused)).toBe(true);
    expect(progress.at(-1)!.payload).toMatchObject({ replayId, report: { done: true, ok: true, sent: 3 } });

    await expect(control(replayId, 'pause')).rejects.toMatchObject({
      code: 'DUPLEX_ERR_INVALID_STATE',
      message: expect.stringMatching(/has finished/),
    });
  });

  it('pause holds the recorded pace mid-way; resume keeps the remaining gaps', async () => {
    const name = await echoSession(3, 150);
    const { replayId } = await engine.call('session.replay', { name, speed: 1, verify: true });
    await until(async () => (await status(replayId)).sent === 1);
    const paused = await control(replayId, 'pause');
    expect(paused.paused).toBe(true);
    await sleep(400); // far longer than the 150 ms gap: nothing may go out meanwhile
    expect((await status(replayId)).sent).toBe(1);
    const resumedAt = Date.now();
    await control(replayId, 'resume');
    await until(async () => (await status(replayId)).done);
    const report = await status(replayId);
    expect(report).toMatchObject({ ok: true, sent: 3, matched: 3 });
    // The two remaining sends keep ~150 ms gaps after the resume (not all at once).
    expect(Date.now() - resumedAt).toBeGreaterThanOrEqual(150);
    expect(Math.max(...report.deviationsMs.map(Math.abs))).toBeLessThan(50);
  });

  it('stop ends the replay early: stopped, not ok, the connection closed', async () => {
    const name = await echoSession(3, 10);
    const { replayId, connectionId } = await engine.call('session.replay', {
      name,
      speed: 0,
      verify: true,
      startPaused: true,
    });
    await until(() => engine.connection(connectionId).readyState === 1);
    await control(replayId, 'step');
    await until(async () => (await status(replayId)).compared === 1);
    await control(replayId, 'stop');
    await until(async () => (await status(replayId)).done);
    expect(await status(replayId)).toMatchObject({ done: true, ok: false, stopped: true, sent: 1 });
    await until(() => engine.connection(connectionId).readyState === 3);
    expect((await control(replayId, 'stop')).stopped).toBe(true); // stopping twice is harmless
    await expect(control('replay-999', 'pause')).rejects.toMatchObject({ code: 'DUPLEX_ERR_NOT_FOUND' });
  });
});
