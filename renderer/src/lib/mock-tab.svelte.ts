/**
 * One mock file open in a tab: its text (what Source shows and the rules form
 * edits through mock-doc.ts), saved with mock.save; the engine's check of the
 * text as the person types (mock.try with the unsaved text names the file's
 * first problem with line and field); the "try a message" box; and, while the
 * mock runs, its server (a ServerTab the workbench keeps), hit counts and
 * certificate. A refused save keeps the person's text.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { MockTryResult, Payload } from '../../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../../app/errors.js';
import { hexToBytes } from '../../../app/payload/codecs.js';
import { fieldName, insertAt, moveAt, parseMock, removeAt, setAt, type Path } from './mock-doc.js';
import type { ServerTab } from './server-tab.svelte.js';
import { downloadText } from './sessions.svelte.js';

let nextMockTab = 1;
/** The pause after typing before the engine checks the text. */
export const CHECK_DELAY_MS = 400;

/** What the tab needs from the workbench: the mock's running server, and starting / stopping it. */
export interface MockHost {
  server(name: string): ServerTab | undefined;
  start(name: string): Promise<string>;
  stop(name: string): Promise<string>;
}

/** A problem of the text: from the engine (file, line, field) or the YAML reader. */
export interface MockProblem {
  message: string;
  /** The message without its `file:line:column: field:` prefix (the view shows those apart). */
  text: string;
  line?: number;
  column?: number;
  /** `routes[0].rules[1].when.text.regex`; '' for the whole file. */
  field: string;
  /** Where it came from: a refused save, or the check while typing. */
  from: 'save' | 'check';
}

export type MockView = 'rules' | 'source' | 'server';
export type TryMode = 'text' | 'json' | 'hex';

export class MockTab {
  readonly kind = 'mock' as const;
  readonly id = `mock-tab-${nextMockTab++}`;
  readonly #api: WorkbenchApi;
  readonly #host: MockHost;
  #name = $state('');
  #path = $state('');
  #text = $state('');
  #savedText = $state('');
  #loaded = $state(false);
  #loadError = $state('');
  #saving = $state(false);
  #problem = $state.raw<MockProblem | undefined>(undefined);
  #notice = $state('');
  #busy = $state(false);
  view = $state<MockView>('rules');
  /** The route the form shows. */
  route = $state(0);
  tryMode = $state<TryMode>('text');
  tryText = $state('');
  tryPath = $state('');
  #tryResult = $state.raw<MockTryResult | undefined>(undefined);
  #tryError = $state('');
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #checkToken = 0;

