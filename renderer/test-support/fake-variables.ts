/**
 * Environments and secrets of the fake contract (fake-api.ts), in memory, with
 * the engine's rules: names checked with the same schemas, a secret's value
 * kept apart from its row (env.read says only hasValue), `{{name}}` /
 * `{{vars.name}}` resolved (and an unknown one is DUPLEX_ERR_TEMPLATE naming
 * it). Helpers such as {{uuid}} are not evaluated here: the fake has no
 * template engine.
 */
import type { EnvironmentSummary, EnvironmentView, Result } from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import {
  REDACTED,
  ENVIRONMENT_NAME,
  ENVIRONMENT_NAME_RULE,
  variableNameProblem,
} from '../../app/variables/variable-names.js';

type Row = { name: string; value?: string; secret?: boolean };
export interface VariableChoice {
  environment?: string | undefined;
  vars?: Record<string, string> | undefined;
}

export function createFakeVariables(deps: {
  record: (name: string) => (input: unknown) => void;
  emit: (name: string, payload: unknown) => void;
  /** What `duplex ui --env NAME` would have chosen. */
  launchEnvironment?: string | undefined;
}) {
  const envs = new Map<string, Row[]>();
  const secrets = new Map<string, string>();
  const ok = <T>(value: T): Promise<Result<T>> => Promise.resolve({ ok: true, value });
  const fail = <T>(code: ErrorInfo['code'], message: string, details?: Record<string, unknown>) =>
    Promise.resolve<Result<T>>({ ok: false, error: { code, message, ...(details ? { details } : {}) } });
  const changed = () => deps.emit('workspace.changed', { what: 'environments' });
  const view = (name: string, rows: Row[]): EnvironmentView => ({
    name,
    variables: rows.map((r) =>
      r.secret
        ? { name: r.name, secret: true, hasValue: secrets.has(`${name}/${r.name}`) }
        : { name: r.name, value: r.value ?? '' },
    ),
  });
  const badEnvName = (name: string) => {
    return ENVIRONMENT_NAME.test(name) ? undefined : `name: ${ENVIRONMENT_NAME_RULE}`;
  };
  const noEnv = <T>(name: string) =>
    fail<T>(ErrorCodes.NOT_FOUND, `No environment "${name}": environments/${name}.json does not exist.`);

  /** The values a choice gives, or the error the engine would answer. */
  const valuesOf = (
    choice: VariableChoice,
  ): { values: Record<string, string>; secrets: string[] } | ErrorInfo => {
    const values: Record<string, string> = {};
    const secretValues: string[] = [];
    if (choice.environment !== undefined) {
      const rows = envs.get(choice.environment);
      if (!rows) return { code: ErrorCodes.NOT_FOUND, message: `No environment "${choice.environment}".` };
      for (const r of rows) {
        if (!r.secret) values[r.name] = r.value ?? '';
        else {
          const s = secrets.get(`${choice.environment}/${r.name}`);
          if (s !== undefined) {
            values[r.name] = s;
            secretValues.push(s);
          }
        }
      }
    }
    Object.assign(values, choice.vars);
    return { values, secrets: secretValues };
  };

  /** `{{name}}` / `{{vars.name}}` replaced; an unknown name is the engine's TEMPLATE error. */
  const render = (
    text: string,
    choice: VariableChoice,
    where: string,
  ): { text: string; secrets: string[] } | ErrorInfo => {
    const got = valuesOf(choice);
    if ('code' in got) return got;
    let unknown: string | undefined;
    const out = text.replace(/\{\{\s*(?:vars\.)?([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (all, name: string) => {
      if (Object.hasOwn(got.values, name)) return got.values[name]!;
      unknown ??= name;
      return all;
    });
    if (unknown !== undefined) {
      return {
        code: ErrorCodes.TEMPLATE,
        message: `Unknown variable ${unknown} in ${where}.`,
        details: { reason: 'unknown-variable', variable: unknown, where },
      };
    }
    return { text: out, secrets: got.secrets };
  };

  const api = {
    env: {
      launch: () =>
        ok<{ environment?: string }>(
          deps.launchEnvironment === undefined ? {} : { environment: deps.launchEnvironment },
        ),
      list: () =>
        ok<EnvironmentSummary[]>(
          [...envs].map(([name, rows]) => ({
            name,
            variableCount: rows.length,
            secretNames: rows.filter((r) => r.secret).map((r) => r.name),
          })),
        ),
      read: (input: { name: string }) => {
        const rows = envs.get(input.name);
        return rows ? ok(view(input.name, rows)) : noEnv<EnvironmentView>(input.name);
      },
      save: (input: { name: string; variables: Row[] }) => {
        deps.record('env.save')(input);
        const bad = badEnvName(input.name);
        if (bad)
          return fail<EnvironmentView>(ErrorCodes.INVALID_INPUT, `Invalid input for env.save: ${bad}.`);
        const seen = new Set<string>();
        for (const [i, r] of input.variables.entries()) {
          const problem = variableNameProblem(r.name);
          if (problem) {
            return fail<EnvironmentView>(ErrorCodes.INVALID_INPUT, `variables.${i}.name: ${problem}.`);
          }
          if (seen.has(r.name)) {
            return fail<EnvironmentView>(
              ErrorCodes.INVALID_INPUT,
              `variables.${i}.name: "${r.name}" is defined twice.`,
            );
          }
          seen.add(r.name);
        }
        const rows = input.variables.map((r) =>
          r.secret ? { name: r.name, secret: true } : { name: r.name, value: r.value ?? '' },
        );
        envs.set(input.name, rows);
        for (const r of input.variables)
          if (r.secret && r.value !== undefined) secrets.set(`${input.name}/${r.name}`, r.value);
        changed();
        return ok(view(input.name, rows));
      },
      delete: (input: { name: string }) => {
        deps.record('env.delete')(input);
        const deleted = envs.delete(input.name);
        if (deleted) changed();
        return ok({ deleted });
      },
      resolve: (input: VariableChoice & { text: string; reveal?: boolean }) => {
        const r = render(input.text, input, 'the text');
        if ('code' in r) return fail<{ text: string; secret: boolean }>(r.code, r.message, r.details);
        let shown = r.text;
        for (const s of r.secrets) shown = shown.split(s).join(REDACTED);
        return ok({ text: input.reveal ? r.text : shown, secret: shown !== r.text });
      },
    },
    secret: {
      set: (input: { environment: string; name: string; value: string }) => {
        deps.record('secret.set')(input);
        const row = envs.get(input.environment)?.find((r) => r.name === input.name);
        if (!row?.secret) {
          return fail<{ set: boolean }>(
            ErrorCodes.INVALID_INPUT,
            `Environment "${input.environment}" has no secret variable "${input.name}".`,
          );
        }
        secrets.set(`${input.environment}/${input.name}`, input.value);
        changed();
        return ok({ set: true });
      },
      clear: (input: { environment: string; name: string }) => {
        deps.record('secret.clear')(input);
        secrets.delete(`${input.environment}/${input.name}`);
        changed();
        return ok({ cleared: true });
      },
    },
  };
  return { api, render };
}
