/**
 * `file.exportLoad`: a flow file or a session file → a k6 script or an
 * Artillery scenario, streamed into the output file (atomically), with the
 * list of what the tool cannot express. A flow file is `.yaml`/`.yml`/`.json`;
 * a session file `.jsonl`.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { DuplexError, ErrorCodes } from '../errors.js';
import { AtomicStreamFile } from '../sessions/atomic-stream.js';
import { loadEnvironment } from '../variables/environment-store.js';
import { loadFlowFile } from '../flows/flow-file.js';
import type { FileWarning } from '../contract.js';
import { artilleryScenario } from './artillery-scenario.js';
import { k6Script } from './k6-script.js';
import { flowLoadSource, sessionLoadSource, type LoadNote, type LoadSource } from './load-source.js';

export const loadFormats = ['k6', 'artillery'] as const;
export type LoadFormat = (typeof loadFormats)[number];

export interface LoadExportRequest {
  file: string;
  format: LoadFormat;
  /** Default: beside the input, NAME.k6.js or NAME.artillery.yml. */
  out?: string | undefined;
  /** An environment of the flow's workspace (default: the flow's own `env`). */
  env?: string | undefined;
  /** --var overrides, over the environment: plain values the script defaults to. */
  vars?: Record<string, string> | undefined;
  /** The workspace whose environments/ is read (default: the folder above flows/, else the engine's). */
  workspace?: string | undefined;
  defaultWorkspace: () => string;
  clientId?: string | undefined;
  vus?: number | undefined;
  /** Seconds. */
  duration?: number | undefined;
}

export interface LoadExportResult {
  path: string;
  notes: LoadNote[];
  warnings: FileWarning[];
}

export function isFlowFile(file: string): boolean {
  return /\.(ya?ml|json)$/i.test(file);
}

export async function exportLoadTest(req: LoadExportRequest): Promise<LoadExportResult> {
  const source = await openSource(req);
  const path = resolve(req.out ?? defaultOut(req.file, req.format));
  const notes: LoadNote[] = [];
  const pieces =
    req.format === 'k6'
      ? k6Script(source, notes, {
          ...(req.vus !== undefined ? { vus: req.vus } : {}),
          ...(req.duration !== undefined ? { duration: `${req.duration}s` } : {}),
        })
      : artilleryScenario(source, notes, {
          ...(req.vus !== undefined ? { arrivalRate: req.vus } : {}),
          ...(req.duration !== undefined ? { duration: req.duration } : {}),
        });
  const file = new AtomicStreamFile(path);
  try {
    for await (const piece of pieces) await file.write(piece);
    await file.commit();
  } catch (err) {
    await file.abort();
    if (err instanceof DuplexError) throw err;
    throw new DuplexError(ErrorCodes.FILE, `Cannot write ${path}: ${(err as Error).message}.`);
  }
  return { path, notes, warnings: source.warnings };
}

async function openSource(req: LoadExportRequest): Promise<LoadSource> {
  if (!isFlowFile(req.file)) {
    if (req.env !== undefined || req.vars !== undefined) {
      throw new DuplexError(
        ErrorCodes.INVALID_INPUT,
        '--env and --var go with a flow file; a session has no variables.',
      );
    }
    return sessionLoadSource(req.file, req.clientId);
  }
  const { flow } = await loadFlowFile(req.file);
  const envName = req.env ?? flow.env;
  if (envName === undefined) return flowLoadSource(flow, undefined, req.vars);
  const workspace =
    req.workspace ??
    (basename(dirname(resolve(req.file))) === 'flows'
      ? dirname(dirname(resolve(req.file)))
      : req.defaultWorkspace());
  const environment = await loadEnvironment(workspace, envName);
  return flowLoadSource(flow, environment, req.vars);
}

function defaultOut(file: string, format: LoadFormat): string {
  const stem = file.slice(0, file.length - extname(file).length);
  return `${stem}.${format === 'k6' ? 'k6.js' : 'artillery.yml'}`;
}
