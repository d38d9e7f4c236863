/**
 * `{{name}}` (and `{{vars.name}}`) in a URL, header, subprotocol, origin or
 * message, resolved against a VariableSet with the one template module the
 * mocks use (app/templates: Handlebars, no escaping, the uuid / time / random /
 * faker helpers). Rendered at each call, never cached as a value: `{{uuid}}`
 * differs per send and a changed environment applies to the next send.
 */
import { DuplexError, ErrorCodes } from '../errors.js';
import { TemplateEngine, type TemplateContext } from '../templates/template-engine.js';
import { TemplateError } from '../templates/template-error.js';
import { secretEnvName } from './environment-format.js';
import type { VariableSet } from './variable-set.js';

/** Compiled templates are shared (compiling is the cost); what they render is not. */
const sharedEngine = new TemplateEngine();

export interface RenderOptions {
  /** What the text is, for the error: "the URL", "header Authorization", "message". */
  where?: string;
  engine?: TemplateEngine;
  /** More context (a mock's msg, client, params); the set's values are laid over its `vars`. */
  context?: TemplateContext;
}

/** The template context a set gives: each value at the top (`{{host}}`) and under `vars` (`{{vars.host}}`). */
export function variablesContext(set: VariableSet, base: TemplateContext = {}): TemplateContext {
  const vars = { ...base.vars, ...set.values };
  return { ...set.values, ...base, vars };
}

/**
 * Renders `text`; plain text (no `{{`) is returned as it is. An unknown variable
 * is a DuplexError (DUPLEX_ERR_TEMPLATE) that names it and where it was used.
 */
export function renderVariables(text: string, set: VariableSet, options: RenderOptions = {}): string {
  if (TemplateEngine.isPlainText(text)) return text;
  const engine = options.engine ?? sharedEngine;
  try {
    return engine.render(text, variablesContext(set, options.context));
  } catch (err) {
    throw explain(err, set, options.where);
  }
}

/** The variable names a text reads (`host`, `vars.token` → `token`); a syntax error throws. */
export function variablesIn(text: string, engine: TemplateEngine = sharedEngine): string[] {
  if (TemplateEngine.isPlainText(text)) return [];
  return engine.compile(text).variables.map((name) => name.replace(/^vars\./, '').split('.')[0]!);
}

function explain(err: unknown, set: VariableSet, where: string | undefined): unknown {
  if (!(err instanceof TemplateError)) return err;
  const at = where === undefined ? '' : ` in ${where}`;
  if (err.reason !== 'unknown-variable' || err.variable === undefined) {
    return new DuplexError(ErrorCodes.TEMPLATE, `${err.message}${at}`, { ...err.toInfo().details, where });
  }
  const name = err.variable.replace(/^vars\./, '').split('.')[0]!;
  const env = set.environment === undefined ? 'no environment is active' : `environment "${set.environment}"`;
  const fix = set.missingSecrets.has(name)
    ? `"${name}" is a secret of ${env} with no value here: set ${secretEnvName(name)}, ` +
      'or store it in the app or the workspace secrets.local.json'
    : set.environment === undefined
      ? `${env}: choose one (--env NAME) or pass --var ${name}=VALUE`
      : `${env} does not define it: add it there or pass --var ${name}=VALUE`;
  return new DuplexError(ErrorCodes.TEMPLATE, `Unknown variable ${err.variable}${at}; ${fix}.`, {
    ...err.toInfo().details,
    variable: name,
    where,
  });
}
