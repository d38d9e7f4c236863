/**
 * The engine's environment and secret commands (env.*, secret.*), and the
 * variables each client connection was opened with: the connection's sends
 * are rendered against them at each send (values re-read then, never frozen at
 * connect), and their secret values are what recordings, HAR and --json redact.
 */
import type { z } from 'zod';
import type {
  CommandName,
  CommandOutput,
  ConnectOptions,
  EnvironmentView,
  Payload,
  commands,
} from '../contract.js';
import { DuplexError, ErrorCodes } from '../errors.js';
import {
  deleteEnvironment,
  listEnvironments,
  loadEnvironment,
  saveEnvironment,
} from './environment-store.js';
import type { Environment } from './environment-format.js';
import { prepareConnectOptions } from './prepare.js';
import { createRedactor, NO_REDACTION, type Redactor } from './redact.js';
import { renderVariables } from './render.js';
import {
  buildVariableSet,
  EMPTY_VARIABLES,
  secretValues,
  type SecretSource,
  type VariableSet,
} from './variable-set.js';

type VariableCommand = Extract<CommandName, `env.${string}` | `secret.${string}`>;
type VariableHandlers = {
  [K in VariableCommand]: (
    input: z.output<(typeof commands)[K]['input']>,
  ) => CommandOutput<K> | Promise<CommandOutput<K>>;
};

/** Which values a connection resolves against: an environment of the workspace and overrides. */
export interface VariableChoiceInput {
  environment?: string | undefined;
  vars?: Record<string, string> | undefined;
}

export interface VariablesHost {
  /** The workspace folder; throws FILE when the engine has none. */
  workspaceDir: () => string;
  hasWorkspace: () => boolean;
  secrets: () => SecretSource;
  /** The launch choice (`duplex ui --env / --var`); its vars lie under each choice's own. */
  launch: () => VariableChoiceInput;
}

/** How much of a template the note of its sent message repeats. */
const NOTE_CHARS = 200;

export class EngineVariables {
  readonly #host: VariablesHost;
  readonly #choiceOf = new Map<string, VariableChoiceInput>();
  /** The options as typed (with `{{name}}`), for a window that shows the connection again. */
  readonly #typedOf = new Map<string, ConnectOptions>();
  /** Secret values each log has seen (at connect and at each send), for redaction. */
  readonly #secretsOf = new Map<string, Set<string>>();

  constructor(host: VariablesHost) {
    this.#host = host;
  }

