/**
 * Serves a recording from a mock server: every client that connects gets the
 * recorded server messages. Timed mode sends them at their recorded offsets
 * after the client's open (scaled by speed); conversation mode waits, before
 * each reply, for as many client messages as preceded it in the recording.
 * A behaviour of the server's chain (server/behaviour.ts).
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import type { ServerBehaviour } from '../server/behaviour.js';
import type { MockClient, MockServer } from '../server/mock-server.js';
import { utf8Decode } from '../payload/codecs.js';
import type { ServerScript } from './session-script.js';

export interface MockReplayOptions {
  /** Wait for the client's messages instead of following the recorded clock. */
  conversation?: boolean;
  /** Timed mode: 1 = recorded pace, 0 = all at once. */
  speed?: number;
}

/** The recording as a behaviour of a server's chain: it takes every message (answered or not). */
export function recordingBehaviour(script: ServerScript, options: MockReplayOptions = {}): ServerBehaviour {
  const speed = options.speed ?? 1;
  const states = new Map<string, ClientReplay>();
  let server: MockServer | undefined;
  return {
    kind: 'recording',
    readsMessage: false,
    attach: (s) => (server = s),
    open: (client) => {
      const state = new ClientReplay(server!, client, script, speed);
      states.set(client.info.clientId, state);
      if (options.conversation) state.advance();
      else state.startTimed();
    },
    message: (client) =>
      options.conversation ? { run: () => states.get(client.info.clientId)?.onClientMessage() } : TAKEN,
    close: (client) => {
      states.get(client.info.clientId)?.stop();
      states.delete(client.info.clientId);
    },
    detach: () => {
      for (const s of states.values()) s.stop();
      states.clear();
    },
  };
}

const TAKEN = Object.freeze({});

/**
 * Makes `server` serve a recording planned by planServerReplay (which picks
 * the conversation); returns a function that restores the previous behaviours.
 */
export function serveRecording(
  server: MockServer,
  script: ServerScript,
  options: MockReplayOptions = {},
): () => void {
  const previous = [...server.behaviours];
  server.setBehaviours([recordingBehaviour(script, options)]);
  return () => server.setBehaviours(previous);
}

class ClientReplay {
  #next = 0;
  #received = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: MockServer,
    private readonly client: MockClient,
    private readonly script: ServerScript,
    private readonly speed: number,
  ) {}

  /** Timed mode: one chain of timers, so messages keep their recorded order even when timers run late. */
  startTimed(): void {
    const t0 = performance.now();
    const due = this.script.sends;
    const close = this.script.serverClose;
    let i = 0;
    const next = (): void => {
      const now = performance.now() - t0;
      while (i < due.length && this.#offset(due[i]!.t) <= now) this.#send(due[i++]!);
      if (i < due.length) {
        this.#timer = setTimeout(next, Math.max(0, this.#offset(due[i]!.t) - now));
      } else if (close) {
        const wait = this.#offset(close.t) - now;
        if (wait <= 0) this.#close();
        else this.#timer = setTimeout(() => this.#close(), wait);
      }
    };
    next();
  }

  /** Conversation mode: sends replies until the recording expects a client message. */
  advance(): void {
    const { sends, clientMessages } = this.script;
    while (this.#next < sends.length && sends[this.#next]!.after <= this.#received)
      this.#send(sends[this.#next++]!);
    if (this.#next >= sends.length && this.#received >= clientMessages) this.#close();
  }

  onClientMessage(): void {
    if (this.#received >= this.script.clientMessages) return; // more than recorded: ignored
    this.#received++;
    this.advance();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #offset(t: number): number {
    return this.speed === 0 ? 0 : t / this.speed;
  }

  #send(step: ServerScript['sends'][number]): void {
    if (this.client.socket.readyState !== WebSocket.OPEN) return;
    const e = step.entry;
    this.server.send(
      this.client.info.clientId,
      e.kind === 'text'
        ? { type: 'text', text: utf8Decode(e.data) }
        : { type: 'binary', data: e.data as Uint8Array<ArrayBuffer> },
    );
  }

  #close(): void {
    const close = this.script.serverClose;
    if (!close || this.client.socket.readyState !== WebSocket.OPEN) return;
    this.server.closeClient(this.client.info.clientId, close.code, close.reason);
  }
}
