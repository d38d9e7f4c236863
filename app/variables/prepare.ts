/**
 * The one preparation step: connect options as saved or typed (with `{{name}}`
 * in them) plus a VariableSet → the concrete options a connection opens with.
 * The UI's connect, `duplex connect`, replay and flows all pass through it, so
 * a variable means the same thing everywhere. Nothing is half-resolved: the
 * first unknown variable throws before any socket exists.
 */
import { connectOptionsSchema, isSubprotocolToken, type ConnectOptions } from '../contract.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import { parseWebSocketUrl } from '../websocket-rules.js';
import type { TemplateContext } from '../templates/template-engine.js';
import { renderVariables } from './render.js';
import type { VariableSet } from './variable-set.js';

export function prepareConnectOptions(
  options: ConnectOptions,
  set: VariableSet,
  /** More for the templates to see over the set's values (a flow's captures, its mock). */
  context?: TemplateContext,
): ConnectOptions {
  const render = (text: string, where: string): string =>
    renderVariables(text, set, context === undefined ? { where } : { where, context });
  const prepared: ConnectOptions = { ...options, url: render(options.url, 'the URL') };
  if (options.headers !== undefined) {
    prepared.headers = Object.fromEntries(
      Object.entries(options.headers).map(([name, value]) => [name, render(value, `header ${name}`)]),
    );
  }
  if (options.origin !== undefined) prepared.origin = render(options.origin, 'the origin');
  if (options.protocols !== undefined) {
    prepared.protocols = options.protocols.map((p, i) => render(p, `subprotocol ${i + 1}`));
  }
  if (options.tls?.passphrase !== undefined) {
    prepared.tls = { ...options.tls, passphrase: render(options.tls.passphrase, 'the TLS passphrase') };
  }
  // A value may bring what the typed text could not: a line break in a header, a bad URL.
  parseWebSocketUrl(prepared.url);
  const badProtocol = prepared.protocols?.find((p) => !isSubprotocolToken(p));
  if (badProtocol !== undefined) {
    throw new DuplexError(
      ErrorCodes.SYNTAX,
      `Subprotocol ${JSON.stringify(badProtocol)} (after resolving variables) is not an HTTP token: no spaces, commas or quotes.`,
    );
  }
  const checked = connectOptionsSchema.safeParse(prepared);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `After resolving variables, ${issue.path.join('.') || 'the options'}: ${issue.message}.`,
      { field: issue.path.join('.') },
    );
  }
  return prepared;
}

/** True when any field prepareConnectOptions renders holds a `{{`. */
export function hasVariables(options: ConnectOptions): boolean {
  const texts = [
    options.url,
    options.origin ?? '',
    options.tls?.passphrase ?? '',
    ...Object.values(options.headers ?? {}),
    ...(options.protocols ?? []),
  ];
  return texts.some((t) => t.includes('{{'));
}
