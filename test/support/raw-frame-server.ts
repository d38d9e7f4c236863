/**
 * A WebSocket server on raw TCP (node:net) for tests that need frames no real
 * server would send. It does the HTTP upgrade itself, then writes a script of
 * server frames byte for byte: each frame header and each payload (or each
 * piece of a chopped payload) is a separate TCP write, with a pause between
 * writes, so a client sees every boundary arrive on its own.
 *
 * It also reads what the client sends (masked frames, RFC 6455 §5.3) and, like
 * a real server, answers the client's close frame with one of its own (unless
 * it sent one already) and then ends the TCP connection.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export interface ScriptedFrame {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  /** RSV1..RSV3 as a number 0–7 (RSV1 = 4). */
  rsv?: number;
  /** Mask the frame, as a server must not. */
  mask?: boolean;
  /** Payload length the header announces, when it differs from the payload written. */
  announce?: number;
  /** Write the payload in pieces of this many bytes, each a write of its own. */
  chop?: number;
}

/** A pause, or bytes written as one write (several frames in one TCP segment). */
export type ScriptStep = ScriptedFrame | { pauseMs: number } | { raw: Uint8Array };

export interface Script {
  steps: ScriptStep[];
  /** After the script: end the TCP connection (FIN) instead of waiting for the client. */
  endAfter?: boolean;
  /** The Sec-WebSocket-Extensions value the upgrade response carries (e.g. "permessage-deflate"). */
  extensions?: string;
  /**
   * Pause between writes: a timer of this many ms (default 1), or 'immediate'
   * (one event-loop turn) for scripts of many thousands of writes.
   */
  gap?: number | 'immediate';
}

/** A frame the client sent, unmasked. */
export interface ClientFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** One client connection to the server. */
export interface ServerRun {
  /** What the client sent after the upgrade, in order. */
  clientFrames: ClientFrame[];
  /** Bytes of the script written so far (frames only, not the upgrade response). */
  written: number;
  /** The script has been written to the end. */
  scriptDone: boolean;
  /** Resolves when the TCP connection is closed. */
  closed: Promise<void>;
}

export interface RawFrameServer {
  url: string;
  /** One per accepted connection, in order. */
  runs: ServerRun[];
  close(): Promise<void>;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** With `tls` (a key and certificate, PEM), the same server over TLS: a wss:// URL. */
export async function rawFrameServer(
  script: Script,
  tls?: { key: string | Buffer; cert: string | Buffer },
): Promise<RawFrameServer> {
  const runs: ServerRun[] = [];
  const sockets = new Set<Socket>();
  const onSocket = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    runs.push(serve(socket, script));
  };
  const server: Server = tls ? createTlsServer(tls, onSocket) : createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`,
    runs,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function serve(socket: Socket, script: Script): ServerRun {
  const run: ServerRun = {
    clientFrames: [],
    written: 0,
    scriptDone: false,
    closed: once(socket, 'close').then(() => undefined),
  };
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let request = '';
  let received = Buffer.alloc(0);
  let upgraded = false;
  let sentClose = false;
  socket.on('data', (chunk: Buffer) => {
    if (!upgraded) {
      request += chunk.toString('latin1');
      const end = request.indexOf('\r\n\r\n');
      if (end < 0) return;
      upgraded = true;
      const key = /^sec-websocket-key: *(\S+)/im.exec(request)![1]!;
      socket.write(upgradeResponse(key, script.extensions));
      void play(socket, script, run, () => (sentClose = true));
      chunk = Buffer.from(request.slice(end + 4), 'latin1');
    }
    received = Buffer.concat([received, chunk]);
    for (let frame = takeFrame(); frame; frame = takeFrame()) {
      run.clientFrames.push(frame);
      if (frame.opcode === 0x8) {
        // The closing handshake: answer once, then end the TCP connection as the server does.
        if (!sentClose && !socket.destroyed)
          socket.write(encodeFrame({ opcode: 0x8, payload: frame.payload }));
        sentClose = true;
        socket.end();
      }
    }
  });

  function takeFrame(): ClientFrame | undefined {
    const parsed = parseClientFrame(received);
    if (!parsed) return undefined;
    received = received.subarray(parsed.bytes);
    return parsed.frame;
  }
  return run;
}

async function play(socket: Socket, script: Script, run: ServerRun, onClose: () => void): Promise<void> {
  const pause = (): Promise<void> =>
    new Promise((resolve) =>
      script.gap === 'immediate' ? setImmediate(resolve) : setTimeout(resolve, script.gap ?? 1),
    );
  const write = async (bytes: Uint8Array): Promise<boolean> => {
    if (socket.destroyed || socket.writableEnded) return false;
    await pause();
    if (socket.destroyed || socket.writableEnded) return false;
    socket.write(bytes);
    run.written += bytes.byteLength;
    return true;
  };
  for (const step of script.steps) {
    if ('pauseMs' in step) {
      await new Promise((resolve) => setTimeout(resolve, step.pauseMs));
      continue;
    }
    if ('raw' in step) {
      if (!(await write(step.raw))) return;
      continue;
    }
    const payload = payloadBytes(step.payload);
    const { header, body } = frameParts(step, payload);
    if (!(await write(header))) return;
    const chop = step.chop ?? Math.max(1, body.byteLength);
    for (let at = 0; at < body.byteLength; at += chop)
      if (!(await write(body.subarray(at, at + chop)))) return;
    if (step.opcode === 0x8) onClose();
  }
  run.scriptDone = true;
  if (script.endAfter) socket.end();
}

function upgradeResponse(key: string, extensions: string | undefined): string {
  const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64');
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n` +
    (extensions ? `Sec-WebSocket-Extensions: ${extensions}\r\n` : '') +
    '\r\n'
  );
}

