/**
 * The receive path against scripted servers: cases modelled on the Autobahn
 * testsuite (sections 1–7 and 9), each played byte for byte by a raw TCP server
 * (every header and payload boundary a TCP write of its own) to a Duplex
 * ClientConnection and to a plain `ws` client with the same options. Duplex
 * must end up exactly where ws does: the same messages (kind and bytes), pings
 * and pongs, the same frames sent back, the same error and close, and a typed
 * Duplex error whose close code is the one that went out on the wire.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  ClientConnection,
  MAX_MESSAGE_BYTES,
  wsClientOptions,
  type CloseEventInfo,
} from '../../app/connections/client-connection.js';
import type { ConnectOptions } from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import {
  closeCodeOf,
  rawFrameServer,
  type ClientFrame,
  type RawFrameServer,
  type Script,
  type ScriptStep,
  type ScriptedFrame,
  type ServerRun,
} from '../support/raw-frame-server.js';
import { until } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

// --- frames of a script ------------------------------------------------------

const TEXT = 0x1;
const BINARY = 0x2;
const CONT = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

type Bytes = Uint8Array | string;
const text = (payload: Bytes, more: Partial<ScriptStep> = {}): ScriptStep => ({
  opcode: TEXT,
  payload,
  ...more,
});
const binary = (payload: Bytes, more: Partial<ScriptStep> = {}): ScriptStep => ({
  opcode: BINARY,
  payload,
  ...more,
});
const cont = (payload: Bytes, fin: boolean, more: Partial<ScriptStep> = {}): ScriptStep => ({
  opcode: CONT,
  payload,
  fin,
  ...more,
});
const ping = (payload: Bytes = '', more: Partial<ScriptStep> = {}): ScriptStep => ({
  opcode: PING,
  payload,
  ...more,
});
const pong = (payload: Bytes = ''): ScriptStep => ({ opcode: PONG, payload });
const pause = (pauseMs: number): ScriptStep => ({ pauseMs });
/** A close frame with a code (and reason), or with no payload when `code` is undefined. */
function close(code?: number, reason: Bytes = ''): ScriptStep {
  if (code === undefined) return { opcode: CLOSE };
  const r = typeof reason === 'string' ? Buffer.from(reason) : Buffer.from(reason);
  const payload = Buffer.alloc(2 + r.byteLength);
  payload.writeUInt16BE(code, 0);
  r.copy(payload, 2);
  return { opcode: CLOSE, payload };
}
const NORMAL_CLOSE = close(1000);

function repeat(byte: number, size: number): Buffer {
  return Buffer.alloc(size, byte);
}

/** Bytes that tell positions apart (ASCII, so valid UTF-8 too). */
function pattern(size: number, seed = 0): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = 0x41 + ((i + seed) % 26);
  return bytes;
}

/** A message split into fragments of `size` bytes: the first with `opcode`, then continuations. */
function fragments(
  opcode: number,
  payload: Buffer,
  size: number,
  more: Partial<ScriptStep> = {},
): ScriptStep[] {
  const steps: ScriptStep[] = [];
  for (let at = 0; at < payload.byteLength || at === 0; at += size) {
    const last = at + size >= payload.byteLength;
    steps.push({
      opcode: at === 0 ? opcode : CONT,
      payload: payload.subarray(at, at + size),
      fin: last,
      ...more,
    });
    if (last) break;
  }
  return steps;
}

// --- the cases ------------------------------------------------------------------

/** The Duplex error of a connection the client fails with this close code. */
const DUPLEX_CODE_OF_CLOSE: Record<number, string> = {
  1002: ErrorCodes.PROTOCOL,
  1007: ErrorCodes.INVALID_PAYLOAD,
  1008: ErrorCodes.MESSAGE_TOO_BIG,
  1009: ErrorCodes.MESSAGE_TOO_BIG,
};

interface Case {
  id: string;
  title: string;
  script: Script;
  /** The close code the client sends first (1005: a close frame without one). */
  clientCloses: number;
  /** The client fails the connection (a protocol error), rather than answering the server's close. */
  fails: boolean;
  /** Connect options beyond the URL (both clients get the same). */
  options?: Partial<ConnectOptions>;
  timeoutMs?: number;
}

