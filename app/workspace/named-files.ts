/**
 * Named files of a workspace folder (mocks/NAME.yaml, flows/NAME.yaml): the one
 * lookup by name that mock and flow commands share.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuplexError, ErrorCodes, toErrorInfo, type ErrorInfo } from '../errors.js';

/**
 * The path of the file named `name` (NAME.yaml, else NAME.json) under `workspaceDir`,
 * or a NOT_FOUND error that says which folder was searched.
 */
export async function existingNamedFile(
  workspaceDir: string,
  what: 'mock' | 'flow',
  name: string,
  pathOf: (name: string, ext: '.yaml' | '.json') => string,
  folder: string,
): Promise<string> {
  for (const ext of ['.yaml', '.json'] as const) {
    const path = join(workspaceDir, pathOf(name, ext));
    const found = await stat(path).then(
      () => true,
      () => false,
    );
    if (found) return path;
  }
  throw new DuplexError(
    ErrorCodes.NOT_FOUND,
    `No ${what} named "${name}" in ${folder}; list the ${what}s again.`,
  );
}

/** `folder/NAME.ext` for a file directly in a workspace folder of that name, else the path as given. */
export function workspaceRelativePath(path: string, folder: string): string {
  const parts = path.split(/[\\/]/);
  return parts.length >= 2 && parts[parts.length - 2] === folder
    ? `${folder}/${parts[parts.length - 1]}`
    : path;
}

/** What a list of named files shows of one: the mock.list / flow.list row. */
export interface NamedFileSummary {
  name: string;
  /** Workspace-relative, e.g. `mocks/chat.yaml`. */
  path: string;
  size: number;
  modifiedAt: string;
  error?: ErrorInfo;
}

/**
 * The row of a named file. With `check`, the file is read and checked: what check
 * returns joins the row (a flow's step count), what it throws is the row's `error`.
 */
export async function namedFileSummary<Extra extends object>(
  name: string,
  path: string,
  relativePath: string,
  check?: (text: string) => Extra,
): Promise<NamedFileSummary & Partial<Extra>> {
  const st = await stat(path);
  const summary: NamedFileSummary = {
    name,
    path: relativePath,
    size: st.size,
    modifiedAt: new Date(st.mtimeMs).toISOString(),
  };
  let extra: Partial<Extra> = {};
  if (check) {
    try {
      extra = check(await readFile(path, 'utf8'));
    } catch (err) {
      summary.error = toErrorInfo(err);
    }
  }
  return { ...summary, ...extra };
}
