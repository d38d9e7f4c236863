/**
 * Secrets outside the desktop app (the CLI, browser mode): a DUPLEX_SECRET_<NAME>
 * environment variable (CI), else `secrets.local.json` in the workspace:
 *
 *   { "version": 1, "environments": { "dev": { "token": "…" } } }
 *
 * That file must be readable by its owner only (chmod 600): one readable by
 * group or others is refused, not read. Duplex writes it with 0600 and adds it
 * to the workspace's .gitignore, so it is not committed with the environments.
 */
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DuplexError, ErrorCodes } from '../errors.js';
import { syncFolder } from '../workspace/json-file.js';
import { secretEnvName } from './environment-format.js';
import type { SecretSource } from './variable-set.js';

export const SECRETS_FILE = 'secrets.local.json';

const secretsFileSchema = z.object({
  version: z.literal(1),
  environments: z.record(z.string(), z.record(z.string(), z.string())),
});
type SecretsDoc = z.infer<typeof secretsFileSchema>;

/** DUPLEX_SECRET_<NAME> (the name in capitals, or as written): the same value for every environment. */
export class EnvSecretSource implements SecretSource {
  readonly #env: NodeJS.ProcessEnv;
  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.#env = env;
  }
  get(_environment: string, name: string): Promise<string | undefined> {
    return Promise.resolve(this.#env[secretEnvName(name)] ?? this.#env[`DUPLEX_SECRET_${name}`]);
  }
  async has(environment: string, name: string): Promise<boolean> {
    return (await this.get(environment, name)) !== undefined;
  }
  set(): Promise<void> {
    return Promise.reject(
      new DuplexError(
        ErrorCodes.INVALID_INPUT,
        'Environment variables cannot be set from Duplex; export them in your shell.',
      ),
    );
  }
  clear(): Promise<void> {
    return this.set();
  }
}

/** `secrets.local.json` in the workspace, 0600 and git-ignored. */
export class FileSecretSource implements SecretSource {
  readonly path: string;
  readonly #dir: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(workspaceRoot: string) {
    this.#dir = workspaceRoot;
    this.path = join(workspaceRoot, SECRETS_FILE);
  }

  async get(environment: string, name: string): Promise<string | undefined> {
    const doc = await this.#read();
    return doc.environments[environment]?.[name];
  }

  async has(environment: string, name: string): Promise<boolean> {
    return (await this.get(environment, name)) !== undefined;
  }

  set(environment: string, name: string, value: string): Promise<void> {
    return this.#update((doc) => {
      doc.environments[environment] = { ...doc.environments[environment], [name]: value };
    });
  }

  clear(environment: string, name: string): Promise<void> {
    return this.#update((doc) => {
      const own = { ...doc.environments[environment] };
      delete own[name];
      if (Object.keys(own).length === 0) delete doc.environments[environment];
      else doc.environments[environment] = own;
    });
  }

  async #read(): Promise<SecretsDoc> {
    let mode: number;
    try {
      mode = (await stat(this.path)).mode;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, environments: {} };
      throw this.#error(`cannot read it: ${(err as Error).message}`);
    }
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw this.#error(
        `it is readable by others (mode ${(mode & 0o777).toString(8)}), so it was not read; ` +
          `make it private with: chmod 600 ${this.path}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (err) {
      throw this.#error(`not valid JSON (${(err as Error).message})`);
    }
    const parsed = secretsFileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw this.#error(`${issue.path.join('.') || 'file'}: ${issue.message}`);
    }
    return parsed.data;
  }

  #update(change: (doc: SecretsDoc) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const doc = await this.#read();
      change(doc);
      await this.#write(doc);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #write(doc: SecretsDoc): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await ensureGitIgnored(this.#dir, SECRETS_FILE);
    // Written in place with 0600 from the first byte: a temp file + rename would need the same care twice.
    const file = await open(this.path, 'w', 0o600);
    try {
      await file.chmod(0o600);
      await file.writeFile(JSON.stringify(doc, null, 2) + '\n');
      await file.sync();
    } finally {
      await file.close();
    }
    await chmod(this.path, 0o600);
    await syncFolder(this.#dir);
  }

  #error(problem: string): DuplexError {
    return new DuplexError(ErrorCodes.FILE, `Secrets file ${this.path}: ${problem}.`, { file: this.path });
  }
}

/** Environment variables first (CI sets them), then the local file. */
export class LocalSecretSource implements SecretSource {
  readonly env: EnvSecretSource;
  readonly file: FileSecretSource;
  constructor(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env) {
    this.env = new EnvSecretSource(env);
    this.file = new FileSecretSource(workspaceRoot);
  }
  async get(environment: string, name: string): Promise<string | undefined> {
    return (await this.env.get(environment, name)) ?? (await this.file.get(environment, name));
  }
  async has(environment: string, name: string): Promise<boolean> {
    return (await this.get(environment, name)) !== undefined;
  }
  set(environment: string, name: string, value: string): Promise<void> {
    return this.file.set(environment, name, value);
  }
  clear(environment: string, name: string): Promise<void> {
    return this.file.clear(environment, name);
  }
}

/** Adds `entry` to the folder's .gitignore unless a line already names it. */
export async function ensureGitIgnored(dir: string, entry: string): Promise<void> {
  const path = join(dir, '.gitignore');
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  if (lines.includes(entry) || lines.includes(`/${entry}`)) return;
  const file = await open(path, 'a', 0o644);
  try {
    await file.appendFile(`${text === '' || text.endsWith('\n') ? '' : '\n'}${entry}\n`);
  } finally {
    await file.close();
  }
}