const cases: Case[] = [];
function add(
  id: string,
  title: string,
  steps: ScriptStep[],
  clientCloses: number,
  more: Partial<Pick<Case, 'options' | 'timeoutMs'>> &
    Omit<Partial<Script>, 'steps'> & { echoed?: true } = {},
): void {
  const { options, timeoutMs, echoed, ...script } = more;
  const fails = !echoed && clientCloses in DUPLEX_CODE_OF_CLOSE;
  cases.push({ id, title, script: { steps, ...script }, clientCloses, fails, options, timeoutMs });
}

// 1 Framing: text and binary messages of every header form, one write or chopped.
const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];
LENGTHS.forEach((n, i) => {
  add(`1.1.${i + 1}`, `text message of ${n} bytes`, [text(pattern(n)), NORMAL_CLOSE], 1000);
  add(`1.2.${i + 1}`, `binary message of ${n} bytes`, [binary(repeat(0xfe, n)), NORMAL_CLOSE], 1000);
});
add(
  '1.1.8',
  'text message of 65536 bytes in writes of 997',
  [text(pattern(65536), { chop: 997 }), NORMAL_CLOSE],
  1000,
);
add(
  '1.2.8',
  'binary message of 65536 bytes in writes of 997',
  [binary(repeat(0xfe, 65536), { chop: 997 }), NORMAL_CLOSE],
  1000,
);

// 2 Pings and pongs.
add('2.1', 'ping without payload', [ping(), NORMAL_CLOSE], 1000);
add('2.2', 'ping with a text payload', [ping('Hello, world!'), NORMAL_CLOSE], 1000);
add(
  '2.3',
  'ping with a binary payload',
  [ping(Buffer.from([0, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0, 0xff])), NORMAL_CLOSE],
  1000,
);
add('2.4', 'ping with 125 bytes', [ping(repeat(0xfe, 125)), NORMAL_CLOSE], 1000);
add('2.5', 'ping with 126 bytes', [ping(repeat(0xfe, 126)), NORMAL_CLOSE], 1002);
add('2.6', 'ping with 125 bytes in writes of 1', [ping(repeat(0xfe, 125), { chop: 1 }), NORMAL_CLOSE], 1000);
add('2.7', 'unsolicited pong without payload', [pong(), NORMAL_CLOSE], 1000);
add('2.8', 'unsolicited pong with payload', [pong('unsolicited pong payload'), NORMAL_CLOSE], 1000);
add('2.9', 'unsolicited pong, then ping', [pong('unsolicited'), ping('ping payload'), NORMAL_CLOSE], 1000);
const tenPings = (chop?: number): ScriptStep[] =>
  Array.from({ length: 10 }, (_, i) => ping(`payload-${i}`, chop ? { chop } : {}));
add('2.10', '10 pings', [...tenPings(), NORMAL_CLOSE], 1000);
add('2.11', '10 pings in writes of 1', [...tenPings(1), NORMAL_CLOSE], 1000);

// 3 Reserved bits (no extension negotiated).
add('3.1', 'text with RSV = 1', [text('Hello, world!', { rsv: 1 }), NORMAL_CLOSE], 1002);
add(
  '3.2',
  'text, text with RSV = 2, ping',
  [text('small'), text('Hello', { rsv: 2 }), ping('p'), NORMAL_CLOSE],
  1002,
);
add(
  '3.3',
  'text, text with RSV = 3 in writes of 1, ping',
  [text('small'), text('Hello', { rsv: 3, chop: 1 }), ping('p')],
  1002,
);
add('3.4', 'text, text with RSV = 4, ping', [text('small'), text('Hello', { rsv: 4 }), ping('p')], 1002);
add('3.5', 'binary with RSV = 5', [binary(repeat(0xff, 8), { rsv: 5 }), NORMAL_CLOSE], 1002);
add('3.6', 'ping with RSV = 6', [ping('ping', { rsv: 6 }), NORMAL_CLOSE], 1002);
add('3.7', 'close with RSV = 7', [{ ...close(1000), rsv: 7 }], 1002);

// 4 Opcodes: reserved non-control (3–7) and control (11–15) opcodes.
[3, 4, 5, 6, 7, 11, 12, 13, 14, 15].forEach((opcode, i) => {
  const section = opcode < 8 ? `4.1.${i + 1}` : `4.2.${i - 4}`;
  add(`${section}a`, `opcode ${opcode} without payload`, [{ opcode }, NORMAL_CLOSE], 1002);
  add(
    `${section}b`,
    `text, opcode ${opcode} with payload in writes of 1, ping`,
    [text('small'), { opcode, payload: 'reserved', chop: 1 }, ping('p'), NORMAL_CLOSE],
    1002,
  );
});
add('4.x', 'a masked frame from the server', [text('masked', { mask: true }), NORMAL_CLOSE], 1002);

