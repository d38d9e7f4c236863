/**
 * The conversation inside a session, seen from one side: which data messages
 * that side sends and which it receives, in recorded order, with times
 * relative to the connection's open. Replay uses the client's side, the mock
 * replay the server's. A client recording holds one conversation; a server
 * recording one per client (the first client with messages, unless named).
 */
import { DuplexError, ErrorCodes } from '../errors.js';
import { isDataMessage, type Session, type SessionEntry } from './session-format.js';

export interface ScriptStep {
  action: 'send' | 'receive';
  /** ms after the connection opened, as recorded. */
  t: number;
  entry: SessionEntry & { kind: 'text' | 'binary' };
}

export interface Script {
  steps: ScriptStep[];
  /** A close the server started in the recording (sent after the last step by the mock). */
  serverClose?: { t: number; code: number; reason: string };
}

export function scriptOf(session: Session, side: 'client' | 'server', clientId?: string): Script {
  const { header } = session;
  let entries = session.entries;
  if (header.role === 'server') {
    const id = clientId ?? entries.find((e) => isDataMessage(e) && e.clientId !== undefined)?.clientId;
    if (clientId !== undefined && !entries.some((e) => e.clientId === clientId)) {
      throw new DuplexError(
        ErrorCodes.NOT_FOUND,
        `The session has no client "${clientId}"; its clients are ${sessionClients(session).join(', ') || 'none'}.`,
      );
    }
    entries = entries.filter((e) => e.clientId === id);
  }
  // On a client recording "out" is the client's; on a server recording it is the server's.
  const clientSends = header.role === 'client' ? 'out' : 'in';
  const open = entries.find((e) => e.kind === 'open');
  const t0 = open?.t ?? 0;
  const steps: ScriptStep[] = [];
  let serverClose: Script['serverClose'];
  let clientClosed = false;
  for (const e of entries) {
    const step = stepOf(e, header.role, side, t0);
    if (step) steps.push(step);
    else if (e.kind === 'close' && serverClose === undefined && !clientClosed) {
      const byClient = e.dir === clientSends;
      if (byClient) clientClosed = true;
      else if (e.code !== undefined && e.code !== 1005 && e.code !== 1006) {
        serverClose = { t: e.t - t0, code: e.code, reason: e.reason ?? '' };
      }
    }
  }
  return serverClose ? { steps, serverClose } : { steps };
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
 * One pass over a session's entries, with the same choices as scriptOf: on a
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
  if (server && clientId !== undefined && !clients.has(clientId)) {
    throw new DuplexError(
      ErrorCodes.NOT_FOUND,
      `The session has no client "${clientId}"; its clients are ${[...clients].join(', ') || 'none'}.`,
    );
  }
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

/** The client ids of a server recording, in order of first appearance (none for a client recording). */
export function sessionClients(session: Session): string[] {
  return [...new Set(session.entries.map((e) => e.clientId).filter((c) => c !== undefined))];
}
