/**
 * One received message as matchers and templates read it: its kind, its bytes,
 * and its text, JSON, hex and base64 forms, each computed on first read and kept,
 * so twenty rules that look at `$.type` parse the message once.
 *
 * Matchers read a ReceivedMessage, a class: one is made for every message a
 * rule looks at, and a class instance costs a few fields. Handlebars reads only
 * own properties, so a template gets `templateView(msg)`: an object with the
 * same forms as own, enumerable getters, made only when a template renders.
 */
import { bytesToBase64, bytesToHex, utf8Decode, utf8Encode } from './codecs.js';

export type MessageKind = 'text' | 'binary';

export interface MessageView {
  readonly kind: MessageKind;
  /** The payload as bytes (UTF-8 for a text message). */
  readonly bytes: Uint8Array;
  /** Byte length of the payload. */
  readonly size: number;
  /** The payload decoded as UTF-8 (for a binary message: lossy, U+FFFD for bad bytes). */
  readonly text: string;
  /** True when this is a text message whose text parses as JSON. */
  readonly isJson: boolean;
  /** The parsed JSON of a text message; undefined when it is binary or does not parse. */
  readonly json: unknown;
  readonly hex: string;
  readonly base64: string;
}

const NOT_PARSED = Symbol('not parsed');
const NOT_JSON = Symbol('not JSON');

/** A received message whose forms are computed on first read (see the header). */
export class ReceivedMessage implements MessageView {
  readonly kind: MessageKind;
  #text: string | undefined;
  #bytes: Uint8Array | undefined;
  #json: unknown = NOT_PARSED;
  #hex: string | undefined;
  #base64: string | undefined;
  /** Made once, on the first render of a template. */
  #templateView: MessageView | undefined;

  constructor(payload: string | Uint8Array, kind: MessageKind) {
    this.kind = kind;
    if (typeof payload === 'string') this.#text = payload;
    else this.#bytes = payload;
  }

  get bytes(): Uint8Array {
    return (this.#bytes ??= utf8Encode(this.#text!));
  }

  get size(): number {
    return this.bytes.byteLength;
  }

  get text(): string {
    return (this.#text ??= utf8Decode(this.#bytes!));
  }

  get isJson(): boolean {
    return this.#parsed() !== NOT_JSON;
  }

  get json(): unknown {
    const value = this.#parsed();
    return value === NOT_JSON ? undefined : value;
  }

  get hex(): string {
    return (this.#hex ??= bytesToHex(this.bytes));
  }

  get base64(): string {
    return (this.#base64 ??= bytesToBase64(this.bytes));
  }

  /** The form a template reads: own, enumerable getters over this message's forms. */
  forTemplate(): MessageView {
    return (this.#templateView ??= Object.defineProperties(
      { [SOURCE]: this },
      TEMPLATE_VIEW_PROPERTIES,
    ) as unknown as MessageView);
  }

  #parsed(): unknown {
    if (this.#json === NOT_PARSED) this.#json = this.kind === 'text' ? parseJson(this.text) : NOT_JSON;
    return this.#json;
  }
}

/** Wraps a received payload; a string is a text message, bytes follow `kind` (binary by default). */
export function messageView(payload: string | Uint8Array, kind?: MessageKind): ReceivedMessage {
  return new ReceivedMessage(payload, kind ?? (typeof payload === 'string' ? 'text' : 'binary'));
}

/** What a template sees of a message: own, enumerable properties (what Handlebars reads). */
export function templateView(msg: MessageView): MessageView {
  return msg instanceof ReceivedMessage ? msg.forTemplate() : msg;
}

const SOURCE = Symbol('message');
type TemplateViewObject = { [SOURCE]: ReceivedMessage };
const FORMS = ['kind', 'bytes', 'size', 'text', 'isJson', 'json', 'hex', 'base64'] as const;
/**
 * One getter per form, shared by every template view: getters made per object
 * (an object literal's) give each object a hidden class of its own, which V8
 * allocates in the old generation — a full GC every few thousand messages.
 */
const TEMPLATE_VIEW_PROPERTIES: PropertyDescriptorMap = Object.fromEntries(
  FORMS.map((form) => [
    form,
    {
      get(this: TemplateViewObject) {
        return this[SOURCE][form];
      },
      enumerable: true,
      configurable: false,
    },
  ]),
);

/** What JSON text can start with, after white space: an object, array, string, number, true, false, null. */
const JSON_START = /^[\s]*[{["\-0-9tfn]/;

function parseJson(text: string): unknown {
  // A thrown SyntaxError costs far more than this test; most non-JSON text fails it.
  if (!JSON_START.test(text)) return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