// 5 Fragmentation.
const frag2 = (chop?: number): ScriptStep[] => [
  text('fragment1', { fin: false, chop }),
  cont('fragment2', true, { chop }),
];
const frag2Ping = (chop?: number): ScriptStep[] => [
  text('fragment1', { fin: false, chop }),
  ping('', { chop }),
  cont('fragment2', true, { chop }),
];
add(
  '5.1',
  'ping in 2 fragments',
  [ping('fragment1', { fin: false }), cont('fragment2', true), NORMAL_CLOSE],
  1002,
);
add(
  '5.2',
  'pong in 2 fragments',
  [{ opcode: PONG, payload: 'fragment1', fin: false }, cont('fragment2', true), NORMAL_CLOSE],
  1002,
);
add('5.3', 'text in 2 fragments', [...frag2(), NORMAL_CLOSE], 1000);
add('5.4', 'text in 2 fragments, in writes of 3', [...frag2(3), NORMAL_CLOSE], 1000);
add('5.5', 'text in 2 fragments, in writes of 1', [...frag2(1), NORMAL_CLOSE], 1000);
add('5.6', 'text in 2 fragments, a ping between', [...frag2Ping(), NORMAL_CLOSE], 1000);
add('5.7', 'text in 2 fragments, a ping between, in writes of 3', [...frag2Ping(3), NORMAL_CLOSE], 1000);
add('5.8', 'text in 2 fragments, a ping between, in writes of 1', [...frag2Ping(1), NORMAL_CLOSE], 1000);
// 5.9–5.14: a continuation with no message begun, with FIN and without, in one write and in writes of 1.
[true, false].forEach((fin) => {
  const id = fin ? 9 : 12;
  const what = `continuation ${fin ? 'with' : 'without'} FIN and no message begun`;
  add(`5.${id}`, what, [cont('non-continuation payload', fin), text('Hello, world!'), NORMAL_CLOSE], 1002);
  add(
    `5.${id + 1}`,
    `${what}, in writes of 1`,
    [cont('non-continuation payload', fin, { chop: 1 }), text('Hello')],
    1002,
  );
});
add(
  '5.15',
  'text in 2 fragments, then a continuation with no message begun',
  [
    text('fragment1', { fin: false }),
    cont('fragment2', true),
    cont('fragment3', false),
    text('fragment4'),
    NORMAL_CLOSE,
  ],
  1002,
);
add(
  '5.16',
  'continuation, text begun, continuation, twice',
  [
    cont('fragment1', false),
    text('fragment2', { fin: false }),
    cont('fragment3', true),
    cont('fragment4', false),
    NORMAL_CLOSE,
  ],
  1002,
);
add(
  '5.18',
  'a text begun inside a fragmented text',
  [text('fragment1', { fin: false }), text('fragment2'), NORMAL_CLOSE],
  1002,
);
const fragmentsWithPings = (chop?: number): ScriptStep[] => [
  text('fragment1', { fin: false, chop }),
  cont('fragment2', false, { chop }),
  ping('pongme 1!', { chop }),
  pause(20),
  cont('fragment3', false, { chop }),
  cont('fragment4', false, { chop }),
  ping('pongme 2!', { chop }),
  pause(20),
  cont('fragment5', true, { chop }),
  NORMAL_CLOSE,
];
add('5.19', 'text in 5 fragments, pings and pauses between', fragmentsWithPings(), 1000);
add('5.20', 'the same, in writes of 1', fragmentsWithPings(1), 1000);
add(
  '5.x',
  'a binary message in 3 fragments',
  [...fragments(BINARY, repeat(0xa5, 300), 100), NORMAL_CLOSE],
  1000,
);

