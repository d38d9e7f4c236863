/** Light / dark theme: follows the OS until the person picks one; the pick is remembered. */
export type ThemeChoice = 'system' | 'light' | 'dark';
import { safeStorage } from './ui-state.svelte.js';

const KEY = 'duplex.theme';

export class Theme {
  #choice = $state<ThemeChoice>('system');
  #systemDark = $state(false);
  readonly #resolved = $derived<'light' | 'dark'>(
    this.#choice === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.#choice,
  );

  constructor() {
    if (typeof window === 'undefined') return;
    const saved = safeStorage()?.getItem(KEY);
    if (saved === 'light' || saved === 'dark') this.#choice = saved;
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    if (mq) {
      this.#systemDark = mq.matches;
      mq.addEventListener?.('change', (e) => (this.#systemDark = e.matches));
    }
  }

  get choice(): ThemeChoice {
    return this.#choice;
  }
  get resolved(): 'light' | 'dark' {
    return this.#resolved;
  }

  toggle(): void {
    this.#choice = this.#resolved === 'dark' ? 'light' : 'dark';
    safeStorage()?.setItem(KEY, this.#choice);
  }
}
