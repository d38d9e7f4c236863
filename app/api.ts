/**
 * Runtime-free half of the contract: the command and event names, their IPC
 * channels, and the builder of the API object front ends use. The renderer and
 * the preload import this file (and only types from contract.ts), so no schema
 * library ships to the UI.
 */
import type {
  CommandInput,
  CommandName,
  CommandOutput,
  EventName,
  EventPayloads,
  Result,
} from './contract.js';

export const commandNames = [
  'connection.open',
  'connection.send',
  'connection.ping',
  'connection.close',
  'connection.reconnect',
  'connection.remove',
  'connection.get',
  'connection.list',
  'server.start',
  'server.stop',
  'server.get',
  'server.list',
  'server.clients',
  'server.send',
  'server.broadcast',
  'server.closeClient',
  'server.terminateClient',
  'log.read',
  'log.payload',
  'log.clear',
  'log.match',
  'log.export',
  'savedConnection.list',
  'savedConnection.save',
  'savedConnection.rename',
  'savedConnection.duplicate',
  'savedConnection.delete',
  'template.list',
  'template.save',
  'template.delete',
  'session.recordStart',
  'session.recordStop',
  'session.recordings',
  'session.list',
  'session.open',
  'session.read',
  'session.info',
  'session.locate',
  'session.payload',
  'session.rename',
  'session.delete',
  'session.reveal',
  'session.import',
  'session.export',
  'session.replay',
  'session.replayStatus',
  'session.replayControl',
  'live.list',
  'server.hits',
  'server.certificate',
  'mock.list',
  'mock.read',
  'mock.save',
  'mock.delete',
  'mock.start',
  'mock.try',
  'mock.serveSession',
  'mock.fromSession',
  'flow.list',
  'flow.read',
  'flow.save',
  'flow.delete',
  'flow.run',
  'flow.status',
  'flow.stop',
  'flow.rerunStep',
  'flow.fromSession',
  'env.launch',
  'env.list',
  'env.read',
  'env.save',
  'env.delete',
  'env.resolve',
  'secret.set',
  'secret.clear',
] as const satisfies readonly CommandName[];

export const eventNames = [
  'connection.state',
  'connection.removed',
  'server.state',
  'server.clients',
  'server.hits',
  'server.mockReload',
  'log.appended',
  'log.cleared',
  'session.replayProgress',
  'flow.progress',
  'workspace.changed',
  'ui.menu',
] as const satisfies readonly EventName[];

// Compile-time proof that the lists above name every command and event of the table.
type Missing<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : Exclude<All, Listed>;
export const allCommandsListed: Missing<CommandName, (typeof commandNames)[number]> = true;
export const allEventsListed: Missing<EventName, (typeof eventNames)[number]> = true;

/** IPC channel of a command: `wb:connection.open`. */
/** session.replay: how long verify waits for each recorded incoming message when timeoutMs is not given. */
export const DEFAULT_REPLAY_TIMEOUT_MS = 5000;

export const commandChannel = (name: CommandName): string => `wb:${name}`;
/** IPC channel of an event: `wb:event.log.appended`. */
export const eventChannel = (name: EventName): string => `wb:event.${name}`;
/** IPC channel carrying one batch of events (`{name, payload}[]`) per flush: one message per ~16 ms. */
export const eventBatchChannel = 'wb:events';

type DomainOf<K> = K extends `${infer D}.${string}` ? D : never;
type VerbOf<K, D extends string> = K extends `${D}.${infer V}` ? V : never;

/** `api.connection.open(input)`, `api.on['log.appended'](listener)`. */
export type WorkbenchApi = {
  [D in DomainOf<CommandName>]: {
    [V in VerbOf<CommandName, D>]: `${D}.${V}` extends infer K extends CommandName
      ? (input: CommandInput<K>) => Promise<Result<CommandOutput<K>>>
      : never;
  };
} & {
  on: { [E in EventName]: (listener: (payload: EventPayloads[E]) => void) => () => void };
};

export type Invoke = (name: CommandName, input: unknown) => Promise<Result<unknown>>;
export type Subscribe = (name: EventName, listener: (payload: unknown) => void) => () => void;

/** Builds the API object from the table: one function per command, one subscribe per event. */
export function buildApi(invoke: Invoke, subscribe: Subscribe): WorkbenchApi {
  const api: Record<string, Record<string, unknown>> = { on: {} };
  for (const name of commandNames) {
    const [domain, verb] = name.split('.') as [string, string];
    api[domain] ??= {};
    api[domain][verb] = (input: unknown) => invoke(name, input);
  }
  for (const name of eventNames) {
    api['on']![name] = (listener: (payload: unknown) => void) => subscribe(name, listener);
  }
  return api as unknown as WorkbenchApi;
}
