import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplexError } from '../../app/errors.js';
import {
  buildVariableSet,
  deleteEnvironment,
  EnvSecretSource,
  FileSecretSource,
  listEnvironments,
  loadEnvironment,
  loadVariableSet,
  parseVarAssignment,
  renderVariables,
  saveEnvironment,
  secretValues,
  variablesIn,
  type SecretSource,
} from '../../app/variables/index.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'duplex-vars-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeEnv(name: string, body: unknown): Promise<void> {
  await mkdir(join(root, 'environments'), { recursive: true });
  await writeFile(
    join(root, 'environments', `${name}.json`),
    typeof body === 'string' ? body : JSON.stringify(body),
  );
}

function caught(fn: () => unknown): DuplexError {
  try {
    fn();
  } catch (err) {
    return err as DuplexError;
  }
  throw new Error('expected a throw');
}
async function rejected(p: Promise<unknown>): Promise<DuplexError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err as DuplexError,
  );
}

describe('environment files', () => {
  it('saves, lists, loads and deletes; a secret keeps no value in the file', async () => {
    await saveEnvironment(root, {
      name: 'dev',
      variables: [
        { name: 'host', value: '127.0.0.1:9000' },
        { name: 'token', secret: true },
      ],
    });
    const text = await readFile(join(root, 'environments', 'dev.json'), 'utf8');
    expect(JSON.parse(text)).toEqual({
      version: 1,
      variables: [
        { name: 'host', value: '127.0.0.1:9000' },
        { name: 'token', secret: true },
      ],
    });
    expect(await listEnvironments(root)).toEqual([{ name: 'dev', variableCount: 2, secretNames: ['token'] }]);
    expect((await loadEnvironment(root, 'dev')).variables[0]).toEqual({
      name: 'host',
      value: '127.0.0.1:9000',
    });
    expect(await deleteEnvironment(root, 'dev')).toBe(true);
    expect(await deleteEnvironment(root, 'dev')).toBe(false);
    expect(await listEnvironments(root)).toEqual([]);
  });

  it('refuses to save a secret with a value', async () => {
    const err = await rejected(
      saveEnvironment(root, { name: 'dev', variables: [{ name: 'token', value: 'x', secret: true }] }),
    );
    expect(err.code).toBe('DUPLEX_ERR_INVALID_INPUT');
    expect(err.message).toMatch(/secret variable keeps no value/);
  });

  it('errors name the file and the field', async () => {
    await writeEnv('a', {
      version: 1,
      variables: [
        { name: 'ok', value: '1' },
        { name: 'bad name', value: '2' },
      ],
    });
    const a = await rejected(loadEnvironment(root, 'a'));
    expect(a.code).toBe('DUPLEX_ERR_FILE');
    expect(a.message).toContain(join(root, 'environments', 'a.json'));
    expect(a.message).toContain('variables.1.name');
    expect(a.details).toMatchObject({ field: expect.stringContaining('variables.1.name') as string });

    await writeEnv('b', { version: 1, variables: [{ name: 'token', secret: true, value: 'leak' }] });
    expect((await rejected(loadEnvironment(root, 'b'))).message).toMatch(
      /b\.json: variables\.0\.value \(variable "token"\): a secret variable keeps no value/,
    );
    await writeEnv('c', '{"version":1,');
    expect((await rejected(loadEnvironment(root, 'c'))).message).toMatch(/c\.json: file: not valid JSON/);
    await writeEnv('d', { version: 2, variables: [] });
    expect((await rejected(loadEnvironment(root, 'd'))).message).toMatch(/d\.json: version: is 2/);
    await writeEnv('e', { version: 1, variables: [{ name: 'msg', value: 'x' }] });
    expect((await rejected(loadEnvironment(root, 'e'))).message).toMatch(/reserved/);
    await writeEnv('f', {
      version: 1,
      variables: [
        { name: 'x', value: '1' },
        { name: 'x', value: '2' },
      ],
    });
    expect((await rejected(loadEnvironment(root, 'f'))).message).toMatch(/defined twice/);
    // The bad file is reported in the list, not hidden, and left as it was.
    const listed = await listEnvironments(root);
    expect(listed.find((e) => e.name === 'c')?.error).toMatch(/not valid JSON/);
    expect(await readFile(join(root, 'environments', 'c.json'), 'utf8')).toBe('{"version":1,');
  });

  it('a missing environment is NOT_FOUND naming the ones that exist', async () => {
    await writeEnv('prod', { version: 1, variables: [] });
    const err = await rejected(loadEnvironment(root, 'dev'));
    expect(err.code).toBe('DUPLEX_ERR_NOT_FOUND');
    expect(err.message).toMatch(/No environment "dev".*Environments here: prod/);
    expect((await rejected(loadEnvironment(root, '../x'))).code).toBe('DUPLEX_ERR_INVALID_INPUT');
  });
});

