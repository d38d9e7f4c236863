/**
 * Environments on disk: `environments/NAME.json` in the workspace, one file
 * each, so a person adds one by copying a file and a diff shows one change.
 * A file that does not parse or breaks the schema is reported (DUPLEX_ERR_FILE,
 * naming the file and the field) and left as it is: it is the user's file.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';
import { writeFileAtomic } from '../workspace/json-file.js';
import {
  ENVIRONMENT_FORMAT_VERSION,
  environmentFileSchema,
  environmentNameSchema,
  type Environment,
  type EnvironmentSummary,
  type EnvironmentVariable,
} from './environment-format.js';

export const ENVIRONMENTS_DIR = 'environments';

export function environmentPath(workspaceRoot: string, name: string): string {
  checkEnvironmentName(name);
  return join(workspaceRoot, ENVIRONMENTS_DIR, `${name}.json`);
}

/** The environments of a workspace, by name; a missing folder is none. Bad files are skipped by listEnvironments. */
export async function environmentNames(workspaceRoot: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(join(workspaceRoot, ENVIRONMENTS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new DuplexError(
      ErrorCodes.FILE,
      `Cannot list ${join(workspaceRoot, ENVIRONMENTS_DIR)}: ${(err as Error).message}.`,
    );
  }
  return files
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((n) => environmentNameSchema.safeParse(n).success)
    .sort((a, b) => a.localeCompare(b));
}

/** Each environment with its counts; a file that does not load is listed with its error. */
export async function listEnvironments(
  workspaceRoot: string,
): Promise<(EnvironmentSummary & { error?: string })[]> {
  const out: (EnvironmentSummary & { error?: string })[] = [];
  for (const name of await environmentNames(workspaceRoot)) {
    try {
      const env = await loadEnvironment(workspaceRoot, name);
      out.push(summarize(env));
    } catch (err) {
      out.push({ name, variableCount: 0, secretNames: [], error: (err as Error).message });
    }
  }
  return out;
}

export function summarize(env: Environment): EnvironmentSummary {
  return {
    name: env.name,
    variableCount: env.variables.length,
    secretNames: env.variables.filter((v) => v.secret === true).map((v) => v.name),
  };
}

export async function loadEnvironment(workspaceRoot: string, name: string): Promise<Environment> {
  const path = environmentPath(workspaceRoot, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      const known = await environmentNames(workspaceRoot).catch(() => []);
      throw new DuplexError(
        ErrorCodes.NOT_FOUND,
        `No environment "${name}": ${path} does not exist. ` +
          (known.length > 0
            ? `Environments here: ${known.join(', ')}.`
            : `Create ${ENVIRONMENTS_DIR}/${name}.json.`),
        { file: path },
      );
    }
    throw new DuplexError(ErrorCodes.FILE, `Cannot read ${path}: ${(err as Error).message}.`, { file: path });
  }
  return { name, variables: parseEnvironmentText(path, text) };
}

/** Validates a file's text; errors name the file and the field. */
export function parseEnvironmentText(path: string, text: string): EnvironmentVariable[] {
  const bad = (field: string, problem: string): DuplexError =>
    new DuplexError(ErrorCodes.FILE, `${path}: ${field}: ${problem}.`, { file: path, field });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw bad('file', `not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw bad('file', 'not a JSON object; write {"version": 1, "variables": [...]}');
  }
  const { version, ...body } = json as Record<string, unknown>;
  if (version !== ENVIRONMENT_FORMAT_VERSION) {
    throw bad(
      'version',
      `is ${JSON.stringify(version)}; this Duplex reads version ${ENVIRONMENT_FORMAT_VERSION}`,
    );
  }
  const parsed = environmentFileSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length === 0 ? 'file' : issue.path.join('.');
    const row =
      issue.path[0] === 'variables' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
    const named =
      row === undefined
        ? ''
        : ` (variable ${JSON.stringify((body.variables as { name?: unknown }[])[row]?.name ?? row)})`;
    throw bad(field + named, issue.message);
  }
  return parsed.data.variables;
}

/** Writes the environment atomically; a secret's value is never part of it (the schema refuses one). */
export async function saveEnvironment(workspaceRoot: string, env: Environment): Promise<string> {
  const path = environmentPath(workspaceRoot, env.name);
  // Checked as given: a caller that passes a secret's value has a bug, and it is refused, not dropped.
  const checked = environmentFileSchema.safeParse({ variables: env.variables });
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `Environment "${env.name}": ${issue.path.join('.')}: ${issue.message}.`,
      { field: issue.path.join('.') },
    );
  }
  const variables = checked.data.variables.map((v) =>
    v.secret === true ? { name: v.name, secret: true } : { name: v.name, value: v.value },
  );
  await writeFileAtomic(
    path,
    JSON.stringify({ version: ENVIRONMENT_FORMAT_VERSION, variables }, null, 2) + '\n',
  );
  return path;
}

export async function deleteEnvironment(workspaceRoot: string, name: string): Promise<boolean> {
  const path = environmentPath(workspaceRoot, name);
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new DuplexError(ErrorCodes.FILE, `Cannot delete ${path}: ${(err as Error).message}.`, {
      file: path,
    });
  }
}

function checkEnvironmentName(name: string): void {
  const parsed = environmentNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new DuplexError(
      ErrorCodes.INVALID_INPUT,
      `Environment ${JSON.stringify(name)}: ${parsed.error.issues[0]!.message}.`,
    );
  }
}
