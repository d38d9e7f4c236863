/**
 * The environment file format, runtime-free (zod only) so the contract and the
 * UI share it: `environments/NAME.json` in the workspace.
 *
 *   { "version": 1,
 *     "variables": [
 *       { "name": "host", "value": "127.0.0.1:9000" },
 *       { "name": "token", "secret": true } ] }
 *
 * A variable marked `secret` carries no `value` in the file: its value comes
 * from a SecretSource (safeStorage in the app, DUPLEX_SECRET_<NAME> or the 0600
 * secrets.local.json elsewhere). docs/workspace-format.md documents the format.
 */
import { z } from 'zod';

export const ENVIRONMENT_FORMAT_VERSION = 1;

/** An environment's name is its file name: letters, digits, `.`, `_`, `-`, not starting with `.`. */
export const ENVIRONMENT_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

/** A variable's name is what `{{name}}` reads: an identifier. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Names a template already gives a meaning at its top (the mock's message, client, route
 * parameters, counters, and `vars` itself); a variable may not hide them.
 */
export const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set([
  'vars',
  'msg',
  'client',
  'params',
  'seq',
  'counters',
  'this',
]);

export const environmentNameSchema = z
  .string()
  .regex(
    ENVIRONMENT_NAME,
    'an environment name is 1–64 letters, digits, ".", "_" or "-" and does not start with "."',
  );

export const variableNameSchema = z
  .string()
  .regex(VARIABLE_NAME, 'a variable name is a letter or "_" then letters, digits or "_" (at most 64)')
  .refine((name) => !RESERVED_VARIABLE_NAMES.has(name), {
    message: `this name is reserved for templates (${[...RESERVED_VARIABLE_NAMES].join(', ')}); pick another`,
  });

/** One row of an environment: a plain variable with its value, or a secret without one. */
export const environmentVariableSchema = z
  .object({
    name: variableNameSchema,
    value: z.string().optional(),
    secret: z.boolean().optional(),
  })
  .superRefine((v, ctx) => {
    if (v.secret === true && v.value !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message:
          'a secret variable keeps no value in the file; remove "value" and set the secret with ' +
          '`duplex env secret`, the app, or DUPLEX_SECRET_<NAME>',
      });
    }
    if (v.secret !== true && v.value === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'a variable that is not secret needs a "value"',
      });
    }
  });
export type EnvironmentVariable = z.infer<typeof environmentVariableSchema>;

/** The variables of one environment; names are unique. */
export const environmentVariablesSchema = z.array(environmentVariableSchema).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((v, i) => {
    if (seen.has(v.name)) {
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${v.name}" is defined twice` });
    }
    seen.add(v.name);
  });
});

/** The file's body (without `version`); fields this version does not know are kept. */
export const environmentFileSchema = z.looseObject({ variables: environmentVariablesSchema });

export interface Environment {
  name: string;
  variables: EnvironmentVariable[];
}

/** What env.list reports for each environment. */
export interface EnvironmentSummary {
  name: string;
  variableCount: number;
  secretNames: string[];
}

/** The environment variable a secret is read from: DUPLEX_SECRET_ and the name in capitals. */
export function secretEnvName(name: string): string {
  return `DUPLEX_SECRET_${name.toUpperCase()}`;
}
