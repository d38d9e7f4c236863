/**
 * The one error a template raises, at compile time (a syntax error, an unknown
 * helper) or at render time (an unknown variable, a helper given bad arguments).
 * `line` and `column` are 1-based and point into the template's own text.
 */
import { DuplexError, ErrorCodes } from '../errors.js';

export const TEMPLATE_ERROR_CODE = ErrorCodes.TEMPLATE;

/** `render`: Handlebars itself failed while rendering (e.g. `{{#each}}` given nothing to iterate). */
export type TemplateErrorReason = 'syntax' | 'unknown-helper' | 'unknown-variable' | 'helper' | 'render';

export class TemplateError extends DuplexError {
  declare readonly code: typeof TEMPLATE_ERROR_CODE;
  readonly reason: TemplateErrorReason;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** For an unknown variable: its path as written, e.g. `vars.token`. */
  readonly variable: string | undefined;

  constructor(
    reason: TemplateErrorReason,
    message: string,
    where: { line?: number | undefined; column?: number | undefined; variable?: string | undefined } = {},
  ) {
    const at = where.line === undefined ? '' : ` (line ${where.line}, column ${where.column ?? 1})`;
    super(TEMPLATE_ERROR_CODE, `${message}${at}`);
    this.name = 'TemplateError';
    this.reason = reason;
    this.line = where.line;
    this.column = where.column;
    this.variable = where.variable;
  }

  /** Plain data, as the engine's other errors cross IPC. */
  override toInfo(): { code: typeof TEMPLATE_ERROR_CODE; message: string; details: Record<string, unknown> } {
    const details: Record<string, unknown> = { reason: this.reason };
    if (this.line !== undefined) details.line = this.line;
    if (this.column !== undefined) details.column = this.column;
    if (this.variable !== undefined) details.variable = this.variable;
    return { code: this.code, message: this.message, details };
  }
}
