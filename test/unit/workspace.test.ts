import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../app/engine.js';
import { writeFileAtomic } from '../../app/workspace/json-file.js';

let dir: string;
let engine: Engine;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'duplex-ws-'));
  engine = new Engine({ workspaceDir: dir });
});
afterEach(async () => {
  await engine.dispose();
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (name: string): Promise<Record<string, unknown>> =>
  JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, unknown>;

describe('saved connections', () => {
  it('create, list, update, rename, duplicate, delete — persisted as plain JSON', async () => {
    expect(await engine.call('savedConnection.list', {})).toEqual([]);
    const created = await engine.call('savedConnection.save', {
      name: 'Echo',
      options: { url: 'ws://127.0.0.1:9000/echo', headers: { 'X-Token': 'a' }, protocols: ['chat'] },
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await readJson('connections.json')).toEqual({ version: 1, connections: [created] });

    const updated = await engine.call('savedConnection.save', {
      id: created.id,
      name: 'Echo 2',
      options: { url: 'wss://example.test/', perMessageDeflate: false },
    });
    expect(updated.createdAt).toBe(created.createdAt);
    expect(updated.options).toEqual({ url: 'wss://example.test/', perMessageDeflate: false });

    const renamed = await engine.call('savedConnection.rename', { id: created.id, name: '  Prod  ' });
    expect(renamed.name).toBe('Prod');
    const copy = await engine.call('savedConnection.duplicate', { id: created.id });
    expect(copy.name).toBe('Prod copy');
    expect(copy.id).not.toBe(created.id);
    const copy2 = await engine.call('savedConnection.duplicate', { id: created.id });
    expect(copy2.name).toBe('Prod copy 2');
    expect((await engine.call('savedConnection.list', {})).map((c) => c.name)).toEqual([
      'Prod',
      'Prod copy 2',
      'Prod copy',
    ]);

    expect(await engine.call('savedConnection.delete', { id: copy.id })).toEqual({ deleted: true });
    // A fresh engine over the same folder sees the same list.
    const again = new Engine({ workspaceDir: dir });
    expect((await again.call('savedConnection.list', {})).map((c) => c.name)).toEqual([
      'Prod',
      'Prod copy 2',
    ]);
  });

  it('rejects bad input and unknown ids with typed errors, changing nothing', async () => {
    const bad = await engine.invoke('savedConnection.save', { name: '', options: { url: 'ws://x' } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    const badHeader = await engine.invoke('savedConnection.save', {
      name: 'x',
      options: { url: 'ws://x', headers: { 'bad name': 'v' } },
    });
    expect(badHeader).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_INVALID_INPUT' } });
    const missing = await engine.invoke('savedConnection.rename', { id: 'nope', name: 'x' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_NOT_FOUND' } });
    expect(await readdir(dir)).toEqual([]);
  });

  it('without a workspace folder the commands fail with DUPLEX_ERR_FILE', async () => {
    const bare = new Engine();
    const r = await bare.invoke('savedConnection.list', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_FILE' } });
  });

  it('a corrupt file is reported with DUPLEX_ERR_FILE, kept aside unchanged and never overwritten', async () => {
    const garbage = '{"version":1,"connections":[{"id":"a", oops';
    await writeFile(join(dir, 'connections.json'), garbage);
    const r = await engine.invoke('savedConnection.list', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('DUPLEX_ERR_FILE');
    expect(r.error.message).toContain('connections.json');
    const keptAs = r.error.details?.['keptAs'] as string;
    expect(await readFile(keptAs, 'utf8')).toBe(garbage);

    // The list starts empty; saving writes a new file and leaves the kept copy alone.
    await engine.call('savedConnection.save', { name: 'New', options: { url: 'ws://a' } });
    expect(await readFile(keptAs, 'utf8')).toBe(garbage);
    expect((await engine.call('savedConnection.list', {})).map((c) => c.name)).toEqual(['New']);
  });

  it('a file with bad content or an unknown older version is kept aside and refused', async () => {
    await writeFile(join(dir, 'connections.json'), JSON.stringify({ version: 0, connections: [] }));
    const r = await engine.invoke('savedConnection.list', {});
    expect(r).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_FILE' } });
    if (!r.ok) expect(r.error.message).toContain('version is 0');
    await writeFile(join(dir, 'templates.json'), JSON.stringify({ version: 1, templates: [{ id: 1 }] }));
    const t = await engine.invoke('template.list', {});
    expect(t).toMatchObject({ ok: false, error: { code: 'DUPLEX_ERR_FILE' } });
    expect((await readdir(dir)).filter((f) => f.includes('.corrupt-'))).toHaveLength(2);
  });

  it('a file of a newer format version is left untouched and reported: upgrade Duplex', async () => {
    const newer = JSON.stringify({ version: 2, connections: [{ id: 'a', shape: 'of the future' }] });
    await writeFile(join(dir, 'connections.json'), newer);
    for (const [name, input] of [
      ['savedConnection.list', {}],
      ['savedConnection.save', { name: 'New', options: { url: 'ws://a' } }],
      ['savedConnection.rename', { id: 'a', name: 'x' }],
    ] as const) {
      const r = await engine.invoke(name, input);
      expect(r.ok, name).toBe(false);
      if (r.ok) continue;
      expect(r.error.code).toBe('DUPLEX_ERR_FILE');
      expect(r.error.message).toContain(join(dir, 'connections.json'));
      expect(r.error.message).toContain('version 2');
      expect(r.error.message).toContain('upgrade Duplex');
      expect(r.error.details).toMatchObject({ file: join(dir, 'connections.json'), version: 2 });
    }
    expect(await readFile(join(dir, 'connections.json'), 'utf8')).toBe(newer);
    expect(await readdir(dir)).toEqual(['connections.json']);
  });

  it('rewriting keeps fields this version does not know, in the file and on each connection', async () => {
    await writeFile(
      join(dir, 'connections.json'),
      JSON.stringify({
        version: 1,
        comment: 'edited by hand',
        connections: [
          {
            id: 'a',
            name: 'Echo',
            color: 'teal',
            options: {
              url: 'ws://a/',
              futureOption: { on: true },
              tls: { insecure: true, pfxPath: 'x.pfx' },
            },
            createdAt: '2025-01-01T00:00:00.000Z',
            updatedAt: '2025-01-01T00:00:00.000Z',
          },
          {
            id: 'b',
            name: 'Other',
            notes: ['kept'],
            options: { url: 'ws://b/', tls: { insecure: true }, laterOption: 1 },
            createdAt: '2025-01-01T00:00:00.000Z',
            updatedAt: '2025-01-01T00:00:00.000Z',
          },
        ],
      }),
    );
    await engine.call('savedConnection.rename', { id: 'a', name: 'Renamed' });
    await engine.call('savedConnection.save', { id: 'b', name: 'Other', options: { url: 'ws://b2/' } });
    await engine.call('savedConnection.save', { name: 'New', options: { url: 'ws://c/' } });
    const copy = await engine.call('savedConnection.duplicate', { id: 'a' });
    const file = (await readJson('connections.json')) as {
      comment: string;
      connections: Record<string, unknown>[];
    };
    expect(file.comment).toBe('edited by hand');
    const byId = new Map(file.connections.map((c) => [c['id'], c]));
    expect(byId.get('a')).toMatchObject({
      name: 'Renamed',
      color: 'teal',
      options: { url: 'ws://a/', futureOption: { on: true }, tls: { insecure: true, pfxPath: 'x.pfx' } },
    });
    // A save sets the options it knows (tls dropped here) and keeps the ones it does not.
    expect(byId.get('b')).toMatchObject({ notes: ['kept'], options: { url: 'ws://b2/', laterOption: 1 } });
    expect(byId.get('b')!['options']).not.toHaveProperty('tls');
    expect(byId.get(copy.id)).toMatchObject({ color: 'teal', options: { futureOption: { on: true } } });

    await writeFile(
      join(dir, 'templates.json'),
      JSON.stringify({
        version: 1,
        owner: 'team',
        templates: [
          {
            id: 't',
            name: 'hello',
            tags: ['x'],
            payload: { type: 'text', text: 'hi' },
            createdAt: '2025-01-01T00:00:00.000Z',
            updatedAt: '2025-01-01T00:00:00.000Z',
          },
        ],
      }),
    );
    await engine.call('template.save', { id: 't', name: 'hello 2', payload: { type: 'text', text: 'hey' } });
    const templates = (await readJson('templates.json')) as { owner: string; templates: object[] };
    expect(templates.owner).toBe('team');
    expect(templates.templates[0]).toMatchObject({ name: 'hello 2', tags: ['x'] });
  });

  it('concurrent saves are serialized: none is lost', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine.call('savedConnection.save', { name: `c${i}`, options: { url: `ws://h/${i}` } }),
      ),
    );
    expect(await engine.call('savedConnection.list', {})).toHaveLength(20);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('message templates', () => {
  it('stores text and binary templates; binary comes back as bytes', async () => {
    const conn = await engine.call('savedConnection.save', { name: 'A', options: { url: 'ws://a' } });
    const text = await engine.call('template.save', {
      name: 'hello',
      savedConnectionId: conn.id,
      payload: { type: 'text', text: 'hi ✓' },
    });
    const bytes = new Uint8Array([0, 255, 16, 128]);
    const bin = await engine.call('template.save', { name: 'raw', payload: { type: 'binary', data: bytes } });
    const file = await readJson('templates.json');
    expect(JSON.stringify(file)).toContain('"base64": "AP8QgA=="'.replace(': ', ':'));

    const all = await engine.call('template.list', { savedConnectionId: conn.id });
    expect(all.map((t) => t.name)).toEqual(['hello', 'raw']);
    const loaded = all.find((t) => t.id === bin.id)!;
    expect(loaded.payload.type).toBe('binary');
    if (loaded.payload.type === 'binary') expect([...loaded.payload.data]).toEqual([...bytes]);

    const edited = await engine.call('template.save', {
      id: text.id,
      name: 'hello2',
      payload: { type: 'text', text: 'x' },
    });
    expect(edited.savedConnectionId).toBeUndefined();
    expect(await engine.call('template.delete', { id: bin.id })).toEqual({ deleted: true });
    expect((await engine.call('template.list', {})).map((t) => t.name)).toEqual(['hello2']);
  });
});

describe('template scopes: per connection or workspace-wide, every one visible somewhere', () => {
  const text = (t: string) => ({ type: 'text', text: t }) as const;

  it('a connection lists its own templates and the workspace-wide ones; an unsaved tab the workspace-wide ones', async () => {
    const a = await engine.call('savedConnection.save', { name: 'A', options: { url: 'ws://a' } });
    const b = await engine.call('savedConnection.save', { name: 'B', options: { url: 'ws://b' } });
    await engine.call('template.save', { name: 'a own', savedConnectionId: a.id, payload: text('1') });
    await engine.call('template.save', { name: 'b own', savedConnectionId: b.id, payload: text('2') });
    // Saved from an unsaved connection or a mock-server tab: no connection to belong to.
    await engine.call('template.save', { name: 'shared', payload: text('3') });

    const names = async (savedConnectionId?: string) =>
      (await engine.call('template.list', savedConnectionId ? { savedConnectionId } : {})).map((t) => t.name);
    expect(await names(a.id)).toEqual(['a own', 'shared']);
    expect(await names(b.id)).toEqual(['b own', 'shared']);
    expect(await names()).toEqual(['shared']);
    // A fresh engine (a reload) sees them the same way.
    const again = new Engine({ workspaceDir: dir });
    expect((await again.call('template.list', {})).map((t) => t.name)).toEqual(['shared']);
  });

  it('the templates of a deleted connection are listed as workspace-wide, not lost from sight', async () => {
    const a = await engine.call('savedConnection.save', { name: 'A', options: { url: 'ws://a' } });
    await engine.call('template.save', { name: 'a own', savedConnectionId: a.id, payload: text('1') });
    await engine.call('savedConnection.delete', { id: a.id });
    expect((await engine.call('template.list', {})).map((t) => t.name)).toEqual(['a own']);
    const other = await engine.call('savedConnection.save', { name: 'C', options: { url: 'ws://c' } });
    expect((await engine.call('template.list', { savedConnectionId: other.id })).map((t) => t.name)).toEqual([
      'a own',
    ]);
  });

  it('duplicating a connection copies its own templates to the copy, not the workspace-wide ones', async () => {
    const a = await engine.call('savedConnection.save', { name: 'A', options: { url: 'ws://a' } });
    const own = await engine.call('template.save', {
      name: 'subscribe',
      savedConnectionId: a.id,
      payload: { type: 'binary', data: new Uint8Array([1, 2, 3]) },
    });
    await engine.call('template.save', { name: 'shared', payload: text('3') });
    const copy = await engine.call('savedConnection.duplicate', { id: a.id });
    const copied = await engine.call('template.list', { savedConnectionId: copy.id });
    expect(copied.map((t) => [t.name, t.savedConnectionId])).toEqual([
      ['subscribe', copy.id],
      ['shared', undefined],
    ]);
    expect(copied[0]!.id).not.toBe(own.id);
    expect(copied[0]!.payload).toEqual({ type: 'binary', data: new Uint8Array([1, 2, 3]) });
    // The original keeps its own; editing the copy's template leaves it alone.
    await engine.call('template.save', {
      id: copied[0]!.id,
      name: 'changed',
      savedConnectionId: copy.id,
      payload: text('x'),
    });
    expect((await engine.call('template.list', { savedConnectionId: a.id })).map((t) => t.name)).toEqual([
      'subscribe',
      'shared',
    ]);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the whole file and leaves no temp file behind', async () => {
    const path = join(dir, 'sub', 'a.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    expect(await readFile(path, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'sub'))).toEqual(['a.json']);
  });

  it('a failed write leaves the old file intact', async () => {
    const path = join(dir, 'a.json');
    await writeFileAtomic(path, 'old');
    // Renaming onto a folder fails after the temp file was written and synced.
    const target = join(dir, 'folder.json');
    await writeFileAtomic(join(target, 'x'), 'inner');
    await expect(writeFileAtomic(target, 'new')).rejects.toMatchObject({ code: 'DUPLEX_ERR_FILE' });
    expect(await readFile(path, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
