/**
 * What the session commands need from the engine they run in, and nothing
 * more: the workspace folder, the logs (with what a recording's header says
 * about their source), new connections for replays, and the event stream.
 * The Engine passes an object implementing it; app/sessions/ never imports
 * the Engine, so there is no import cycle and no construction order.
 */
import type { ConnectOptions, EventName, EventPayloads } from '../contract.js';
import type { ClientConnection } from '../connections/client-connection.js';
import type { MessageLog } from '../log/message-log.js';
import type { Redactor } from '../variables/redact.js';

/** The source of a log, as a session header records it. */
export interface LogSource {
  role: 'client' | 'server';
  url: string;
  headers: Record<string, string>;
  protocols: string[];
}

export interface SessionHost {
  /** The workspace folder; throws DUPLEX_ERR_FILE when the engine has none. */
  workspaceDir(): string;
  /** The log of a connection or server; throws NOT_FOUND for an unknown id. */
  log(logId: string): MessageLog;
  /** Role, URL, headers and protocols of the connection or server behind a log. */
  logSource(logId: string): LogSource;
  /** Opens a connection the UI sees like any other (replays run in one). */
  openConnection(options: ConnectOptions): ClientConnection;
  /**
   * What a recording or export of this log hides: the secret values it used and
   * credential headers; `redact: false` (an explicit opt-out) hides nothing.
   */
  redactor(logId: string, redact: boolean | undefined): Redactor;
  /** A replay's --url through the engine's one preparation step (prepareConnectOptions); undefined stays undefined. */
  resolveUrl(
    url: string | undefined,
    choice: { environment?: string | undefined; vars?: Record<string, string> | undefined },
  ): Promise<string | undefined>;
  /** Queues an event; a later one with the same key replaces it within a batch. */
  publish<E extends EventName>(name: E, key: string, payload: EventPayloads[E]): void;
}
