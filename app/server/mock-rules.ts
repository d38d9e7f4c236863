/**
 * The rules behaviour: runs a compiled mock (mock-file.ts) on a MockServer —
 * routes and handshakes, onConnect, first-matching rules, otherwise, streams,
 * and the actions they run. Keeps the counters templates read and the hit
 * count of every rule. A reloaded mock replaces the compiled one in place:
 * connected clients stay, their streams restart with the new definitions.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { RuleHits } from '../contract.js';
import { utf8Encode } from '../payload/codecs.js';
import type { MessageView } from '../payload/message-view.js';
import type { ClientInfo, TemplateContext } from '../templates/template-engine.js';
import type { Answer, ServerBehaviour, UpgradeDecision } from './behaviour.js';
import {
  findRoute,
  findRule,
  handshakeAccepted,
  pickResponse,
  type CompiledAction,
  type CompiledMock,
  type CompiledRoute,
  type CompiledRule,
  type CompiledStream,
  type RenderedPayload,
} from './mock-file.js';
import type { MockClient, MockServer } from './mock-server.js';

/** The rule name the log and hit counts use for a message no rule matched. */
export const OTHERWISE = 'otherwise';

interface ClientState {
  readonly client: MockClient;
  route: CompiledRoute;
  readonly params: Record<string, string>;
  readonly info: ClientInfo;
  /** Messages of this client that reached the rules. */
  messages: number;
  readonly timers: Set<NodeJS.Timeout>;
  closed: boolean;
  /**
   * This client's scope per rule name, made once (a message's hot path allocates little);
   * the map itself only when the first is needed (a broadcast's listener needs none).
   */
  scopes: Map<string | undefined, Scope> | undefined;
}

/** Who a list of actions acts on: one client, or every client of a route (an `all` stream). */
interface Scope {
  readonly targets: () => ClientState[];
  /** The client a broadcast is relative to. */
  readonly sender: ClientState | undefined;
  readonly timers: Set<NodeJS.Timeout>;
  readonly alive: () => boolean;
  readonly rule: string | undefined;
}

export interface RulesBehaviourOptions {
  random?: () => number;
  /** Called when a rule fires (the engine publishes the counts, at most once per batch). */
  onHit?: () => void;
}

export class RulesBehaviour implements ServerBehaviour {
  readonly kind = 'rules';
  #mock: CompiledMock;
  #server: MockServer | undefined;
  readonly #states = new Map<string, ClientState>();
  /** Hits by route index, then by rule name (OTHERWISE included). */
  #hits = new Map<CompiledRoute, Map<string, number>>();
  readonly #ruleHits = new Map<CompiledRule, number>();
  readonly #responseUses = new WeakMap<CompiledAction, number>();
  /** `all` streams: one set of timers per route that has clients. */
  readonly #routeTimers = new Map<CompiledRoute, Set<NodeJS.Timeout>>();
  #connections = 0;
  readonly #random: () => number;
  readonly #onHit: (() => void) | undefined;

  constructor(mock: CompiledMock, options: RulesBehaviourOptions = {}) {
    this.#mock = mock;
    this.#random = options.random ?? Math.random;
    this.#onHit = options.onHit;
  }

  get mock(): CompiledMock {
    return this.#mock;
  }

  attach(server: MockServer): void {
    this.#server = server;
  }

  detach(): void {
    for (const state of this.#states.values()) stopTimers(state.timers);
    for (const timers of this.#routeTimers.values()) stopTimers(timers);
    this.#routeTimers.clear();
  }

  /** Runs a reloaded mock: new handshakes and messages use it, streams restart. */
  replace(mock: CompiledMock): void {
    this.detach();
    this.#mock = mock;
    this.#hits = new Map();
    for (const state of this.#states.values()) {
      const found = findRoute(mock, pathnameOf(state.client.info.path));
      if (found) state.route = found.route;
      this.#startClientStreams(state);
      this.#ensureRouteStreams(state.route);
    }
  }

  hits(serverId: string): RuleHits {
    return {
      serverId,
      routes: this.#mock.routes.map((route) => {
        const counts = this.#hits.get(route);
        return {
          path: route.path,
          rules: route.rules.map((r) => ({ rule: r.name, hits: counts?.get(r.name) ?? 0 })),
          otherwise: counts?.get(OTHERWISE) ?? 0,
        };
      }),
    };
  }

