/**
 * A recording → an editable mock file: each message the client sent becomes a
 * rule (text equals, or binary equals) answering with what the server sent
 * after it; what the server sent before the first client message becomes
 * onConnect. A message recorded several times with different answers is one
 * rule whose answers come in turn (`responses: sequence`). Pure: the caller
 * reads the session and writes the YAML.
 */
import { Document } from 'yaml';
import { bytesToHex, utf8Decode } from '../payload/codecs.js';
import type { SessionEntry, SessionHeader } from '../sessions/session-format.js';
import {
  clientSteps,
  planClientReplay,
  planServerReplay,
  type ScriptStep,
} from '../sessions/session-script.js';
import { checkCloseArgs } from '../websocket-rules.js';

type Action = Record<string, unknown>;

export interface RecordingMock {
  /** The mock as plain data, in the shape of a mock file. */
  mock: Record<string, unknown>;
  yaml: string;
  rules: number;
}

export async function recordingToMock(
  session: { header: SessionHeader; entries(): AsyncIterable<SessionEntry> },
  options: { clientId?: string; name?: string } = {},
): Promise<RecordingMock> {
  // Streamed passes over the file: whose conversation, the recorded server close, then its steps.
  const role = session.header.role;
  const plan = await planClientReplay(session.entries(), role, options.clientId);
  const script = await planServerReplay(session.entries(), role, plan.clientId);
  const onConnect: Action[] = [];
  const rules = new Map<string, { when: Record<string, unknown>; answers: Action[][] }>();
  let current: Action[] = onConnect;
  // Seen from the client: what it receives the server sent; what it sends becomes a rule.
  for await (const step of clientSteps(session.entries(), role, plan)) {
    if (step.action === 'receive') {
      current.push(sendAction(step));
      continue;
    }
    const { key, when } = matcherOf(step);
    let rule = rules.get(key);
    if (!rule) rules.set(key, (rule = { when, answers: [] }));
    current = [];
    rule.answers.push(current);
  }
  const close = script.serverClose;
  if (close && !checkCloseArgs(close.code, close.reason, 'wire')) {
    current.push({ close: { code: close.code, reason: close.reason } });
  }
  const route: Record<string, unknown> = { path: pathOf(session.header.url) };
  if (onConnect.length > 0) route.onConnect = onConnect;
  route.rules = [...rules.values()].map((rule, i) => ({
    name: `message ${i + 1}`,
    when: rule.when,
    then: thenOf(rule.answers),
  }));
  route.otherwise = 'none';
  const mock: Record<string, unknown> = {
    version: 1,
    name: options.name ?? `from ${session.header.url}`,
    port: 0,
    routes: [route],
  };
  const doc = new Document(mock);
  doc.commentBefore =
    ` Made from a recording of ${session.header.url}: each client message is a rule answering` +
    `\n what the server sent after it. Edit freely (docs/mock-format.md).`;
  return { mock, yaml: doc.toString({ lineWidth: 0 }), rules: rules.size };
}

function thenOf(answers: Action[][]): Action[] {
  const same = answers.every((a) => JSON.stringify(a) === JSON.stringify(answers[0]));
  if (same) return answers[0]!.length > 0 ? answers[0]! : [{ drop: true }];
  return [
    {
      responses: {
        pick: 'sequence',
        from: answers.map((a) => (a.length === 0 ? { drop: true } : a.length === 1 ? a[0] : a)),
      },
    },
  ];
}

function sendAction(step: ScriptStep): Action {
  const e = step.entry;
  if (e.kind === 'binary') return { sendHex: bytesToHex(e.data) };
  const text = utf8Decode(e.data);
  // Recorded text is sent as it was, even when it looks like a template.
  return text.includes('{{') ? { send: text, template: false } : { send: text };
}

function matcherOf(step: ScriptStep): { key: string; when: Record<string, unknown> } {
  const e = step.entry;
  if (e.kind === 'binary') {
    const hex = bytesToHex(e.data);
    return { key: `b:${hex}`, when: { binary: { equalsHex: hex } } };
  }
  const text = utf8Decode(e.data);
  return { key: `t:${text}`, when: { text: { equals: text } } };
}

function pathOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return path.startsWith('/') ? path.replace(/:/g, '\\:') : '/';
  } catch {
    return '/';
  }
}