// 6 UTF-8 handling: each sequence in one frame, and split into fragments of one byte.
const fatal = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Buffer): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
const UTF8_SEQUENCES: [string, string][] = [
  ['6.1', ''],
  ['6.2', Buffer.from('Hello-µ@ßöäüàá-UTF-8!!').toString('hex')],
  ['6.3.1', 'cebae1bdb9cf83cebcceb5eda080656469746564'], // κόσμε, a surrogate, "edited"
  ['6.5.1', 'cebae1bdb9cf83cebcceb5'], // κόσμε
  ['6.6.1', 'ce'],
  ['6.6.2', 'cebae1'],
  ['6.7.1', '00'],
  ['6.7.2', 'c280'],
  ['6.7.3', 'e0a080'],
  ['6.7.4', 'f0908080'],
  ['6.8.1', 'f888808080'], // 5 bytes
  ['6.8.2', 'fc8480808080'], // 6 bytes
  ['6.9.1', '7f'],
  ['6.9.2', 'dfbf'],
  ['6.9.3', 'efbfbf'],
  ['6.9.4', 'f48fbfbf'],
  ['6.10.1', 'f4908080'], // beyond U+10FFFF
  ['6.10.2', 'f7bfbfbf'],
  ['6.11.1', 'ed9fbf'],
  ['6.11.2', 'ee8080'],
  ['6.11.3', 'efbfbd'],
  ['6.11.5', 'f4908080'],
  ['6.12.1', '80'],
  ['6.12.2', 'bf'],
  ['6.12.3', '80bf'],
  ['6.12.4', '80bf80'],
  ['6.13.1', 'c020c120c220'], // lonely start bytes
  ['6.14.1', 'c0'],
  ['6.14.2', 'e080'],
  ['6.14.3', 'f08080'],
  ['6.15.1', 'c0e080f08080f8808080fc80808080df'], // truncated sequences concatenated
  ['6.16.1', 'fe'],
  ['6.16.2', 'ff'],
  ['6.16.3', 'fefeffff'],
  ['6.17.1', 'c0af'], // overlong '/'
  ['6.17.2', 'e080af'],
  ['6.17.3', 'f08080af'],
  ['6.18.1', 'c1bf'],
  ['6.18.2', 'e09fbf'],
  ['6.18.3', 'f08fbfbf'],
  ['6.19.1', 'c080'], // overlong NUL
  ['6.19.2', 'e08080'],
  ['6.20.1', 'eda080'], // lone surrogates
  ['6.20.7', 'edbfbf'],
  ['6.21.1', 'eda080edb080'], // paired surrogates
  ['6.22.1', 'efbfbe'], // noncharacters: valid UTF-8
  ['6.22.2', 'f09fbfbe'],
  ['6.23.1', 'efbfbd'],
  ['6.x', 'e282ac'], // €
];
for (const [id, hex] of UTF8_SEQUENCES) {
  const bytes = Buffer.from(hex, 'hex');
  const want = isUtf8(bytes) ? 1000 : 1007;
  add(`${id}a`, `text "${hex}" in one frame`, [text(bytes), NORMAL_CLOSE], want);
  if (bytes.byteLength > 1)
    add(
      `${id}b`,
      `text "${hex}" in fragments of one byte`,
      [...fragments(TEXT, bytes, 1), NORMAL_CLOSE],
      want,
    );
}
add(
  '6.4.1',
  'invalid text after a valid one, in 3 fragments with pauses',
  [
    text('cebae1bdb9cf83cebcceb5', { fin: false }),
    pause(20),
    cont(Buffer.from('f4908080', 'hex'), false),
    pause(20),
    cont(Buffer.from('656469746564', 'hex'), true),
    NORMAL_CLOSE,
  ],
  1007,
);

// 7 Close handling.
add('7.1.1', 'text, then close', [text('Hello World!'), NORMAL_CLOSE], 1000);
add('7.1.2', 'close twice', [NORMAL_CLOSE, NORMAL_CLOSE], 1000);
add('7.1.3', 'close, then ping', [NORMAL_CLOSE, ping('after close')], 1000);
add('7.1.4', 'close, then text', [NORMAL_CLOSE, text('after close')], 1000);
add(
  '7.1.5',
  'fragment, close, final fragment',
  [text('fragment1', { fin: false }), NORMAL_CLOSE, cont('fragment2', true)],
  1000,
);
add(
  '7.1.6',
  'a 256 KiB text, close, ping',
  [text(pattern(256 * 1024)), NORMAL_CLOSE, ping('after close')],
  1000,
);
add('7.3.1', 'close without payload', [close()], 1005);
add('7.3.2', 'close with a payload of 1 byte', [{ opcode: CLOSE, payload: Buffer.from([0x03]) }], 1002);
add('7.3.3', 'close 1000 without reason', [close(1000)], 1000);
add('7.3.4', 'close 1000 with a reason', [close(1000, 'Hello World!')], 1000);
add('7.3.5', 'close 1000 with a reason of 123 bytes', [close(1000, 'x'.repeat(123))], 1000);
add('7.3.6', 'close 1000 with a reason of 124 bytes', [close(1000, 'x'.repeat(124))], 1002);
add(
  '7.5.1',
  'close with a reason that is not UTF-8',
  [close(1000, Buffer.from('cebae1bdb9cf83cebcceb5eda080656469746564', 'hex'))],
  1007,
);
// Codes a peer may send (RFC 6455 §7.4, the IANA registry): echoed back.
[1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999].forEach(
  (code, i) => add(`7.7.${i + 1}`, `close with code ${code}`, [close(code)], code, { echoed: true }),
);
// Codes a peer must not send: a protocol error.
[0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535].forEach((code, i) =>
  add(`7.9.${i + 1}`, `close with code ${code}`, [close(code)], 1002),
);

