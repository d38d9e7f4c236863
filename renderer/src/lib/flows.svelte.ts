/** The flow files of the workspace (flows/), listed in the sidebar: create one, make one from a session, delete. */
import type { WorkbenchApi } from '../../../app/api.js';
import type { FlowSummary } from '../../../app/contract.js';

/** What a new flow starts as: a connect, a send and an expect to edit (docs/flow-format.md). */
export const NEW_FLOW_TEXT = `# docs/flow-format.md lists every step.
steps:
  - connect: { url: "ws://127.0.0.1:8080/" }
  - send: hello
  - expect: { text: { equals: hello }, within: 2000 }
  - close: { code: 1000 }
`;

export class Flows {
  readonly #api: WorkbenchApi;
  #list = $state.raw<FlowSummary[]>([]);
  #error = $state('');

  constructor(api: WorkbenchApi) {
    this.#api = api;
  }

  get list(): FlowSummary[] {
    return this.#list;
  }
  get error(): string {
    return this.#error;
  }

  async refresh(): Promise<void> {
    const r = await this.#api.flow.list({});
    if (r.ok) {
      this.#list = r.value;
      this.#error = '';
    } else this.#error = r.error.message;
  }

  /** Writes a new flow file; its name, or undefined with the error shown. */
  async create(name: string, text = NEW_FLOW_TEXT): Promise<string | undefined> {
    const r = await this.#api.flow.save({ name: name.trim(), text });
    if (!r.ok) {
      this.#error = r.error.message;
      return undefined;
    }
    await this.refresh();
    return r.value.name;
  }

  /** A flow of a session's sends and expects of what came back, named after the session. */
  async fromSession(session: string, flowName: string): Promise<string | undefined> {
    const r = await this.#api.flow.fromSession({ name: session, flowName });
    if (!r.ok) {
      this.#error = r.error.message;
      return undefined;
    }
    await this.refresh();
    return r.value.name;
  }

  async remove(name: string): Promise<void> {
    const r = await this.#api.flow.delete({ name });
    if (!r.ok) this.#error = r.error.message;
    await this.refresh();
  }
}
