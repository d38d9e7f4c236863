/**
 * The composer of one tab: mode, draft, chosen file and the message templates
 * the tab offers — its saved connection's own, then the workspace-wide ones
 * (all a tab without a saved connection has). Keeps its text when the person
 * switches tabs.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { MessageTemplate, Payload } from '../../../app/contract.js';
import { bytesToBase64, bytesToHex, formatJson, utf8Decode } from '../../../app/payload/codecs.js';
import { composePayload, draftError, type ComposerMode } from './compose-payload.js';

/** Where a new template is kept: with the tab's saved connection, or for every tab. */
export type TemplateScope = 'connection' | 'workspace';

export class ComposerState {
  readonly #api: WorkbenchApi;
  #mode = $state<ComposerMode>('text');
  #draft = $state('');
  #file = $state.raw<{ name: string; data: Uint8Array<ArrayBuffer> } | undefined>(undefined);
  #sendError = $state('');
  #templates = $state.raw<MessageTemplate[]>([]);
  #savedConnectionId = $state<string | undefined>(undefined);
  /** Only the answer to the latest template.list is applied. */
  #loads = 0;
  readonly #inlineError = $derived(draftError(this.#mode, this.#draft));

  constructor(api: WorkbenchApi, savedConnectionId?: string) {
    this.#api = api;
    this.#savedConnectionId = savedConnectionId;
    void this.loadTemplates();
  }

  /** The saved connection a template can be kept with; undefined for an unsaved connection or a mock server. */
  get savedConnectionId(): string | undefined {
    return this.#savedConnectionId;
  }

  get mode(): ComposerMode {
    return this.#mode;
  }
  set mode(mode: ComposerMode) {
    this.#mode = mode;
    this.#sendError = '';
  }
  get draft(): string {
    return this.#draft;
  }
  set draft(text: string) {
    this.#draft = text;
    this.#sendError = '';
  }
  get file(): { name: string; data: Uint8Array<ArrayBuffer> } | undefined {
    return this.#file;
  }
  /** The draft's validation error, shown as the person types. */
  get error(): string {
    return this.#sendError || this.#inlineError;
  }
  /** The saved connection's own templates first, then the workspace-wide ones. */
  get templates(): MessageTemplate[] {
    return this.#templates;
  }

  /** Whether a template belongs to this tab's saved connection (else it is workspace-wide). */
  isOwn(t: MessageTemplate): boolean {
    return t.savedConnectionId !== undefined && t.savedConnectionId === this.#savedConnectionId;
  }

  setFile(name: string, data: Uint8Array<ArrayBuffer>): void {
    this.#file = { name, data };
    this.#sendError = '';
  }

  /** Pretty-prints a JSON draft in place. */
  formatJson(): void {
    try {
      this.#draft = formatJson(this.#draft);
    } catch (err) {
      this.#sendError = (err as Error).message;
    }
  }

  /** The payload to send, or undefined with the error shown. */
  build(): Payload | undefined {
    const result = composePayload(this.#mode, this.#draft, this.#file?.data);
    if (!result.ok) {
      this.#sendError = result.error;
      return undefined;
    }
    return result.payload;
  }

  reportError(message: string): void {
    this.#sendError = message;
  }

  bindSaved(savedConnectionId: string | undefined): void {
    if (savedConnectionId === this.#savedConnectionId) return;
    this.#savedConnectionId = savedConnectionId;
    void this.loadTemplates();
  }

  async loadTemplates(): Promise<void> {
    const load = ++this.#loads;
    const id = this.#savedConnectionId;
    const r = await this.#api.template.list(id ? { savedConnectionId: id } : {});
    if (r.ok && load === this.#loads) this.#templates = r.value;
  }

  /**
   * Saves the draft as a new template, kept with the saved connection or for
   * the whole workspace (the only choice without a saved connection). Returns
   * the error message, or ''.
   */
  async saveTemplate(name: string, scope: TemplateScope = 'connection'): Promise<string> {
    const payload = this.build();
    if (!payload) return this.error;
    const own = scope === 'connection' ? this.#savedConnectionId : undefined;
    return this.#save({ name, payload }, own);
  }

  /** Renames a template (its message and scope stay). Returns the error message, or ''. */
  async renameTemplate(t: MessageTemplate, name: string): Promise<string> {
    return this.#save({ id: t.id, name, payload: t.payload }, t.savedConnectionId);
  }

  /** Replaces a template's message with the draft (its name and scope stay). Returns the error message, or ''. */
  async replaceTemplate(t: MessageTemplate): Promise<string> {
    const payload = this.build();
    if (!payload) return this.error;
    return this.#save({ id: t.id, name: t.name, payload }, t.savedConnectionId);
  }

  async #save(
    input: { id?: string; name: string; payload: Payload },
    savedConnectionId: string | undefined,
  ): Promise<string> {
    const r = await this.#api.template.save({
      ...input,
      ...(savedConnectionId ? { savedConnectionId } : {}),
    });
    if (!r.ok) return r.error.message;
    const i = this.#templates.findIndex((t) => t.id === r.value.id);
    // A new template of the connection goes with its own ones, before the workspace-wide ones.
    const at = this.isOwn(r.value)
      ? this.#templates.filter((t) => this.isOwn(t)).length
      : this.#templates.length;
    this.#templates = i >= 0 ? this.#templates.with(i, r.value) : this.#templates.toSpliced(at, 0, r.value);
    return '';
  }

  async deleteTemplate(id: string): Promise<void> {
    const r = await this.#api.template.delete({ id });
    if (r.ok) this.#templates = this.#templates.filter((t) => t.id !== id);
  }

  /** Loads a template into the draft (binary as hex). */
  useTemplate(t: MessageTemplate): void {
    this.loadPayload(t.payload);
  }

  /** Puts a message into the draft to edit and send again: text (JSON mode when it looks like JSON), binary as hex. */
  loadPayload(payload: Payload): void {
    if (payload.type === 'text') {
      this.#mode = looksJson(payload.text) ? 'json' : 'text';
      this.#draft = payload.text;
    } else {
      this.#mode = 'hex';
      this.#draft = bytesToHex(payload.data, ' ');
    }
    this.#sendError = '';
  }
}

function looksJson(text: string): boolean {
  const t = text.trimStart();
  return t.startsWith('{') || t.startsWith('[');
}

/** Copy helpers for payload bytes. */
export const copyFormats = {
  text: (bytes: Uint8Array) => utf8Decode(bytes),
  hex: (bytes: Uint8Array) => bytesToHex(bytes, ' '),
  base64: (bytes: Uint8Array) => bytesToBase64(bytes),
} as const;
