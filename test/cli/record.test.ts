/**
 * Crash safety of recording: `duplex serve --record FILE` is killed with
 * SIGKILL while a client floods it. The file must reopen with every message up
 * to the last flush, in order, a prefix of what was sent (nothing invented); a
 * torn last line is reported and skipped. Also `duplex connect --record`.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { readSessionFile } from '../support/read-session.js';
import { utf8Decode } from '../../app/payload/codecs.js';
import { CLI_PATH, CliProcess, runDuplex, startServe } from './helpers.js';

const running: CliProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const p of running.splice(0)) p.kill();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-record-'));
  dirs.push(d);
  return d;
}

describe('recording survives kill -9', () => {
  it('a flooded `duplex serve --record` killed with SIGKILL leaves an in-order prefix of the flood', async () => {
    const file = join(tempDir(), 'flood.jsonl');
    const { serve, url } = await startServe('--record', file);
    running.push(serve);

    const ws = new WebSocket(url);
    await new Promise((r) => ws.once('open', r));
    ws.on('error', () => undefined); // the server dies mid-flood
    let sent = 0;
    let flooding = true;
    const flood = (async () => {
      while (flooding && ws.readyState === WebSocket.OPEN) {
        for (let i = 0; i < 200 && ws.bufferedAmount < 1 << 20; i++)
          ws.send(`m-${sent++}-${'x'.repeat(sent % 50)}`);
        await new Promise((r) => setImmediate(r));
      }
    })();
    await new Promise((r) => setTimeout(r, 600)); // several flush periods of 50 ms
    serve.kill('SIGKILL');
    const exit = await serve.exit();
    flooding = false;
    await flood;
    ws.terminate();
    expect(exit.signal).toBe('SIGKILL');

    const session = await readSessionFile(file); // must not throw: at most a torn last line
    expect(session.header).toMatchObject({ role: 'server', url });
    for (const w of session.warnings) expect(w.message).toMatch(/incomplete.*skipped/);
    const data = session.entries.filter((e) => e.kind === 'text');
    const fromClient = data.filter((e) => e.dir === 'in').map((e) => utf8Decode(e.data));
    const echoed = data.filter((e) => e.dir === 'out').map((e) => utf8Decode(e.data));
    expect(fromClient.length).toBeGreaterThan(100);
    expect(fromClient.length).toBeLessThanOrEqual(sent);
    // Exactly the first N messages the client sent, in order; the echoes are a prefix of them too.
    const expected = (i: number): string => `m-${i}-${'x'.repeat((i + 1) % 50)}`;
    fromClient.forEach((text, i) => expect(text).toBe(expected(i)));
    echoed.forEach((text, i) => expect(text).toBe(expected(i)));
    expect(data.every((e) => e.clientId === '1')).toBe(true);
    const seqs = session.entries.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // no gaps, nothing repeated

    // The same file with its last line torn mid-write: reported and skipped, the rest intact.
    const torn = join(tempDir(), 'torn.jsonl');
    copyFileSync(file, torn);
    const text = readFileSync(torn, 'utf8');
    const lastLineStart = text.lastIndexOf('\n', text.length - 2) + 1;
    truncateSync(torn, Buffer.byteLength(text.slice(0, lastLineStart + 10)));
    const again = await readSessionFile(torn);
    expect(again.entries).toHaveLength(session.entries.length - 1);
    expect(again.warnings).toEqual([
      expect.objectContaining({
        line: session.entries.length + 1,
        message: expect.stringMatching(/incomplete.*skipped/),
      }),
    ]);
  });
});

describe('duplex connect --record', () => {
  it('records the client side: open, sends, echoes, close; t counts from the first entry', async () => {
    const file = join(tempDir(), 'client.jsonl');
    const { serve, url } = await startServe();
    running.push(serve);
    const r = await runDuplex(
      'connect',
      url,
      '--send',
      'hi',
      '--send-hex',
      '00ff',
      '--count',
      '2',
      '--record',
      file,
    );
    expect(r.result.code).toBe(0);
    const s = await readSessionFile(file);
    expect(s.warnings).toEqual([]);
    expect(s.header).toMatchObject({ role: 'client', url, source: 'duplex' });
    const rows = s.entries
      .filter((e) => e.kind !== 'info')
      .map((e) => [e.dir, e.kind, e.kind === 'binary' ? [...e.data] : utf8Decode(e.data)]);
    expect(rows).toEqual([
      ['none', 'open', ''],
      ['out', 'text', 'hi'],
      ['out', 'binary', [0, 255]],
      ['in', 'text', 'hi'],
      ['in', 'binary', [0, 255]],
      ['out', 'close', ''],
      ['in', 'close', ''],
    ]);
    expect(s.entries[0]!.t).toBe(0);
  });

  it('an unwritable --record path exits 2 with the reason, before connecting', async () => {
    let connections = 0;
    const tcp = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(tcp.address() as AddressInfo).port}/`;
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const r = await runDuplex('connect', url, '--record', join(dir, 'file', 'x.jsonl'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => tcp.close(resolve));
    expect(r.result.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot record to .*x\.jsonl/);
    expect(connections).toBe(0);
  });

  it('serve --record to an unwritable path exits 2 without listening', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const r = await runDuplex('serve', '--port', '0', '--json', '--record', join(dir, 'file', 'x.jsonl'));
    expect(r.result.code).toBe(2);
    expect(r.stderr).toMatch(/Cannot record to .*x\.jsonl/);
    expect(r.stdout).not.toMatch(/listening/);
  });

  it('a recording the disk cuts short exits 1 naming the file, not 0 with a truncated file', async () => {
    const file = join(tempDir(), 'short.jsonl');
    const { serve, url } = await startServe();
    running.push(serve);
    // A file size limit of 1 KiB (Node ignores SIGXFSZ, so writes past it fail with EFBIG like a full disk).
    const p = new CliProcess('sh', [
      '-c',
      'ulimit -f 2 && exec "$0" "$@"',
      process.execPath,
      CLI_PATH,
      'connect',
      url,
      '--send',
      'x'.repeat(4000),
      '--count',
      '1',
      '--record',
      file,
    ]);
    running.push(p);
    const exit = await p.exit();
    expect(p.stderr).toMatch(
      /Recording to .*short\.jsonl failed: .*The file holds the events before the failure/,
    );
    expect(exit.code).toBe(1);
  });
});
