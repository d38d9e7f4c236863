/**
 * A field's tooltip says what its `{{name}}` resolves to with the chosen
 * environment. Resolved each time the pointer or focus arrives, since values
 * change (the environment is edited, a secret rotates); a field without `{{`
 * has no tooltip. Secrets come back `[redacted]` (Environments.resolve).
 */
import type { Action } from 'svelte/action';

export type ResolveText = (
  text: string,
) => Promise<{ ok: true; text: string } | { ok: false; error: string }>;

export interface ResolvedTitle {
  resolve: ResolveText;
  /** The text to resolve; default: the input's or textarea's value. */
  text?: () => string;
}

export const resolvedTitle: Action<HTMLElement, ResolvedTitle | undefined> = (node, initial) => {
  let param = initial;
  const current = (): string =>
    param?.text
      ? param.text()
      : node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement
        ? node.value
        : '';
  const show = async (): Promise<void> => {
    const text = current();
    if (!param || !text.includes('{{')) {
      node.removeAttribute('title');
      return;
    }
    const r = await param.resolve(text);
    if (current() === text) node.title = r.ok ? `Resolves to ${r.text}` : r.error;
  };
  const onEnter = (): void => void show();
  node.addEventListener('pointerenter', onEnter);
  node.addEventListener('focusin', onEnter);
  return {
    update: (next) => (param = next),
    destroy: () => {
      node.removeEventListener('pointerenter', onEnter);
      node.removeEventListener('focusin', onEnter);
    },
  };
};