describe('variable sets', () => {
  const secrets = (values: Record<string, string>): SecretSource => ({
    get: (_env, name) => Promise.resolve(values[name]),
    has: (_env, name) => Promise.resolve(name in values),
    set: () => Promise.resolve(),
    clear: () => Promise.resolve(),
  });

  it('environment, then secrets, then overrides; secret names are kept', async () => {
    const set = await buildVariableSet({
      environment: {
        name: 'dev',
        variables: [
          { name: 'host', value: 'a' },
          { name: 'token', secret: true },
          { name: 'other', secret: true },
        ],
      },
      secrets: secrets({ token: 's3cret' }),
      overrides: { host: 'b', extra: 'c' },
    });
    expect(set.values).toEqual({ host: 'b', token: 's3cret', extra: 'c' });
    expect([...set.secretNames]).toEqual(['token']);
    expect([...set.missingSecrets]).toEqual(['other']);
    expect(secretValues(set)).toEqual(['s3cret']);
  });

  it('parses --var key=value, keeping later "=" in the value', () => {
    expect(parseVarAssignment('q=a=b')).toEqual(['q', 'a=b']);
    expect(parseVarAssignment('empty=')).toEqual(['empty', '']);
    expect(caught(() => parseVarAssignment('novalue')).message).toMatch(/not key=value/);
    expect(caught(() => parseVarAssignment('1x=2')).message).toMatch(/variable name/);
  });

  it('loadVariableSet reads DUPLEX_SECRET_<NAME> before the local file', async () => {
    await writeEnv('dev', { version: 1, variables: [{ name: 'token', secret: true }] });
    const file = new FileSecretSource(root);
    await file.set('dev', 'token', 'from-file');
    expect((await loadVariableSet(root, { env: 'dev' })).values['token']).toBe('from-file');
    const env = new EnvSecretSource({ DUPLEX_SECRET_TOKEN: 'from-env' });
    expect(await env.get('dev', 'token')).toBe('from-env');
  });
});

describe('the local secrets file', () => {
  it('is written 0600 and git-ignored', async () => {
    const file = new FileSecretSource(root);
    await file.set('dev', 'token', 'abc');
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe('secrets.local.json\n');
    await file.set('dev', 'other', 'x');
    expect(await readFile(join(root, '.gitignore'), 'utf8')).toBe('secrets.local.json\n');
    expect(await file.get('dev', 'token')).toBe('abc');
    await file.clear('dev', 'token');
    expect(await file.has('dev', 'token')).toBe(false);
    expect(await file.get('dev', 'other')).toBe('x');
  });

  it.skipIf(process.platform === 'win32')('refuses a file readable by group or others', async () => {
    const file = new FileSecretSource(root);
    await file.set('dev', 'token', 'abc');
    await chmod(file.path, 0o644);
    const err = await rejected(file.get('dev', 'token'));
    expect(err.code).toBe('DUPLEX_ERR_FILE');
    expect(err.message).toContain(`chmod 600 ${file.path}`);
    await chmod(file.path, 0o640);
    expect((await rejected(file.get('dev', 'token'))).message).toMatch(/mode 640/);
  });
});

