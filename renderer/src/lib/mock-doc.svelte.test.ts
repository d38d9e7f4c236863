import { describe, expect, it } from 'vitest';
import {
  fieldName,
  insertAt,
  matcherForm,
  moveAt,
  parseJsonValue,
  parseMock,
  removeAt,
  setAt,
  showJsonValue,
  STARTER_MOCK,
} from './mock-doc.js';

const TEXT = `# keep me
port: 8080 # the port
routes:
  - path: /
    rules:
      - when: { text: { equals: "a" } }
        then: [ { send: "1" } ]
      - when: { text: { equals: "b" } } # second
        then: [ { send: "2" } ]
`;

describe('mock-doc: the form edits the YAML node by node', () => {
  it('sets a leaf in a flow map without touching the rest, comments included', () => {
    const out = setAt(TEXT, ['routes', 0, 'rules', 0, 'when', 'text', 'equals'], 'hello');
    expect(out).toBe(TEXT.replace('equals: "a"', 'equals: "hello"'));
  });

  it('puts a new name first in its map, and removes a value set to undefined', () => {
    const named = setAt(TEXT, ['routes', 0, 'rules', 1, 'name'], 'bee');
    expect(named).toContain('- name: bee\n        when: { text: { equals: "b" } } # second');
    expect(setAt(named, ['routes', 0, 'rules', 1, 'name'], undefined)).toBe(TEXT);
  });

  it('inserts, moves and removes list items; an emptied list goes away', () => {
    const added = insertAt(TEXT, ['routes', 0, 'onConnect'], { send: 'hi' });
    expect(parseMock(added).value?.['routes']).toMatchObject([{ onConnect: [{ send: 'hi' }] }]);
    const moved = moveAt(TEXT, ['routes', 0, 'rules'], 1, 0);
    const rules = (parseMock(moved).value!['routes'] as { rules: { then: { send: string }[] }[] }[])[0]!
      .rules;
    expect(rules.map((r) => r.then[0]!.send)).toEqual(['2', '1']);
    expect(moved).toContain('# second');
    const gone = removeAt(removeAt(TEXT, ['routes', 0, 'rules'], 0), ['routes', 0, 'rules'], 0);
    expect(parseMock(gone).value!['routes']).toEqual([{ path: '/' }]);
  });

  it('refuses to edit text that is not YAML, and reports its line', () => {
    const broken = 'port: 1\nroutes: [\n';
    expect(parseMock(broken).syntaxError?.line).toBeGreaterThanOrEqual(2);
    expect(() => setAt(broken, ['port'], 2)).toThrow(/YAML error/);
  });

  it('names fields as the engine does, and reads a JSON value as JSON only when it is JSON', () => {
    expect(fieldName(['routes', 0, 'rules', 1, 'when', 'text', 'regex'])).toBe(
      'routes[0].rules[1].when.text.regex',
    );
    expect(parseJsonValue('5')).toBe(5);
    expect(parseJsonValue('"5"')).toBe('5');
    expect(parseJsonValue('ping')).toBe('ping');
    expect(showJsonValue('5')).toBe('"5"');
    expect(showJsonValue('ping')).toBe('ping');
    expect(showJsonValue(5)).toBe('5');
  });

  it('shows one simple matcher as a form and anything else as YAML', () => {
    expect(matcherForm({ text: { regex: '^a', flags: 'i' } })).toEqual({
      type: 'text',
      op: 'regex',
      value: '^a',
      flags: 'i',
    });
    expect(matcherForm({ json: { path: '$.t', exists: true } })).toMatchObject({
      type: 'json',
      op: 'exists',
      value: true,
    });
    expect(matcherForm({ binary: { prefixHex: '00ff' } })).toEqual({
      type: 'binary',
      op: 'prefixHex',
      value: '00ff',
    });
    expect(matcherForm({ kind: 'binary' })).toEqual({ type: 'kind', value: 'binary' });
    expect(matcherForm({ all: [{ kind: 'text' }] })).toEqual({ type: 'raw' });
    expect(matcherForm({ kind: 'text', text: { equals: 'a' } })).toEqual({ type: 'raw' });
    expect(parseMock(STARTER_MOCK).syntaxError).toBeUndefined();
  });
});