  /** The VariableSet of a choice, read now (the file and the secrets as they are at this moment). */
  async variableSet(choice: VariableChoiceInput = {}): Promise<VariableSet> {
    choice = { ...choice, vars: this.withLaunchVars(choice.vars) };
    if (choice.environment === undefined && choice.vars === undefined) return EMPTY_VARIABLES;
    const environment =
      choice.environment === undefined
        ? undefined
        : await loadEnvironment(this.#host.workspaceDir(), choice.environment);
    return buildVariableSet({ environment, secrets: this.#secretsOrNone(), overrides: choice.vars });
  }

  /** `vars` laid over the launch's `--var` values (undefined when neither has any). */
  withLaunchVars(vars: Record<string, string> | undefined): Record<string, string> | undefined {
    const launch = this.#host.launch().vars;
    if (launch === undefined || Object.keys(launch).length === 0) return vars;
    return { ...launch, ...vars };
  }

  /** Connect options with their variables resolved; throws (nothing opened) on an unknown one. */
  async prepare(
    options: ConnectOptions,
    choice: VariableChoiceInput = {},
  ): Promise<{ options: ConnectOptions; set: VariableSet }> {
    const set = await this.variableSet(choice);
    return { options: prepareConnectOptions(options, set), set };
  }

  /**
   * A replay's target URL (its one connection override; the recorded headers and
   * subprotocols are concrete values and stay as recorded) through the same
   * preparation step as every connect, so a value means and is checked the same.
   */
  async resolveUrl(url: string | undefined, choice: VariableChoiceInput): Promise<string | undefined> {
    if (url === undefined) return undefined;
    return (await this.prepare({ url }, choice)).options.url;
  }

  /** Remembers the choice a connection was opened with, and the secrets it used. */
  track(logId: string, choice: VariableChoiceInput, set: VariableSet, typed?: ConnectOptions): void {
    this.#choiceOf.set(logId, choice);
    if (typed) this.#typedOf.set(logId, typed);
    this.#noteSecrets(logId, set);
  }

  /** The connection is gone; its secrets stay known, as a recording of it may still be writing. */
  forget(logId: string): void {
    this.#choiceOf.delete(logId);
    this.#typedOf.delete(logId);
  }

  /** The options a connection was opened with as typed, and its environment; undefined when it was not tracked. */
  typed(logId: string): { options: ConnectOptions; environment?: string } | undefined {
    const options = this.#typedOf.get(logId);
    if (!options) return undefined;
    const environment = this.#choiceOf.get(logId)?.environment;
    return environment === undefined ? { options } : { options, environment };
  }

  /** True when a send needs rendering (async); plain ones go out at once, in order. */
  needsRender(payload: Payload, raw: boolean | undefined): boolean {
    return raw !== true && payload.type === 'text' && payload.text.includes('{{');
  }

  /**
   * A send's text rendered with the connection's variables as they are now, and the
   * note its log entry carries: the template it came from (the detail pane shows it).
   */
  async render(
    logId: string,
    payload: Payload & { type: 'text' },
  ): Promise<{ payload: Payload; note: string }> {
    const set = await this.variableSet(this.#choiceOf.get(logId));
    this.#noteSecrets(logId, set);
    const text = renderVariables(payload.text, set, { where: 'the message' });
    const source = payload.text.length > NOTE_CHARS ? `${payload.text.slice(0, NOTE_CHARS)}…` : payload.text;
    const env = set.environment === undefined ? '' : ` with environment ${set.environment}`;
    return { payload: { type: 'text', text }, note: `Resolved${env} from: ${source}` };
  }

  /**
   * The redactor of a log's recordings and exports: live, so a secret first used by a
   * later send is hidden from then on. `redact: false` is the explicit opt-out.
   */
  redactor(logId: string, redact: boolean | undefined): Redactor {
    if (redact === false) return NO_REDACTION;
    let seen = -1;
    let current: Redactor = NO_REDACTION;
    const now = (): Redactor => {
      const secrets = this.#secretsOf.get(logId);
      if ((secrets?.size ?? 0) !== seen) {
        seen = secrets?.size ?? 0;
        current = createRedactor({ secrets: [...(secrets ?? [])] });
      }
      return current;
    };
    return {
      active: true,
      text: (t) => now().text(t),
      textBytes: (b) => now().textBytes(b),
      binaryBytes: (b) => now().binaryBytes(b),
      headers: (h) => now().headers(h),
    };
  }

  #noteSecrets(logId: string, set: VariableSet): void {
    const values = secretValues(set);
    if (values.length === 0) return;
    const known = this.#secretsOf.get(logId) ?? new Set<string>();
    for (const v of values) known.add(v);
    this.#secretsOf.set(logId, known);
  }

  #secretsOrNone(): SecretSource | undefined {
    try {
      return this.#host.secrets();
    } catch {
      return undefined;
    }
  }

  async #view(env: Environment): Promise<EnvironmentView> {
    const secrets = this.#secretsOrNone();
    const variables = await Promise.all(
      env.variables.map(async (v) =>
        v.secret === true
          ? { name: v.name, secret: true, hasValue: (await secrets?.has(env.name, v.name)) ?? false }
          : { name: v.name, value: v.value ?? '' },
      ),
    );
    return { name: env.name, variables };
  }

  readonly handlers: VariableHandlers = {
    'env.launch': () => {
      const { environment } = this.#host.launch();
      return environment === undefined ? {} : { environment };
    },
    'env.list': async () => (this.#host.hasWorkspace() ? listEnvironments(this.#host.workspaceDir()) : []),
    'env.read': async ({ name }) => this.#view(await loadEnvironment(this.#host.workspaceDir(), name)),
    'env.save': async ({ name, variables }) => {
      const root = this.#host.workspaceDir();
      const secrets = variables.filter((v) => v.secret === true && v.value !== undefined);
      const source = secrets.length > 0 ? this.#host.secrets() : undefined;
      const env: Environment = {
        name,
        variables: variables.map((v) =>
          v.secret === true ? { name: v.name, secret: true } : { name: v.name, value: v.value ?? '' },
        ),
      };
      // The file first: if it is refused, no secret is stored for a variable that does not exist.
      await saveEnvironment(root, env);
      for (const v of secrets) await source!.set(name, v.name, v.value!);
      return this.#view(env);
    },
    'env.delete': async ({ name }) => ({ deleted: await deleteEnvironment(this.#host.workspaceDir(), name) }),
    'env.resolve': async ({ environment, vars, text, reveal }) => {
      const set = await this.variableSet({ environment, vars });
      const resolved = renderVariables(text, set, { where: 'the text' });
      const hidden = createRedactor({ secrets: secretValues(set), credentialHeaders: false }).text(resolved);
      return { text: reveal === true ? resolved : hidden, secret: hidden !== resolved };
    },
    'secret.set': async ({ environment, name, value }) => {
      await this.#requireSecret(environment, name);
      await this.#host.secrets().set(environment, name, value);
      return { set: true };
    },
    'secret.clear': async ({ environment, name }) => {
      await this.#host.secrets().clear(environment, name);
      return { cleared: true };
    },
  };

  async #requireSecret(environment: string, name: string): Promise<void> {
    const env = await loadEnvironment(this.#host.workspaceDir(), environment);
    const v = env.variables.find((x) => x.name === name);
    if (v?.secret !== true) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        `Environment "${environment}" has no secret variable "${name}"; ` +
          'add it as a secret first (env.save with secret: true), then set its value.',
      );
    }
  }
}
