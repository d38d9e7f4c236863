/**
 * A Redactor (app/variables/redact.ts) applied to session data: the header's
 * URL and headers, and each entry's payload, note and reason. Recordings and
 * HAR exports pass what they write through here.
 */
import type { Redactor } from '../variables/redact.js';
import { isTextKind } from '../vocabulary.js';
import type { SessionEntry, SessionHeader } from './session-format.js';

export function redactHeader<H extends Pick<SessionHeader, 'url' | 'headers'>>(
  header: H,
  redact: Redactor,
): H {
  if (!redact.active) return header;
  return { ...header, url: redact.text(header.url), headers: redact.headers(header.headers) };
}

export function redactEntry(entry: SessionEntry, redact: Redactor): SessionEntry {
  if (!redact.active) return entry;
  const out: SessionEntry = {
    ...entry,
    data: isTextKind(entry.kind) ? redact.textBytes(entry.data) : redact.binaryBytes(entry.data),
  };
  if (entry.note !== undefined) out.note = redact.text(entry.note);
  if (entry.reason !== undefined) out.reason = redact.text(entry.reason);
  return out;
}
