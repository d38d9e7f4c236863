/**
 * The engine's mock commands: mock files in the workspace's mocks/ folder
 * (list, read, save, delete, start by name, try a message), mocks started from
 * any file (the CLI), the recording behaviour started from a session, and the
 * running mocks' hit counts and certificates. A running mock watches its file
 * and reloads on change; a bad edit keeps the old rules and says why.
 */
import { existingNamedFile, namedFileSummary, workspaceRelativePath } from '../workspace/named-files.js';
import type { VariableChoiceInput } from '../variables/engine-variables.js';
import { EMPTY_VARIABLES } from '../variables/variable-set.js';
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CommandInput, MockSummary, MockTryResult, RuleHits, ServerInfo } from '../contract.js';
import type { Engine } from '../engine.js';
import { DuplexError, ErrorCodes, toErrorInfo } from '../errors.js';
import { messageView } from '../payload/message-view.js';
import { bytesToHex } from '../payload/codecs.js';
import { openSessionSource } from '../sessions/session-reader.js';
import { planServerReplay } from '../sessions/session-script.js';
import { recordingBehaviour } from '../sessions/mock-replay.js';
import { MOCKS_DIR, mockNameOf, mockPathOf } from '../vocabulary.js';
import { writeFileAtomic } from '../workspace/json-file.js';
import {
  findRoute,
  findRule,
  loadMockFile,
  loadMockText,
  pickResponse,
  type CompiledAction,
  type CompiledMock,
} from './mock-file.js';
import { RulesBehaviour, OTHERWISE, withVars } from './mock-rules.js';
import type { MockServer } from './mock-server.js';
import { importMockoon, MockoonImportError } from './mockoon-import.js';
import { recordingToMock } from './recording-to-mock.js';
import type { TemplateContext } from '../templates/template-engine.js';

/** How long a file must be quiet before a reload: editors write in several steps. */
export const RELOAD_DEBOUNCE_MS = 100;

