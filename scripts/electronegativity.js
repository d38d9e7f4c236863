#!/usr/bin/env node
/**
 * Security gate over the built Electron app (out/: main, preload, renderer):
 * runs @doyensec/electronegativity and exits 1 on any finding or on any file
 * it could not analyze. The tool itself exits 0 whatever it finds, so this
 * gate reads the SARIF report it writes.
 *
 * Two workarounds, both without weakening the scan:
 * - The scanner's AST walker does not know #private class fields ("Unknown node
 *   type ClassPrivateProperty") and would silently skip out/main/index.js. We
 *   scan a copy of out/ whose .js/.cjs files are lowered to ES2021 by
 *   TypeScript (same code, private fields as WeakMaps); the shipped build is
 *   untouched.
 * - Its CLI wrapper breaks when npm hoists commander ≥ 7 ("_commander2.default
 *   .version is not a function"), so we call its runner module directly.
 *
 * Usage: node scripts/electronegativity.js [input dir = out] [sarif = .tmp/electronegativity.sarif]
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

const require = createRequire(import.meta.url);

/**
 * "Manual review" findings that were reviewed. Each matches only the exact
 * line it was reviewed for (or, for the CSP, only a policy whose sole weakness
 * is the reviewed one), so any new occurrence still fails the gate.
 */
const REVIEWED = [
  {
    rule: 'PRELOAD_JS_CHECK',
    matches: (line) => line.trim() === 'preload: options.preload,',
    reason:
      'the one preload (main/preload.ts) exposes only the contract functions built by buildApi; ' +
      'test/main/ipc.test.ts checks nothing else is exposed.',
  },
  {
    rule: 'OPEN_EXTERNAL_JS_CHECK',
    matches: (line, _issue, previous) =>
      line.trim() === 'shell.openExternal(external);' && previous.trim() === 'if (external)',
    reason:
      'the URL comes from externalLink() in main/window.ts (http/https only, no credentials, ≤ 2048 chars), ' +
      'tested in test/main/window.test.ts.',
  },
  {
    rule: 'CSP_GLOBAL_CHECK',
    matches: (_line, issue) => onlySelfWarning(issue?.sample),
    reason:
      'the only remark is "\'self\' can be problematic if you host JSONP, Angular or user uploaded files": ' +
      "'self' is the app's own built bundle (app://duplex or the loopback UI server), which hosts none of those.",
  },
];

function onlySelfWarning(policy) {
  if (typeof policy !== 'string') return false;
  const csp = require('@doyensec/csp-evaluator');
  const findings = new csp.CspEvaluator(new csp.CspParser(policy).csp, csp.Version.CSP3).evaluate();
  const relevant = findings.filter((f) => f.severity < csp.severities.INFO);
  return relevant.length > 0 && relevant.every((f) => f.value === "'self'" && /JSONP/.test(f.description));
}
const input = resolve(process.argv[2] ?? 'out');
const output = resolve(process.argv[3] ?? '.tmp/electronegativity.sarif');
const scanDir = mkdtempSync(join(tmpdir(), 'duplex-electronegativity-'));

if (!existsSync(join(input, 'main/index.js')) || !existsSync(join(input, 'preload/preload.cjs'))) {
  console.error(`electronegativity: ${input} has no built main/preload; run "npm run build" first.`);
  process.exit(1);
}

cpSync(input, scanDir, { recursive: true, filter: (src) => !src.endsWith('.map') });
for (const file of walk(scanDir)) {
  if (!/\.(c|m)?js$/.test(file)) continue;
  const lowered = ts.transpileModule(readFileSync(file, 'utf8'), {
    fileName: file,
    compilerOptions: { target: ts.ScriptTarget.ES2021, module: ts.ModuleKind.Preserve, allowJs: true },
  });
  writeFileSync(file, lowered.outputText);
}
mkdirSync(dirname(output), { recursive: true });
rmSync(output, { force: true });

const run = require('@doyensec/electronegativity/dist/runner.js');
const electronVersion = require('electron/package.json').version;
const quiet = { log: console.log, warn: console.warn };
console.log = console.warn = () => undefined; // the scanner chats (locale, offline release list)
let result;
try {
  result = await run(
    {
      input: scanDir,
      output,
      isSarif: true,
      customScan: [],
      excludeFromScan: [],
      isRelative: true,
      isVerbose: false,
      electronVersionOverride: electronVersion,
      parserPlugins: [],
    },
    false,
  );
} finally {
  Object.assign(console, quiet);
}

// The SARIF file is written asynchronously; wait for it.
for (let i = 0; i < 100 && !(existsSync(output) && statSync(output).size > 0); i++) {
  await new Promise((r) => setTimeout(r, 50));
}
const sarif = JSON.parse(readFileSync(output, 'utf8'));
process.on('exit', () => rmSync(scanDir, { recursive: true, force: true }));
const findings = sarif.runs.flatMap((r) => r.results ?? []);
const unreadable = result.errors.filter((e) => !e.tolerable);
const scanned = result.atomicChecks + result.globalChecks;
const reviewed = [];
const open = [];
for (const r of findings) {
  const where = r.locations?.[0]?.physicalLocation;
  const file = where?.artifactLocation?.uri ?? '?';
  const line = where?.region?.startLine ?? 0;
  const issue = result.issues.find(
    (i) => i.id === r.ruleId && i.location.line === line && file.endsWith(i.file),
  );
  const source = join(scanDir, file);
  const lines = file !== 'N/A' && existsSync(source) ? readFileSync(source, 'utf8').split('\n') : [];
  const [text, previous] = [lines[line - 1] ?? '', lines[line - 2] ?? ''];
  const review = REVIEWED.find((rev) => rev.rule === r.ruleId && rev.matches(text, issue, previous));
  const row = `${r.ruleId}  ${file}:${line}  ${r.message?.text ?? ''}`;
  if (review) reviewed.push(`${row}\n      reviewed: ${review.reason}`);
  else open.push(row);
}

if (open.length === 0 && unreadable.length === 0) {
  console.log(
    `electronegativity: 0 unreviewed findings, ${scanned} checks over ${input} (Electron ${electronVersion}); report ${output}`,
  );
  for (const row of reviewed) console.log(`  ${row}`);
  process.exit(0);
}
console.error(
  `electronegativity: ${open.length} finding(s), ${unreadable.length} unreadable file(s); report ${output}`,
);
for (const row of open) console.error(`  ${row}`);
for (const e of unreadable) console.error(`  cannot analyze ${e.file}: ${e.message}`);
process.exit(1);

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}