describe('rendering', () => {
  const set = {
    environment: 'dev',
    values: { host: '127.0.0.1:9000', token: 't' },
    secretNames: new Set(['token']),
    missingSecrets: new Set(['apiKey']),
  };

  it('{{name}} and {{vars.name}} with the template helpers, evaluated at each call', () => {
    expect(renderVariables('ws://{{host}}/a?t={{vars.token}}', set)).toBe('ws://127.0.0.1:9000/a?t=t');
    const a = renderVariables('{{uuid}}', set);
    const b = renderVariables('{{uuid}}', set);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).not.toBe(b);
    expect(renderVariables('{"n":{{randomInt 1 1}}}', set)).toBe('{"n":1}');
    expect(renderVariables('plain {text', set)).toBe('plain {text');
    // A changed set applies to the next render: nothing is frozen.
    expect(renderVariables('{{host}}', { ...set, values: { host: 'other' } })).toBe('other');
  });

  it('an unknown variable names itself, where it was used and the fix', () => {
    const err = caught(() => renderVariables('ws://{{nope}}/', set, { where: 'the URL' }));
    expect(err).toBeInstanceOf(DuplexError);
    expect(err.code).toBe('DUPLEX_ERR_TEMPLATE');
    expect(err.message).toMatch(/^Unknown variable nope in the URL; environment "dev" does not define it/);
    expect(err.details).toMatchObject({ variable: 'nope', where: 'the URL' });
    expect(caught(() => renderVariables('{{vars.apiKey}}', set)).message).toMatch(
      /"apiKey" is a secret .* set DUPLEX_SECRET_APIKEY/,
    );
    const none = { ...set, environment: undefined, missingSecrets: new Set<string>() };
    expect(caught(() => renderVariables('{{x}}', none)).message).toMatch(
      /no environment is active.*--var x=VALUE/,
    );
  });

  it('lists the variables a text reads', () => {
    expect(variablesIn('{{host}}/{{vars.token}}/{{uuid}}')).toEqual(['host', 'token']);
    expect(variablesIn('plain')).toEqual([]);
  });
});

describe('redaction', () => {
  it('hides secrets in text, credential headers by default, and keeps binary lengths', async () => {
    const { createRedactor, NO_REDACTION } = await import('../../app/variables/redact.js');
    const r = createRedactor({ secrets: ['abc', 'abcdef'] });
    expect(r.text('x abcdef y abc')).toBe('x [redacted] y [redacted]');
    expect(r.headers({ Authorization: 'Basic zz', 'set-cookie': ['a=1', 'b=2'], 'X-K': 'k=abc' })).toEqual({
      Authorization: '[redacted]',
      'set-cookie': ['[redacted]', '[redacted]'],
      'X-K': 'k=[redacted]',
    });
    const bytes = new Uint8Array([0, ...Buffer.from('abcdef'), 1]);
    expect([...r.binaryBytes(bytes)]).toEqual([0, 42, 42, 42, 42, 42, 42, 1]);
    expect(r.textBytes(Buffer.from('nothing'))).toEqual(Buffer.from('nothing'));
    const keepHeaders = createRedactor({ credentialHeaders: false });
    expect(keepHeaders).toBe(NO_REDACTION);
  });

  it('hides a secret as a URL writes it (percent-encoded in the path, the query, a component)', async () => {
    const { createRedactor } = await import('../../app/variables/redact.js');
    const secret = 'p ss"wörd<>{}';
    const r = createRedactor({ secrets: [secret] });
    for (const url of [
      new URL(`ws://h/${secret}/x`).href,
      new URL(`ws://h/x?key=${secret}&y=1`).href,
      `ws://h/x?key=${encodeURIComponent(secret)}`,
    ]) {
      expect(url).not.toContain(secret); // the URL changed it...
      const hidden = r.text(url);
      expect(hidden, url).toContain('[redacted]'); // ...and that form is hidden too
      expect(hidden).not.toMatch(/p(%20| )ss/);
    }
    // A value a URL would cut (a "#" ends the path) does not make its pieces secret.
    const cut = createRedactor({ secrets: ['a#b'] });
    expect(cut.text('a and b, a#b')).toBe('a and b, [redacted]');
  });
});
