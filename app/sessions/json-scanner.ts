/**
 * An incremental JSON scanner: fed bytes a chunk at a time, it walks the
 * document's structure and hands over only the values the caller asks for,
 * each parsed on its own, so a document of any size is read in memory bounded
 * by its largest wanted value. `route(path)` says for each value whether to
 * descend into it (objects and arrays), parse and report it, or skip it.
 */

export type JsonPath = readonly (string | number)[];
export type Route = 'descend' | 'value' | 'skip';

export interface JsonScannerHandlers {
  route(path: JsonPath): Route;
  /** A value routed 'value' (or a primitive routed 'descend'), parsed. */
  onValue?(path: JsonPath, value: unknown): void;
  /** An object or array routed 'descend' starts / ends. */
  onOpen?(path: JsonPath, kind: 'object' | 'array'): void;
  onClose?(path: JsonPath, kind: 'object' | 'array'): void;
}

interface Frame {
  kind: 'object' | 'array';
  path: (string | number)[];
  /** object: key | colon | value | next ; array: value | next */
  state: 'key' | 'colon' | 'value' | 'next';
  first: boolean;
  key: string;
  index: number;
}

/** A value (or key) being read byte by byte. */
interface Pending {
  path: (string | number)[];
  isKey: boolean;
  keep: boolean;
  parts: Buffer[];
  depth: number;
  inString: boolean;
  escape: boolean;
  primitive: boolean;
}

export class JsonSyntaxError extends Error {}

export class JsonScanner {
  readonly #h: JsonScannerHandlers;
  readonly #stack: Frame[] = [];
  #pending: Pending | undefined;
  #done = false;
  #started = false;
  /** Bytes consumed so far (for error messages). */
  #offset = 0;
  #bsBuf: Buffer | undefined;
  #bsAt = -1;

  constructor(handlers: JsonScannerHandlers) {
    this.#h = handlers;
  }

