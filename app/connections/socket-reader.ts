/**
 * Reads a plain-TCP (ws://) client connection straight into its MessageLog.
 *
 * Node reads a socket into a new buffer each time, ws hands out views of those
 * buffers, and a log that keeps every payload then has to copy each one: at a
 * few GB/s that copy costs more than all of ws's own work. Here the socket reads
 * (net's `onread` option) into the log's read slab, and a payload that ws parses
 * out of it is a view of memory the log already holds, so nothing is copied.
 *
 * For that to be safe, no byte the log refers to may be written again, and no
 * read slab may be reused while ws still refers to it. So ws is given only
 * whole frames: the reader finds frame boundaries itself (the 2–14 byte header
 * of RFC 6455 §5.2), keeps an incomplete last frame, and when the slab runs out
 * copies that part to the front of the next one. ws then parses each chunk it
 * gets completely and at once (its events are synchronous), and afterwards holds
 * nothing of it, except the fragments of a message whose last frame has not come:
 * the log's read slabs stay pinned (not reused) until it has.
 *
 * Until the HTTP handshake is done, and for the whole connection when an
 * extension was negotiated (permessage-deflate: ws inflates asynchronously,
 * holding views meanwhile), each read is handed on as a buffer of its own, as a
 * plain socket's would be; the log then copies payloads as from any other source.
 */
import net from 'node:net';
import type { MessageLog } from '../log/message-log.js';

/** Largest message ws accepts (its maxPayload), also the largest frame the reader waits for. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024;
/** Bytes asked of the kernel per read, as Node does. */
const READ_BYTES = 64 * 1024;
/** A read slab with less room than this left (a quarter slab, if less) is replaced before the next read. */
const MIN_READ_BYTES = 4 * 1024;
const EMPTY = new Uint8Array(0);

type Mode = 'handshake' | 'frames' | 'passthrough';

export interface SocketReaderOptions {
  log: MessageLog;
  /**
   * Asked once the response headers have been handed on: whether ws has taken
   * over the socket with no extension negotiated (then frames are read into
   * the log).
   */
  framesWanted(): boolean;
}

/** A `createConnection` for ws's client options: a net socket read by a SocketReader. */
export function socketReaderConnection(options: SocketReaderOptions) {
  return (connectOptions: net.NetConnectOpts & { socketPath?: string }): net.Socket =>
    new SocketReader(connectOptions, options).socket;
}

export class SocketReader {
  readonly socket: net.Socket;
  readonly #log: MessageLog;
  readonly #framesWanted: () => boolean;
  #mode: Mode = 'handshake';
  /** Bytes of "\r\n\r\n" matched at the end of what the handshake has read. */
  #headerMatch = 0;
  /** The memory being read into in 'frames' mode (a read slab of the log). */
  #memory: Uint8Array = EMPTY;
  /** First byte not yet handed to ws. */
  #start = 0;
  /** End of the bytes read. */
  #end = 0;
  /** Length of the frame at #start when it is known and incomplete, else 0. */
  #frameBytes = 0;
  /** A fragmented message has begun and its last frame has not been read. */
  #fragmented = false;
  /** What the handshake and passthrough modes read into. */
  #scratch: Uint8Array | undefined;

