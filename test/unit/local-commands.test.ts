/**
 * The local commands (contract.ts localCommands): reachable through
 * Engine.call, validated like every command, and offered by no transport —
 * they read and write paths on this machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandNames } from '../../app/api.js';
import { commands, localCommands } from '../../app/contract.js';
import { Engine } from '../../app/engine.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';

let dir: string;
let engine: Engine;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-local-'));
  engine = new Engine();
});
afterEach(async () => {
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const session = [
  {
    format: 'duplex-session',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: 0,
    role: 'client',
    url: 'ws://127.0.0.1:9/',
  },
  { seq: 1, t: 0, dir: 'out', kind: 'text', text: 'hi' },
]
  .map((l) => JSON.stringify(l))
  .join('\n');

describe('local commands', () => {
  it('are not in the transports’ table, and Engine.invoke (what IPC and the bridge call) refuses them', async () => {
    for (const name of Object.keys(localCommands)) {
      expect(commandNames as readonly string[]).not.toContain(name);
      expect(Object.keys(commands)).not.toContain(name);
      const r = await engine.invoke(name as never, { file: join(dir, 'x.jsonl'), out: join(dir, 'x.har') });
      expect(r).toMatchObject({ ok: false, error: { code: ErrorCodes.INVALID_INPUT } });
    }
  });

  it('are validated by their schema in Engine.call', async () => {
    const err = await engine.call('file.export', { file: '', out: 7 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplexError);
    expect((err as DuplexError).code).toBe(ErrorCodes.INVALID_INPUT);
    expect((err as DuplexError).message).toMatch(/file.*out/s);
  });

  it('file.export then file.import round-trip a session through HAR', async () => {
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, session + '\n');
    const exported = await engine.call('file.export', { file, out: join(dir, 'one.har') });
    expect(exported).toEqual({ path: join(dir, 'one.har'), warnings: [] });
    const imported = await engine.call('file.import', { file: exported.path, outDir: join(dir, 'in') });
    expect(imported.skippedMessages).toBe(0);
    expect(imported.sessions).toEqual([
      { path: expect.stringContaining(join(dir, 'in')), url: 'ws://127.0.0.1:9/', messages: 1 },
    ]);
    expect(readFileSync(imported.sessions[0]!.path, 'utf8')).toContain('"text":"hi"');
  });

  it('file.import of a HAR without WebSocket entries is HAR_NO_WEBSOCKET, like session.import', async () => {
    const file = join(dir, 'empty.har');
    writeFileSync(file, '{"log":{"version":"1.2","entries":[]}}');
    const err = await engine.call('file.import', { file, outDir: join(dir, 'in') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.HAR_NO_WEBSOCKET });
    expect((err as Error).message).toContain(`${file} has no WebSocket entries`);
  });

  it('file errors carry DUPLEX_ERR_FILE and the path; a torn last line is a warning', async () => {
    const missing = join(dir, 'missing.jsonl');
    const err = await engine
      .call('file.export', { file: missing, out: join(dir, 'o.har') })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.FILE });
    expect((err as Error).message).toContain(missing);

    const torn = join(dir, 'torn.jsonl');
    writeFileSync(torn, session + '\n{"seq":2,"t":1,"di');
    const { warnings } = await engine.call('file.export', { file: torn, out: join(dir, 't.har') });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.line).toBe(3);
  });

  it('file.replay checks a --url before anything is sent, and before the file is opened', async () => {
    const file = join(dir, 'one.jsonl');
    writeFileSync(file, session + '\n');
    const err = await engine.call('file.replay', { file, url: 'not a url' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.SYNTAX });
    expect(engine.connections.size).toBe(0);
    const missing = join(dir, 'missing.jsonl');
    for (const url of ['ftp://example.com/', 'ws://example.com/#frag']) {
      const early = await engine.call('file.replay', { file: missing, url }).catch((e: unknown) => e);
      expect(early).toMatchObject({ code: ErrorCodes.SYNTAX, message: expect.stringContaining(url) });
    }
  });
});
