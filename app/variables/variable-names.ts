/**
 * Names of environments and variables, without zod so the UI shares the rule:
 * an environment's name is its file name, a variable's name is what `{{name}}`
 * reads, and a secret's environment variable is DUPLEX_SECRET_<NAME>.
 */

/** Letters, digits, `.`, `_`, `-`, 1–64, not starting with `.`. */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** An identifier: a letter or `_`, then letters, digits or `_`, at most 64. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Names a template already gives a meaning at its top (a mock's message, client, route params…). */
export const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set([
  'vars',
  'msg',
  'client',
  'params',
  'seq',
  'counters',
  'this',
]);

export const ENVIRONMENT_NAME_RULE =
  'an environment name is 1–64 letters, digits, ".", "_" or "-" and does not start with "."';
export const VARIABLE_NAME_RULE =
  'a variable name is a letter or "_" then letters, digits or "_" (at most 64)';

/** Why a variable name is refused, or undefined when it is fine. */
export function variableNameProblem(name: string): string | undefined {
  if (!VARIABLE_NAME.test(name)) return VARIABLE_NAME_RULE;
  if (RESERVED_VARIABLE_NAMES.has(name)) {
    return `this name is reserved for templates (${[...RESERVED_VARIABLE_NAMES].join(', ')}); pick another`;
  }
  return undefined;
}

/** The environment variable a secret is read from: DUPLEX_SECRET_ and the name in capitals. */
export function secretEnvName(name: string): string {
  return `DUPLEX_SECRET_${name.toUpperCase()}`;
}

/** What a redacted value is written as. */
export const REDACTED = '[redacted]';

/** Headers whose values are credentials: redacted by default wherever Duplex writes or copies them. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);
