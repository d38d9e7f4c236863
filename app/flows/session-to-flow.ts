/**
 * A recorded session → a flow file: a connect to the recorded URL (with its
 * headers and subprotocols), then, in recorded order, a send for each message
 * the client sent and an expect of each message that came back (text equals,
 * or binary equals), and the recorded close. On a server recording, the
 * conversation of one client (the first with messages, unless named) is taken.
 * The entries are streamed; the YAML is built in memory, so a flow holds at
 * most MAX_FLOW_MESSAGES messages, with a note of what was left out.
 */
import { Document } from 'yaml';
import { bytesToHex, utf8Decode } from '../payload/codecs.js';
import type { SessionEntry, SessionHeader } from '../sessions/session-format.js';
import { clientSteps, planClientReplay } from '../sessions/session-script.js';
import { isAllowedCloseCode } from '../websocket-rules.js';

export const MAX_FLOW_MESSAGES = 10_000;

export interface SessionFlow {
  /** The flow as plain data, in the shape of a flow file. */
  flow: Record<string, unknown>;
  yaml: string;
  sends: number;
  expects: number;
  /** Messages beyond MAX_FLOW_MESSAGES, not in the flow. */
  leftOut: number;
}

type Step = Record<string, unknown>;

export async function sessionToFlow(
  session: { header: SessionHeader; entries(): AsyncIterable<SessionEntry> },
  options: { name?: string; clientId?: string } = {},
): Promise<SessionFlow> {
  const { header } = session;
  const role = header.role;
  const plan = await planClientReplay(session.entries(), role, options.clientId);
  const connect: Step = { url: header.url };
  if (Object.keys(header.headers).length > 0) connect.headers = header.headers;
  if (header.protocols.length > 0) connect.protocols = header.protocols;
  const steps: Step[] = [{ connect }];
  let sends = 0;
  let expects = 0;
  let leftOut = 0;
  for await (const step of clientSteps(session.entries(), role, plan)) {
    if (sends + expects >= MAX_FLOW_MESSAGES) {
      leftOut++;
      continue;
    }
    const e = step.entry;
    if (step.action === 'send') {
      sends++;
      if (e.kind === 'binary') steps.push({ send: { hex: bytesToHex(e.data) } });
      else {
        const text = utf8Decode(e.data);
        // Recorded text is sent as it was, even when it looks like a template.
        steps.push({ send: text.includes('{{') ? { text, template: false } : text });
      }
    } else {
      expects++;
      if (e.kind === 'binary') steps.push({ expect: { binary: { equalsHex: bytesToHex(e.data) } } });
      else {
        const text = utf8Decode(e.data);
        // Matcher strings are templates: a recorded `{{` is matched by a regex of the literal text.
        steps.push({
          expect: text.includes('{{')
            ? { text: { regex: `^${escapeRegex(text)}$` } }
            : { text: { equals: text } },
        });
      }
    }
  }
  const close = await recordedClose(session.entries(), role, plan.clientId);
  if (close?.by === 'client') {
    const step: Step = {};
    if (close.code !== undefined) step.code = close.code;
    if (close.reason) step.reason = close.reason;
    if (close.answer !== undefined) step.expect = { code: close.answer };
    steps.push({ close: Object.keys(step).length > 0 ? step : null });
  } else if (close?.by === 'server') {
    steps.push({ expect: { close: close.code === undefined ? {} : { code: close.code } } });
  }
  const flow: Record<string, unknown> = {
    version: 1,
    name: options.name ?? `from ${header.url}`,
    steps,
  };
  const doc = new Document(flow);
  doc.commentBefore =
    ` Made from a recording of ${header.url}: its sends, and an expect of each message that came back.` +
    (leftOut > 0 ? `\n ${leftOut} later messages were left out (at most ${MAX_FLOW_MESSAGES}).` : '') +
    `\n Edit freely (docs/flow-format.md).`;
  return { flow, yaml: doc.toString({ lineWidth: 0 }), sends, expects, leftOut };
}

interface RecordedClose {
  by: 'client' | 'server';
  /** The code of the first close frame; undefined when it had none (1005) or none came (1006). */
  code: number | undefined;
  reason: string;
  /** For a client close: the code the server answered with. */
  answer: number | undefined;
}

/** Who closed the conversation first, and with what. */
async function recordedClose(
  entries: AsyncIterable<SessionEntry>,
  role: 'client' | 'server',
  clientId: string | undefined,
): Promise<RecordedClose | undefined> {
  let first: RecordedClose | undefined;
  for await (const e of entries) {
    if (e.kind !== 'close' || (role === 'server' && e.clientId !== clientId)) continue;
    if (e.dir !== 'in' && e.dir !== 'out') continue;
    const byClient = e.dir === (role === 'client' ? 'out' : 'in');
    const code = e.code !== undefined && isAllowedCloseCode(e.code, 'wire') ? e.code : undefined;
    if (!first) {
      first = { by: byClient ? 'client' : 'server', code, reason: e.reason ?? '', answer: undefined };
      if (!byClient) return first;
    } else if (!byClient) {
      first.answer = code;
      return first;
    }
  }
  return first;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