function payloadBytes(payload: Uint8Array | string | undefined): Buffer {
  if (payload === undefined) return Buffer.alloc(0);
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}

/** A whole frame as one buffer (for the close answer). */
export function encodeFrame(frame: ScriptedFrame): Buffer {
  const { header, body } = frameParts(frame, payloadBytes(frame.payload));
  return Buffer.concat([header, body]);
}

/** The header and the (masked, if asked) payload of a server frame, RFC 6455 §5.2. */
function frameParts(frame: ScriptedFrame, payload: Buffer): { header: Buffer; body: Buffer } {
  const length = frame.announce ?? payload.byteLength;
  const first = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) | frame.opcode;
  const maskBit = frame.mask ? 0x80 : 0;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([first, maskBit | length]);
  } else if (length < 65536) {
    header = Buffer.alloc(4);
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  header[0] = first;
  if (!frame.mask) return { header, body: payload };
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.byteLength; i++) body[i]! ^= key[i & 3]!;
  return { header: Buffer.concat([header, key]), body };
}

/** The first complete client frame of `bytes` and its length, or undefined when incomplete. */
function parseClientFrame(bytes: Buffer): { frame: ClientFrame; bytes: number } | undefined {
  if (bytes.byteLength < 2) return undefined;
  let length = bytes[1]! & 0x7f;
  let at = 2;
  if (length === 126) {
    if (bytes.byteLength < 4) return undefined;
    length = bytes.readUInt16BE(2);
    at = 4;
  } else if (length === 127) {
    if (bytes.byteLength < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    at = 10;
  }
  const masked = (bytes[1]! & 0x80) !== 0;
  const key = masked ? bytes.subarray(at, at + 4) : undefined;
  if (masked) at += 4;
  if (bytes.byteLength < at + length) return undefined;
  const payload = Buffer.from(bytes.subarray(at, at + length));
  if (key) for (let i = 0; i < payload.byteLength; i++) payload[i]! ^= key[i & 3]!;
  return { frame: { fin: (bytes[0]! & 0x80) !== 0, opcode: bytes[0]! & 0x0f, payload }, bytes: at + length };
}

/** The close code of a close frame's payload (1005 when it has none). */
export function closeCodeOf(frame: ClientFrame): number {
  return frame.payload.byteLength >= 2 ? frame.payload.readUInt16BE(0) : 1005;
}
