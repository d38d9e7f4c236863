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
    if (isDataMessage(e) && (e.dir === 'in' || e.dir === 'out')) {
      const sentByClient = e.dir === clientSends;
      const mine = side === 'client' ? sentByClient : !sentByClient;
      steps.push({ action: mine ? 'send' : 'receive', t: e.t - t0, entry: e as ScriptStep['entry'] });
    } else if (e.kind === 'close' && serverClose === undefined && !clientClosed) {
      const byClient = e.dir === clientSends;
      if (byClient) clientClosed = true;
      else if (e.code !== undefined && e.code !== 1005 && e.code !== 1006) {
        serverClose = { t: e.t - t0, code: e.code, reason: e.reason ?? '' };
      }
    }
  }
  return serverClose ? { steps, serverClose } : { steps };
}

/** The client ids of a server recording, in order of first appearance (none for a client recording). */
export function sessionClients(session: Session): string[] {
  return [...new Set(session.entries.map((e) => e.clientId).filter((c) => c !== undefined))];
}
