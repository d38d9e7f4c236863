import { describe, expect, it } from 'vitest';
import { JSONPath } from 'jsonpath-plus';
import {
  compileMatcher,
  jsonEquals,
  MatcherError,
  type JsonValue,
  type MatcherSpec,
} from '../../app/server/matchers.js';
import { messageView } from '../../app/payload/message-view.js';

const text = (s: string) => messageView(s);
const binary = (hex: string) => messageView(Buffer.from(hex, 'hex'));

function matches(spec: MatcherSpec, msg: ReturnType<typeof messageView>): boolean {
  return compileMatcher(spec)(msg);
}

function compileError(spec: MatcherSpec): MatcherError {
  try {
    compileMatcher(spec, ['rules', 0, 'when']);
  } catch (err) {
    expect(err).toBeInstanceOf(MatcherError);
    return err as MatcherError;
  }
  throw new Error('expected a MatcherError');
}

describe('text matchers', () => {
  it('equals, contains and regex on text messages', () => {
    expect(matches({ text: { equals: 'hello' } }, text('hello'))).toBe(true);
    expect(matches({ text: { equals: 'hello' } }, text('hello!'))).toBe(false);
    expect(matches({ text: { contains: 'ell' } }, text('hello'))).toBe(true);
    expect(matches({ text: { contains: 'xyz' } }, text('hello'))).toBe(false);
    expect(matches({ text: { regex: '^hello' } }, text('hello world'))).toBe(true);
    expect(matches({ text: { regex: '^hello' } }, text('say hello'))).toBe(false);
    expect(matches({ text: { regex: '^HELLO', flags: 'i' } }, text('hello'))).toBe(true);
  });

  it('never match a binary message, even with the same bytes', () => {
    const bytes = messageView(new TextEncoder().encode('hello'));
    expect(matches({ text: { equals: 'hello' } }, bytes)).toBe(false);
    expect(matches({ text: { contains: 'h' } }, bytes)).toBe(false);
    expect(matches({ text: { regex: '.' } }, bytes)).toBe(false);
  });

  it('a regex answers every message the same way (no lastIndex carried over)', () => {
    const m = compileMatcher({ text: { regex: 'a' } });
    expect([m(text('a')), m(text('a')), m(text('a'))]).toEqual([true, true, true]);
    expect(compileError({ text: { regex: 'a', flags: 'g' } }).path).toEqual([
      'rules',
      0,
      'when',
      'text',
      'flags',
    ]);
  });

  it('rejects a bad regex, bad flags, and zero or two tests, naming the field', () => {
    const bad = compileError({ text: { regex: '(' } });
    expect(bad.path).toEqual(['rules', 0, 'when', 'text', 'regex']);
    expect(bad.message).toMatch(/Invalid regular expression/);
    expect(compileError({ text: { regex: 'a', flags: 'q' } }).path).toEqual([
      'rules',
      0,
      'when',
      'text',
      'flags',
    ]);
    expect(compileError({ text: {} }).message).toBe(
      'give exactly one of equals, contains, regex (found none)',
    );
    expect(compileError({ text: { equals: 'a', contains: 'b' } }).message).toContain(
      'found equals and contains',
    );
  });
});