  upgrade(req: IncomingMessage, pathname: string, offered: string[]): UpgradeDecision {
    const found = findRoute(this.#mock, pathname);
    if (!found) {
      return {
        accept: false,
        status: 404,
        body: `No route of this mock serves ${pathname}; it serves ${this.#mock.routes.map((r) => r.path).join(', ')}.`,
      };
    }
    const { route, params } = found;
    let protocol: string | undefined = offered[0];
    if (route.protocols.length > 0) {
      protocol = route.protocols.find((p) => offered.includes(p));
      if (protocol === undefined) {
        return {
          accept: false,
          status: 400,
          body: `This route accepts subprotocols ${route.protocols.join(', ')}; the client offered ${offered.join(', ') || 'none'}.`,
        };
      }
    }
    if (route.handshake) {
      const ctx: TemplateContext = withVars(this.#mock.vars, { client: clientInfoOf(req, ''), params });
      let accepted: boolean;
      try {
        accepted = handshakeAccepted(route, ctx);
      } catch (err) {
        return {
          accept: false,
          status: 500,
          body: `The mock's handshake rule failed: ${(err as Error).message}`,
        };
      }
      if (!accepted) return { accept: false, ...route.handshake.reject };
    }
    return { accept: true, protocol };
  }

  open(client: MockClient): void {
    const found = findRoute(this.#mock, pathnameOf(client.info.path));
    if (!found) return; // accepted before a reload removed its route: it gets nothing
    const state: ClientState = {
      client,
      route: found.route,
      params: found.params,
      info: {
        id: client.info.clientId,
        remoteAddress: client.info.remoteAddress,
        headers: client.info.headers,
        query: queryOf(client.info.path),
      },
      messages: 0,
      timers: new Set(),
      closed: false,
      scopes: undefined,
    };
    this.#states.set(client.info.clientId, state);
    const nth = ++this.#connections;
    if (found.route.onConnect.length > 0)
      this.#run(this.#clientScope(state, 'onConnect'), found.route.onConnect, this.#context(state, nth));
    this.#startClientStreams(state);
    this.#ensureRouteStreams(found.route);
  }

  close(client: MockClient): void {
    const state = this.#states.get(client.info.clientId);
    if (!state) return;
    state.closed = true;
    stopTimers(state.timers);
    this.#states.delete(client.info.clientId);
    if (![...this.#states.values()].some((s) => s.route === state.route)) {
      const timers = this.#routeTimers.get(state.route);
      if (timers) stopTimers(timers);
      this.#routeTimers.delete(state.route);
    }
  }

  message(client: MockClient, msg: MessageView): Answer | undefined {
    const state = this.#states.get(client.info.clientId);
    if (!state) return undefined;
    state.messages++;
    const route = state.route;
    const rule = findRule(route, msg);
    if (rule) {
      const hit = (this.#ruleHits.get(rule) ?? 0) + 1;
      this.#ruleHits.set(rule, hit);
      this.#count(route, rule.name);
      const ctx = this.#context(state, hit, msg, hit);
      const scope = this.#clientScope(state, rule.name);
      return { rule: rule.name, run: (seq) => this.#run(scope, rule.then, ctx, 0, undefined, seq) };
    }
    this.#count(route, OTHERWISE);
    const otherwise = route.otherwise;
    if (otherwise === 'echo') return { rule: OTHERWISE, echo: true };
    if (otherwise === 'none') return { rule: OTHERWISE };
    const ctx = this.#context(state, state.messages, msg);
    const scope = this.#clientScope(state, OTHERWISE);
    return { rule: OTHERWISE, run: (seq) => this.#run(scope, otherwise, ctx, 0, undefined, seq) };
  }

  #count(route: CompiledRoute, rule: string): void {
    let counts = this.#hits.get(route);
    if (!counts) this.#hits.set(route, (counts = new Map()));
    counts.set(rule, (counts.get(rule) ?? 0) + 1);
    this.#onHit?.();
  }

  #context(state: ClientState, seq: number, msg?: MessageView, ruleHit?: number): TemplateContext {
    const ctx: TemplateContext = withVars(this.#mock.vars, {
      client: state.info,
      params: state.params,
      seq,
      counters: { client: state.messages, ...(ruleHit === undefined ? {} : { rule: ruleHit }) },
    });
    if (msg) ctx.msg = msg;
    return ctx;
  }

  #clientScope(state: ClientState, rule: string | undefined): Scope {
    const scopes = (state.scopes ??= new Map());
    let scope = scopes.get(rule);
    if (!scope) {
      const targets = [state];
      scope = {
        targets: () => targets,
        sender: state,
        timers: state.timers,
        alive: () => !state.closed,
        rule,
      };
      scopes.set(rule, scope);
    }
    return scope;
  }

  #startClientStreams(state: ClientState): void {
    for (const stream of state.route.streams) {
      if (stream.to !== 'each') continue;
      this.#startStream(stream, this.#clientScope(state, stream.name), (tick) => ({
        ...this.#context(state, tick),
        counters: { stream: tick, client: state.messages },
      }));
    }
  }

  #ensureRouteStreams(route: CompiledRoute): void {
    if (this.#routeTimers.has(route) || !route.streams.some((s) => s.to === 'all')) return;
    const timers = new Set<NodeJS.Timeout>();
    this.#routeTimers.set(route, timers);
    for (const stream of route.streams) {
      if (stream.to !== 'all') continue;
      const scope: Scope = {
        targets: () => [...this.#states.values()].filter((s) => s.route === route && !s.closed),
        sender: undefined,
        timers,
        alive: () => this.#routeTimers.get(route) === timers,
        rule: stream.name,
      };
      this.#startStream(stream, scope, (tick) =>
        withVars(this.#mock.vars, { seq: tick, counters: { stream: tick } }),
      );
    }
  }

  #startStream(stream: CompiledStream, scope: Scope, context: (tick: number) => TemplateContext): void {
    let tick = 0;
    const timer = setInterval(() => {
      if (!scope.alive()) return stopTimers(new Set([timer]));
      tick++;
      this.#run(scope, stream.then, context(tick));
      if (stream.count !== undefined && tick >= stream.count) {
        clearInterval(timer);
        scope.timers.delete(timer);
      }
    }, stream.every);
    scope.timers.add(timer);
  }

  /**
   * Runs actions in order; stays synchronous until a delay or a file read. `received` is
   * the log seq of the message being answered: an echo logs its bytes as a repeat of it.
   */
  #run(
    scope: Scope,
    actions: CompiledAction[],
    ctx: TemplateContext,
    from = 0,
    then?: () => void,
    received?: number,
  ): void {
    const server = this.#server;
    if (!server) return;
    for (let i = from; i < actions.length; i++) {
      if (!scope.alive()) return;
      const action = actions[i]!;
      try {
        switch (action.type) {
          case 'send':
            this.#send(scope, action.render(ctx), action.fragments);
            break;
          case 'broadcast':
            this.#broadcast(scope, action.render(ctx), action.to);
            break;
          case 'echo': {
            const msg = ctx.msg;
            if (!msg) return this.#fail(scope, 'echo sends the received message back; here there is none');
            this.#sendBytes(scope, msg.kind, msg.bytes, action.fragments, received);
            break;
          }
          case 'sendFile': {
            readFile(action.file).then(
              (bytes) => {
                if (!scope.alive()) return;
                const payload: RenderedPayload =
                  action.as === 'text'
                    ? { kind: 'text', text: bytes.toString('utf8') }
                    : { kind: 'binary', bytes };
                this.#send(scope, payload, action.fragments);
                this.#run(scope, actions, ctx, i + 1, then, received);
              },
              (err: Error) => this.#fail(scope, `sendFile ${action.file}: ${err.message}`),
            );
            return;
          }
          case 'delay': {
            const timer = setTimeout(() => {
              scope.timers.delete(timer);
              this.#run(scope, actions, ctx, i + 1, then, received);
            }, action.ms);
            scope.timers.add(timer);
            return;
          }
          case 'close':
            for (const t of scope.targets()) {
              if (t.client.socket.readyState === t.client.socket.OPEN)
                server.closeClient(t.client.info.clientId, action.code, action.reason);
            }
            break;
          case 'terminate':
            for (const t of scope.targets()) server.terminateClient(t.client.info.clientId);
            return;
          case 'drop':
            return;
          case 'answerPings':
            for (const t of scope.targets()) t.client.answerPings = action.on;
            break;
          case 'responses': {
            const nth = this.#responseUses.get(action) ?? 0;
            this.#responseUses.set(action, nth + 1);
            const picked = pickResponse(action, nth, this.#random);
            const rest = (): void => this.#run(scope, actions, ctx, i + 1, then, received);
            this.#run(scope, picked, ctx, 0, rest, received);
            return;
          }
        }
      } catch (err) {
        return this.#fail(scope, (err as Error).message);
      }
    }
    then?.();
  }

  #send(scope: Scope, payload: RenderedPayload, fragments: number): void {
    const bytes = payload.kind === 'text' ? utf8Encode(payload.text) : payload.bytes;
    this.#sendBytes(scope, payload.kind, bytes, fragments);
  }

  /** Sends to the scope's targets; the payload is logged once (`logged`: it already is, at that seq). */
  #sendBytes(
    scope: Scope,
    kind: 'text' | 'binary',
    bytes: Uint8Array,
    fragments: number,
    logged?: number,
  ): void {
    const server = this.#server!;
    let first = fragments > 1 ? undefined : logged;
    for (const t of scope.targets()) {
      if (first === undefined || fragments > 1)
        first = server.deliver(t.client, kind, bytes, { rule: scope.rule, fragments });
      else server.deliverRepeat(t.client, kind, bytes, first, scope.rule);
    }
  }

  #broadcast(scope: Scope, payload: RenderedPayload, to: 'room' | 'all' | 'others'): void {
    const sender = scope.sender;
    const all = [...this.#states.values()].filter((s) => !s.closed);
    const room = (s: ClientState): boolean =>
      sender === undefined || pathnameOf(s.client.info.path) === pathnameOf(sender.client.info.path);
    const targets = to === 'all' ? all : all.filter((s) => room(s) && (to === 'room' || s !== sender));
    this.#send({ ...scope, targets: () => targets }, payload, 1);
  }

  #fail(scope: Scope, problem: string): void {
    const where = scope.rule === undefined ? 'onConnect' : scope.rule;
    this.#server?.note(`${where} failed: ${problem}`, scope.sender?.client.info.clientId, 'error');
  }
}

function stopTimers(timers: Set<NodeJS.Timeout>): void {
  for (const t of timers) clearTimeout(t);
  timers.clear();
}

function pathnameOf(url: string): string {
  return new URL(url, 'http://localhost').pathname;
}

function queryOf(url: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URL(url, 'http://localhost').searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function clientInfoOf(req: IncomingMessage, id: string): ClientInfo {
  return {
    id,
    remoteAddress: req.socket.remoteAddress ?? '',
    headers: req.headers,
    query: queryOf(req.url ?? '/'),
  };
}

/**
 * A template context with the mock's vars (its file's, and an environment's over them)
 * both as `{{vars.name}}` and at the top as `{{name}}`; the context's own names
 * (msg, client, params, seq, counters) win over a variable of the same name.
 */
export function withVars(vars: Record<string, unknown>, ctx: Omit<TemplateContext, 'vars'>): TemplateContext {
  return { ...vars, ...ctx, vars };
}
