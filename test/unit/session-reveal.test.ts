/**
 * session.reveal: the engine starts the platform's file manager on the session
 * file (a stand-in `xdg-open` on PATH records what it was asked to open), and
 * reports a missing session or a missing file manager with a clear error.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { makeHeader } from '../../app/sessions/session-format.js';
import { writeNewSession } from '../../app/sessions/session-store.js';
import { revealCommand } from '../../app/sessions/reveal.js';
import { until } from '../support/until.js';

let dir: string;
let engine: Engine;
const savedPath = process.env['PATH'];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'duplex-reveal-'));
  mkdirSync(join(dir, 'sessions'));
  engine = new Engine({ workspaceDir: dir });
});

afterEach(async () => {
  process.env['PATH'] = savedPath;
  await engine.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function aSession(): Promise<string> {
  return writeNewSession(join(dir, 'sessions'), {
    header: makeHeader({ role: 'client', url: 'ws://127.0.0.1:1/', name: 'reveal' }),
    entries: [],
  });
}

describe.runIf(process.platform === 'linux')('session.reveal on Linux', () => {
  it('opens the folder of the session file with xdg-open', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const record = join(dir, 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\necho "$@" > '${record}'\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    process.env['PATH'] = `${bin}:${savedPath}`;
    const name = await aSession();
    const { path } = await engine.call('session.reveal', { name });
    expect(path).toBe(join(dir, 'sessions', name));
    // The shell creates the file before echo writes into it: wait for the whole line.
    await until(() => existsSync(record) && readFileSync(record, 'utf8').endsWith('\n'));
    expect(readFileSync(record, 'utf8').trim()).toBe(dirname(path));
  });

  it('names the file when no file manager can be started', async () => {
    process.env['PATH'] = join(dir, 'empty-bin');
    const name = await aSession();
    const result = await engine.invoke('session.reveal', { name });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('DUPLEX_ERR_FILE');
      expect(result.error.message).toContain(join(dir, 'sessions', name));
    }
  });
});

describe('session.reveal', () => {
  it('reports a session that does not exist as NOT_FOUND', async () => {
    const result = await engine.invoke('session.reveal', { name: 'nope.jsonl' });
    expect(result).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_NOT_FOUND' } });
  });

  it('selects the file on macOS and Windows', () => {
    expect(revealCommand('/w/s/a.jsonl', 'darwin')).toEqual(['open', ['-R', '/w/s/a.jsonl']]);
    expect(revealCommand('C:\\w\\a.jsonl', 'win32')).toEqual(['explorer.exe', ['/select,C:\\w\\a.jsonl']]);
  });
});