describe('JSON path matchers', () => {
  const ping = text('{"type":"ping","id":7,"tags":["a","b"],"user":{"name":"Ada"},"none":null}');

  it('equals compares JSON values, not their text', () => {
    expect(matches({ json: { path: '$.type', equals: 'ping' } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.type', equals: 'pong' } }, ping)).toBe(false);
    expect(matches({ json: { path: '$.id', equals: 7 } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.id', equals: '7' } }, ping)).toBe(false);
    expect(matches({ json: { path: '$.user', equals: { name: 'Ada' } } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.tags', equals: ['a', 'b'] } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.none', equals: null } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.tags[*]', equals: 'b' } }, ping)).toBe(true);
  });

  it('exists: true and false', () => {
    expect(matches({ json: { path: '$.user.name', exists: true } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.user.age', exists: true } }, ping)).toBe(false);
    expect(matches({ json: { path: '$.user.age', exists: false } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.none', exists: true } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.x', exists: false } }, text('not json'))).toBe(false);
  });

  it('regex on scalars as text, on each element of an array, never on an object', () => {
    expect(matches({ json: { path: '$.type', regex: '^pi' } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.id', regex: '^7$' } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.tags', regex: '^b$' } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.tags', regex: '^c$' } }, ping)).toBe(false);
    expect(matches({ json: { path: '$.user', regex: '.' } }, ping)).toBe(false);
    expect(matches({ json: { path: '$.none', regex: '^$' } }, ping)).toBe(true);
    expect(matches({ json: { path: '$.type', regex: '^PING$', flags: 'i' } }, ping)).toBe(true);
  });

  it('applies to any text that parses as JSON, and never to binary or non-JSON text', () => {
    expect(matches({ json: { path: '$', equals: 5 } }, text('5'))).toBe(true);
    expect(matches({ json: { path: '$.type', equals: 'ping' } }, text('{"type":"ping"'))).toBe(false);
    expect(
      matches({ json: { path: '$.type', equals: 'ping' } }, messageView(Buffer.from('{"type":"ping"}'))),
    ).toBe(false);
    expect(matches({ json: { path: '$.a', exists: false } }, text('null'))).toBe(true);
  });

  it('filters select by content; a filter that fails on a message selects nothing', () => {
    const list = text('{"items":[{"id":1,"ok":true},{"id":2,"ok":false}]}');
    expect(matches({ json: { path: '$.items[?(@.ok==false)].id', equals: 2 } }, list)).toBe(true);
    expect(matches({ json: { path: '$.items[?(@.ok==false)].id', equals: 1 } }, list)).toBe(false);
    expect(matches({ json: { path: '$[?(@.constructor)]', exists: true } }, text('{"a":"x"}'))).toBe(false);
  });

  it('parses the message once for many matchers', () => {
    let parses = 0;
    const original = JSON.parse;
    JSON.parse = ((s: string) => (parses++, original(s))) as typeof JSON.parse;
    try {
      const rules = ['a', 'b', 'c', 'ping'].map((t) =>
        compileMatcher({ json: { path: '$.type', equals: t } }),
      );
      const msg = text('{"type":"ping"}');
      expect(rules.map((m) => m(msg))).toEqual([false, false, false, true]);
      expect(parses).toBe(1);
    } finally {
      JSON.parse = original;
    }
  });

  it('rejects a path that does not start at $, and zero or two tests', () => {
    expect(compileError({ json: { path: 'type', equals: 'x' } }).path).toEqual([
      'rules',
      0,
      'when',
      'json',
      'path',
    ]);
    expect(compileError({ json: { path: '$.a' } }).message).toContain('found none');
    expect(compileError({ json: { path: '$.a', exists: true, equals: 1 } }).message).toContain(
      'equals and exists',
    );
    expect(compileError({ json: { path: '$.a', regex: '[' } }).path).toEqual([
      'rules',
      0,
      'when',
      'json',
      'regex',
    ]);
  });
});

describe('JSON paths of names and indexes select what JSONPath selects', () => {
  it('agrees with jsonpath-plus on direct and general paths alike', () => {
    const doc = {
      a: { b: [10, { c: 'x' }], 'odd key': 1, n: null },
      list: [{ id: 1 }, { id: 2 }],
      s: 'str',
      $x: 3,
    };
    const msg = text(JSON.stringify(doc));
    const paths = [
      '$',
      '$.a',
      '$.a.b[0]',
      '$.a.b[1].c',
      "$.a['odd key']",
      '$.a.n',
      '$.a.missing',
      '$.a.b[5]',
      '$.s.length',
      '$.list[*].id',
      '$..id',
      '$.list[?(@.id==2)].id',
      "$['$x']",
      '$.a.b.0',
    ];
    for (const path of paths) {
      const expected = JSONPath({ path, json: doc, wrap: true }) as unknown[];
      const exists = compileMatcher({ json: { path, exists: true } })(msg);
      expect(exists, path).toBe(expected.length > 0);
      for (const value of expected) {
        expect(compileMatcher({ json: { path, equals: value as JsonValue } })(msg), path).toBe(true);
      }
    }
  });
});

describe('binary matchers', () => {
  it('prefixHex and equalsHex on binary messages', () => {
    expect(matches({ binary: { prefixHex: '00ff' } }, binary('00ff10'))).toBe(true);
    expect(matches({ binary: { prefixHex: '00 FF' } }, binary('00ff'))).toBe(true);
    expect(matches({ binary: { prefixHex: '00ff' } }, binary('00'))).toBe(false);
    expect(matches({ binary: { prefixHex: '00ff' } }, binary('ff00'))).toBe(false);
    expect(matches({ binary: { equalsHex: '00ff' } }, binary('00ff'))).toBe(true);
    expect(matches({ binary: { equalsHex: '00ff' } }, binary('00ff10'))).toBe(false);
    expect(matches({ binary: { prefixHex: '' } }, binary(''))).toBe(true);
  });

  it('never match a text message', () => {
    expect(matches({ binary: { prefixHex: '68' } }, text('hi'))).toBe(false);
    expect(matches({ binary: { equalsHex: '6869' } }, text('hi'))).toBe(false);
  });

  it('rejects bad hex and zero or two tests, naming the field', () => {
    const odd = compileError({ binary: { prefixHex: 'abc' } });
    expect(odd.path).toEqual(['rules', 0, 'when', 'binary', 'prefixHex']);
    expect(odd.message).toMatch(/odd number of digits/);
    expect(compileError({ binary: { equalsHex: 'zz' } }).message).toMatch(/not a hex digit/);
    expect(compileError({ binary: {} }).message).toContain('prefixHex, equalsHex');
    expect(compileError({ binary: { prefixHex: '00', equalsHex: '00' } }).message).toContain(
      'found prefixHex and',
    );
  });
});

describe('kind and combinations', () => {
  it('kind: text or binary', () => {
    expect(matches({ kind: 'text' }, text('x'))).toBe(true);
    expect(matches({ kind: 'binary' }, text('x'))).toBe(false);
    expect(matches({ kind: 'binary' }, binary('00'))).toBe(true);
    expect(compileError({ kind: 'json' as never }).path).toEqual(['rules', 0, 'when', 'kind']);
  });

  it('all, any, not, and several keys in one matcher must all hold', () => {
    const hello = text('hello world');
    expect(matches({ all: [{ text: { contains: 'hello' } }, { text: { contains: 'world' } }] }, hello)).toBe(
      true,
    );
    expect(matches({ all: [{ text: { contains: 'hello' } }, { text: { contains: 'moon' } }] }, hello)).toBe(
      false,
    );
    expect(matches({ any: [{ text: { contains: 'moon' } }, { text: { contains: 'world' } }] }, hello)).toBe(
      true,
    );
    expect(matches({ any: [{ text: { contains: 'moon' } }, { kind: 'binary' }] }, hello)).toBe(false);
    expect(matches({ not: { text: { contains: 'moon' } } }, hello)).toBe(true);
    expect(matches({ not: { kind: 'text' } }, hello)).toBe(false);
    expect(matches({ kind: 'text', text: { contains: 'hello' } }, hello)).toBe(true);
    expect(matches({ kind: 'text', text: { contains: 'moon' } }, hello)).toBe(false);
    expect(matches({ all: [] }, hello)).toBe(true);
    expect(matches({ any: [] }, hello)).toBe(false);
  });

  it('names the path of an error deep inside a combination', () => {
    const err = compileError({ any: [{ kind: 'text' }, { not: { all: [{ text: { regex: '(' } }] } }] });
    expect(err.path).toEqual(['rules', 0, 'when', 'any', 1, 'not', 'all', 0, 'text', 'regex']);
  });

  it('an empty matcher is an error', () => {
    expect(compileError({}).message).toMatch(/needs one of/);
  });
});

describe('jsonEquals', () => {
  it('compares JSON values structurally', () => {
    expect(jsonEquals({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(jsonEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEquals({ a: 1, b: undefined }, { a: 1, c: 2 })).toBe(false);
    expect(jsonEquals([1, 2], [2, 1])).toBe(false);
    expect(jsonEquals([1], { 0: 1 })).toBe(false);
    expect(jsonEquals({ 0: 1 }, [1])).toBe(false);
    expect(jsonEquals(null, {})).toBe(false);
  });
});
