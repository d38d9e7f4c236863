/**
 * The workspace's environments as the UI sees them: the list, which one the
 * request bar has chosen (remembered across reloads), the editor's load and
 * save, and `{{name}}` resolved for display (secrets come back `[redacted]`).
 * The engine holds the files and the secrets; this holds UI state only.
 */
import type { WorkbenchApi } from '../../../app/api.js';
import type { EnvironmentSummary, EnvironmentView } from '../../../app/contract.js';

const KEY = 'duplex.environment';

export type EnvironmentApi = Pick<WorkbenchApi, 'env' | 'secret'>;

/** One row of the editor: a secret row's value is what to store now ('' keeps the stored one). */
export interface EnvironmentRow {
  name: string;
  value: string;
  secret: boolean;
  /** For a secret: whether a value is stored already. */
  hasValue: boolean;
}

export class Environments {
  list = $state.raw<(EnvironmentSummary & { error?: string })[]>([]);
  error = $state('');
  #active = $state<string | undefined>(undefined);
  readonly #api: EnvironmentApi;
  readonly #storage: Storage | undefined;

  constructor(api: EnvironmentApi, storage: Storage | undefined = localStorageOrNone()) {
    this.#api = api;
    this.#storage = storage;
    this.#active = storage?.getItem(KEY) ?? undefined;
  }

  /** The environment a new connection resolves `{{name}}` with; undefined for none. */
  get active(): string | undefined {
    return this.#active;
  }
  set active(name: string | undefined) {
    this.#active = name;
    try {
      if (name === undefined) this.#storage?.removeItem(KEY);
      else this.#storage?.setItem(KEY, name);
    } catch {
      // Blocked storage: the choice holds for this page only.
    }
  }

  /**
   * At page start: the workspace's list, and the environment the command line chose
   * (`duplex ui --env NAME`), which wins over the one this page remembered.
   */
  async start(): Promise<void> {
    const launch = await this.#api.env.launch({});
    if (launch.ok && launch.value.environment !== undefined) this.active = launch.value.environment;
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const r = await this.#api.env.list({});
    if (!r.ok) {
      this.error = r.error.message;
      return;
    }
    this.list = r.value;
    this.error = '';
    // A chosen environment that was deleted (or renamed on disk) is no longer chosen.
    if (this.#active !== undefined && !r.value.some((e) => e.name === this.#active)) this.active = undefined;
  }

  async read(name: string): Promise<EnvironmentRow[] | string> {
    const r = await this.#api.env.read({ name });
    return r.ok ? Environments.view(r.value) : r.error.message;
  }

  /** Saves the rows; '' when done, else the engine's message. Empty rows are dropped. */
  async save(name: string, rows: EnvironmentRow[]): Promise<string> {
    const variables = rows
      .filter((r) => r.name.trim() !== '')
      .map((r) =>
        r.secret
          ? { name: r.name.trim(), secret: true, ...(r.value !== '' ? { value: r.value } : {}) }
          : { name: r.name.trim(), value: r.value },
      );
    const r = await this.#api.env.save({ name: name.trim(), variables });
    if (!r.ok) return r.error.message;
    await this.refresh();
    return '';
  }

  async remove(name: string): Promise<string> {
    const r = await this.#api.env.delete({ name });
    if (!r.ok) return r.error.message;
    await this.refresh();
    return '';
  }

  async clearSecret(environment: string, name: string): Promise<string> {
    const r = await this.#api.secret.clear({ environment, name });
    return r.ok ? '' : r.error.message;
  }

  /** A text as the engine would resolve it with the active environment; secrets stay hidden unless `reveal`. */
  async resolve(
    text: string,
    reveal = false,
  ): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
    const r = await this.#api.env.resolve({
      text,
      ...(this.#active !== undefined ? { environment: this.#active } : {}),
      ...(reveal ? { reveal } : {}),
    });
    return r.ok ? { ok: true, text: r.value.text } : { ok: false, error: r.error.message };
  }

  static view(env: EnvironmentView): EnvironmentRow[] {
    return env.variables.map((v) => ({
      name: v.name,
      value: v.value ?? '',
      secret: v.secret === true,
      hasValue: v.hasValue === true,
    }));
  }
}

function localStorageOrNone(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
