import { beforeEach } from 'vitest';

/**
 * jsdom lacks ResizeObserver (Svelte's bind:clientHeight uses it). It also
 * has no layout, so observed sizes stay 0 and VirtualList uses its fallback height.
 */
class NoLayoutResizeObserver {
  observe(): void {}
  unobserve(): void {}
  disconnect(): void {}
}
globalThis.ResizeObserver ??= NoLayoutResizeObserver as unknown as typeof ResizeObserver;

/** CodeMirror measures text through Range rectangles; jsdom has no layout, so they are empty. */
Range.prototype.getClientRects ??= function getClientRects(): DOMRectList {
  return Object.assign([], { item: () => null }) as unknown as DOMRectList;
};
Range.prototype.getBoundingClientRect ??= function getBoundingClientRect(): DOMRect {
  return new DOMRect(0, 0, 0, 0);
};

/** Each test starts with a window that remembers nothing (UiState keeps tabs in localStorage). */
beforeEach(() => localStorage.clear());
