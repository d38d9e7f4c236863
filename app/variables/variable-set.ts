/**
 * A VariableSet is what `{{name}}` resolves against: the active environment's
 * values, then its secrets (from a SecretSource), then `--var` overrides, in
 * that order of precedence (last wins). It records which names are secret so
 * logs, recordings, HAR and copied code can redact their values.
 */
import { DuplexError, ErrorCodes } from '../errors.js';
import { variableNameSchema, type Environment } from './environment-format.js';

export interface VariableSet {
  /** The environment the values came from; undefined when none was chosen. */
  readonly environment: string | undefined;
  readonly values: Readonly<Record<string, string>>;
  /** Names whose values are secret (and present in `values`). */
  readonly secretNames: ReadonlySet<string>;
  /** Secrets the environment declares but no SecretSource had a value for. */
  readonly missingSecrets: ReadonlySet<string>;
}

/** Where secret values live: safeStorage in the app, DUPLEX_SECRET_<NAME> or secrets.local.json elsewhere. */
export interface SecretSource {
  /** The value of secret `name` of `environment`, or undefined when none is set. */
  get(environment: string, name: string): Promise<string | undefined>;
  /** Stores a value (never in the environment file). Sources that cannot store throw. */
  set(environment: string, name: string, value: string): Promise<void>;
  clear(environment: string, name: string): Promise<void>;
  /** Which of the environment's secrets have a value here; for the UI's "set / not set". */
  has(environment: string, name: string): Promise<boolean>;
}

export const EMPTY_VARIABLES: VariableSet = {
  environment: undefined,
  values: {},
  secretNames: new Set(),
  missingSecrets: new Set(),
};

export interface BuildOptions {
  environment?: Environment | undefined;
  secrets?: SecretSource | undefined;
  /** `--var key=value` or replay overrides; these win over the environment. */
  overrides?: Readonly<Record<string, string>> | undefined;
}

export async function buildVariableSet(options: BuildOptions): Promise<VariableSet> {
  const { environment, secrets, overrides = {} } = options;
  const values: Record<string, string> = {};
  const secretNames = new Set<string>();
  const missingSecrets = new Set<string>();
  for (const variable of environment?.variables ?? []) {
    if (variable.secret !== true) {
      values[variable.name] = variable.value ?? '';
      continue;
    }
    const value = secrets ? await secrets.get(environment!.name, variable.name) : undefined;
    if (value === undefined) missingSecrets.add(variable.name);
    else {
      values[variable.name] = value;
      secretNames.add(variable.name);
    }
  }
  for (const [name, value] of Object.entries(overrides)) {
    checkVariableName(name, '--var');
    values[name] = value;
    missingSecrets.delete(name);
    // An override of a secret stays secret: it is the same credential given another way.
  }
  return { environment: environment?.name, values, secretNames, missingSecrets };
}

/** Parses `key=value` (the first `=` splits; the value may be empty or hold more `=`). */
export function parseVarAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `--var ${JSON.stringify(text)} is not key=value; write it like --var host=127.0.0.1:9000.`,
    );
  }
  const name = text.slice(0, eq);
  checkVariableName(name, '--var');
  return [name, text.slice(eq + 1)];
}

export function checkVariableName(name: string, where: string): void {
  const parsed = variableNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `${where} ${JSON.stringify(name)}: ${parsed.error.issues[0]!.message}.`,
      { variable: name },
    );
  }
}

/** The secret values of a set, longest first (so a redaction of one never leaves part of a longer one). */
export function secretValues(set: VariableSet): string[] {
  return [...set.secretNames]
    .map((name) => set.values[name]!)
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length);
}
