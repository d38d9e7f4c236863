/**
 * `duplex test` and `duplex import session --to flow` as processes: exit 0 when
 * every step passed, 1 when a check failed, 2 for a bad flow file (file, line,
 * field), a missing environment or file; --mock starts a mock for the run;
 * pretty lines, a json report, and JUnit XML parsed back with a real XML parser.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../cli/exit-codes.js';
import { ROOT, afterEachTest, runDuplex, startServe } from './helpers.js';

const { track, tempDir } = afterEachTest('duplex-cli-flows-');
const chatMock = join(ROOT, 'test/fixtures/flows/chat-mock.yaml');
const chatFlow = join(ROOT, 'test/fixtures/flows/chat.yaml');

const PASSING = `name: echo checks
steps:
  - connect: { url: "{{mock.url}}/rooms/{{room}}" }
  - expect: { json: { path: $.type, equals: welcome } }
  - send: hello
  - expect: { text: { equals: hello } }
`;
const FAILING = `name: wrong answer
steps:
  - connect: { url: "{{mock.url}}/rooms/r" }
  - send: hello
  - expect: { text: { equals: goodbye }, within: 300 }
  - send: never sent
`;

function write(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

// jsdom (a devDependency) ships no types; its XML parser is the DOM's DOMParser.
const { JSDOM } = createRequire(import.meta.url)('jsdom') as {
  JSDOM: new (html: string) => { window: { DOMParser: typeof DOMParser } };
};

/** The JUnit document as a DOM, parsed by jsdom's XML parser (a parse error throws). */
function parseXml(text: string): Document {
  const doc = new new JSDOM('').window.DOMParser().parseFromString(text, 'application/xml');
  const error = doc.querySelector('parsererror');
  if (error) throw new Error(`not XML: ${error.textContent}`);
  return doc;
}

