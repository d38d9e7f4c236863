/**
 * The desktop app's secret store (main/safe-storage-secrets.ts) with a fake
 * `electron` whose safeStorage encrypts reversibly (the binary cannot run here),
 * behind a real Engine: a secret set from the UI's env.save lands encrypted in
 * <userData>/secrets.json (0600), never in the workspace, and resolves again.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => {
  let available = true;
  const seal = (text: string): Buffer =>
    Buffer.from(`sealed:${Buffer.from(text).toString('hex').split('').reverse().join('')}`);
  return {
    setAvailable: (v: boolean) => (available = v),
    electron: {
      safeStorage: {
        isEncryptionAvailable: () => available,
        encryptString: (text: string) => seal(text),
        decryptString: (buf: Buffer) => {
          const s = buf.toString();
          if (!s.startsWith('sealed:')) throw new Error('Error while decrypting the ciphertext');
          return Buffer.from(s.slice('sealed:'.length).split('').reverse().join(''), 'hex').toString();
        },
      },
    },
  };
});
vi.mock('electron', () => fake.electron);

import { safeStorage } from 'electron';
import { Engine } from '../../app/engine.js';
import { SafeStorageSecretSource } from '../../main/safe-storage-secrets.js';

const dirs: string[] = [];
afterEach(() => {
  fake.setAvailable(true);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'duplex-safe-'));
  dirs.push(d);
  return d;
}
function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const SECRET = 'pa55-w0rd-for-the-app';

describe('SafeStorageSecretSource', () => {
  it('stores each value encrypted in a 0600 file outside the workspace; the engine resolves it', async () => {
    const userData = dir();
    const workspaceDir = join(userData, 'workspace');
    const secrets = new SafeStorageSecretSource(join(userData, 'secrets.json'), safeStorage, {});
    const engine = new Engine({ workspaceDir, secrets });
    try {
      await engine.call('env.save', {
        name: 'dev',
        variables: [
          { name: 'host', value: 'example.test' },
          { name: 'token', secret: true, value: SECRET },
        ],
      });
      const stored = readFileSync(join(userData, 'secrets.json'), 'utf8');
      expect(stored).not.toContain(SECRET);
      expect(JSON.parse(stored)).toMatchObject({
        version: 1,
        secrets: { 'dev/token': expect.any(String) as string },
      });
      expect(statSync(join(userData, 'secrets.json')).mode & 0o777).toBe(0o600);
      for (const f of filesUnder(workspaceDir)) expect(readFileSync(f, 'utf8')).not.toContain(SECRET);
      expect(await secrets.get('dev', 'token')).toBe(SECRET);
      expect((await engine.call('env.read', { name: 'dev' })).variables[1]).toEqual({
        name: 'token',
        secret: true,
        hasValue: true,
      });
      const set = await engine.variables.variableSet({ environment: 'dev' });
      expect(set.values['token']).toBe(SECRET);
      expect([...set.secretNames]).toEqual(['token']);
      await engine.call('secret.clear', { environment: 'dev', name: 'token' });
      expect(await secrets.has('dev', 'token')).toBe(false);
    } finally {
      await engine.dispose();
    }
  });

  it('refuses to store when the system offers no encryption, saying what to do instead', async () => {
    fake.setAvailable(false);
    const secrets = new SafeStorageSecretSource(join(dir(), 'secrets.json'), safeStorage, {});
    await expect(secrets.set('dev', 'token', SECRET)).rejects.toThrow(/no encryption .* DUPLEX_SECRET_TOKEN/);
  });

  it('DUPLEX_SECRET_<NAME> wins, as in the CLI', async () => {
    const secrets = new SafeStorageSecretSource(join(dir(), 'secrets.json'), safeStorage, {
      DUPLEX_SECRET_TOKEN: 'from-env',
    });
    await secrets.set('dev', 'token', SECRET);
    expect(await secrets.get('dev', 'token')).toBe('from-env');
  });
});