// 9 Limits and large messages.
const MiB = 1024 * 1024;
[64 * 1024, 256 * 1024, MiB, 4 * MiB, 16 * MiB].forEach((size, i) => {
  add(`9.1.${i + 1}`, `text message of ${size} bytes`, [text(pattern(size, i)), NORMAL_CLOSE], 1000, {
    timeoutMs: 30_000,
  });
  add(`9.2.${i + 1}`, `binary message of ${size} bytes`, [binary(repeat(0xfe, size)), NORMAL_CLOSE], 1000, {
    timeoutMs: 30_000,
  });
});
[64, 4096, 64 * 1024, MiB, 4 * MiB].forEach((size, i) => {
  // 4 MiB in 64-byte fragments is 65,536 fragments, over the client's limit (1008).
  const want = (4 * MiB) / size > 16 * 1024 ? 1008 : 1000;
  add(
    `9.3.${i + 1}`,
    `4 MiB text in fragments of ${size}`,
    [...fragments(TEXT, pattern(4 * MiB), size), NORMAL_CLOSE],
    want,
    { gap: 'immediate', timeoutMs: 60_000 },
  );
  add(
    `9.4.${i + 1}`,
    `4 MiB binary in fragments of ${size}`,
    [...fragments(BINARY, repeat(0xfe, 4 * MiB), size), NORMAL_CLOSE],
    want,
    { gap: 'immediate', timeoutMs: 60_000 },
  );
});
[64, 256, 4096].forEach((chop, i) => {
  add(`9.5.${i + 1}`, `1 MiB text in writes of ${chop}`, [text(pattern(MiB), { chop }), NORMAL_CLOSE], 1000, {
    gap: 'immediate',
    timeoutMs: 60_000,
  });
  add(
    `9.6.${i + 1}`,
    `1 MiB binary in writes of ${chop}`,
    [binary(repeat(0xfe, MiB), { chop }), NORMAL_CLOSE],
    1000,
    { gap: 'immediate', timeoutMs: 60_000 },
  );
});
add(
  '9.7.1',
  '1,000 text messages of 16 bytes',
  [...Array.from({ length: 1000 }, (_, i) => text(pattern(16, i))), NORMAL_CLOSE],
  1000,
  { gap: 'immediate' },
);
add(
  '9.8.1',
  '1,000 binary messages of 16 bytes',
  [...Array.from({ length: 1000 }, (_, i) => binary(pattern(16, i))), NORMAL_CLOSE],
  1000,
  { gap: 'immediate' },
);
add(
  '9.x.1',
  `a header announcing ${MAX_MESSAGE_BYTES + 1} bytes (one over the limit)`,
  [binary(repeat(0, 100), { announce: MAX_MESSAGE_BYTES + 1 })],
  1009,
);
add('9.x.2', 'a header announcing 2^53 bytes', [binary(repeat(0, 100), { announce: 2 ** 53 })], 1009);

