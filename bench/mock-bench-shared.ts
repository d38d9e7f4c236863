/** What the mock benchmark and its server processes agree on. */

/** The broadcast stream's interval: 10 messages a second to every client. */
export const FANOUT_INTERVAL_MS = 100;
/** The broadcast message: 64 B of text. */
export const FANOUT_TEXT = 'x'.repeat(64);
