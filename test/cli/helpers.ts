/**
 * Helpers for the CLI tests: spawn the built `duplex` command as a real process,
 * read its output line by line, and wait for lines or its exit.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI; DUPLEX_CLI_PATH points the tests at another build (to check a test fails on an older one). */
export const CLI_PATH = process.env['DUPLEX_CLI_PATH'] ?? `${ROOT}dist/cli/main.js`;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `duplex` process with its output split into lines. */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  readonly exited: Promise<Exit>;
  #waiters: (() => void)[] = [];

  constructor(command: string, args: string[]) {
    this.child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    this.#split(this.child.stdout, this.stdoutLines);
    this.#split(this.child.stderr, this.stderrLines);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.#wake();
        resolve({ code, signal });
      });
    });
  }

  get stdout(): string {
    return this.stdoutLines.join('\n');
  }
  get stderr(): string {
    return this.stderrLines.join('\n');
  }

  /** stdout lines parsed as JSON (every line must be one JSON object). */
  get events(): Record<string, unknown>[] {
    return this.stdoutLines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Resolves with the first stdout line that matches; rejects after `timeoutMs` or on exit. */
  async waitForLine(match: RegExp | ((line: string) => boolean), timeoutMs = 10_000): Promise<string> {
    const test = typeof match === 'function' ? match : (l: string) => match.test(l);
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const found = this.stdoutLines.find(test);
      if (found !== undefined) return found;
      if (exited || Date.now() > deadline) {
        throw new Error(
          `no line matching ${String(match)} ${exited ? 'before exit' : `within ${timeoutMs} ms`};\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits for the exit; kills the process and fails after `timeoutMs`. */
  async exit(timeoutMs = 15_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(
          new Error(
            `process did not exit within ${timeoutMs} ms;\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  #split(stream: NodeJS.ReadableStream, into: string[]): void {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      into.push(...parts);
      this.#wake();
    });
    stream.on('end', () => {
      if (rest) into.push(rest);
      rest = '';
      this.#wake();
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

/** Spawns `node dist/cli/main.js ...args`. */
export function duplex(...args: string[]): CliProcess {
  return new CliProcess(process.execPath, [CLI_PATH, ...args]);
}

/** Runs `duplex ...args` to the end. */
export async function runDuplex(...args: string[]): Promise<CliProcess & { result: Exit }> {
  const p = duplex(...args);
  const result = await p.exit();
  return Object.assign(p, { result });
}

/** Runs `duplex ...args` to the end and returns its output exactly as written (line ends included). */
export async function runDuplexRaw(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Starts `duplex serve --port 0 --json ...args` and waits for its listening line. */
export async function startServe(...args: string[]): Promise<{ serve: CliProcess; url: string }> {
  const serve = duplex('serve', '--port', '0', '--json', ...args);
  const line = await serve.waitForLine(/"event":"listening"/);
  const { url } = JSON.parse(line) as { url: string };
  return { serve, url };
}

/** A TCP port that was free a moment ago (nothing listens on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Processes to kill and temp folders to remove after each test of the calling file. */
export function afterEachTest(prefix: string): {
  track: (p: CliProcess) => CliProcess;
  tempDir: () => string;
} {
  const processes: CliProcess[] = [];
  const folders: string[] = [];
  afterEach(() => {
    for (const p of processes.splice(0)) p.kill();
    for (const d of folders.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    track: (p) => (processes.push(p), p),
    tempDir: () => {
      const d = mkdtempSync(join(tmpdir(), prefix));
      folders.push(d);
      return d;
    },
  };
}
