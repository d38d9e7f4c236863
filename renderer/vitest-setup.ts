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