describe('duplex test', () => {
  it('exit 0 and a line per step when every step passes; --var and --mock', async () => {
    const dir = tempDir();
    const file = write(dir, 'echo.yaml', PASSING);
    const run = await runDuplex('test', file, '--mock', chatMock, '--var', 'room=cli');
    expect(run.result.code, run.stdout + run.stderr).toBe(ExitCode.OK);
    expect(run.stdoutLines[0]).toBe(`echo checks (${file})`);
    expect(run.stdoutLines.slice(1, 5).map((l) => l.replace(/\(\d+ ms\)$/, '(T)'))).toEqual([
      '  ✓ connect main to {{mock.url}}/rooms/{{room}} (T)',
      '  ✓ expect $.type = "welcome" on main (T)',
      '  ✓ send hello on main (T)',
      '  ✓ expect "hello" on main (T)',
    ]);
    expect(run.stdoutLines[5]).toMatch(/^echo checks: passed: 4 passed, 0 failed, 0 skipped in \d+ ms$/);
  });

  it('runs the docs example with the mock its file names', async () => {
    const run = await runDuplex('test', chatFlow);
    expect(run.result.code, run.stdout + run.stderr).toBe(ExitCode.OK);
    expect(run.stdout).toContain('alice and bob chat: passed: 14 passed');
  });

  it('exit 1 when a check fails: the failure says what was expected and what arrived', async () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', FAILING);
    const run = await runDuplex('test', file, '--mock', chatMock);
    expect(run.result.code).toBe(ExitCode.FAILED);
    expect(run.stdout).toMatch(
      /✗ expect "goodbye" on main \(\d+ ms\)\n {6}expected a message matching text equals "goodbye" on main; none within 300 ms; 2 arrived that did not match: .*"hello"/,
    );
    expect(run.stdout).toContain('  - send never sent on main (skipped)');
    expect(run.stdout).toMatch(/wrong answer: FAILED: 2 passed, 1 failed, 1 skipped/);
  });

  it('a connection that is refused is a failed check (exit 1), not bad input', async () => {
    const dir = tempDir();
    const file = write(dir, 'refused.yaml', 'steps:\n  - connect: { url: "ws://127.0.0.1:1/" }\n');
    const run = await runDuplex('test', file);
    expect(run.result.code).toBe(ExitCode.FAILED);
    expect(run.stdout).toMatch(
      /could not connect main: Could not connect to ws:\/\/127\.0\.0\.1:1\/: .*ECONNREFUSED/,
    );
  });

  it('exit 2 for a bad flow file, naming file, line and field, before any flow runs', async () => {
    const dir = tempDir();
    const good = write(dir, 'good.yaml', PASSING);
    const bad = write(
      dir,
      'bad.yaml',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { txt: { equals: a } }\n',
    );
    const run = await runDuplex('test', good, bad, '--mock', chatMock);
    expect(run.result.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toBe(`duplex test: ${bad}:3:15: steps[1].expect: unknown field "txt"`);
    expect(run.stdout).toBe('');
  });

  it('exit 2 for an unknown environment, a missing flow and a bad --var, and for a bad --reporter', async () => {
    const dir = tempDir();
    const file = write(dir, 'echo.yaml', PASSING);
    const env = await runDuplex('test', file, '--env', 'nope', '--workspace', dir);
    expect(env.result.code).toBe(ExitCode.USAGE);
    expect(env.stderr).toMatch(/nope/);
    const missing = await runDuplex('test', join(dir, 'missing.yaml'));
    expect(missing.result.code).toBe(ExitCode.USAGE);
    expect(missing.stderr).toMatch(/^duplex test: No flow file .*missing\.yaml/);
    const badVar = await runDuplex('test', file, '--var', 'novalue');
    expect(badVar.result.code).toBe(ExitCode.USAGE);
    const reporter = await runDuplex('test', file, '--reporter', 'tap');
    expect(reporter.result.code).toBe(ExitCode.USAGE);
    expect(reporter.stderr).toMatch(/Allowed choices are pretty, json, junit/);
  });

  it('finds a flow by name in the workspace, with its environment', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'flows'));
    mkdirSync(join(dir, 'environments'));
    write(join(dir, 'flows'), 'echo.yaml', PASSING);
    write(
      join(dir, 'environments'),
      'dev.json',
      JSON.stringify({ version: 1, variables: [{ name: 'room', value: 'dev' }] }),
    );
    const run = await runDuplex('test', 'echo', '--workspace', dir, '--env', 'dev', '--mock', chatMock);
    expect(run.result.code, run.stdout + run.stderr).toBe(ExitCode.OK);
  });

  it('--reporter json prints one report object', async () => {
    const dir = tempDir();
    const file = write(dir, 'bad.yaml', FAILING);
    const run = await runDuplex('test', file, '--mock', chatMock, '--reporter', 'json');
    expect(run.result.code).toBe(ExitCode.FAILED);
    const doc = JSON.parse(run.stdout) as { passed: boolean; flows: { steps: { status: string }[] }[] };
    expect(doc.passed).toBe(false);
    expect(doc.flows[0]!.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'failed', 'skipped']);
  });

  it('--reporter junit --out FILE writes JUnit XML that parses back: suites, cases, failure, skipped', async () => {
    const dir = tempDir();
    const good = write(dir, 'good.yaml', PASSING.replace('{{room}}', 'r'));
    const bad = write(dir, 'bad.yaml', FAILING);
    const out = join(dir, 'results.xml');
    const run = await runDuplex('test', good, bad, '--mock', chatMock, '--reporter', 'junit', '--out', out);
    expect(run.result.code).toBe(ExitCode.FAILED);
    // The pretty lines still print when the report goes to a file.
    expect(run.stdout).toContain('echo checks: passed');
    const doc = parseXml(readFileSync(out, 'utf8'));
    const root = doc.documentElement;
    expect(root.tagName).toBe('testsuites');
    expect([root.getAttribute('tests'), root.getAttribute('failures'), root.getAttribute('skipped')]).toEqual(
      ['8', '1', '1'],
    );
    const suites = [...doc.querySelectorAll('testsuite')];
    expect(
      suites.map((s) => [s.getAttribute('name'), s.getAttribute('tests'), s.getAttribute('failures')]),
    ).toEqual([
      ['echo checks', '4', '0'],
      ['wrong answer', '4', '1'],
    ]);
    const cases = [...suites[1]!.querySelectorAll('testcase')];
    expect(cases.map((c) => c.getAttribute('name'))).toEqual([
      'steps[0] connect main to {{mock.url}}/rooms/r',
      'steps[1] send hello on main',
      'steps[2] expect "goodbye" on main',
      'steps[3] send never sent on main',
    ]);
    for (const c of cases) expect(Number(c.getAttribute('time'))).toBeGreaterThanOrEqual(0);
    const failure = cases[2]!.querySelector('failure')!;
    expect(failure.getAttribute('type')).toBe('expect');
    expect(failure.getAttribute('message')).toMatch(/^expected a message matching text equals "goodbye"/);
    expect(failure.textContent).toContain('expected: a message matching text equals "goodbye" within 300 ms');
    expect(failure.textContent).toContain(
      'received:\n  "{\\"type\\":\\"welcome\\",\\"room\\":\\"r\\"}"\n  "hello"',
    );
    expect(cases[3]!.querySelector('skipped')).not.toBeNull();
    expect(cases[0]!.children).toHaveLength(0);
  });
});

describe('duplex import session --to flow', () => {
  it('turns a recording into a flow that passes against the same server', async () => {
    const dir = tempDir();
    const { url } = await startServe().then((s) => (track(s.serve), s));
    const session = join(dir, 'talk.jsonl');
    const record = await runDuplex(
      'connect',
      url,
      '--send',
      'one',
      '--send-hex',
      '00ff',
      '--count',
      '2',
      '--record',
      session,
    );
    expect(record.result.code, record.stderr).toBe(ExitCode.OK);
    const imported = await runDuplex('import', 'session', session, '--to', 'flow', '--out', dir);
    expect(imported.result.code, imported.stderr).toBe(ExitCode.OK);
    const flowFile = join(dir, 'talk.yaml');
    expect(imported.stdout).toBe(`${flowFile}: flow with 2 sends and 2 expects`);
    const text = readFileSync(flowFile, 'utf8');
    expect(text).toContain(`url: ${url}`);
    expect(text).toContain('- send: one');
    expect(text).toContain('equals: one');
    expect(text).toContain('hex: 00ff');
    expect(text).toContain('equalsHex: 00ff');
    const run = await runDuplex('test', flowFile);
    expect(run.result.code, run.stdout + run.stderr).toBe(ExitCode.OK);
  });

  it('needs the session file', async () => {
    const run = await runDuplex('import', 'session');
    expect(run.result.code).toBe(ExitCode.USAGE);
    expect(run.stderr).toMatch(/import session needs the session file/);
  });
});
