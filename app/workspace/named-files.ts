/**
 * Named files of a workspace folder (mocks/NAME.yaml, flows/NAME.yaml): the one
 * lookup by name that mock and flow commands share.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';

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
