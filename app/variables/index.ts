/**
 * Variables, environments and secrets — the engine's one place for values that vary.
 *
 * Files (docs/workspace-format.md):
 *   environments/NAME.json   {"version":1,"variables":[{"name":"host","value":"…"},{"name":"token","secret":true}]}
 *                            zod-validated (environment-format.ts); errors name the file and the field.
 *                            A secret's value is never in this file.
 *   secrets.local.json       CLI / browser mode secrets, 0600 and git-ignored (local-secrets.ts);
 *                            DUPLEX_SECRET_<NAME> wins over it. The desktop app uses safeStorage (main/).
 *
 * Use:
 *   const env = await loadEnvironment(workspaceRoot, 'dev');           // or listEnvironments(root)
 *   const set = await buildVariableSet({ environment: env, secrets, overrides: { host: 'x' } });
 *   renderVariables('ws://{{host}}/?t={{uuid}}', set, { where: 'the URL' });  // at each call, never frozen
 *   loadVariableSet(root, { env: 'dev', vars: { host: 'x' } })          // the three steps in one
 *
 * `{{name}}` and `{{vars.name}}` both read a variable; all app/templates helpers work
 * (uuid, now, epochMs, randomInt, randomFloat, faker, json, text). An unknown variable
 * is a DuplexError (DUPLEX_ERR_TEMPLATE, details.variable = its name). A VariableSet
 * carries `secretNames`, so redaction knows which values to hide.
 */
export * from './environment-format.js';
export * from './environment-store.js';
export * from './variable-set.js';
export * from './render.js';
export * from './local-secrets.js';

import { loadEnvironment } from './environment-store.js';
import { LocalSecretSource } from './local-secrets.js';
import { buildVariableSet, type SecretSource, type VariableSet } from './variable-set.js';

export interface VariableChoice {
  /** Environment name (`--env`); none means only the overrides. */
  env?: string | undefined;
  /** `--var` overrides. */
  vars?: Readonly<Record<string, string>> | undefined;
  /** Defaults to DUPLEX_SECRET_<NAME> then the workspace's secrets.local.json. */
  secrets?: SecretSource | undefined;
}

/** Loads the chosen environment of a workspace and builds its VariableSet. */
export async function loadVariableSet(workspaceRoot: string, choice: VariableChoice): Promise<VariableSet> {
  const environment = choice.env === undefined ? undefined : await loadEnvironment(workspaceRoot, choice.env);
  return buildVariableSet({
    environment,
    secrets: choice.secrets ?? new LocalSecretSource(workspaceRoot),
    overrides: choice.vars,
  });
}
