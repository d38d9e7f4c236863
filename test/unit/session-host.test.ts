/**
 * EngineSessions runs on any SessionHost, not only on the Engine: made before
 * the logs it records exist (no construction order), it records a real log,
 * opens and pages the file, and replays into a connection the host opens,
 * publishing progress through the host. app/sessions/ imports no Engine.
 */
import { NO_REDACTION } from '../../app/variables/redact.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientConnection } from '../../app/connections/client-connection.js';
import { DuplexError, ErrorCodes } from '../../app/errors.js';
import { MessageLog } from '../../app/log/message-log.js';
import { utf8Encode } from '../../app/payload/codecs.js';
import { MockServer } from '../../app/server/mock-server.js';
import { EngineSessions } from '../../app/sessions/engine-sessions.js';
import type { SessionHost } from '../../app/sessions/session-host.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('EngineSessions through a narrow host', () => {
  it('records, reads and replays with a host that is not the Engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'duplex-host-'));
    dirs.push(dir);
    const logs = new Map<string, MessageLog>();
    const events: string[] = [];
    const opened: ClientConnection[] = [];
    const host: SessionHost = {
      workspaceDir: () => dir,
      log: (id) => {
        const log = logs.get(id);
        if (!log) throw new DuplexError(ErrorCodes.NOT_FOUND, `no log ${id}`);
        return log;
      },
      logSource: () => ({ role: 'client', url: server.url, headers: {}, protocols: [] }),
      redactor: () => NO_REDACTION,
      resolveUrl: (url) => Promise.resolve(url),
      openConnection: (options) => {
        const c = new ClientConnection(`c${opened.length + 1}`, options).connect();
        opened.push(c);
        return c;
      },
      publish: (name) => void events.push(name),
    };
    const sessions = new EngineSessions(host);
    const server = new MockServer('echo', {});
    await server.start();
    try {
      const log = new MessageLog();
      logs.set('conn-1', log);
      const rec = await sessions.handlers['session.recordStart']({ logId: 'conn-1', name: 'hosted' });
      log.append('none', 'open', undefined, { note: 'open' });
      for (const text of ['one', 'two']) {
        log.append('out', 'text', utf8Encode(text));
        log.append('in', 'text', utf8Encode(text));
      }
      await sessions.handlers['session.recordStop']({ logId: 'conn-1' });
      expect(rec.name).toBe('hosted.jsonl');

      const page = await sessions.handlers['session.read']({ name: 'hosted.jsonl', fromSeq: 2, count: 2 });
      expect(page.entries.map((e) => e.preview)).toEqual(['one', 'one']);

      const { replayId } = await sessions.handlers['session.replay']({
        name: 'hosted.jsonl',
        speed: 0,
        verify: true,
      });
      let report = await sessions.handlers['session.replayStatus']({ replayId });
      for (let i = 0; !report.done && i < 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        report = await sessions.handlers['session.replayStatus']({ replayId });
      }
      expect(report).toMatchObject({ ok: true, sent: 2, matched: 2 });
      expect(opened).toHaveLength(1);
      expect(events).toContain('session.replayProgress');
    } finally {
      await sessions.dispose();
      for (const c of opened) c.terminate();
      await server.stop();
    }
  });

  it('no module of app/sessions imports the Engine', () => {
    const folder = new URL('../../app/sessions/', import.meta.url);
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, folder), 'utf8');
      expect(source, file).not.toMatch(/from '\.\.\/engine\.js'/);
    }
  });
});