// permessage-deflate: a server that accepts the extension and sends compressed frames.
const DEFLATE = { extensions: 'permessage-deflate' } as const;
/** A message compressed as permessage-deflate sends it: raw deflate without the final empty block's 4 bytes. */
function compressed(payload: Buffer): Buffer {
  const bytes = deflateRawSync(payload, { finishFlush: 2 /* Z_SYNC_FLUSH */ });
  return bytes.subarray(0, bytes.byteLength - 4);
}
add(
  '12.x.1',
  'a compressed text message',
  [text(compressed(Buffer.from('Hello, compressed world')), { rsv: 4 }), NORMAL_CLOSE],
  1000,
  DEFLATE,
);
add(
  '12.x.2',
  'a compressed 64 KiB binary message in 3 fragments',
  [
    ...fragments(BINARY, compressed(repeat(0x61, 64 * 1024)), 40).map((s, i) =>
      i === 0 ? { ...s, rsv: 4 } : s,
    ),
    NORMAL_CLOSE,
  ],
  1000,
  DEFLATE,
);
add(
  '12.x.3',
  'corrupt compressed data',
  [binary(Buffer.from('ffffffffffff', 'hex'), { rsv: 4 }), NORMAL_CLOSE],
  1007,
  DEFLATE,
);
add(
  '12.x.4',
  'compressed data that is not UTF-8 text',
  [text(compressed(Buffer.from('c0af', 'hex')), { rsv: 4 }), NORMAL_CLOSE],
  1007,
  DEFLATE,
);
add(
  '12.x.5',
  'a compressed ping (RSV1 on a control frame)',
  [ping('p', { rsv: 4 }), NORMAL_CLOSE],
  1002,
  DEFLATE,
);
add(
  '12.x.6',
  'RSV1 on a continuation',
  [text('a', { fin: false, rsv: 4 }), cont('b', true, { rsv: 4 }), NORMAL_CLOSE],
  1002,
  DEFLATE,
);
add(
  '12.x.7',
  `compressed data that inflates over ${MAX_MESSAGE_BYTES} bytes`,
  [binary(compressed(repeat(0, MAX_MESSAGE_BYTES + 1024)), { rsv: 4 }), NORMAL_CLOSE],
  1009,
  { ...DEFLATE, timeoutMs: 30_000 },
);

// --- outcomes -----------------------------------------------------------------

/** What a client ended up with: everything the comparison looks at, as plain strings. */
interface Outcome {
  messages: string[];
  pings: string[];
  pongs: string[];
  /** ws's error code (`WS_ERR_*`, `Z_*`), or none. */
  error: string | undefined;
  close: string;
  /** What the server read from the client: opcode, FIN and payload of each frame. */
  sent: string[];
}

function describeBytes(bytes: Uint8Array): string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return b.byteLength <= 256
    ? b.toString('hex')
    : `${b.byteLength} bytes, sha1 ${createHash('sha1').update(b).digest('hex')}`;
}

function describeSent(frames: ClientFrame[]): string[] {
  return frames.map((f) => `${f.opcode}${f.fin ? '' : ' (no FIN)'}: ${describeBytes(f.payload)}`);
}

function serverFor(script: Script, tls?: TlsFiles): Promise<RawFrameServer> {
  return rawFrameServer(script, tls).then((server) => {
    cleanups.push(() => server.close());
    return server;
  });
}

/** The run of the connection the server accepted `index`-th, once its TCP connection closed. */
async function finishedRun(server: RawFrameServer, index: number): Promise<ServerRun> {
  await until(() => server.runs.length > index, 10_000);
  const run = server.runs[index]!;
  await run.closed;
  return run;
}

async function wsOutcome(server: RawFrameServer, options: ConnectOptions): Promise<Outcome> {
  const ws = new WebSocket(server.url, [], wsClientOptions(options));
  const outcome: Omit<Outcome, 'close' | 'sent'> = { messages: [], pings: [], pongs: [], error: undefined };
  ws.on('message', (data: Buffer, isBinary) =>
    outcome.messages.push(`${isBinary ? 'binary' : 'text'} ${describeBytes(data)}`),
  );
  ws.on('ping', (data: Buffer) => outcome.pings.push(describeBytes(data)));
  ws.on('pong', (data: Buffer) => outcome.pongs.push(describeBytes(data)));
  ws.on('error', (err: Error & { code?: string }) => (outcome.error ??= err.code ?? err.message));
  const [code, reason] = await new Promise<[number, Buffer]>((resolve) =>
    ws.once('close', (c, r) => resolve([c, r])),
  );
  const run = await finishedRun(server, 0);
  return { ...outcome, close: `${code} ${reason.toString('utf8')}`, sent: describeSent(run.clientFrames) };
}

