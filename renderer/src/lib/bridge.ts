/**
 * The one file of the UI that touches a transport. In Electron the preload has
 * already put the contract API on `window.duplex` (IPC). In browser mode
 * (`duplex ui`) the same API is built here over the bridge WebSocket at
 * ws://<host>/bridge, authenticated with the page's `?token=`; payload bytes
 * travel as binary frames (app/bridge-codec.ts).
 */
import { buildApi, eventNames, type WorkbenchApi } from '../../../app/api.js';
import { decodeBridgeMessage, encodeBridgeMessage, type BridgeRequest } from '../../../app/bridge-codec.js';
import type { CommandName, EventName, Result } from '../../../app/contract.js';
import type { ErrorInfo } from '../../../app/errors.js';

declare global {
  interface Window {
    /** Set by the Electron preload (main/preload.ts). */
    duplex?: WorkbenchApi;
  }
}

/** The engine API: Electron IPC when running in the desktop app, else the browser-mode bridge. */
export async function connectApi(): Promise<WorkbenchApi> {
  if (window.duplex) return window.duplex;
  const token = new URLSearchParams(location.search).get('token');
  if (!token) {
    throw new Error('this page has no ?token=; open the exact address that `duplex ui` printed.');
  }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return connectBridge(`${scheme}://${location.host}/bridge?token=${encodeURIComponent(token)}`);
}

type Listener = (payload: unknown) => void;

/** Opens the bridge WebSocket and builds the API over it; rejects when it cannot open. */
export function connectBridge(url: string): Promise<WorkbenchApi> {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<Listener>>(eventNames.map((name) => [name, new Set<Listener>()]));
  let nextId = 1;
  let closedError: ErrorInfo | undefined;

  ws.addEventListener('message', (event: MessageEvent<string | ArrayBuffer>) => {
    let message: unknown;
    try {
      message = decodeBridgeMessage(typeof event.data === 'string' ? event.data : new Uint8Array(event.data));
    } catch (err) {
      console.error('Duplex: unreadable bridge message', err);
      return;
    }
    const m = message as { type?: string; id?: number; result?: Result<unknown>; events?: unknown };
    if (m.type === 'response' && typeof m.id === 'number') {
      pending.get(m.id)?.(m.result!);
      pending.delete(m.id);
    } else if (m.type === 'events' && Array.isArray(m.events)) {
      for (const e of m.events as { name: EventName; payload: unknown }[]) {
        for (const listener of listeners.get(e.name) ?? []) {
          try {
            listener(e.payload);
          } catch (err) {
            console.error(`Duplex: a listener of ${e.name} failed`, err);
          }
        }
      }
    }
  });

  const invoke = (name: CommandName, input: unknown): Promise<Result<unknown>> => {
    if (closedError) return Promise.resolve({ ok: false, error: closedError });
    const id = nextId++;
    const request: BridgeRequest = { type: 'request', id, name, input };
    return new Promise((resolve) => {
      pending.set(id, resolve);
      ws.send(encodeBridgeMessage(request));
    });
  };
  const subscribe = (name: EventName, listener: Listener): (() => void) => {
    const set = listeners.get(name)!;
    const own: Listener = (payload) => listener(payload);
    set.add(own);
    return () => void set.delete(own);
  };

  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(buildApi(invoke, subscribe)), { once: true });
    ws.addEventListener('close', (event) => {
      closedError = {
        code: 'DUPLEX_ERR_INTERNAL',
        message: `The connection to the Duplex engine closed (code ${event.code}); restart \`duplex ui\` and open the new address it prints.`,
      };
      for (const resolvePending of pending.values()) resolvePending({ ok: false, error: closedError });
      pending.clear();
      reject(
        new Error(
          `cannot open the bridge (code ${event.code}); open the exact address that \`duplex ui\` printed.`,
        ),
      );
    });
  });
}
