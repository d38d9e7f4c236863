/** A whole session file in memory, for tests that compare small files; the app streams them. */
import { openSessionSource } from '../../app/sessions/session-reader.js';
import type { SessionEntry, SessionHeader, SessionWarning } from '../../app/sessions/session-format.js';

export async function readSessionFile(
  path: string,
): Promise<{ path: string; header: SessionHeader; entries: SessionEntry[]; warnings: SessionWarning[] }> {
  const source = await openSessionSource(path);
  const entries: SessionEntry[] = [];
  for await (const e of source.entries()) entries.push(e);
  return { path, header: source.header, entries, warnings: source.warnings };
}
