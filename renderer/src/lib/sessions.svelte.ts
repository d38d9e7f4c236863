/** Recorded sessions in the workspace, listed in the sidebar: rename, delete, export to HAR, import HAR. */
import { redactInput } from './redaction.svelte.js';
import type { WorkbenchApi } from '../../../app/api.js';
import type { SessionSummary } from '../../../app/contract.js';
import { withSessionExt, withoutSessionExt } from '../../../app/vocabulary.js';

/** What a person calls a session: its file name without the extension (what rename changes). */
export const sessionLabel = withoutSessionExt;

export class Sessions {
  readonly #api: WorkbenchApi;
  #list = $state.raw<SessionSummary[]>([]);
  #error = $state('');
  #message = $state('');
  #importing = $state(false);

  constructor(api: WorkbenchApi) {
    this.#api = api;
  }

  get list(): SessionSummary[] {
    return this.#list;
  }
  get error(): string {
    return this.#error;
  }
  /** The outcome of the last import or export, for a status line. */
  get message(): string {
    return this.#message;
  }
  get importing(): boolean {
    return this.#importing;
  }

  async refresh(): Promise<void> {
    const r = await this.#api.session.list({});
    if (r.ok) {
      this.#list = [...r.value].sort((a, b) => b.modifiedAt - a.modifiedAt);
      this.#error = '';
    } else this.#error = r.error.message;
  }

  async remove(name: string): Promise<void> {
    const r = await this.#api.session.delete({ name });
    if (!r.ok) this.#error = r.error.message;
    await this.refresh();
  }

  /** Renames a session file; the new file name, or the error message. */
  async rename(name: string, newName: string): Promise<{ name: string } | { error: string }> {
    const trimmed = newName.trim();
    const target = withSessionExt(trimmed);
    if (target === name) return { name };
    const r = await this.#api.session.rename({ name, newName: target });
    if (!r.ok) return { error: r.error.message };
    await this.refresh();
    return { name: r.value.name };
  }

  /** The HAR text of a session, saved as a download (a Blob link: works in browsers and Electron). */
  async exportHar(name: string): Promise<void> {
    const r = await this.#api.session.export({ name, ...redactInput() });
    if (!r.ok) {
      this.#error = r.error.message;
      return;
    }
    this.#error = '';
    downloadText(r.value.fileName, r.value.har, 'application/json');
    this.#message = `Exported ${r.value.fileName}.`;
  }

  /** Imports HAR files picked or dropped by the user: each WebSocket entry becomes a session. */
  async importFiles(files: Iterable<File>): Promise<void> {
    const list = [...files];
    if (list.length === 0) return;
    this.#importing = true;
    this.#error = '';
    this.#message = '';
    const created: string[] = [];
    const problems: string[] = [];
    let skipped = 0;
    try {
      for (const file of list) {
        let text: string;
        try {
          text = await file.text();
        } catch (err) {
          problems.push(`${file.name}: cannot be read (${(err as Error).message}).`);
          continue;
        }
        const r = await this.#api.session.import({ text, sourceName: file.name });
        if (!r.ok) {
          problems.push(`${file.name}: ${r.error.message}`);
          continue;
        }
        created.push(...r.value.sessions.map((s) => s.name));
        skipped += r.value.skippedMessages;
      }
    } finally {
      this.#importing = false;
    }
    if (created.length > 0 || problems.length === 0) {
      const n = created.length;
      this.#message =
        `Imported ${n} session${n === 1 ? '' : 's'} from ${list.length === 1 ? list[0]!.name : `${list.length} files`}` +
        (skipped > 0 ? ` (${skipped} message${skipped === 1 ? '' : 's'} skipped)` : '') +
        '.';
    }
    this.#error = problems.join('\n');
    await this.refresh();
    if (problems.length > 0) this.#error = problems.join('\n');
  }

  dismissMessage(): void {
    this.#message = '';
  }
}

/** Saves text as a file the user downloads. */
export function downloadText(fileName: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
