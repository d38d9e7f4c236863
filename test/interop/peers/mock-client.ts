/** Runs peers/mock_client.py (python3-websockets clients following a script) and returns one result per op. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./mock_client.py', import.meta.url));

export type PeerOp = Record<string, unknown>;
export type PeerResult = Record<string, unknown>;

/** Why the python peer cannot run here, or undefined when it can. */
export function missingPythonPeer(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets'], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `python3-websockets is not installed for ${PYTHON}`;
}

export function runMockClient(script: PeerOp[]): Promise<PeerResult[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(PYTHON, [SCRIPT, JSON.stringify(script)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`mock_client.py exited with ${code}: ${err}`));
      resolve((JSON.parse(out) as { results: PeerResult[] }).results);
    });
  });
}
