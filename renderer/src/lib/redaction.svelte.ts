/**
 * The UI's opt-out of redaction: recordings and exports hide secret values and
 * Authorization / Cookie values unless the person ticks "keep" (in the
 * environments dialog). Not remembered across reloads: redacting is the default
 * each time the window opens.
 */
export const redaction = $state({ keep: false });

/** The `redact` field of recordStart / log.export / session.export inputs. */
export function redactInput(): { redact?: false } {
  return redaction.keep ? { redact: false } : {};
}
