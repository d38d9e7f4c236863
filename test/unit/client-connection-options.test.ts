/**
 * The options ClientConnection hands to `ws`: the ones that decide what a
 * received frame becomes are set explicitly, and each is held here twice — by
 * value, and by the behaviour it gives against a scripted raw TCP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientConnection,
  MAX_MESSAGE_BYTES,
  MAX_PENDING_PONGS,
  PING_FLOOD_NOTE,
  RECEIVE_OPTIONS,
  wsClientOptions,
  type CloseEventInfo,
} from '../../app/connections/client-connection.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { closeCodeOf, encodeFrame, rawFrameServer, type Script } from '../support/raw-frame-server.js';
import { until } from '../support/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve(
  script: Script,
): Promise<{ url: string; server: Awaited<ReturnType<typeof rawFrameServer>> }> {
  const server = await rawFrameServer(script);
  cleanups.push(() => server.close());
  return { url: server.url, server };
}

function connect(url: string): ClientConnection {
  const conn = new ClientConnection('options', { url, perMessageDeflate: false });
  conn.on('error', () => undefined);
  cleanups.push(() => conn.terminate());
  return conn.connect();
}

const nextError = (conn: ClientConnection): Promise<ErrorInfo> => new Promise((r) => conn.once('error', r));
const nextClose = (conn: ClientConnection): Promise<CloseEventInfo> =>
  new Promise((r) => conn.once('close', r));
const texts = (conn: ClientConnection): string[] =>
  conn.log
    .read(0, Infinity)
    .filter((e) => e.dir === 'in' && e.kind === 'text')
    .map((e) => Buffer.from(e.payload).toString());

describe('ClientConnection: the ws options it sets', () => {
  it('sets every receive option explicitly, with these values', () => {
    expect(RECEIVE_OPTIONS).toEqual({
      maxPayload: 100 * 1024 * 1024,
      skipUTF8Validation: false,
      allowSynchronousEvents: true,
      autoPong: true,
      maxPendingAutoPongs: 4096,
      maxFragments: 16 * 1024,
      maxBufferedChunks: 256 * 1024,
    });
    const options = wsClientOptions({ url: 'ws://127.0.0.1:1/' });
    expect(options).toMatchObject({ ...RECEIVE_OPTIONS, perMessageDeflate: true, followRedirects: false });
    expect(options.createConnection).toBeUndefined(); // ws's own socket, for ws:// and wss:// alike
    expect(wsClientOptions({ url: 'wss://127.0.0.1:1/', perMessageDeflate: false })).toMatchObject({
      ...RECEIVE_OPTIONS,
      perMessageDeflate: false,
      rejectUnauthorized: true,
    });
  });

  it('allowSynchronousEvents: every message of one TCP segment is logged in the same task', async () => {
    const frames = ['a', 'b', 'c'].map((t) => encodeFrame({ opcode: 1, payload: t }));
    const { url } = await serve({ steps: [{ raw: Buffer.concat(frames) }] });
    const conn = connect(url);
    const atNextTurn = new Promise<string[]>((resolve) =>
      conn.once('message', () => setImmediate(() => resolve(texts(conn)))),
    );
    // With deferred events ws would deliver one message per event-loop turn: ['a'] here.
    expect(await atNextTurn).toEqual(['a', 'b', 'c']);
  });

  it('autoPong: a ping is answered with its payload, and the reply is logged', async () => {
    const { url, server } = await serve({ steps: [{ opcode: 0x9, payload: 'are you there' }] });
    const conn = connect(url);
    await until(() => server.runs[0]?.clientFrames.some((f) => f.opcode === 0xa) ?? false);
    const pong = server.runs[0]!.clientFrames.find((f) => f.opcode === 0xa)!;
    expect(pong.payload.toString()).toBe('are you there');
    const out = conn.log.read(0, Infinity).filter((e) => e.dir === 'out' && e.kind === 'pong');
    expect(out.map((e) => [Buffer.from(e.payload).toString(), e.note])).toEqual([
      ['are you there', 'automatic reply'],
    ]);
  });

  it('maxPendingAutoPongs: 1,000 pings in one read are all answered; a flood over the limit is cut and named', async () => {
    const pings = (count: number): Buffer =>
      Buffer.concat(Array.from({ length: count }, () => encodeFrame({ opcode: 0x9, payload: '' })));
    // ws's own limit (60) would cut this one: a busy server pinging between its messages.
    const busy = await serve({ steps: [{ raw: pings(1000) }] });
    const kept = connect(busy.url);
    await until(
      () => (busy.server.runs[0]?.clientFrames.filter((f) => f.opcode === 0xa).length ?? 0) === 1000,
    );
    expect(kept.readyState).toBe(1);

    const flood = await serve({ steps: [{ raw: pings(MAX_PENDING_PONGS + 100) }] });
    const cut = connect(flood.url);
    expect((await nextClose(cut)).code).toBe(1006);
    const close = cut.log.read(0, Infinity).find((e) => e.kind === 'close')!;
    expect(close.note).toBe(PING_FLOOD_NOTE);
  });

  it('maxPayload: a header announcing exactly the limit waits for its payload; one byte more fails at once with 1009', async () => {
    const atLimit = await serve({
      steps: [{ opcode: 0x2, payload: Buffer.alloc(100), announce: MAX_MESSAGE_BYTES }],
      endAfter: true,
    });
    const waiting = connect(atLimit.url);
    const errors: ErrorInfo[] = [];
    waiting.on('error', (e) => errors.push(e));
    expect((await nextClose(waiting)).code).toBe(1006); // the stream ended mid-frame
    expect(errors).toEqual([]);

    const over = await serve({
      steps: [{ opcode: 0x2, payload: Buffer.alloc(100), announce: MAX_MESSAGE_BYTES + 1 }],
    });
    const failed = connect(over.url);
    const error = await nextError(failed);
    expect(error).toMatchObject({ code: ErrorCodes.MESSAGE_TOO_BIG, details: { closeCode: 1009 } });
    await over.server.runs[0]!.closed;
    expect(over.server.runs[0]!.clientFrames.map(closeCodeOf)).toEqual([1009]);
  });

  it('skipUTF8Validation off: text that is not UTF-8 fails the connection with 1007', async () => {
    const { url } = await serve({ steps: [{ opcode: 0x1, payload: Buffer.from('c0af', 'hex') }] });
    const error = await nextError(connect(url));
    expect(error).toMatchObject({
      code: ErrorCodes.INVALID_PAYLOAD,
      details: { wsCode: 'WS_ERR_INVALID_UTF8', closeCode: 1007 },
    });
  });

  it('maxFragments: 16,384 fragments make a message; 16,385 fail the connection with 1008', async () => {
    const message = (count: number): Buffer =>
      Buffer.concat(
        Array.from({ length: count }, (_, i) =>
          encodeFrame({ opcode: i === 0 ? 0x1 : 0x0, fin: i === count - 1, payload: 'x' }),
        ),
      );
    const ok = await serve({ steps: [{ raw: message(16 * 1024) }] });
    const whole = connect(ok.url);
    await until(() => texts(whole).length === 1, 10_000);
    expect(texts(whole)[0]).toBe('x'.repeat(16 * 1024));

    const tooMany = await serve({ steps: [{ raw: message(16 * 1024 + 1) }] });
    const error = await nextError(connect(tooMany.url));
    expect(error).toMatchObject({
      code: ErrorCodes.MESSAGE_TOO_BIG,
      details: { wsCode: 'WS_ERR_TOO_MANY_BUFFERED_PARTS', closeCode: 1008 },
    });
  });
});
