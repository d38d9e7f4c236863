/**
 * One received message as matchers and templates read it: its kind, its bytes,
 * and its text, JSON, hex and base64 forms, each computed on first read and kept,
 * so twenty rules that look at `$.type` parse the message once.
 *
 * The forms are own, enumerable getters (not class accessors) because Handlebars
 * reads only own properties of the objects a template sees.
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

/** Wraps a received payload; a string is a text message, bytes follow `kind` (binary by default). */
export function messageView(payload: string | Uint8Array, kind?: MessageKind): MessageView {
  const messageKind: MessageKind = kind ?? (typeof payload === 'string' ? 'text' : 'binary');
  let text: string | undefined = typeof payload === 'string' ? payload : undefined;
  let bytes: Uint8Array | undefined = typeof payload === 'string' ? undefined : payload;
  let json: unknown = NOT_PARSED;
  let hex: string | undefined;
  let base64: string | undefined;

  const getBytes = (): Uint8Array => (bytes ??= utf8Encode(text!));
  const getText = (): string => (text ??= utf8Decode(bytes!));
  const getJson = (): unknown => {
    if (json === NOT_PARSED) json = messageKind === 'text' ? parseJson(getText()) : NOT_JSON;
    return json;
  };

  // An object literal's getters are own, enumerable properties (what Handlebars reads),
  // and far cheaper to make per message than Object.defineProperties.
  const view: MessageView = {
    kind: messageKind,
    get bytes() {
      return getBytes();
    },
    get size() {
      return getBytes().byteLength;
    },
    get text() {
      return getText();
    },
    get isJson() {
      return getJson() !== NOT_JSON;
    },
    get json() {
      const value = getJson();
      return value === NOT_JSON ? undefined : value;
    },
    get hex() {
      return (hex ??= bytesToHex(getBytes()));
    },
    get base64() {
      return (base64 ??= bytesToBase64(getBytes()));
    },
  };
  return view;
}

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
