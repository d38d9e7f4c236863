/**
 * The conversation inside a session, seen from one side: which data messages
 * that side sends and which it receives, in recorded order, with times
 * relative to the connection's open. Replay uses the client's side, the mock
 * replay the server's. A client recording holds one conversation; a server
 * recording one per client (the first client with messages, unless named).
 */
import { DuplexError, ErrorCodes } from '../errors.js';
import { isAllowedCloseCode } from '../websocket-rules.js';
import { isDataMessage, type SessionEntry } from './session-format.js';

export interface ScriptStep {
  action: 'send' | 'receive';
  /** ms after the connection opened, as recorded. */
  t: number;
  entry: SessionEntry & { kind: 'text' | 'binary' };
}

/** What a mock needs to serve one recorded conversation (planServerReplay). */
export interface ServerScript {
  /** The server's messages in order, each with how many client messages the recording had before it. */
  sends: { t: number; after: number; entry: ScriptStep['entry'] }[];
  /** The client messages of the conversation (conversation mode closes only after the last of them). */
  clientMessages: number;
  /** A close the server started in the recording (sent after the last message by the mock). */
  serverClose?: { t: number; code: number; reason: string };
}

/**
 * One pass over a session's entries that keeps only what a mock serving it
 * needs: the server's messages of one conversation and a count of the client
 * messages before each. On a server recording that is the named client's, or
 * the first client's with a data message; times are relative to its first
 * open. A recorded server close is kept only when a server may send its code.
 * Throws NOT_FOUND for a client the session does not have.
 */
export async function planServerReplay(
  entries: AsyncIterable<SessionEntry> | Iterable<SessionEntry>,
  role: 'client' | 'server',
  clientId?: string,
): Promise<ServerScript> {
  const server = role === 'server';
  const clients = new Set<string>();
  // Until a server recording's conversation is chosen (its first data message), every client is a candidate.
  const candidates = new Map<string | undefined, ServerPlanBuilder>();
  let chosen: ServerPlanBuilder | undefined =
    server && clientId === undefined ? undefined : new ServerPlanBuilder();
  for await (const e of entries) {
    if (e.clientId !== undefined) clients.add(e.clientId);
    const key = server ? e.clientId : undefined;
    if (!chosen) {
      let c = candidates.get(key);
      if (!c) candidates.set(key, (c = new ServerPlanBuilder()));
      if (isDataMessage(e) && e.clientId !== undefined) {
        chosen = c;
        clientId = e.clientId;
        candidates.clear();
      }
      c.add(e, role);
    } else if (!server || e.clientId === clientId) {
      chosen.add(e, role);
    }
  }
  if (server && clientId !== undefined) checkClient(clientId, clients);
  return (chosen ?? new ServerPlanBuilder()).script();
}

class ServerPlanBuilder {
  #t0: number | undefined;
  #sends: ServerScript['sends'] = [];
  #received = 0;
  #close: ServerScript['serverClose'];
  #clientClosed = false;

  add(e: SessionEntry, role: 'client' | 'server'): void {
    if (e.kind === 'open' && this.#t0 === undefined) this.#t0 = e.t;
    const step = stepOf(e, role, 'server', 0);
    if (step?.action === 'send') this.#sends.push({ t: step.t, after: this.#received, entry: step.entry });
    else if (step) this.#received++;
    else if (e.kind === 'close' && this.#close === undefined && !this.#clientClosed) {
      // On a client recording "out" is the client's; on a server recording it is the server's.
      if (e.dir === (role === 'client' ? 'out' : 'in')) this.#clientClosed = true;
      else if (e.code !== undefined && isAllowedCloseCode(e.code, 'wire')) {
        this.#close = { t: e.t, code: e.code, reason: e.reason ?? '' };
      }
    }
  }

  script(): ServerScript {
    const t0 = this.#t0 ?? 0;
    for (const s of this.#sends) s.t -= t0;
    const script: ServerScript = { sends: this.#sends, clientMessages: this.#received };
    if (this.#close) script.serverClose = { ...this.#close, t: this.#close.t - t0 };
    return script;
  }
}

/** The step a data message is for `side` (undefined for other events); one rule for both replays. */
export function stepOf(
  e: SessionEntry,
  role: 'client' | 'server',
  side: 'client' | 'server',
  t0: number,
): ScriptStep | undefined {
  if (!isDataMessage(e) || (e.dir !== 'in' && e.dir !== 'out')) return undefined;
  // On a client recording "out" is the client's; on a server recording it is the server's.
  const sentByClient = e.dir === (role === 'client' ? 'out' : 'in');
  const mine = side === 'client' ? sentByClient : !sentByClient;
  return { action: mine ? 'send' : 'receive', t: e.t - t0, entry: e as ScriptStep['entry'] };
}

/** What a streamed client replay needs before it starts: whose conversation, its open time, its totals. */
export interface ClientPlan {
  /** The client of a server recording whose side is replayed (undefined on a client recording). */
  clientId: string | undefined;
  t0: number;
  toSend: number;
  expected: number;
}

/**
 * One pass over a session's entries, with the same choices as planServerReplay: on a
 * server recording the named client or the first with a data message, t0 its
 * first open. Throws NOT_FOUND for a client the session does not have.
 */
export async function planClientReplay(
  entries: AsyncIterable<SessionEntry> | Iterable<SessionEntry>,
  role: 'client' | 'server',
  clientId?: string,
): Promise<ClientPlan> {
  const server = role === 'server';
  const clients = new Set<string>();
  const opens = new Map<string | undefined, number>();
  const counts = new Map<string | undefined, { send: number; receive: number }>();
  let firstData: string | undefined;
  let sawData = false;
  for await (const e of entries) {
    const key = server ? e.clientId : undefined;
    if (e.clientId !== undefined) clients.add(e.clientId);
    if (e.kind === 'open' && !opens.has(key)) opens.set(key, e.t);
    const step = stepOf(e, role, 'client', 0);
    if (!step) continue;
    if (!sawData && e.clientId !== undefined) {
      firstData = e.clientId;
      sawData = true;
    }
    let c = counts.get(key);
    if (!c) counts.set(key, (c = { send: 0, receive: 0 }));
    c[step.action]++;
  }
  if (server && clientId !== undefined) checkClient(clientId, clients);
  const id = server ? (clientId ?? firstData) : undefined;
  const c = counts.get(id) ?? { send: 0, receive: 0 };
  return { clientId: id, t0: opens.get(id) ?? 0, toSend: c.send, expected: c.receive };
}

/** The client's steps of a streamed session, for a plan made by planClientReplay. */
export async function* clientSteps(
  entries: AsyncIterable<SessionEntry> | Iterable<SessionEntry>,
  role: 'client' | 'server',
  plan: ClientPlan,
): AsyncGenerator<ScriptStep> {
  for await (const e of entries) {
    if (role === 'server' && e.clientId !== plan.clientId) continue;
    const step = stepOf(e, role, 'client', plan.t0);
    if (step) yield step;
  }
}

/** NOT_FOUND for a client a server recording does not have, naming the ones it has. */
function checkClient(clientId: string, clients: Set<string>): void {
  if (clients.has(clientId)) return;
  throw new DuplexError(
    ErrorCodes.NOT_FOUND,
    `The session has no client "${clientId}"; its clients are ${[...clients].join(', ') || 'none'}.`,
  );
}
