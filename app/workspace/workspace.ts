/**
 * The workspace folder: saved connections (connections.json) and message
 * templates (templates.json), plain JSON a person can read, diff and commit.
 * Formats are documented in docs/workspace-format.md.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import {
  connectOptionsSchema,
  type CommandInput,
  type MessageTemplate,
  type Payload,
  type SavedConnection,
} from '../contract.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import { JsonFile } from './json-file.js';

export const WORKSPACE_FORMAT_VERSION = 1;

const stamp = z.string().min(1);
// Loose objects: fields this version does not know (hand edits, a newer Duplex) survive a rewrite,
// in the options' nested objects too.
const { tls, heartbeat, reconnect } = connectOptionsSchema.shape;
const storedOptionsSchema = connectOptionsSchema
  .extend({
    tls: tls.unwrap().loose().optional(),
    heartbeat: heartbeat.unwrap().loose().optional(),
    reconnect: reconnect.unwrap().loose().optional(),
  })
  .loose();
const savedConnectionFileSchema = z.looseObject({
  connections: z.array(
    z.looseObject({
      id: z.string().min(1),
      name: z.string(),
      options: storedOptionsSchema,
      createdAt: stamp,
      updatedAt: stamp,
    }),
  ),
});
const storedPayloadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('binary'), base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/) }),
]);
const templateFileSchema = z.looseObject({
  templates: z.array(
    z.looseObject({
      id: z.string().min(1),
      name: z.string(),
      savedConnectionId: z.string().optional(),
      payload: storedPayloadSchema,
      createdAt: stamp,
      updatedAt: stamp,
    }),
  ),
});
type ConnectionsDoc = { connections: SavedConnection[] };
type StoredTemplate = z.infer<typeof templateFileSchema>['templates'][number];
type TemplatesDoc = { templates: StoredTemplate[] };

export class Workspace {
  readonly dir: string;
  readonly #connections: JsonFile<ConnectionsDoc>;
  readonly #templates: JsonFile<TemplatesDoc>;

  constructor(dir: string) {
    this.dir = dir;
    this.#connections = new JsonFile({
      path: join(dir, 'connections.json'),
      version: WORKSPACE_FORMAT_VERSION,
      empty: () => ({ connections: [] }),
      parse: (body) => parseOrExplain(savedConnectionFileSchema, body) as ConnectionsDoc,
    });
    this.#templates = new JsonFile({
      path: join(dir, 'templates.json'),
      version: WORKSPACE_FORMAT_VERSION,
      empty: () => ({ templates: [] }),
      parse: (body) => parseOrExplain(templateFileSchema, body),
    });
  }

  async listConnections(): Promise<SavedConnection[]> {
    return (await this.#connections.read()).connections;
  }

  saveConnection(input: CommandInput<'savedConnection.save'>): Promise<SavedConnection> {
    return this.#connections.update((doc) => {
      const now = new Date().toISOString();
      if (input.id === undefined) {
        const created = {
          id: randomUUID(),
          name: input.name,
          options: input.options,
          createdAt: now,
          updatedAt: now,
        };
        return { doc: { ...doc, connections: [...doc.connections, created] }, result: created };
      }
      const old = findOrThrow(doc.connections, input.id, 'saved connection');
      const options = { ...unknownOptions(old.options), ...input.options };
      const updated = { ...old, name: input.name, options, updatedAt: now };
      return { doc: { ...doc, connections: replace(doc.connections, updated) }, result: updated };
    });
  }

  renameConnection(id: string, name: string): Promise<SavedConnection> {
    return this.#connections.update((doc) => {
      const old = findOrThrow(doc.connections, id, 'saved connection');
      const renamed = { ...old, name, updatedAt: new Date().toISOString() };
      return { doc: { ...doc, connections: replace(doc.connections, renamed) }, result: renamed };
    });
  }

  /** Copies a saved connection and its own templates (workspace-wide ones are shared already). */
  async duplicateConnection(id: string, name?: string): Promise<SavedConnection> {
    const copy = await this.#connections.update((doc) => {
      const source = findOrThrow(doc.connections, id, 'saved connection');
      const now = new Date().toISOString();
      const copy: SavedConnection = {
        ...structuredClone(source),
        id: randomUUID(),
        name: name ?? copyName(source.name, doc.connections),
        createdAt: now,
        updatedAt: now,
      };
      const at = doc.connections.indexOf(source) + 1;
      const connections = [...doc.connections.slice(0, at), copy, ...doc.connections.slice(at)];
      return { doc: { ...doc, connections }, result: copy };
    });
    try {
      await this.#templates.update((doc) => {
        const now = new Date().toISOString();
        const copies = doc.templates
          .filter((t) => t.savedConnectionId === id)
          .map((t) => ({
            ...structuredClone(t),
            id: randomUUID(),
            savedConnectionId: copy.id,
            createdAt: now,
            updatedAt: now,
          }));
        return { doc: { ...doc, templates: [...doc.templates, ...copies] }, result: undefined };
      });
    } catch (err) {
      // Not half-applied: without its templates the copy is not made.
      await this.deleteConnection(copy.id).catch(() => undefined);
      throw err;
    }
    return copy;
  }

  deleteConnection(id: string): Promise<{ deleted: boolean }> {
    return this.#connections.update((doc) => {
      findOrThrow(doc.connections, id, 'saved connection');
      const connections = doc.connections.filter((c) => c.id !== id);
      return { doc: { ...doc, connections }, result: { deleted: true } };
    });
  }

  /**
   * The templates a tab offers: with savedConnectionId that connection's own,
   * then the workspace-wide ones. A template whose connection is gone counts
   * as workspace-wide, so every saved template is visible somewhere.
   */
  async listTemplates(savedConnectionId?: string): Promise<MessageTemplate[]> {
    const { templates } = await this.#templates.read();
    const known = new Set((await this.listConnections()).map((c) => c.id));
    const isOwn = (t: StoredTemplate): boolean =>
      savedConnectionId !== undefined && t.savedConnectionId === savedConnectionId;
    const isShared = (t: StoredTemplate): boolean =>
      !isOwn(t) && (t.savedConnectionId === undefined || !known.has(t.savedConnectionId));
    return [...templates.filter(isOwn), ...templates.filter(isShared)].map(toTemplate);
  }

  saveTemplate(input: CommandInput<'template.save'>): Promise<MessageTemplate> {
    return this.#templates.update((doc) => {
      const now = new Date().toISOString();
      const fields = {
        name: input.name,
        ...(input.savedConnectionId === undefined ? {} : { savedConnectionId: input.savedConnectionId }),
        payload: toStoredPayload(input.payload),
      };
      if (input.id === undefined) {
        const created: StoredTemplate = { id: randomUUID(), ...fields, createdAt: now, updatedAt: now };
        return { doc: { ...doc, templates: [...doc.templates, created] }, result: toTemplate(created) };
      }
      // The input sets the scope: without savedConnectionId the template becomes workspace-wide.
      const { savedConnectionId: _old, ...old } = findOrThrow(doc.templates, input.id, 'message template');
      const updated: StoredTemplate = { ...old, ...fields, updatedAt: now };
      return { doc: { ...doc, templates: replace(doc.templates, updated) }, result: toTemplate(updated) };
    });
  }

  deleteTemplate(id: string): Promise<{ deleted: boolean }> {
    return this.#templates.update((doc) => {
      findOrThrow(doc.templates, id, 'message template');
      const templates = doc.templates.filter((t) => t.id !== id);
      return { doc: { ...doc, templates }, result: { deleted: true } };
    });
  }
}