async function duplexOutcome(
  server: RawFrameServer,
  options: ConnectOptions,
): Promise<{ outcome: Outcome; error: ErrorInfo | undefined; run: ServerRun }> {
  const conn = new ClientConnection('autobahn', options);
  let error: ErrorInfo | undefined;
  conn.on('error', (e) => (error ??= e));
  cleanups.push(() => conn.terminate());
  const closed = new Promise<CloseEventInfo>((resolve) => conn.once('close', resolve));
  conn.connect();
  const info = await closed;
  const run = await finishedRun(server, 1);
  const entries = conn.log.read(0, Infinity).filter((e) => e.dir === 'in');
  // Each payload lives in the log's own memory (a slab) or in a buffer exactly its size (kept, or
  // copied alone): never a view into a larger buffer, such as a socket read, that would stay alive.
  const retained = entries.filter((e) => ![conn.log.slabBytes, e.size].includes(e.payload.buffer.byteLength));
  expect(retained.map((e) => `${e.kind} ${e.size} in ${e.payload.buffer.byteLength}`)).toEqual([]);
  const of = (kind: string): string[] =>
    entries.filter((e) => e.kind === kind).map((e) => describeBytes(e.payload));
  return {
    outcome: {
      messages: entries
        .filter((e) => e.kind === 'text' || e.kind === 'binary')
        .map((e) => `${e.kind} ${describeBytes(e.payload)}`),
      pings: of('ping'),
      pongs: of('pong'),
      error: error?.details?.wsCode as string | undefined,
      close: `${info.code} ${info.reason}`,
      sent: describeSent(run.clientFrames),
    },
    error,
    run,
  };
}

/** Plays a case to ws, then to Duplex, and checks that they end up alike, and as the case says. */
async function compareWithWs(c: Case, tls?: TlsFiles): Promise<void> {
  const server = await serverFor(c.script, tls);
  // Large logs for the large cases, so that what is compared is still held.
  const options: ConnectOptions = {
    url: server.url,
    logBudgetBytes: 256 * MiB,
    ...(tls ? { tls: { insecure: true } } : {}),
    ...c.options,
  };
  const expected = await wsOutcome(server, options);
  const { outcome, error, run } = await duplexOutcome(server, options);
  expect(outcome).toEqual(expected);

  const firstClose = run.clientFrames.find((f) => f.opcode === CLOSE);
  expect(firstClose && closeCodeOf(firstClose)).toBe(c.clientCloses);
  if (c.fails) {
    // A protocol failure: typed, with the close code that went out on the wire.
    expect(error?.code).toBe(DUPLEX_CODE_OF_CLOSE[c.clientCloses]);
    expect(error?.details?.closeCode).toBe(c.clientCloses);
    expect(error?.message).toContain(String(c.clientCloses));
  } else {
    expect(error).toBeUndefined();
  }
}

describe('Receive path: Autobahn-style cases, Duplex against a plain ws client', () => {
  for (const c of cases) it(`${c.id} ${c.title}`, () => compareWithWs(c), c.timeoutMs ?? 10_000);

  it('covers sections 1–7 and 9, and every close outcome', () => {
    const sections = new Set(cases.map((c) => c.id.split('.')[0]));
    for (const s of ['1', '2', '3', '4', '5', '6', '7', '9']) expect(sections).toContain(s);
    const closes = new Set(cases.map((c) => c.clientCloses));
    for (const code of [1000, 1002, 1005, 1007, 1008, 1009]) expect(closes).toContain(code);
  });
});

