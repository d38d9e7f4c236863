/**
 * One tab stop for a list: the list's items (`[data-roving]` buttons) get
 * tabindex -1 except the current one; ArrowUp/Down, Home and End move between
 * them. The other buttons of a row (rename, delete …) are reached with
 * ArrowRight/Left from its item. A Svelte attachment: `{@attach rovingList}`.
 */
export function rovingList(list: HTMLElement): () => void {
  let current = 0;
  const items = (): HTMLElement[] => [...list.querySelectorAll<HTMLElement>('[data-roving]')];
  const rowButtons = (item: HTMLElement): HTMLElement[] => {
    const row = item.closest('li');
    return row ? [...row.querySelectorAll<HTMLElement>('button, input, select')] : [item];
  };

  const update = (): void => {
    const all = items();
    if (all.length === 0) return;
    current = Math.min(current, all.length - 1);
    for (const b of list.querySelectorAll<HTMLElement>('li button, li input, li select')) {
      // A rename field or a delete confirmation in a row is what the user works in now: it keeps its stops.
      if (b.closest('form, .confirm')) continue;
      b.tabIndex = -1;
    }
    all[current]!.tabIndex = 0;
  };

  const onkeydown = (event: KeyboardEvent): void => {
    const all = items();
    const focused = document.activeElement as HTMLElement | null;
    if (!focused || all.length === 0 || focused.closest('form, .confirm')) return;
    const row = focused.closest('li');
    const index = all.findIndex((item) => item.closest('li') === row);
    if (index < 0) return;
    let next: HTMLElement | undefined;
    if (event.key === 'ArrowDown') next = all[Math.min(index + 1, all.length - 1)];
    else if (event.key === 'ArrowUp') next = all[Math.max(index - 1, 0)];
    else if (event.key === 'Home') next = all[0];
    else if (event.key === 'End') next = all.at(-1);
    else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      const buttons = rowButtons(all[index]!);
      const at = buttons.indexOf(focused);
      const step = event.key === 'ArrowRight' ? 1 : -1;
      next = buttons[Math.max(0, Math.min(buttons.length - 1, at + step))];
    } else return;
    event.preventDefault();
    if (!next) return;
    const itemIndex = all.findIndex((item) => item.closest('li') === next.closest('li'));
    if (itemIndex >= 0) current = itemIndex;
    update();
    next.focus();
  };

  const onfocusin = (event: FocusEvent): void => {
    const index = items().findIndex(
      (item) => item.closest('li') === (event.target as HTMLElement).closest('li'),
    );
    if (index >= 0 && index !== current) {
      current = index;
      update();
    }
  };

  const observer = new MutationObserver(update);
  observer.observe(list, { childList: true, subtree: true });
  list.addEventListener('keydown', onkeydown);
  list.addEventListener('focusin', onfocusin);
  update();
  return () => {
    observer.disconnect();
    list.removeEventListener('keydown', onkeydown);
    list.removeEventListener('focusin', onfocusin);
  };
}
