/**
 * Names the engine, the CLI and the UI share: log kinds and directions, the
 * session file extension, where mock files live in a workspace. Runtime-free
 * (no Node, no schema library), so the renderer imports it too. Ready states
 * and close codes are WebSocket rules and live in websocket-rules.ts.
 */

/** Who sent a log entry: `out` Duplex, `in` the peer, `none` a note of Duplex itself. */
export const directions = ['in', 'out', 'none'] as const;
export type Direction = (typeof directions)[number];

/** What a log entry (live or in a session file) records, in the order filters list them. */
export const logKinds = ['text', 'binary', 'ping', 'pong', 'open', 'close', 'error', 'info'] as const;
export type LogKind = (typeof logKinds)[number];

/** Kinds whose payload is bytes, shown as hex; the others are text. */
export const binaryLogKinds: readonly LogKind[] = ['binary', 'ping', 'pong'];

/** Whether an entry's payload is text (previews decode it as UTF-8) rather than bytes. */
export function isTextKind(kind: LogKind): boolean {
  return !binaryLogKinds.includes(kind);
}

/** File name ending of session files (docs/session-format.md). */
export const SESSION_EXT = '.jsonl';

/** `name` as a session file name: the extension added unless it is there. */
export function withSessionExt(name: string): string {
  return name.endsWith(SESSION_EXT) ? name : name + SESSION_EXT;
}

/** `name` without the session extension: what a person calls the session (what rename changes). */
export function withoutSessionExt(name: string): string {
  return name.endsWith(SESSION_EXT) ? name.slice(0, -SESSION_EXT.length) : name;
}

/** The HAR file name a session exports to: `chat.jsonl` → `chat.har`. */
export function harNameOf(name: string): string {
  return `${withoutSessionExt(name)}.har`;
}

/** Folder of mock files in a workspace, and the endings a mock file may have. */
export const MOCKS_DIR = 'mocks';
export const MOCK_FILE_EXTS = ['.yaml', '.json'] as const;
/** A mock file's path relative to the workspace: `mocks/NAME.yaml` or `mocks/NAME.json`. */
export const MOCK_PATH_PATTERN = /^mocks\/([^/\\\0]+)\.(yaml|json)$/;

/** The mock name of a workspace-relative path (`mocks/chat.yaml` → `chat`), or undefined. */
export function mockNameOf(relativePath: string): string | undefined {
  return fileNameOf(MOCK_PATH_PATTERN, relativePath);
}

/** The workspace-relative path of a mock: `mocks/NAME.yaml` (or `.json`). */
export function mockPathOf(name: string, ext: (typeof MOCK_FILE_EXTS)[number] = '.yaml'): string {
  return filePathOf(MOCKS_DIR, 'mock', mockNameOf, name, ext);
}

/** Folder of flow files in a workspace (docs/flow-format.md); the same endings as mocks. */
export const FLOWS_DIR = 'flows';
export const FLOW_FILE_EXTS = MOCK_FILE_EXTS;
export const FLOW_PATH_PATTERN = /^flows\/([^/\\\0]+)\.(yaml|json)$/;

/** The flow name of a workspace-relative path (`flows/chat.yaml` → `chat`), or undefined. */
export function flowNameOf(relativePath: string): string | undefined {
  return fileNameOf(FLOW_PATH_PATTERN, relativePath);
}

/** The workspace-relative path of a flow: `flows/NAME.yaml` (or `.json`). */
export function flowPathOf(name: string, ext: (typeof FLOW_FILE_EXTS)[number] = '.yaml'): string {
  return filePathOf(FLOWS_DIR, 'flow', flowNameOf, name, ext);
}

function fileNameOf(pattern: RegExp, relativePath: string): string | undefined {
  const m = pattern.exec(relativePath.replace(/\\/g, '/'));
  return m?.[1] === undefined || m[1].startsWith('.') ? undefined : m[1];
}

function filePathOf(
  dir: string,
  what: string,
  nameOf: (path: string) => string | undefined,
  name: string,
  ext: string,
): string {
  const path = `${dir}/${name}${ext}`;
  if (nameOf(path) !== name) {
    throw new TypeError(
      `"${name}" is not a ${what} name: use a file name without / or \\, not starting with a dot.`,
    );
  }
  return path;
}
