/**
 * Wire format of the browser bridge, used by both ends (the bridge server in
 * Node and renderer/src/lib/bridge.ts in the browser), so it is runtime-free:
 * no Node APIs, only JSON, TextEncoder and DataView.
 *
 * A message without bytes is one text frame of JSON. A message that holds
 * Uint8Arrays (payloads) is one binary frame, so bytes travel as bytes, never
 * as base64 inside JSON:
 *
 *   [u32 big-endian header length][header: UTF-8 JSON][blob 0][blob 1]…
 *   header = { msg: <the message, each Uint8Array replaced by null>,
 *              blobs: [{ path: ["input", "payload", "data"], length: 3 }, …] }
 */
import type { CommandName, Result } from './contract.js';

/** Browser → engine: run a command. */
export interface BridgeRequest {
  type: 'request';
  id: number;
  name: CommandName;
  input: unknown;
}
/** Engine → browser: the result of one request. */
export interface BridgeResponse {
  type: 'response';
  id: number;
  result: Result<unknown>;
}
/** Engine → browser: one batch of events (at most one per flush interval). */
export interface BridgeEvents {
  type: 'events';
  events: { name: string; payload: unknown }[];
}
export type BridgeMessage = BridgeRequest | BridgeResponse | BridgeEvents;

type PathKey = string | number;
interface BlobRef {
  path: PathKey[];
  length: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Encodes a message as a text frame (no bytes inside) or a binary frame (bytes appended raw). */
export function encodeBridgeMessage(message: BridgeMessage): string | Uint8Array {
  const blobs: Uint8Array[] = [];
  const refs: BlobRef[] = [];
  const msg = extractBytes(message, [], blobs, refs);
  if (blobs.length === 0) return JSON.stringify(message);
  const header = encoder.encode(JSON.stringify({ msg, blobs: refs }));
  const total = 4 + header.length + blobs.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const blob of blobs) {
    out.set(blob, at);
    at += blob.length;
  }
  return out;
}

/**
 * Decodes a frame into a plain value with Uint8Arrays put back. The result is
 * untrusted: the receiver validates it (the bridge server with zod).
 * Throws an Error with a readable message on a malformed frame.
 */
export function decodeBridgeMessage(frame: string | Uint8Array): unknown {
  if (typeof frame === 'string') return JSON.parse(frame) as unknown;
  if (frame.length < 4) throw new Error('binary bridge frame shorter than its 4-byte header length');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerLength = view.getUint32(0);
  if (4 + headerLength > frame.length) throw new Error('binary bridge frame header runs past the frame');
  const header = JSON.parse(decoder.decode(frame.subarray(4, 4 + headerLength))) as unknown;
  if (
    typeof header !== 'object' ||
    header === null ||
    !Array.isArray((header as { blobs?: unknown }).blobs)
  ) {
    throw new Error('binary bridge frame header lacks its blob list');
  }
  const { msg, blobs } = header as { msg: unknown; blobs: unknown[] };
  let at = 4 + headerLength;
  for (const ref of blobs) {
    const { path, length } = (ref ?? {}) as Partial<BlobRef>;
    if (!Array.isArray(path) || path.length === 0 || !Number.isSafeInteger(length) || length! < 0) {
      throw new Error('binary bridge frame has a malformed blob reference');
    }
    if (at + length! > frame.length) throw new Error('binary bridge frame is shorter than its blobs');
    // A plain Uint8Array copy: it does not pin or alias the frame (a Node Buffer's slice would).
    setAtPath(msg, path, new Uint8Array(frame.subarray(at, at + length!)));
    at += length!;
  }
  if (at !== frame.length) throw new Error('binary bridge frame has bytes after its last blob');
  return msg;
}

function extractBytes(value: unknown, path: PathKey[], blobs: Uint8Array[], refs: BlobRef[]): unknown {
  if (value instanceof Uint8Array) {
    blobs.push(value);
    refs.push({ path: [...path], length: value.length });
    return null;
  }
  if (Array.isArray(value)) return value.map((v, i) => extractBytes(v, [...path, i], blobs, refs));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = extractBytes(v, [...path, k], blobs, refs);
    }
    return out;
  }
  return value;
}

function setAtPath(root: unknown, path: PathKey[], bytes: Uint8Array): void {
  let target = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (typeof key !== 'string' && typeof key !== 'number')
      throw new Error('blob path keys are strings or numbers');
    if (typeof key === 'string' && FORBIDDEN_KEYS.has(key))
      throw new Error(`blob path uses the key "${key}"`);
    if (typeof target !== 'object' || target === null || !Object.hasOwn(target, key)) {
      throw new Error('blob path does not lead to a placeholder in the message');
    }
    if (i === path.length - 1) {
      if ((target as Record<PathKey, unknown>)[key] !== null) throw new Error('blob placeholder is not null');
      (target as Record<PathKey, unknown>)[key] = bytes;
    } else {
      target = (target as Record<PathKey, unknown>)[key];
    }
  }
}
