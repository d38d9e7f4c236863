import { describe, expect, it } from 'vitest';
import { decodeBridgeMessage, encodeBridgeMessage } from '../../app/bridge-codec.js';

describe('bridge codec', () => {
  it('a message without bytes is a JSON text frame', () => {
    const frame = encodeBridgeMessage({ type: 'request', id: 1, name: 'connection.list', input: {} });
    expect(typeof frame).toBe('string');
    expect(decodeBridgeMessage(frame)).toEqual({
      type: 'request',
      id: 1,
      name: 'connection.list',
      input: {},
    });
  });

  it('bytes anywhere in the message travel raw in one binary frame and come back as Uint8Array', () => {
    const a = new Uint8Array([0, 255, 1]);
    const b = new Uint8Array(70_000).fill(7);
    const message = {
      type: 'events' as const,
      events: [
        { name: 'x', payload: { data: a, nested: [{ data: b }, 'text'] } },
        { name: 'y', payload: { empty: new Uint8Array(0) } },
      ],
    };
    const frame = encodeBridgeMessage(message);
    expect(frame).toBeInstanceOf(Uint8Array);
    const bytes = frame as Uint8Array;
    expect(bytes.length).toBeGreaterThan(a.length + b.length);
    expect(bytes.length).toBeLessThan(a.length + b.length + 400); // no base64 blow-up
    expect(decodeBridgeMessage(bytes)).toEqual(message);
  });

  it('refuses malformed frames and prototype-pollution paths', () => {
    const frameFor = (header: unknown, tail: number[] = []): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(4 + json.length + tail.length);
      new DataView(out.buffer).setUint32(0, json.length);
      out.set(json, 4);
      out.set(tail, 4 + json.length);
      return out;
    };
    expect(() => decodeBridgeMessage(new Uint8Array([0, 0]))).toThrow(/shorter/);
    expect(() => decodeBridgeMessage(new Uint8Array([0, 0, 1, 0, 1]))).toThrow(/past the frame/);
    expect(() => decodeBridgeMessage(frameFor({ msg: {} }))).toThrow(/blob list/);
    expect(() =>
      decodeBridgeMessage(
        frameFor({ msg: { a: null }, blobs: [{ path: ['__proto__', 'x'], length: 1 }] }, [1]),
      ),
    ).toThrow(/__proto__/);
    expect(() =>
      decodeBridgeMessage(frameFor({ msg: { a: 1 }, blobs: [{ path: ['a'], length: 1 }] }, [1])),
    ).toThrow(/not null/);
    expect(() =>
      decodeBridgeMessage(frameFor({ msg: { a: null }, blobs: [{ path: ['a'], length: 2 }] }, [1])),
    ).toThrow(/shorter than its blobs/);
    expect(() =>
      decodeBridgeMessage(frameFor({ msg: { a: null }, blobs: [{ path: ['a'], length: 1 }] }, [1, 2])),
    ).toThrow(/after its last blob/);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
