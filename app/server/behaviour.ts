/**
 * The behaviours a mock server runs, as one chain: for each handshake the first
 * behaviour that has an opinion decides it; for each client message the first
 * behaviour that answers it wins and the rest do not see it. Rules (a compiled
 * mock), a recording served back, echo and manual (a person answers through
 * server.send) are all behaviours; MockServer knows none of them by name.
 */
import type { IncomingMessage } from 'node:http';
import type { MessageView } from '../payload/message-view.js';
import type { MockClient, MockServer } from './mock-server.js';

export type BehaviourKind = 'rules' | 'recording' | 'echo' | 'manual';

/** How a behaviour answers one message. */
export interface Answer {
  /** The rule that answered, written on the received entry and on what the answer sends. */
  readonly rule?: string;
  /** Send the received bytes back (logged once for both directions). */
  readonly echo?: boolean;
  /** Runs after the received message is logged, with its seq. */
  readonly run?: (seq: number) => void;
}

export type UpgradeDecision =
  | { accept: true; protocol?: string | undefined }
  | { accept: false; status: number; body: string; headers?: Record<string, string> };

export interface ServerBehaviour {
  readonly kind: BehaviourKind;
  /** False when message() never reads the message (echo, manual): no view of it is made. */
  readonly readsMessage?: boolean;
  /** Called once when the server starts running it. */
  attach?(server: MockServer): void;
  /** Decides a handshake, or returns undefined to leave it to the next behaviour. */
  upgrade?(req: IncomingMessage, pathname: string, offered: string[]): UpgradeDecision | undefined;
  open?(client: MockClient): void;
  /** Answers a message, or returns undefined to pass it on. Must not send before returning. */
  message?(client: MockClient, msg: MessageView): Answer | undefined;
  close?(client: MockClient): void;
  /** Called when the behaviour is removed or the server stops: timers end here. */
  detach?(): void;
}

const ECHO: Answer = Object.freeze({ echo: true });
const UNANSWERED: Answer = Object.freeze({});

/** Sends every message back to its sender. */
export function echoBehaviour(): ServerBehaviour {
  return { kind: 'echo', readsMessage: false, message: () => ECHO };
}

/** Takes every message and answers none: a person answers with server.send / broadcast. */
export function manualBehaviour(): ServerBehaviour {
  return { kind: 'manual', readsMessage: false, message: () => UNANSWERED };
}
