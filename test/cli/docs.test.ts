/**
 * docs/cli.md keeps up with the command: a section for every command that
 * `duplex --help` lists, every flag of its `--help` in that section, and the
 * exit codes of cli/exit-codes.ts in its table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { ROOT, runDuplexRaw } from './helpers.js';

const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');

/** The text of `## \`duplex NAME\`` up to the next `## ` heading. */
function section(name: string): string {
  const start = doc.indexOf(`## \`duplex ${name}\``);
  if (start < 0) return '';
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, next < 0 ? undefined : next);
}

describe('docs/cli.md', () => {
  it('documents every command with every flag its --help lists', async () => {
    const help = await runDuplexRaw('--help');
    const commands = [...help.stdout.matchAll(/^ {2}([a-z]+) (?:\[options\]|<)/gm)].map((m) => m[1]!);
    expect(commands.sort()).toEqual(['connect', 'export', 'import', 'replay', 'serve', 'test', 'ui']);
    const missing: string[] = [];
    for (const name of commands) {
      const text = section(name);
      if (!text) {
        missing.push(`${name}: no section`);
        continue;
      }
      const own = await runDuplexRaw(name, '--help');
      for (const [, flag] of own.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)) {
        if (!text.includes(`\`${flag}`)) missing.push(`${name} ${flag}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists the named exit codes', () => {
    for (const [name, code] of Object.entries(ExitCode)) {
      expect(doc).toContain(`| ${code} | \`${name}\` |`);
    }
  });
});
