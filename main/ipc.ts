/**
 * The Electron IPC transport: every command of the contract is bound with
 * ipcMain.handle on its own channel (`wb:<domain>.<verb>`), after checking
 * that the message comes from our own window's top frame showing our own page.
 * Handlers return `{ok, value} | {ok:false, error}`; nothing is thrown across
 * the process boundary. Engine events go to each window as one IPC message per
 * engine batch (the engine flushes at most every 16 ms).
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { commandChannel, commandNames, eventBatchChannel } from '../app/api.js';
import type { Result } from '../app/contract.js';
import type { Engine, EngineEvent } from '../app/engine.js';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { isAppUrl } from './window.js';

export interface IpcOptions {
  /** The windows' contents that may call commands and receive events. */
  windows: () => WebContents[];
}

/** Binds every command and forwards engine batches; returns the function that undoes it. */
export function bindIpc(engine: Engine, options: IpcOptions): () => void {
  for (const name of commandNames) {
    ipcMain.handle(
      commandChannel(name),
      async (event: IpcMainInvokeEvent, input: unknown): Promise<Result<unknown>> => {
        const refusal = senderRefusal(event, options.windows());
        if (refusal) return { ok: false, error: new DuplexError(ErrorCodes.FORBIDDEN, refusal).toInfo() };
        return engine.invoke(name, input);
      },
    );
  }
  const unsubscribe = engine.subscribe((events) => {
    for (const contents of options.windows()) sendEvents(contents, events);
  });
  return () => {
    unsubscribe();
    for (const name of commandNames) ipcMain.removeHandler(commandChannel(name));
  };
}

/** One IPC message carrying a batch of events. */
export function sendEvents(contents: WebContents, events: readonly EngineEvent[]): void {
  if (events.length > 0 && !contents.isDestroyed()) contents.send(eventBatchChannel, events);
}

/** Why a message is refused, or undefined when it comes from our window's top frame on our page. */
export function senderRefusal(event: IpcMainInvokeEvent, windows: WebContents[]): string | undefined {
  const frame = event.senderFrame;
  if (!windows.includes(event.sender)) return 'IPC refused: the sender is not a Duplex window.';
  if (!frame || frame.parent !== null || frame !== event.sender.mainFrame) {
    return 'IPC refused: only the top frame of the Duplex window may call commands.';
  }
  if (!isAppUrl(frame.url)) return `IPC refused: the sending page (${frame.url}) is not the Duplex UI.`;
  return undefined;
}