  constructor(connectOptions: net.NetConnectOpts & { socketPath?: string }, options: SocketReaderOptions) {
    this.#log = options.log;
    this.#framesWanted = options.framesWanted;
    // As ws's own netConnect: `path` is the socket path, not the request path.
    this.socket = net.connect({
      ...connectOptions,
      path: connectOptions.socketPath,
      onread: { buffer: () => this.#nextBuffer(), callback: (n, buf) => this.#onRead(n, buf) },
    } as net.NetConnectOpts);
  }

  #nextBuffer(): Uint8Array {
    if (this.#mode !== 'frames') return (this.#scratch ??= new Uint8Array(READ_BYTES));
    const room = this.#memory.byteLength - this.#end;
    if (room < this.#minRead() || this.#start + this.#frameBytes > this.#memory.byteLength)
      this.#moveToNewSlab();
    return this.#memory.subarray(this.#end, Math.min(this.#memory.byteLength, this.#end + READ_BYTES));
  }

  /** The least room worth a read: 4 KiB, or a quarter slab for a small log. */
  #minRead(): number {
    return Math.min(MIN_READ_BYTES, this.#log.slabBytes >> 2);
  }

  /** Continues in a new read slab, with the bytes not yet handed to ws at its front and room for `incoming` more. */
  #moveToNewSlab(incoming = 0): void {
    const pending = this.#memory.subarray(this.#start, this.#end);
    const next = this.#log.takeReadSlab(
      Math.max(this.#frameBytes, pending.byteLength + incoming + this.#minRead()),
    );
    next.set(pending); // may be the old slab itself, reused: set() copies overlapping ranges correctly
    this.#memory = next;
    this.#start = 0;
    this.#end = pending.byteLength;
  }

  #onRead(bytes: number, buffer: Uint8Array): boolean {
    if (this.#mode === 'frames') {
      this.#end += bytes;
      this.#handOnFrames();
      return true;
    }
    // A copy of the right size, as Node itself hands out: the scratch buffer is read into again.
    const chunk = Buffer.from(buffer.subarray(0, bytes));
    if (this.#mode === 'passthrough') {
      this.socket.emit('data', chunk);
      return true;
    }
    const headerEnd = this.#findHeaderEnd(chunk);
    if (headerEnd < 0) {
      this.socket.emit('data', chunk);
      return true;
    }
    // The response headers alone, so that ws gets no bytes with the upgrade.
    this.socket.emit('data', chunk.subarray(0, headerEnd));
    const rest = chunk.subarray(headerEnd);
    if (!this.socket.destroyed && this.#framesWanted()) {
      this.#mode = 'frames';
      this.#moveToNewSlab(rest.byteLength);
      this.#memory.set(rest, this.#end);
      this.#end += rest.byteLength;
      this.#handOnFrames();
    } else {
      this.#mode = 'passthrough';
      if (rest.byteLength > 0) this.socket.emit('data', rest);
    }
    return true;
  }

  /** Index just past the "\r\n\r\n" that ends the response headers, or -1 if not in this chunk. */
  #findHeaderEnd(chunk: Uint8Array): number {
    let matched = this.#headerMatch;
    for (let i = 0; i < chunk.byteLength; i++) {
      const byte = chunk[i];
      if (byte === (matched & 1 ? 10 : 13)) matched++;
      else matched = byte === 13 ? 1 : 0;
      if (matched === 4) return i + 1;
    }
    this.#headerMatch = matched;
    return -1;
  }

  /** Hands ws every complete frame read so far, as one chunk. */
  #handOnFrames(): void {
    const memory = this.#memory;
    const end = this.#end;
    let at = this.#start;
    let pin = this.#fragmented;
    this.#frameBytes = 0;
    while (end - at >= 2) {
      const second = memory[at + 1]!;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (end - at < 4) break;
        length = (memory[at + 2]! << 8) | memory[at + 3]!;
        header = 4;
      } else if (length === 127) {
        if (end - at < 10) break;
        const view = new DataView(memory.buffer, memory.byteOffset + at + 2, 8);
        length = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
        header = 10;
      }
      if (second & 0x80) header += 4; // a mask key (a server must not send one; ws will say so)
      const frameBytes = header + length;
      if (frameBytes > MAX_FRAME_BYTES) {
        // ws refuses it (1009) as soon as it sees the header: hand everything on now.
        this.#mode = 'passthrough';
        this.#log.pinReadSlabs(true);
        this.#emit(this.#start, end);
        return;
      }
      if (end - at < frameBytes) {
        this.#frameBytes = frameBytes;
        break;
      }
      const first = memory[at]!;
      const opcode = first & 0x0f;
      if (opcode < 8) {
        // Data frames: a text/binary frame without FIN begins a fragmented
        // message, a continuation with FIN ends it (control frames may come between).
        this.#fragmented = first & 0x80 ? false : true;
        if (this.#fragmented) pin = true;
      }
      at += frameBytes;
    }
    if (at === this.#start) return;
    if (pin) this.#log.pinReadSlabs(true);
    this.#emit(this.#start, at);
    this.#start = at;
    if (pin && !this.#fragmented) this.#log.pinReadSlabs(false);
  }

  #emit(from: number, to: number): void {
    const memory = this.#memory;
    this.socket.emit('data', Buffer.from(memory.buffer, memory.byteOffset + from, to - from));
  }
}
