/**
 * Secrets in the desktop app: each value encrypted with Electron's safeStorage
 * (the OS keychain / DPAPI / libsecret) and kept in `<userData>/secrets.json`,
 * outside the workspace, so no workspace file ever holds one. A
 * DUPLEX_SECRET_<NAME> environment variable still wins, as in the CLI.
 */
import { readFile } from 'node:fs/promises';
import type { SafeStorage } from 'electron';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { EnvSecretSource } from '../app/variables/local-secrets.js';
import type { SecretSource } from '../app/variables/variable-set.js';
import { writeFileAtomic } from '../app/workspace/json-file.js';

type Storage = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;
interface SecretsDoc {
  version: 1;
  /** `environment/name` → base64 of safeStorage's ciphertext. */
  secrets: Record<string, string>;
}

export class SafeStorageSecretSource implements SecretSource {
  readonly path: string;
  readonly #storage: Storage;
  readonly #env: EnvSecretSource;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string, storage: Storage, env: NodeJS.ProcessEnv = process.env) {
    this.path = path;
    this.#storage = storage;
    this.#env = new EnvSecretSource(env);
  }

  async get(environment: string, name: string): Promise<string | undefined> {
    const fromEnv = await this.#env.get(environment, name);
    if (fromEnv !== undefined) return fromEnv;
    const sealed = (await this.#read()).secrets[key(environment, name)];
    if (sealed === undefined || !this.#storage.isEncryptionAvailable()) return undefined;
    try {
      return this.#storage.decryptString(Buffer.from(sealed, 'base64'));
    } catch (err) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `The stored secret "${name}" of environment "${environment}" cannot be decrypted (${(err as Error).message}); set it again.`,
      );
    }
  }

  async has(environment: string, name: string): Promise<boolean> {
    if ((await this.#env.get(environment, name)) !== undefined) return true;
    return (await this.#read()).secrets[key(environment, name)] !== undefined;
  }

  set(environment: string, name: string, value: string): Promise<void> {
    if (!this.#storage.isEncryptionAvailable()) {
      return Promise.reject(
        new DuplexError(
          ErrorCodes.INVALID_STATE,
          'This system offers no encryption for stored secrets (no keychain or secret service), so the secret was not stored. ' +
            `Set ${'DUPLEX_SECRET_' + name.toUpperCase()} in the environment Duplex starts in instead.`,
        ),
      );
    }
    const sealed = this.#storage.encryptString(value).toString('base64');
    return this.#update((doc) => (doc.secrets[key(environment, name)] = sealed));
  }

  clear(environment: string, name: string): Promise<void> {
    return this.#update((doc) => delete doc.secrets[key(environment, name)]);
  }

  async #read(): Promise<SecretsDoc> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw new DuplexError(ErrorCodes.FILE, `Cannot read ${this.path}: ${(err as Error).message}.`);
    }
    try {
      const doc = JSON.parse(text) as Partial<SecretsDoc>;
      if (doc.version !== 1 || typeof doc.secrets !== 'object' || doc.secrets === null)
        throw new Error('not version 1');
      return { version: 1, secrets: { ...doc.secrets } };
    } catch (err) {
      throw new DuplexError(
        ErrorCodes.FILE,
        `${this.path} is not a Duplex secrets file (${(err as Error).message}); delete it and set the secrets again.`,
      );
    }
  }

  #update(change: (doc: SecretsDoc) => unknown): Promise<void> {
    const run = this.#queue.then(async () => {
      const doc = await this.#read();
      change(doc);
      await writeFileAtomic(this.path, JSON.stringify(doc, null, 2) + '\n', 0o600);
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function key(environment: string, name: string): string {
  return `${environment}/${name}`;
}
