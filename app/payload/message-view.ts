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

  const view = {} as MessageView;
  Object.defineProperties(view, {
    kind: { value: messageKind, enumerable: true },
    bytes: { get: getBytes, enumerable: true },
    size: { get: () => getBytes().byteLength, enumerable: true },
    text: { get: getText, enumerable: true },
    isJson: { get: () => getJson() !== NOT_JSON, enumerable: true },
    json: {
      get: () => {
        const value = getJson();
        return value === NOT_JSON ? undefined : value;
      },
      enumerable: true,
    },
    hex: { get: () => (hex ??= bytesToHex(getBytes())), enumerable: true },
    base64: { get: () => (base64 ??= bytesToBase64(getBytes())), enumerable: true },
  });
  return view;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}