export class EngineMocks {
  readonly #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Starts a mock file; it reloads when the file changes until the server stops. */
  async start(
    file: string,
    overrides: { port?: number; host?: string; name?: string; variables?: VariableChoiceInput } = {},
  ): Promise<MockServer> {
    const path = resolve(file);
    // An environment's values are laid over the file's own vars, at start and at each reload.
    const set = await this.#engine.variables.variableSet(overrides.variables);
    const withVars = (m: CompiledMock): CompiledMock =>
      set.values === EMPTY_VARIABLES.values ? m : { ...m, vars: { ...m.vars, ...set.values } };
    const mock = withVars(await loadMockFile(path));
    const rules = new RulesBehaviour(mock, { onHit: () => this.#engine.publishHits(server) });
    const server: MockServer = await this.#engine.startServer(
      {
        host: overrides.host ?? mock.host,
        port: overrides.port ?? mock.port,
        ...(mock.tls ? { tls: mock.tls } : {}),
      },
      { behaviours: [rules], mock: { file: path, ...(overrides.name ? { name: overrides.name } : {}) } },
    );
    this.#engine.variables.track(server.id, overrides.variables ?? {}, set);
    const watcher = this.#watch(server, rules, path, withVars);
    server.once('stopped', () => watcher?.close());
    return server;
  }

  /** The file of a workspace mock, by name; NOT_FOUND when there is none. */
  existing(name: string): Promise<string> {
    return this.#existing(name);
  }

  hits(serverId: string): RuleHits {
    const server = this.#engine.server(serverId);
    const rules = server.behaviours.find((b): b is RulesBehaviour => b instanceof RulesBehaviour);
    return rules ? rules.hits(serverId) : { serverId, routes: [] };
  }

  readonly handlers = {
    'server.hits': ({ serverId }: { serverId: string }): RuleHits => this.hits(serverId),
    'server.certificate': ({ serverId }: { serverId: string }) => {
      const server = this.#engine.server(serverId);
      const cert = server.certificate;
      if (!cert) {
        throw new DuplexError(
          ErrorCodes.INVALID_STATE,
          `Server ${serverId} serves ws://, not wss://, so it has no certificate; start it with TLS to get one.`,
        );
      }
      return { pem: cert.cert, fingerprint: cert.fingerprint, fileName: `duplex-${serverId}.crt` };
    },
    'mock.list': async (): Promise<MockSummary[]> => {
      const dir = this.#dir();
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw new DuplexError(ErrorCodes.FILE, `Cannot list ${dir}: ${(err as Error).message}.`);
      }
      const out: MockSummary[] = [];
      for (const fileName of names.sort()) {
        const name = mockNameOf(`${MOCKS_DIR}/${fileName}`);
        if (name === undefined) continue;
        out.push(await this.#summary(name, join(dir, fileName), true));
      }
      return out;
    },
    'mock.read': async ({ name }: { name: string }) => {
      const path = await this.#existing(name);
      return { name, path: relativeMockPath(path), text: await readFile(path, 'utf8') };
    },
    'mock.save': async ({
      name,
      text,
      format,
    }: {
      name: string;
      text: string;
      format?: 'yaml' | 'json' | undefined;
    }) => {
      const existing = await this.#existing(name).catch(() => undefined);
      const path =
        existing ??
        join(this.#engine.workspace().dir, mockPathOf(name, format === 'json' ? '.json' : '.yaml'));
      loadMockText(text, relativeMockPath(path), { baseDir: dirname(path) }); // refuses an invalid mock, nothing written
      await writeFileAtomic(path, text);
      return this.#summary(name, path, false);
    },
    'mock.delete': async ({ name }: { name: string }) => {
      const path = await this.#existing(name);
      await unlink(path);
      return { deleted: true };
    },
    'mock.start': async ({
      name,
      port,
      host,
      environment,
      vars,
    }: {
      name: string;
      port?: number | undefined;
      host?: string | undefined;
    } & VariableChoiceInput) => {
      const path = await this.#existing(name);
      const server = await this.start(path, {
        name,
        variables: { environment, vars },
        ...(port !== undefined ? { port } : {}),
        ...(host !== undefined ? { host } : {}),
      });
      return server.info();
    },
    'mock.try': async (input: CommandInput<'mock.try'>): Promise<MockTryResult> => {
      let mock: CompiledMock;
      if (input.text !== undefined) {
        // Unsaved text is named like the file it would be saved to, so its errors read as mock.save's.
        const { name } = input;
        const file =
          name === undefined
            ? 'mock'
            : relativeMockPath(
                (await this.#existing(name).catch(() => undefined)) ?? join(this.#dir(), mockPathOf(name)),
              );
        mock = loadMockText(input.text, file, { baseDir: this.#dir() });
      } else if (input.name !== undefined) mock = await loadMockFile(await this.#existing(input.name));
      else throw new DuplexError(ErrorCodes.INVALID_INPUT, 'mock.try needs the name of a mock or its text.');
      return tryMessage(mock, input);
    },
    'mock.serveSession': async (input: CommandInput<'mock.serveSession'>): Promise<ServerInfo> => {
      const { name, conversation, speed, ...options } = input;
      const session = await openSessionSource(this.#engine.sessions.store().pathOf(name));
      const script = await planServerReplay(session.entries(), session.header.role);
      const server = await this.#engine.startServer(options, {
        behaviours: [
          recordingBehaviour(script, {
            conversation: conversation ?? false,
            ...(speed === undefined ? {} : { speed }),
          }),
        ],
      });
      return server.info();
    },
    'mock.fromSession': async ({
      name,
      mockName,
      clientId,
    }: {
      name: string;
      mockName: string;
      clientId?: string | undefined;
    }) => {
      const session = await openSessionSource(this.#engine.sessions.store().pathOf(name));
      const made = await recordingToMock(session, { name: mockName, ...(clientId ? { clientId } : {}) });
      const path = join(this.#engine.workspace().dir, mockPathOf(mockName));
      loadMockText(made.yaml, relativeMockPath(path)); // what we write must load
      await writeFileAtomic(path, made.yaml);
      return { ...(await this.#summary(mockName, path, false)), rules: made.rules };
    },
  };

  /** file.importMockoon: one mock file per environment, written into outDir. */
  async importMockoonFile(
    file: string,
    outDir: string,
  ): Promise<{ path: string; name: string; notes: { where: string; what: string }[] }> {
    let env: unknown;
    try {
      env = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `Cannot read ${file} as a Mockoon environment (JSON): ${(err as Error).message}.`,
      );
    }
    let imported;
    try {
      // Mockoon reads a response file relative to the environment file; the mock, relative to itself.
      const filePath = (p: string): string =>
        isAbsolute(p) ? p : relative(resolve(outDir), resolve(dirname(file), p));
      imported = importMockoon(env, { filePath });
    } catch (err) {
      if (err instanceof MockoonImportError)
        throw new DuplexError(ErrorCodes.FILE, `${file}: ${err.message}`);
      throw err;
    }
    const name = safeName(imported.name || basename(file).replace(/\.json$/i, ''));
    const path = resolve(outDir, `${name}.yaml`);
    loadMockText(imported.yaml, path);
    await writeFileAtomic(path, imported.yaml);
    return { path, name, notes: imported.notes };
  }

  #watch(
    server: MockServer,
    rules: RulesBehaviour,
    path: string,
    withVars: (m: CompiledMock) => CompiledMock,
  ): FSWatcher | undefined {
    let timer: NodeJS.Timeout | undefined;
    let lastText: string | undefined;
    const reload = async (): Promise<void> => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return; // removed or being replaced: the next event reloads
      }
      if (text === lastText || !server.running) return;
      lastText = text;
      try {
        const mock = withVars(loadMockText(text, path));
        rules.replace(mock);
        server.note(`reloaded ${basename(path)}`);
        this.#engine.publish('server.mockReload', server.id, { serverId: server.id, file: path, ok: true });
        this.#engine.publishHits(server);
      } catch (err) {
        const error = toErrorInfo(err);
        server.note(`kept the previous rules: ${error.message}`, undefined, 'error');
        this.#engine.publish('server.mockReload', server.id, {
          serverId: server.id,
          file: path,
          ok: false,
          error,
        });
      }
    };
    void readFile(path, 'utf8').then(
      (t) => (lastText = t),
      () => undefined,
    );
    try {
      // The folder, not the file: editors save by writing a new file and renaming it over the old.
      const watcher = watch(dirname(path), (_event, changed) => {
        if (changed !== null && changed !== basename(path)) return;
        clearTimeout(timer);
        timer = setTimeout(() => void reload(), RELOAD_DEBOUNCE_MS);
      });
      watcher.on('error', () => watcher.close());
      watcher.on('close', () => clearTimeout(timer));
      return watcher;
    } catch {
      return undefined;
    }
  }

  #dir(): string {
    return join(this.#engine.workspace().dir, MOCKS_DIR);
  }

  #existing(name: string): Promise<string> {
    return existingNamedFile(this.#engine.workspace().dir, 'mock', name, mockPathOf, this.#dir());
  }

  #summary(name: string, path: string, check: boolean): Promise<MockSummary> {
    const relative = relativeMockPath(path);
    return namedFileSummary(
      name,
      path,
      relative,
      check
        ? (text: string) => {
            loadMockText(text, relative, { baseDir: dirname(path) });
            return {};
          }
        : undefined,
    );
  }
}

/** Which rule a message hits and what it would send, without a socket. */
export function tryMessage(mock: CompiledMock, input: CommandInput<'mock.try'>): MockTryResult {
  const path = input.path ?? mock.routes[0]!.path;
  const found = findRoute(mock, new URL(path, 'http://localhost').pathname);
  const route = found?.route ?? (input.path === undefined ? mock.routes[0] : undefined);
  if (!route) return { steps: [] };
  const payload = input.message;
  const msg =
    payload.type === 'text' ? messageView(payload.text, 'text') : messageView(payload.data, 'binary');
  const rule = findRule(route, msg);
  const ctx: TemplateContext = withVars(mock.vars, {
    msg,
    client: { id: 'try', remoteAddress: '127.0.0.1', headers: {}, query: {} },
    params: found?.params ?? {},
    seq: 1,
    counters: { client: 1, rule: 1 },
  });
  const steps: MockTryResult['steps'] = [];
  const result: MockTryResult = { rule: rule?.name ?? OTHERWISE, route: route.path, steps };
  const actions: CompiledAction[] | 'echo' | 'none' = rule ? rule.then : route.otherwise;
  if (actions === 'echo') {
    steps.push(
      payload.type === 'text'
        ? { action: 'send', kind: 'text', text: payload.text }
        : { action: 'send', kind: 'binary', hex: bytesToHex(payload.data) },
    );
    return result;
  }
  if (actions === 'none') return result;
  try {
    describe(actions, ctx, steps);
  } catch (err) {
    result.error = toErrorInfo(err);
  }
  return result;
}

function describe(actions: CompiledAction[], ctx: TemplateContext, steps: MockTryResult['steps']): void {
  for (const a of actions) {
    switch (a.type) {
      case 'send':
      case 'broadcast': {
        const p = a.render(ctx);
        steps.push(
          p.kind === 'text'
            ? { action: a.type, kind: 'text', text: p.text }
            : { action: a.type, kind: 'binary', hex: bytesToHex(p.bytes) },
        );
        break;
      }
      case 'sendFile':
        steps.push({ action: 'sendFile', text: a.file });
        break;
      case 'echo': {
        const msg = ctx.msg!;
        steps.push(
          msg.kind === 'text'
            ? { action: 'echo', kind: 'text', text: msg.text }
            : { action: 'echo', kind: 'binary', hex: msg.hex },
        );
        break;
      }
      case 'delay':
        steps.push({ action: 'delay', ms: a.ms });
        break;
      case 'close':
        steps.push({ action: 'close', code: a.code, text: a.reason });
        break;
      case 'responses':
        describe(pickResponse(a, 0), ctx, steps);
        break;
      default:
        steps.push({ action: a.type });
        if (a.type === 'terminate' || a.type === 'drop') return;
    }
  }
}

function relativeMockPath(path: string): string {
  return workspaceRelativePath(path, MOCKS_DIR);
}

function safeName(name: string): string {
  const cleaned = name
    .replace(/[/\\\0]/g, '-')
    .replace(/^\.+/, '')
    .trim();
  return cleaned || 'mockoon';
}
