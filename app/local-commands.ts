/**
 * The engine's local commands (contract.ts `localCommands`): the session-file
 * work of the CLI — record into a file, serve or replay a file, HAR import and
 * export — reached through Engine.call like every other command. They take
 * paths on this machine, so the transports do not offer them.
 */
import { resolve } from 'node:path';
import type { LocalCommandName } from './contract.js';
import type { Engine, Handler } from './engine.js';
import { DuplexError, ErrorCodes } from './errors.js';
import { noWebSocketEntries } from './sessions/har.js';
import { serveRecording } from './sessions/mock-replay.js';
import { replaySession } from './sessions/replay.js';
import { openSessionSource } from './sessions/session-reader.js';
import { planServerReplay } from './sessions/session-script.js';
import { checkRecordingPath } from './sessions/session-writer.js';
import { exportHarFile, importHarToFolder } from './sessions/session-store.js';
import { exportLoadTest } from './load/load-export.js';

export function localHandlers(engine: Engine): { [K in LocalCommandName]: Handler<K> } {
  return {
    ...engine.flows.localHandlers,
    'file.record': ({ logId, path, redact }) => engine.sessions.recordToFile(logId, path, redact),

    'file.recordCheck': async ({ path }) => {
      await checkRecordingPath(path);
      return { path: resolve(path) };
    },

    'file.serve': async ({ file, conversation, ...options }) => {
      // A bad recording is reported before anything listens; only the served conversation is kept.
      const session = await openSessionSource(file);
      const script = await planServerReplay(session.entries(), session.header.role);
      const server = await engine.startServer(options);
      serveRecording(server, script, { conversation: conversation ?? false });
      return { server: server.info(), warnings: session.warnings };
    },

    'file.replay': async ({ file, environment, vars, url, ...options }) => {
      const resolvedUrl = await engine.variables.resolveUrl(url, { environment, vars });
      // The file streams through the replay; what it tolerated is known at the end.
      const session = await openSessionSource(file);
      const report = await replaySession(session, {
        ...options,
        ...(resolvedUrl !== undefined ? { url: resolvedUrl } : {}),
        connect: (connectOptions) => engine.openConnection(connectOptions),
      });
      return { report, warnings: session.warnings };
    },

    'file.import': async ({ file, outDir }) => {
      const dir = resolve(outDir);
      const { sessions, skippedMessages } = await importHarToFolder({ path: file }, dir).catch(
        writeFailed(dir),
      );
      if (sessions.length === 0) throw noWebSocketEntries(file);
      return {
        sessions: sessions.map((s) => ({
          path: resolve(dir, s.name),
          url: s.header.url,
          messages: s.entries,
        })),
        skippedMessages,
      };
    },

    'file.serveMock': async ({ file, port, host, environment, vars }) => {
      const server = await engine.mocks.start(file, {
        variables: { environment, vars },
        ...(port !== undefined ? { port } : {}),
        ...(host !== undefined ? { host } : {}),
      });
      return { server: server.info() };
    },

    'file.importMockoon': ({ file, outDir }) => engine.mocks.importMockoonFile(file, outDir),

    'file.export': async ({ file, out, redact }) => {
      const path = resolve(out);
      const warnings = await exportHarFile(file, path, redact).catch(writeFailed(path));
      return { path, warnings };
    },

    'file.exportLoad': (input) =>
      exportLoadTest({ ...input, defaultWorkspace: () => engine.workspace().dir }),
  };
}

/** A write that failed (no such folder, no permission) is a file error naming the path. */
function writeFailed(path: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof DuplexError) throw err;
    throw new DuplexError(ErrorCodes.FILE, `Cannot write ${path}: ${(err as Error).message}.`);
  };
}
