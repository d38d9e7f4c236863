/**
 * Runs in the sandboxed window before the page. Exposes `window.duplex`, built
 * from the contract table: one function per command (one IPC channel each)
 * and one subscribe per event. Nothing generic (no invoke/send/on by name),
 * and the page never sees ipcRenderer or an IPC event object.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi, commandChannel, eventBatchChannel, eventNames } from '../app/api.js';
import type { EventName, Result } from '../app/contract.js';

type Listener = (payload: unknown) => void;
const listeners = new Map<EventName, Set<Listener>>(eventNames.map((name) => [name, new Set<Listener>()]));

ipcRenderer.on(eventBatchChannel, (_event, batch: unknown) => {
  if (!Array.isArray(batch)) return;
  for (const item of batch as { name?: unknown; payload?: unknown }[]) {
    const subscribers = listeners.get(item?.name as EventName);
    if (!subscribers) continue;
    for (const listener of subscribers) {
      try {
        listener(item.payload);
      } catch (err) {
        console.error(`Duplex: a listener of ${String(item.name)} failed`, err);
      }
    }
  }
});

const api = buildApi(
  (name, input) => ipcRenderer.invoke(commandChannel(name), input) as Promise<Result<unknown>>,
  (name, listener) => {
    const subscribers = listeners.get(name)!;
    const own: Listener = (payload) => listener(payload);
    subscribers.add(own);
    return () => subscribers.delete(own);
  },
);

contextBridge.exposeInMainWorld('duplex', api);
