/**
 * Redaction of what Duplex writes or prints (recordings, HAR, `--json` lines,
 * copied code): every secret value becomes `[redacted]`, and by default the
 * values of credential headers (Authorization, Cookie and their kin) do too.
 * Binary payloads keep their length: a secret's bytes become `*` bytes, so a
 * length-prefixed protocol still parses. An explicit opt-out (`redact: false`,
 * `--no-redact`) writes everything as it was.
 */
import type { ErrorInfo } from '../errors.js';
import { utf8Decode, utf8Encode } from '../payload/codecs.js';
import { CREDENTIAL_HEADERS, REDACTED } from './variable-names.js';

export { CREDENTIAL_HEADERS, REDACTED };

export interface Redactor {
  /** False when nothing would change (no secrets, headers kept): callers may skip work. */
  readonly active: boolean;
  text(text: string): string;
  /** Text-kind payload bytes: secrets replaced (the length may change). */
  textBytes(bytes: Uint8Array): Uint8Array;
  /** Binary payload bytes: secrets overwritten with `*`, the length kept. */
  binaryBytes(bytes: Uint8Array): Uint8Array;
  /** Header values: credential headers by default, and secrets in any header. */
  headers<T extends string | string[] | undefined>(headers: Record<string, T>): Record<string, T>;
}

export interface RedactOptions {
  /** Secret values to hide. */
  secrets?: readonly string[];
  /** Hide Authorization / Cookie values (default true). */
  credentialHeaders?: boolean;
}

export const NO_REDACTION: Redactor = {
  active: false,
  text: (t) => t,
  textBytes: (b) => b,
  binaryBytes: (b) => b,
  headers: (h) => h,
};

export function createRedactor(options: RedactOptions = {}): Redactor {
  // A secret in a URL is written as the URL serializes it (`a b` → `a%20b`): those forms are hidden too.
  const secrets = [...new Set((options.secrets ?? []).flatMap(withUrlForms))]
    .filter((s) => s.length > 0)
    .sort((a, b) => b.length - a.length);
  const credentialHeaders = options.credentialHeaders ?? true;
  if (secrets.length === 0 && !credentialHeaders) return NO_REDACTION;
  const secretBytes = secrets.map((s) => utf8Encode(s));
  const text = (t: string): string => {
    let out = t;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };
  const value = <T extends string | string[] | undefined>(name: string, v: T): T => {
    if (v === undefined) return v;
    if (credentialHeaders && CREDENTIAL_HEADERS.has(name.toLowerCase())) {
      return (Array.isArray(v) ? v.map(() => REDACTED) : REDACTED) as T;
    }
    return (Array.isArray(v) ? v.map(text) : text(v as string)) as T;
  };
  return {
    active: true,
    text,
    textBytes: (bytes) => {
      if (secrets.length === 0 || !containsAny(bytes, secretBytes)) return bytes;
      return utf8Encode(text(utf8Decode(bytes)));
    },
    binaryBytes: (bytes) => {
      if (secrets.length === 0 || !containsAny(bytes, secretBytes)) return bytes;
      const out = new Uint8Array(bytes);
      for (const s of secretBytes) {
        for (let at = indexOf(out, s, 0); at !== -1; at = indexOf(out, s, at + s.length))
          out.fill(0x2a, at, at + s.length);
      }
      return out;
    },
    headers: (headers) => Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, value(k, v)])),
  };
}

/** An error as a person or a script is shown it: its message and text details redacted. */
export function redactError(info: ErrorInfo, redactor: Redactor): ErrorInfo {
  if (!redactor.active) return info;
  const out: ErrorInfo = { ...info, message: redactor.text(info.message) };
  if (info.details) {
    out.details = Object.fromEntries(
      Object.entries(info.details).map(([k, v]) => [k, typeof v === 'string' ? redactor.text(v) : v]),
    );
  }
  return out;
}

/**
 * A value and the forms a URL gives it: in a path, in a query, percent-encoded as a
 * component. A form shorter than the value is a cut one (a `?` or `#` ended the path,
 * a dot segment went away) and is left out: hiding a piece would hide unrelated text.
 */
function withUrlForms(secret: string): string[] {
  const forms = [new URL(`ws://h/${secret}`).pathname.slice(1), new URL(`ws://h/?${secret}`).search.slice(1)];
  if (secret.isWellFormed()) forms.push(encodeURIComponent(secret));
  return [secret, ...forms.filter((f) => f.length >= secret.length)];
}

function containsAny(bytes: Uint8Array, needles: Uint8Array[]): boolean {
  return needles.some((n) => indexOf(bytes, n, 0) !== -1);
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(needle, from);
}
