/**
 * Flags saying whether an EventEmitter has listeners for some of its events,
 * for per-frame code that makes an object or emits only when someone listens.
 * Reading a flag is a field load; listenerCount() looks the name up in the
 * emitter's dictionary of events on every call, which costs more than the rest
 * of a small frame's bookkeeping.
 *
 * The flags follow on/once/prepend* (through 'newListener'), off/removeListener
 * (through 'removeListener') and removeAllListeners (wrapped on the instance, as
 * it also removes the two hooks). A flag may be true with no listener left for
 * an instant (never false with one), so a guarded emit is at worst a no-op.
 */
import type { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event map
type AnyEmitter = EventEmitter<any>;

export function listenerFlags<N extends string>(
  emitter: AnyEmitter,
  names: readonly N[],
): Readonly<Record<N, boolean>> {
  const flags = {} as Record<N, boolean>;
  const watched: readonly (string | symbol)[] = names;
  const update = (): void => {
    for (const name of names) flags[name] = emitter.listenerCount(name) > 0;
  };
  // 'newListener' comes before the listener is added: set the flag, do not count.
  const onNew = (name: string | symbol): void => {
    if (watched.includes(name)) flags[name as N] = true;
  };
  const install = (): void => {
    if (!emitter.listeners('newListener').includes(onNew)) emitter.on('newListener', onNew);
    if (!emitter.listeners('removeListener').includes(update)) emitter.on('removeListener', update);
  };
  const removeAll = emitter.removeAllListeners;
  emitter.removeAllListeners = function (this: AnyEmitter, ...args: [eventName?: string | symbol]) {
    removeAll.apply(this, args);
    install();
    update();
    return this;
  };
  install();
  update();
  return flags;
}
