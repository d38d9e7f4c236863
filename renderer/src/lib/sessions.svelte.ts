/** Recorded sessions in the workspace, listed in the sidebar. */
import type { WorkbenchApi } from '../../../app/api.js';
import type { SessionSummary } from '../../../app/contract.js';

export class Sessions {
  readonly #api: WorkbenchApi;
  #list = $state.raw<SessionSummary[]>([]);
  #error = $state('');

  constructor(api: WorkbenchApi) {
    this.#api = api;
  }

  get list(): SessionSummary[] {
    return this.#list;
  }
  get error(): string {
    return this.#error;
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
}