function parseOrExplain<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  throw new Error(`${first.path.join('.') || 'file'}: ${first.message}`);
}

function findOrThrow<T extends { id: string }>(list: T[], id: string, what: string): T {
  const found = list.find((item) => item.id === id);
  if (!found) {
    throw new DuplexError(
      ErrorCodes.NOT_FOUND,
      `No ${what} with id "${id}"; it may have been deleted. List them again to get current ids.`,
    );
  }
  return found;
}

function replace<T extends { id: string }>(list: T[], item: T): T[] {
  return list.map((old) => (old.id === item.id ? item : old));
}

function copyName(name: string, existing: SavedConnection[]): string {
  const taken = new Set(existing.map((c) => c.name));
  const base = `${name.replace(/ copy( \d+)?$/, '')} copy`;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base} ${n}`)) return `${base} ${n}`;
}

function toStoredPayload(payload: Payload): StoredTemplate['payload'] {
  return payload.type === 'text'
    ? { type: 'text', text: payload.text }
    : { type: 'binary', base64: Buffer.from(payload.data).toString('base64') };
}

function toTemplate(stored: StoredTemplate): MessageTemplate {
  const payload: Payload =
    stored.payload.type === 'text'
      ? { type: 'text', text: stored.payload.text }
      : { type: 'binary', data: new Uint8Array(Buffer.from(stored.payload.base64, 'base64')) };
  return { ...stored, payload };
}

/** The options a saved connection holds that this version does not know: a save from the UI keeps them. */
function unknownOptions(options: object): Record<string, unknown> {
  const known = new Set(Object.keys(connectOptionsSchema.shape));
  return Object.fromEntries(Object.entries(options).filter(([key]) => !known.has(key)));
}