describe('Receive path: errors in a frame header surface before its payload arrives', () => {
  const STALLS: [string, ScriptedFrame, number, string][] = [
    ['a reserved opcode', { opcode: 3, announce: 1000 }, 1002, 'WS_ERR_INVALID_OPCODE'],
    [
      'RSV bits without an extension',
      { opcode: TEXT, rsv: 2, announce: 1000 },
      1002,
      'WS_ERR_UNEXPECTED_RSV_2_3',
    ],
    ['a masked server frame', { opcode: BINARY, mask: true, announce: 1000 }, 1002, 'WS_ERR_UNEXPECTED_MASK'],
    [
      'a control frame over 125 bytes',
      { opcode: PING, announce: 1000 },
      1002,
      'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
    ],
    ['a fragmented control frame', { opcode: PING, fin: false, announce: 100 }, 1002, 'WS_ERR_EXPECTED_FIN'],
    ['a continuation with no message begun', { opcode: CONT, announce: 1000 }, 1002, 'WS_ERR_INVALID_OPCODE'],
    [
      'a frame over the size limit',
      { opcode: BINARY, announce: MAX_MESSAGE_BYTES + 1 },
      1009,
      'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
    ],
  ];
  it.each(STALLS)('%s: the header alone fails the connection', async (_what, header, closeCode, wsCode) => {
    // The server writes a valid message, then the header only, and never the payload it announces.
    const server = await serverFor({ steps: [text('before'), header] });
    const conn = new ClientConnection('stall', { url: server.url });
    cleanups.push(() => conn.terminate());
    const failed = new Promise<ErrorInfo>((resolve) => conn.once('error', resolve));
    conn.connect();
    const error = await failed;
    expect(error).toMatchObject({ code: DUPLEX_CODE_OF_CLOSE[closeCode], details: { wsCode, closeCode } });
    const run = server.runs[0]!;
    const headerBytes =
      (header.announce! < 126 ? 2 : header.announce! < 65536 ? 4 : 10) + (header.mask ? 4 : 0);
    expect(run.written).toBe(2 + 'before'.length + headerBytes); // no byte of the payload was written
    await run.closed; // the server ends the TCP connection after the client's close frame
    expect(run.clientFrames.map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[CLOSE, closeCode]]);
    const received = conn.log.read(0, Infinity).filter((e) => e.kind === 'text' || e.kind === 'binary');
    expect(received.map((e) => Buffer.from(e.payload).toString())).toEqual(['before']);
  });
});

describe('Receive path: memory is charged for bytes received, not for what a header announces', () => {
  it('110 bytes announcing a 99 MiB frame: no eviction, no charge, the connection stays open', async () => {
    const announced = 99 * MiB;
    const server = await serverFor({
      steps: [text('one'), text('two'), text('three'), binary(repeat(7, 100), { announce: announced })],
      endAfter: true, // the rest never comes; the end of the stream comes after those 110 bytes
    });
    const conn = new ClientConnection('announce', { url: server.url, logBudgetBytes: 1 * MiB });
    cleanups.push(() => conn.terminate());
    const errors: ErrorInfo[] = [];
    conn.on('error', (e) => errors.push(e));
    let bytesBefore = 0;
    conn.on('message', (entry) => {
      if (Buffer.from(entry.payload).toString() === 'three') bytesBefore = conn.log.bytes;
    });
    const closed = new Promise<CloseEventInfo>((resolve) => conn.once('close', resolve));
    conn.connect();
    const close = await closed; // every byte before the end of the stream has been read by now
    expect(server.runs[0]!.written).toBe(3 * 2 + 'onetwothree'.length + 10 + 100);
    expect(errors).toEqual([]);
    expect(close).toMatchObject({ code: 1006, wasClean: false });
    expect(conn.log.firstSeq).toBe(1); // nothing was evicted
    const texts = conn.log.read(0, Infinity).filter((e) => e.kind === 'text');
    expect(texts.map((e) => Buffer.from(e.payload).toString())).toEqual(['one', 'two', 'three']);
    // The only thing charged since the third message is the close entry.
    expect(bytesBefore).toBeGreaterThan(0);
    expect(conn.log.bytes - bytesBefore).toBeLessThan(1024);
    expect(conn.log.bytes).toBeLessThan(conn.log.budgetBytes);
  });
});

interface TlsFiles {
  key: Buffer;
  cert: Buffer;
}

describe('Receive path over wss://: the same cases through TLS, Duplex against a plain ws client', () => {
  const tls: TlsFiles = { key: Buffer.alloc(0), cert: Buffer.alloc(0) };
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'duplex-recv-tls-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      ],
      { stdio: 'ignore' },
    );
    tls.key = readFileSync(join(dir, 'key.pem'));
    tls.cert = readFileSync(join(dir, 'cert.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A cross-section: framing, pings, a bad header, fragmentation, UTF-8, close, size, deflate.
  const OVER_TLS = [
    '1.1.3',
    '1.2.7',
    '1.1.8',
    '2.10',
    '3.2',
    '4.x',
    '5.19',
    '6.3.1a',
    '6.2b',
    '7.5.1',
    '7.9.2',
    '9.1.3',
    '9.x.1',
    '12.x.3',
  ];
  for (const id of OVER_TLS) {
    const c = cases.find((k) => k.id === id)!;
    it(`${c.id} ${c.title}`, () => compareWithWs(c, tls), c.timeoutMs ?? 10_000);
  }
});
