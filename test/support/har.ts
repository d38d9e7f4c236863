/** HAR in and out of memory, for tests of small documents; the app streams both ways. */
import { exportHarChunks, importHarStream } from '../../app/sessions/har.js';
import type { Session, SessionEntry } from '../../app/sessions/session-format.js';

/** The sessions of a HAR text, collected through the app's streaming import. */
export async function importHarText(
  text: string,
  where = 'HAR file',
): Promise<{ sessions: Session[]; skippedMessages: number }> {
  const { sessions, skippedMessages } = await importHarStream<Session>(
    { text, where },
    {
      start: (header) => ({ header, entries: [] }),
      add: (s, e) => void s.entries.push(e),
      end: () => undefined,
    },
  );
  return { sessions, skippedMessages };
}

/** The HAR document the app's streaming export writes for `session`. */
export async function exportHarDocument(session: Session): Promise<unknown> {
  async function* entries(): AsyncGenerator<SessionEntry> {
    yield* session.entries;
  }
  const parts: string[] = [];
  for await (const chunk of exportHarChunks(session.header, entries)) parts.push(chunk);
  return JSON.parse(parts.join('')) as unknown;
}