  write(buf: Buffer): void {
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.#pending) {
        i = this.#continue(buf, i);
        continue;
      }
      const c = buf[i]!;
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
        continue;
      }
      if (this.#done) throw this.#error(i, 'data after the end of the document');
      const top = this.#stack[this.#stack.length - 1];
      if (!top) {
        this.#started = true;
        this.#startValue([], buf, i);
        if (!this.#pending) i++;
        continue;
      }
      if (top.kind === 'object') {
        if (top.state === 'key') {
          if (c === 0x7d && top.first) this.#pop();
          else if (c === 0x22) this.#begin(top.path, true, true, buf, i);
          else throw this.#error(i, 'expected a "name" in an object');
          if (!this.#pending) i++;
          continue;
        }
        if (top.state === 'colon') {
          if (c !== 0x3a) throw this.#error(i, 'expected ":" after a name');
          top.state = 'value';
          i++;
          continue;
        }
        if (top.state === 'next') {
          if (c === 0x2c) {
            top.state = 'key';
            top.first = false;
          } else if (c === 0x7d) this.#pop();
          else throw this.#error(i, 'expected "," or "}"');
          i++;
          continue;
        }
        this.#startValue([...top.path, top.key], buf, i);
        if (!this.#pending) i++;
        continue;
      }
      // array
      if (top.state === 'next') {
        if (c === 0x2c) {
          top.state = 'value';
          top.first = false;
          top.index++;
        } else if (c === 0x5d) this.#pop();
        else throw this.#error(i, 'expected "," or "]"');
        i++;
        continue;
      }
      if (c === 0x5d && top.first) {
        this.#pop();
        i++;
        continue;
      }
      this.#startValue([...top.path, top.index], buf, i);
      if (!this.#pending) i++;
    }
    this.#offset += n;
  }

  /** The input ended: throws when the document is incomplete. */
  end(): void {
    const p = this.#pending;
    if (p && p.primitive && !p.isKey) {
      this.#finish();
    }
    if (!this.#started) throw new JsonSyntaxError('the file is empty');
    if (!this.#done || this.#pending) throw new JsonSyntaxError('the document ends in the middle');
  }

  /** At a value's first byte: descend into a container, or start reading the value. */
  #startValue(path: (string | number)[], buf: Buffer, i: number): void {
    const c = buf[i]!;
    const route = this.#h.route(path);
    if (route === 'descend' && (c === 0x7b || c === 0x5b)) {
      const kind = c === 0x7b ? 'object' : 'array';
      this.#stack.push({
        kind,
        path,
        state: kind === 'object' ? 'key' : 'value',
        first: true,
        key: '',
        index: 0,
      });
      this.#h.onOpen?.(path, kind);
      return;
    }
    this.#begin(path, false, route !== 'skip', buf, i);
  }

  #begin(path: (string | number)[], isKey: boolean, keep: boolean, buf: Buffer, i: number): void {
    const c = buf[i]!;
    const primitive = c !== 0x22 && c !== 0x7b && c !== 0x5b;
    if (primitive && !/[-0-9tfn]/.test(String.fromCharCode(c))) throw this.#error(i, 'expected a value');
    this.#pending = { path, isKey, keep, parts: [], depth: 0, inString: false, escape: false, primitive };
  }

  /** Reads the pending value from `i`; returns where it stopped. */
  #continue(buf: Buffer, i: number): number {
    const p = this.#pending!;
    const start = i;
    const n = buf.length;
    let end = -1;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (p.inString) {
        if (!p.escape && c !== 0x5c && c !== 0x22) {
          // Most of a document is string contents: jump to the next quote or backslash.
          const q = this.#nextQuoteOrBackslash(buf, i + 1, n);
          i = q - 1;
          continue;
        }
        if (p.escape) p.escape = false;
        else if (c === 0x5c) p.escape = true;
        else if (c === 0x22) {
          p.inString = false;
          if (p.depth === 0) {
            end = i + 1;
            break;
          }
        }
      } else if (p.primitive) {
        if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          end = i;
          break;
        }
      } else if (c === 0x22) p.inString = true;
      else if (c === 0x7b || c === 0x5b) p.depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (--p.depth === 0) {
          end = i + 1;
          break;
        }
      }
    }
    if (p.keep) p.parts.push(buf.subarray(start, end === -1 ? n : end));
    if (end === -1) return n;
    this.#finish();
    return end;
  }

  #finish(): void {
    const p = this.#pending!;
    this.#pending = undefined;
    const top = this.#stack[this.#stack.length - 1];
    let value: unknown;
    if (p.keep) {
      const text = Buffer.concat(p.parts).toString('utf8');
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new JsonSyntaxError(`${(err as Error).message} (in the value at ${formatPath(p.path)})`);
      }
    }
    if (p.isKey) {
      top!.key = value as string;
      top!.state = 'colon';
      return;
    }
    if (p.keep) this.#h.onValue?.(p.path, value);
    this.#afterValue();
  }

  #pop(): void {
    const frame = this.#stack.pop()!;
    this.#h.onClose?.(frame.path, frame.kind);
    this.#afterValue();
  }

  #afterValue(): void {
    const top = this.#stack[this.#stack.length - 1];
    if (top) top.state = 'next';
    else this.#done = true;
  }

  /** Where the next `"` or `\\` of this chunk is (the backslash position is cached: they are rare). */
  #nextQuoteOrBackslash(buf: Buffer, from: number, n: number): number {
    if (this.#bsBuf !== buf || (this.#bsAt !== -1 && this.#bsAt < from)) {
      this.#bsBuf = buf;
      this.#bsAt = buf.indexOf(0x5c, from);
    }
    const q = buf.indexOf(0x22, from);
    const end = q === -1 ? n : q;
    return this.#bsAt !== -1 && this.#bsAt < end ? this.#bsAt : end;
  }

  #error(i: number, what: string): JsonSyntaxError {
    return new JsonSyntaxError(`${what} at byte ${this.#offset + i}`);
  }
}

export function formatPath(path: JsonPath): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('') || '(root)';
}