  readonly parsed = $derived(parseMock(this.#text));
  readonly dirty = $derived(this.#loaded && this.#text !== this.#savedText);

  constructor(api: WorkbenchApi, name: string, host: MockHost) {
    this.#api = api;
    this.#name = name;
    this.#host = host;
  }

  get name(): string {
    return this.#name;
  }
  get title(): string {
    return `${this.#name}${this.dirty ? ' •' : ''}`;
  }
  /** Workspace-relative file, e.g. mocks/chat.yaml. */
  get path(): string {
    return this.#path;
  }
  get text(): string {
    return this.#text;
  }
  /** The person's edit (Source, or the form through edit()); the engine checks it after a pause. */
  set text(value: string) {
    if (value === this.#text) return;
    this.#text = value;
    this.#scheduleCheck();
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get loadError(): string {
    return this.#loadError;
  }
  get saving(): boolean {
    return this.#saving;
  }
  get busy(): boolean {
    return this.#busy;
  }
  /** The text's first problem: a YAML syntax error at once, the engine's check or refused save after it. */
  get problem(): MockProblem | undefined {
    const syntax = this.parsed.syntaxError;
    if (syntax) return { ...syntax, text: syntax.message, field: '', from: 'check' };
    return this.#problem;
  }
  /** A one-line outcome (saved, started, exported). */
  get notice(): string {
    return this.#notice;
  }
  get tryResult(): MockTryResult | undefined {
    return this.#tryResult;
  }
  get tryError(): string {
    return this.#tryError;
  }
  /** The running server of this mock (started here, in the sidebar or in another window). */
  get server(): ServerTab | undefined {
    return this.#host.server(this.#name);
  }
  get running(): boolean {
    return this.server?.running ?? false;
  }

  /** Reads the file; `unsaved` is the text the tab had before a reload of the window. */
  async load(unsaved?: string): Promise<void> {
    const r = await this.#api.mock.read({ name: this.#name });
    if (!r.ok) {
      this.#loadError = r.error.message;
      return;
    }
    this.#loadError = '';
    this.#path = r.value.path;
    this.#text = unsaved ?? r.value.text;
    this.#savedText = r.value.text;
    this.#loaded = true;
    this.#scheduleCheck(0);
  }

  /** The file changed elsewhere (another window, an editor): take it unless the person has unsaved edits. */
  async reloadIfClean(): Promise<void> {
    if (this.dirty || this.#saving) return;
    const r = await this.#api.mock.read({ name: this.#name });
    if (r.ok && !this.dirty && r.value.text !== this.#savedText) {
      this.#text = r.value.text;
      this.#savedText = r.value.text;
      this.#scheduleCheck(0);
    }
  }

  // ---- form edits: each rewrites the text through the YAML document

  /** Sets (or with undefined removes) the value at `path`. */
  edit(path: Path, value: unknown): void {
    this.#apply((t) => setAt(t, path, value));
  }
  insert(path: Path, value: unknown, index?: number): void {
    this.#apply((t) => insertAt(t, path, value, index));
  }
  move(path: Path, from: number, to: number): void {
    this.#apply((t) => moveAt(t, path, from, to));
  }
  remove(path: Path, index: number): void {
    this.#apply((t) => removeAt(t, path, index));
  }

  #apply(change: (text: string) => string): void {
    try {
      this.text = change(this.#text);
    } catch (err) {
      this.#notice = (err as Error).message;
    }
  }

  /** The problem's message when it is about the field at `path` exactly. */
  errorAt(path: Path): string | undefined {
    const p = this.problem;
    return p && p.field === fieldName(path) ? p.text : undefined;
  }
  /** Whether the problem is inside the part at `path` (a rule card, an action). */
  errorWithin(path: Path): boolean {
    const p = this.problem;
    if (!p || !p.field) return false;
    const f = fieldName(path);
    return p.field === f || p.field.startsWith(`${f}.`) || p.field.startsWith(`${f}[`);
  }

  async save(): Promise<boolean> {
    if (this.parsed.syntaxError) {
      this.#notice = '';
      return false;
    }
    this.#saving = true;
    const text = this.#text;
    try {
      const r = await this.#api.mock.save({ name: this.#name, text });
      if (!r.ok) {
        // Nothing was written: the text stays as the person left it, with the reason next to its field.
        this.#problem = problemOf(r.error, 'save');
        this.#notice = '';
        return false;
      }
      this.#path = r.value.path;
      this.#savedText = text;
      this.#problem = undefined;
      this.#notice = this.running ? 'Saved; the running mock reloads it.' : 'Saved.';
      return true;
    } finally {
      this.#saving = false;
    }
  }

  /** Saves unsaved edits first, then starts the mock and shows its server. */
  async start(): Promise<void> {
    if (this.dirty && !(await this.save())) return;
    this.#busy = true;
    try {
      const error = await this.#host.start(this.#name);
      this.#notice = error;
      if (!error) this.view = 'server';
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<void> {
    this.#busy = true;
    try {
      this.#notice = await this.#host.stop(this.#name);
      if (this.view === 'server') this.view = 'rules';
    } finally {
      this.#busy = false;
    }
  }

  /** The running mock read its file again, or kept its previous rules because of `error`. */
  onReload(ok: boolean, error?: string): void {
    this.#notice = ok
      ? 'The running mock reloaded the file.'
      : `The running mock kept its previous rules: ${error ?? 'the file does not load'}`;
  }

  // ---- try a message

  /** The try box's message as a payload, or the reason it is not one. */
  tryPayload(): { ok: true; payload: Payload } | { ok: false; error: string } {
    const text = this.tryText;
    if (this.tryMode === 'hex') {
      try {
        return { ok: true, payload: { type: 'binary', data: new Uint8Array(hexToBytes(text)) } };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    }
    if (this.tryMode === 'json') {
      try {
        JSON.parse(text);
      } catch (err) {
        return { ok: false, error: `Not JSON: ${(err as Error).message}` };
      }
    }
    return { ok: true, payload: { type: 'text', text } };
  }

  /** Which rule the message hits in the text as it is now (saved or not), and what it would send. */
  async tryMessage(): Promise<void> {
    const made = this.tryPayload();
    if (!made.ok) {
      this.#tryError = made.error;
      this.#tryResult = undefined;
      return;
    }
    const token = ++this.#checkToken;
    const r = await this.#api.mock.try({
      name: this.#name,
      text: this.#text,
      message: made.payload,
      ...(this.tryPath.trim() ? { path: this.tryPath.trim() } : {}),
    });
    if (token !== this.#checkToken) return;
    if (!r.ok) {
      this.#tryResult = undefined;
      this.#tryError = r.error.message;
      if (isFileProblem(r.error)) this.#problem = problemOf(r.error, 'check');
      return;
    }
    this.#tryError = r.value.error?.message ?? '';
    this.#tryResult = r.value;
    if (this.#problem?.from === 'check' || this.#problem?.from === 'save') this.#problem = undefined;
  }

  /** The engine checks the text after a pause: the same loader a save and a start use. */
  #scheduleCheck(delay = CHECK_DELAY_MS): void {
    clearTimeout(this.#checkTimer);
    if (this.parsed.syntaxError) return;
    this.#checkTimer = setTimeout(() => void this.#check(), delay);
  }

  async #check(): Promise<void> {
    // With a message in the box its result follows the edit; without one an empty text checks the file.
    if (this.#tryResult || this.#tryError) return this.tryMessage();
    const token = ++this.#checkToken;
    const r = await this.#api.mock.try({
      name: this.#name,
      text: this.#text,
      message: { type: 'text', text: '' },
    });
    if (token !== this.#checkToken) return;
    if (!r.ok && isFileProblem(r.error)) this.#problem = problemOf(r.error, 'check');
    else if (r.ok) this.#problem = undefined;
  }

  // ---- TLS

  /** Saves the running mock's certificate (PEM) as a download, for a client to trust. */
  async exportCertificate(): Promise<void> {
    const id = this.server?.serverId;
    if (!id) return;
    const r = await this.#api.server.certificate({ serverId: id });
    if (!r.ok) {
      this.#notice = r.error.message;
      return;
    }
    downloadText(r.value.fileName, r.value.pem, 'application/x-pem-file');
    this.#notice = `Exported ${r.value.fileName}.`;
  }

  dispose(): void {
    clearTimeout(this.#checkTimer);
    this.#checkToken++;
  }
}

function isFileProblem(error: ErrorInfo): boolean {
  return error.code === ErrorCodes.MOCK_FILE || error.code === ErrorCodes.TEMPLATE;
}

function problemOf(error: ErrorInfo, from: MockProblem['from']): MockProblem {
  const d = (error.details ?? {}) as { line?: unknown; column?: unknown; field?: unknown };
  const field = typeof d.field === 'string' ? d.field : '';
  let text = error.message.replace(/^.*?:\d+:\d+: /, '');
  if (field && text.startsWith(`${field}: `)) text = text.slice(field.length + 2);
  return {
    message: error.message,
    text,
    ...(typeof d.line === 'number' ? { line: d.line } : {}),
    ...(typeof d.column === 'number' ? { column: d.column } : {}),
    field: typeof d.field === 'string' ? d.field : '',
    from,
  };
}
