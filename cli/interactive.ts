/**
 * The terminal side of `duplex connect`: lines read from stdin (typed at a
 * prompt, or piped in), the slash commands of the interactive mode, and
 * output that does not break the prompt the person is typing at.
 */
import { createInterface, clearLine, cursorTo, type Interface } from 'node:readline';
import type { Payload } from '../app/contract.js';
import { DuplexError, ErrorCodes } from '../app/errors.js';
import { hexToBytes } from '../app/payload/codecs.js';
import { checkCloseArgs, clientCloseRule } from '../app/websocket-rules.js';
import { wholeNumberArg } from './options.js';

/** What one line of input asks for. */
export type InputCommand =
  | { kind: 'send'; payload: Payload }
  | { kind: 'ping'; payload?: Payload }
  | { kind: 'close'; code?: number; reason?: string }
  | { kind: 'help' }
  | { kind: 'empty' };

export const SLASH_HELP = [
  'Type a line to send it as a text message. Commands:',
  '  /ping [DATA]              send a ping (with DATA as its payload)',
  '  /close [CODE [REASON]]    close the connection (1000 or 3000–4999; any wire code with --allow-wire-codes)',
  '  /binary HEX               send a binary message given as hex ("00 ff 10")',
  '  /help                     this list',
  '  //TEXT                    send TEXT starting with one "/"',
  'Ctrl+C closes the connection; Ctrl+D ends the input (the connection closes after --wait ms of silence).',
];

/**
 * Parses one interactive line. Plain text is sent as it is; a line starting
 * with one `/` is a command. Bad arguments throw a DuplexError naming the fix.
 */
export function parseInputLine(line: string, allowWireCodes = false): InputCommand {
  if (line === '') return { kind: 'empty' };
  if (!line.startsWith('/')) return { kind: 'send', payload: { type: 'text', text: line } };
  if (line.startsWith('//')) return { kind: 'send', payload: { type: 'text', text: line.slice(1) } };
  const space = line.search(/\s/);
  const name = (space === -1 ? line : line.slice(0, space)).toLowerCase();
  const rest = space === -1 ? '' : line.slice(space + 1);
  switch (name) {
    case '/help':
      return { kind: 'help' };
    case '/ping':
      return rest === '' ? { kind: 'ping' } : { kind: 'ping', payload: { type: 'text', text: rest } };
    case '/binary': {
      if (rest.trim() === '') throw usage('/binary needs the bytes as hex, e.g. /binary 00 ff 10.');
      return { kind: 'send', payload: { type: 'binary', data: hexToBytes(rest) as Uint8Array<ArrayBuffer> } };
    }
    case '/close': {
      const m = /^\s*(\S+)?(?:\s(.*))?$/s.exec(rest)!;
      if (m[1] === undefined) return { kind: 'close' };
      const code = wholeNumberArg('/close', m[1]);
      const reason = m[2];
      const bad = checkCloseArgs(code, reason, clientCloseRule(allowWireCodes));
      if (bad) throw bad;
      return reason === undefined ? { kind: 'close', code } : { kind: 'close', code, reason };
    }
    default:
      throw usage(
        `Unknown command ${name}; type /help for the list, or //TEXT to send a line starting with "/".`,
      );
  }
}

function usage(message: string): DuplexError {
  return new DuplexError(ErrorCodes.INVALID_INPUT, message);
}

export interface LineInputOptions {
  /** Show a prompt and redraw it around output (stdin and stdout are terminals). */
  prompt: boolean;
  onLine(line: string): void;
  /** End of input: Ctrl+D, or the pipe closed. */
  onEnd(): void;
  /** Ctrl+C typed at the prompt (a terminal turns it into input, not a signal). */
  onInterrupt(): void;
}

/** Lines of stdin, one callback each; with a prompt, writes go around it. */
export class LineInput {
  readonly #rl: Interface;
  readonly #prompt: boolean;
  #showing = false;
  #closed = false;

  constructor(options: LineInputOptions) {
    this.#prompt = options.prompt;
    this.#rl = createInterface({
      input: process.stdin,
      output: options.prompt ? process.stdout : undefined,
      terminal: options.prompt,
      prompt: '> ',
      crlfDelay: Infinity,
    });
    this.#rl.on('line', (line) => {
      options.onLine(line);
      if (this.#showing) this.#rl.prompt();
    });
    this.#rl.on('close', () => {
      this.#closed = true;
      this.#showing = false;
      options.onEnd();
    });
    this.#rl.on('SIGINT', () => options.onInterrupt());
  }

  /** Starts showing the prompt (after the open line). */
  showPrompt(): void {
    if (!this.#prompt || this.#closed) return;
    this.#showing = true;
    // Keeps what was typed before the connection opened, and the cursor in it.
    this.#rl.prompt(true);
  }

  /** Runs a write to stdout or stderr without mixing it into the line being typed. */
  around(write: () => void): void {
    if (!this.#showing) return write();
    clearLine(process.stdout, 0);
    cursorTo(process.stdout, 0);
    write();
    this.#rl.prompt(true);
  }

  close(): void {
    if (this.#closed) return;
    this.#showing = false;
    if (this.#prompt) {
      clearLine(process.stdout, 0);
      cursorTo(process.stdout, 0);
    }
    this.#rl.close();
  }
}
