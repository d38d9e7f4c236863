/**
 * The engine's local commands (contract.ts `localCommands`): the session-file
 * work of the CLI — record into a file, serve or replay a file, HAR import and
 * export — reached through Engine.call like every other command. They take
 * paths on this machine, so the transports do not offer them.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LocalCommandName } from './contract.js';
import type { Engine, Handler } from './engine.js';
import { DuplexError, ErrorCodes } from './errors.js';
import { exportHar, importHar } from './sessions/har.js';
import { serveRecording } from './sessions/mock-replay.js';
import { replaySession } from './sessions/replay.js';
import { readSessionFile } from './sessions/session-reader.js';
import { writeNewSession } from './sessions/session-store.js';
import { writeFileAtomic } from './workspace/json-file.js';
import { parseWebSocketUrl } from './websocket-rules.js';

export function localHandlers(engine: Engine): { [K in LocalCommandName]: Handler<K> } {
  return {
    'file.record': ({ logId, path }) => engine.sessions.recordToFile(logId, path),

    'file.serve': async ({ file, conversation, ...options }) => {
      // A bad recording is reported before anything listens.
      const session = await readSessionFile(file);
      const server = await engine.startServer(options);
      serveRecording(server, session, { conversation: conversation ?? false });
      return { server: server.info(), warnings: session.warnings };
    },

    'file.replay': async ({ file, ...options }) => {
      const session = await readSessionFile(file);
      // A malformed --url is the caller's mistake, not a replay that went wrong.
      if (options.url !== undefined) parseWebSocketUrl(options.url);
      const report = await replaySession(session, {
        ...options,
        connect: (connectOptions) => engine.openConnection(connectOptions),
      });
      return { report, warnings: session.warnings };
    },

    'file.import': async ({ file, outDir }) => {
      const { sessions, skippedMessages } = importHar(await readText(file), file);
      const dir = resolve(outDir);
      const written = [];
      for (const s of sessions) {
        const path = resolve(dir, await writeNewSession(dir, s).catch(writeFailed(dir)));
        written.push({ path, url: s.header.url, messages: s.entries.length });
      }
      return { sessions: written, skippedMessages };
    },

    'file.serveMock': async ({ file, port, host }) => {
      const server = await engine.mocks.start(file, {
        ...(port !== undefined ? { port } : {}),
        ...(host !== undefined ? { host } : {}),
      });
      return { server: server.info() };
    },

    'file.importMockoon': ({ file, outDir }) => engine.mocks.importMockoonFile(file, outDir),

    'file.export': async ({ file, out }) => {
      const session = await readSessionFile(file);
      const path = resolve(out);
      await writeFileAtomic(path, JSON.stringify(exportHar(session), null, 2) + '\n').catch(
        writeFailed(path),
      );
      return { path, warnings: session.warnings };
    },
  };
}

/** A write that failed (no such folder, no permission) is a file error naming the path. */
function writeFailed(path: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof DuplexError) throw err;
    throw new DuplexError(ErrorCodes.FILE, `Cannot write ${path}: ${(err as Error).message}.`);
  };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new DuplexError(
      ErrorCodes.FILE,
      e.code === 'ENOENT' ? `${file} does not exist; check the path.` : `Cannot read ${file}: ${e.message}.`,
    );
  }
}
