/**
 * The composer of one tab: mode, draft, chosen file and the message templates
 * of the connection. Keeps its text when the person switches tabs.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { MessageTemplate, Payload } from '../../../app/contract.js';
import { bytesToBase64, bytesToHex, formatJson, utf8Decode } from '../../../app/payload/codecs.js';
import { composePayload, draftError, type ComposerMode } from './compose-payload.js';

export class ComposerState {
  readonly #api: WorkbenchApi;
  #mode = $state<ComposerMode>('text');
  #draft = $state('');
  #file = $state.raw<{ name: string; data: Uint8Array<ArrayBuffer> } | undefined>(undefined);
  #sendError = $state('');
  #templates = $state.raw<MessageTemplate[]>([]);
  #savedConnectionId: string | undefined;
  readonly #inlineError = $derived(draftError(this.#mode, this.#draft));

  constructor(api: WorkbenchApi, savedConnectionId?: string) {
    this.#api = api;
    this.#savedConnectionId = savedConnectionId;
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
  get templates(): MessageTemplate[] {
    return this.#templates;
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
    this.#savedConnectionId = savedConnectionId;
    void this.loadTemplates();
  }

  async loadTemplates(): Promise<void> {
    if (!this.#savedConnectionId) return;
    const r = await this.#api.template.list({ savedConnectionId: this.#savedConnectionId });
    if (r.ok) this.#templates = r.value;
  }

  /** Saves the draft as a new template. Returns the error message, or ''. */
  async saveTemplate(name: string): Promise<string> {
    const payload = this.build();
    if (!payload) return this.error;
    return this.#save({ name, payload });
  }

  /** Renames a template (its message stays). Returns the error message, or ''. */
  async renameTemplate(t: MessageTemplate, name: string): Promise<string> {
    return this.#save({ id: t.id, name, payload: t.payload });
  }

  /** Replaces a template's message with the draft (its name stays). Returns the error message, or ''. */
  async replaceTemplate(t: MessageTemplate): Promise<string> {
    const payload = this.build();
    if (!payload) return this.error;
    return this.#save({ id: t.id, name: t.name, payload });
  }

  async #save(input: { id?: string; name: string; payload: Payload }): Promise<string> {
    const r = await this.#api.template.save({
      ...input,
      ...(this.#savedConnectionId ? { savedConnectionId: this.#savedConnectionId } : {}),
    });
    if (!r.ok) return r.error.message;
    const i = this.#templates.findIndex((t) => t.id === r.value.id);
    this.#templates = i < 0 ? [...this.#templates, r.value] : this.#templates.with(i, r.value);
    return '';
  }

  async deleteTemplate(id: string): Promise<void> {
    const r = await this.#api.template.delete({ id });
    if (r.ok) this.#templates = this.#templates.filter((t) => t.id !== id);
  }

  /** Loads a template into the draft (binary as hex). */
  useTemplate(t: MessageTemplate): void {
    if (t.payload.type === 'text') {
      this.#mode = looksJson(t.payload.text) ? 'json' : 'text';
      this.#draft = t.payload.text;
    } else {
      this.#mode = 'hex';
      this.#draft = bytesToHex(t.payload.data, ' ');
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
