/**
 * The real @mockoon/cli (9.x) and Duplex serve the same Mockoon environment
 * (Duplex after `file.importMockoon`), and the same python3-websockets script
 * asks both: the imported mock answers as Mockoon does. Where Mockoon's own
 * WebSocket routes differ (it leaves `urlParam` and `header` empty, and matches
 * JSON only with a JSON Content-Type), only what both do is compared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { missingPythonPeer, runMockClient, type PeerResult } from './peers/mock-client.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOCKOON = join(ROOT, 'node_modules/.bin/mockoon-cli');
const ENV = join(ROOT, 'test/fixtures/mockoon/chat-environment.json');
const missing = missingPythonPeer() ?? (existsSync(MOCKOON) ? undefined : '@mockoon/cli is not installed');
if (missing) console.warn(`Skipping the Mockoon comparison: ${missing}`);

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The same questions for either server: one connection per question, as Mockoon needs. */
async function ask(base: string): Promise<PeerResult[]> {
  const chat = `${base}/api/chat/lobby?user=ann`;
  return runMockClient([
    { op: 'connect', c: 'json', url: chat, headers: { 'Content-Type': 'application/json' } },
    { op: 'send', c: 'json', text: '{"type":"ping","id":"7"}' },
    { op: 'recv', c: 'json' },
    { op: 'connect', c: 'text', url: chat, headers: { 'X-Client': 'py' } },
    { op: 'send', c: 'text', text: 'anything' },
    { op: 'recv', c: 'text' },
    { op: 'send', c: 'text', text: 'hello there' },
    { op: 'recv', c: 'text' },
    { op: 'connect', c: 'seq', url: `${base}/api/sequence` },
    ...[1, 2, 3, 4].flatMap(() => [
      { op: 'send', c: 'seq', text: 'x' },
      { op: 'recv', c: 'seq' },
    ]),
  ]);
}

describe.skipIf(missing)('an imported Mockoon environment answers like @mockoon/cli', () => {
  let mockoon: ChildProcess;
  let mockoonPort: number;
  let engine: Engine;
  let dir: string;
  let duplexPort: number;
  let notes: { where: string; what: string }[];

  beforeAll(async () => {
    mockoonPort = await freePort();
    mockoon = spawn(MOCKOON, ['start', '--data', ENV, '--port', String(mockoonPort)], { stdio: 'pipe' });
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: mockoon.stdout! });
      lines.on('line', (line) => {
        if (line.includes('Server started')) resolve();
      });
      mockoon.once('exit', (code) => reject(new Error(`mockoon-cli exited with ${code}`)));
    });
    dir = mkdtempSync(join(tmpdir(), 'duplex-mockoon-'));
    engine = new Engine();
    const imported = await engine.call('file.importMockoon', { file: ENV, outDir: dir });
    const path = imported.path;
    notes = imported.notes;
    duplexPort = (await engine.call('file.serveMock', { file: path, port: 0 })).server.port;
  });
  afterAll(async () => {
    mockoon?.kill();
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the same replies to a JSON rule, the default response, a regex rule and a sequential route', async () => {
    const [theirs, ours] = await Promise.all([
      ask(`ws://127.0.0.1:${mockoonPort}`),
      ask(`ws://127.0.0.1:${duplexPort}`),
    ]);
    for (const replies of [theirs, ours]) {
      const text = (i: number): string => String(replies[i]!['text']);
      expect(JSON.parse(text(2))).toMatchObject({ type: 'pong', id: '7' });
      expect(text(5)).toBe('anything');
      expect(text(7)).toMatch(/^hi ann from /);
      expect(text(10)).toMatch(new RegExp(`^one ${UUID}$`));
      expect(text(12)).toMatch(/^\{"n":[1-9],"f":(0(\.\d+)?|1),"name":"[A-Za-z' -]+"\}$/);
      expect(text(16)).toMatch(new RegExp(`^one ${UUID}$`)); // after the last comes the first again
    }
    // Mockoon's float (faker, to 10 decimals) includes max; Duplex's {{randomFloat}} is in [min, max).
    expect((JSON.parse(String(ours[12]!['text'])) as { f: number }).f).toBeLessThan(1);
    // Where Duplex does what Mockoon's HTTP routes do and its WebSocket routes leave empty.
    expect(JSON.parse(String(ours[2]!['text']))).toMatchObject({ room: 'lobby' });
    expect(ours[7]!['text']).toBe('hi ann from py');
    // A helper Duplex does not have is sent as written, and the import said so.
    expect(String(theirs[14]!['text'])).toMatch(new RegExp(`^[ab] and ${UUID}$`));
    expect(String(ours[14]!['text'])).toMatch(/^\{\{oneOf/);
    expect(notes.some((n) => n.what.includes('oneOf'))).toBe(true);
  });
});
