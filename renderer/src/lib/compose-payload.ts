/**
 * Turns what the person typed in the composer into a contract payload, or a
 * message saying what is wrong with it. Runtime-free codecs only.
 */
import type { Payload } from '../../../app/contract.js';
import { base64ToBytes, formatJson, hexToBytes, scanHex } from '../../../app/payload/codecs.js';
import { checkWellFormed } from '../../../app/websocket-rules.js';

export const composerModes = ['text', 'json', 'hex', 'base64', 'file'] as const;
export type ComposerMode = (typeof composerModes)[number];
export const composerModeLabels: Record<ComposerMode, string> = {
  text: 'Text',
  json: 'JSON',
  hex: 'Hex',
  base64: 'Base64',
  file: 'File',
};

export type Composed = { ok: true; payload: Payload } | { ok: false; error: string };

/** Validates the draft of a mode; file mode takes the bytes of the chosen file. */
export function composePayload(mode: ComposerMode, draft: string, file?: Uint8Array<ArrayBuffer>): Composed {
  try {
    switch (mode) {
      case 'text': {
        const bad = checkWellFormed(draft);
        return bad ? { ok: false, error: bad.message } : { ok: true, payload: { type: 'text', text: draft } };
      }
      case 'json':
        if (draft.trim() === '') return { ok: false, error: 'Invalid JSON: the message is empty.' };
        formatJson(draft);
        return { ok: true, payload: { type: 'text', text: draft } };
      case 'hex':
        return { ok: true, payload: { type: 'binary', data: owned(hexToBytes(draft)) } };
      case 'base64':
        return { ok: true, payload: { type: 'binary', data: owned(base64ToBytes(draft)) } };
      case 'file':
        return file
          ? { ok: true, payload: { type: 'binary', data: file } }
          : { ok: false, error: 'Choose a file to send its bytes as one binary message.' };
    }
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}

/** The inline error for a draft, or '' when it is fine (empty drafts show no error). */
export function draftError(mode: ComposerMode, draft: string): string {
  if (mode === 'file' || draft === '') return '';
  const result = composePayload(mode, draft);
  return result.ok ? '' : result.error;
}

/** What is wrong with a draft, and where when that is known (offsets into the draft), for the editor's marker. */
export interface DraftProblem {
  message: string;
  from?: number;
  to?: number;
}

/** The draft's problem with its place: the bad hex or base64 character, the JSON parser's position. */
export function draftProblem(mode: ComposerMode, draft: string): DraftProblem | undefined {
  const message = draftError(mode, draft);
  if (!message) return undefined;
  if (mode === 'hex') {
    const scan = scanHex(draft);
    if (scan.problem)
      return { message, from: scan.problem.offset, to: scan.problem.offset + scan.problem.length };
  }
  if (mode === 'base64') {
    const bad = /[^A-Za-z0-9+/=_\-\s]/.exec(draft);
    if (bad) return { message, from: bad.index, to: bad.index + bad[0].length };
  }
  if (mode === 'json') {
    const at = /at position (\d+)/.exec(message);
    if (at) return { message, from: Number(at[1]) };
  }
  return { message };
}

/** The codecs allocate plain ArrayBuffer-backed arrays; the contract's type says so explicitly. */
function owned(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}
