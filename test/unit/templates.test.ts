import { describe, expect, it } from 'vitest';
import { faker } from '@faker-js/faker/locale/en';
import { TemplateEngine, type TemplateContext } from '../../app/templates/template-engine.js';
import { TemplateError } from '../../app/templates/template-error.js';
import { FAKER_MODULES } from '../../app/templates/helpers.js';
import { messageView } from '../../app/payload/message-view.js';

const fixedNow = new Date('2026-03-04T05:06:07.089Z');

function engine(random = 0.5) {
  return new TemplateEngine({ now: () => fixedNow, random: () => random, uuid: () => 'uuid-1' });
}

const client = {
  id: 'c7',
  remoteAddress: '127.0.0.1',
  headers: { authorization: 'Bearer abc', 'x-trace': ['a', 'b'] },
  query: { room: 'lobby' },
};

function thrown(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return err as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

describe('TemplateEngine: output as written', () => {
  it('renders the JSON reply of a ping rule, with `}}}` after a mustache', () => {
    const ctx = { msg: messageView('{"type":"ping","id":42}') };
    expect(engine().render('{"type":"pong","id":{{json msg.json.id}}}', ctx)).toBe('{"type":"pong","id":42}');
    expect(engine().render('{"a":{"b":{{json msg.json.id}}}}', ctx)).toBe('{"a":{"b":42}}');
  });

  it('does not HTML-escape', () => {
    const ctx = { msg: messageView('<b>"x" & \'y\'</b>') };
    expect(engine().render('{{msg.text}}', ctx)).toBe('<b>"x" & \'y\'</b>');
  });

  it('leaves text without mustaches alone, and says so', () => {
    expect(engine().render('plain } text }}}', {})).toBe('plain } text }}}');
    expect(TemplateEngine.isPlainText('plain')).toBe(true);
    expect(TemplateEngine.isPlainText('a {{b}}')).toBe(false);
  });

  it('keeps comments, triple-stash and escaped mustaches as Handlebars defines them', () => {
    const ctx = { vars: { v: '<x>' } };
    expect(engine().render('{{!-- a }}} --}}{{{vars.v}}}}', ctx)).toBe('<x>}');
    expect(engine().render('\\{{vars.v}}}', ctx)).toBe('{{vars.v}}}');
    expect(engine().render('{{now "\'}}}\'"}}}', {})).toBe('}}}}');
  });
});

describe('TemplateEngine: the message', () => {
  it('reads text, json, bytes, size, hex and base64 of a text message', () => {
    const ctx = { msg: messageView('{"user":{"name":"Ada"},"tags":["x","y"]}') };
    const e = engine();
    expect(e.render('{{msg.json.user.name}} {{msg.json.tags.[1]}} {{msg.kind}}', ctx)).toBe('Ada y text');
    expect(e.render('{{json msg.json.user}}', ctx)).toBe('{"name":"Ada"}');
    expect(e.render('{{msg.size}}', { msg: messageView('hé') })).toBe('3');
    expect(e.render('{{msg.hex}} {{msg.base64}}', { msg: messageView('hi') })).toBe('6869 aGk=');
  });

  it('reads a binary message as hex and base64, and it has no JSON', () => {
    const msg = messageView(new Uint8Array([0x00, 0xff, 0x10]));
    expect(engine().render('{{msg.kind}} {{msg.hex}} {{msg.base64}} {{msg.size}}', { msg })).toBe(
      'binary 00ff10 AP8Q 3',
    );
    expect(msg.isJson).toBe(false);
    expect(msg.json).toBeUndefined();
  });

  it('names msg.json when a template reads into a message that is not JSON', () => {
    const err = thrown(() => engine().render('{{msg.json.id}}', { msg: messageView('hello') }));
    expect(err.reason).toBe('unknown-variable');
    expect(err.variable).toBe('msg.json.id');
    expect(err.message).toContain('not JSON');
  });
});

describe('TemplateEngine: client, params, counters, vars', () => {
  it('reads the client, its headers and query, route params and counters', () => {
    const ctx: TemplateContext = {
      client,
      params: { room: 'r1' },
      seq: 3,
      counters: { stream: 3, client: 9, rule: 2 },
    };
    const out = engine().render(
      '{{client.id}}@{{client.remoteAddress}} {{client.headers.authorization}} {{client.headers.x-trace.[1]}} ' +
        '{{client.query.room}} {{params.room}} {{seq}} {{counters.stream}}/{{counters.client}}/{{counters.rule}}',
      ctx,
    );
    expect(out).toBe('c7@127.0.0.1 Bearer abc b lobby r1 3 3/9/2');
  });

  it('reads vars, and lets if/unless test a variable that is not there', () => {
    const e = engine();
    expect(e.render('Bearer {{vars.token}}', { vars: { token: 't0k' } })).toBe('Bearer t0k');
    expect(e.render('{{#if vars.debug}}on{{else}}off{{/if}}', { vars: {} })).toBe('off');
    expect(e.render('{{#unless vars.debug}}quiet{{/unless}}', { vars: {} })).toBe('quiet');
  });

  it('walks lists with each, and with/lookup work', () => {
    const ctx = { vars: { items: [{ n: 1 }, { n: 2 }], who: { name: 'Bo' }, key: 'name' } };
    const e = engine();
    expect(e.render('{{#each vars.items}}{{@index}}:{{n}};{{/each}}', ctx)).toBe('0:1;1:2;');
    expect(e.render('{{#with vars.who}}{{name}}{{/with}} {{lookup vars.who vars.key}}', ctx)).toBe('Bo Bo');
  });
});

describe('TemplateEngine: unknown variables are errors that name them', () => {
  it('names a missing top-level variable with its line and column', () => {
    const err = thrown(() => engine().render('line one\n  token={{vars.token}}', { vars: {} }));
    expect(err.code).toBe('DUPLEX_ERR_TEMPLATE');
    expect(err.variable).toBe('vars.token');
    expect([err.line, err.column]).toEqual([2, 11]);
    expect(err.message).toBe('Unknown variable vars.token (line 2, column 11)');
    expect(err.toInfo()).toEqual({
      code: 'DUPLEX_ERR_TEMPLATE',
      message: err.message,
      details: { reason: 'unknown-variable', line: 2, column: 11, variable: 'vars.token' },
    });
  });

  it('names a missing object on the way (params absent, vars absent)', () => {
    expect(thrown(() => engine().render('{{params.room}}', {})).variable).toBe('params.room');
    const err = thrown(() => engine().render('{{vars.a.b}}', { vars: { a: null } }));
    expect(err.message).toContain('vars.a is null');
  });

  it('checks arguments of helpers and of block helpers, not only plain mustaches', () => {
    expect(thrown(() => engine().render('{{json vars.x}}', { vars: {} })).variable).toBe('vars.x');
    expect(thrown(() => engine().render('{{text (json vars.y)}}', { vars: {} })).variable).toBe('vars.y');
    expect(
      thrown(() => engine().render('{{faker "person.firstName" x=vars.z}}', { vars: {} })).variable,
    ).toBe('vars.z');
    expect(thrown(() => engine().render('{{#each vars.list}}{{/each}}', { vars: {} })).variable).toBe(
      'vars.list',
    );
  });

  it('names a variable missing inside each', () => {
    const err = thrown(() =>
      engine().render('{{#each vars.l}}{{nope}}{{/each}}', { vars: { l: [{ a: 1 }] } }),
    );
    expect(err.reason).toBe('unknown-variable');
    expect(err.variable).toBe('nope');
  });

  it('does not reach prototype properties', () => {
    expect(thrown(() => engine().render('{{constructor}}', {})).variable).toBe('constructor');
    expect(thrown(() => engine().render('{{vars.__proto__}}', { vars: {} })).variable).toBe('vars.__proto__');
  });

  it('lists the variables a template reads', () => {
    const t = engine().compile(
      '{{vars.a}} {{json msg.json.id}} {{#if vars.b}}{{vars.c}}{{/if}} {{uuid}} {{vars.a}}',
    );
    expect(t.variables).toEqual(['vars.a', 'msg.json.id', 'vars.c']);
  });
});

describe('TemplateEngine: syntax errors and unknown helpers', () => {
  it('reports an unclosed block with its position', () => {
    const err = thrown(() => engine().compile('ok\n{{#if vars.a}} open'));
    expect(err.reason).toBe('syntax');
    expect(err.line).toBe(2);
    expect(err.message).toMatch(/^Template syntax error: .*EOF.* \(line 2, column \d+\)$/);
  });

  it('reports the column of an error far into a long line', () => {
    const err = thrown(() => engine().compile(`${'x'.repeat(60)} {{b c=}}`));
    expect([err.line, err.column]).toEqual([1, 67]);
  });

  it('reports the column as written when a `}}}` was separated earlier on the line', () => {
    const err = thrown(() => engine().compile('{"a":{{json 1}}} {{b c=}}'));
    expect([err.line, err.column]).toEqual([1, 23]);
    const t = engine().compile('{"a":{{json 1}}} {{vars.q}}');
    expect(thrown(() => t.render({ vars: {} })).column).toBe(20);
  });

  it('refuses partials and decorators, and reports a mismatched block', () => {
    const partial = thrown(() => engine().compile('a\n{{#each vars.l}} {{> row}}{{/each}}'));
    expect([partial.reason, partial.line, partial.column]).toEqual(['syntax', 2, 18]);
    expect(partial.message).toMatch(/^Partials/);
    expect(thrown(() => engine().compile('{{*dec}}')).message).toMatch(/^Decorators/);
    const mismatch = thrown(() => engine().compile('{{#if a}}{{/unless}}'));
    expect([mismatch.reason, mismatch.message]).toEqual([
      'syntax',
      "Template error: if doesn't match unless (line 1, column 4)",
    ]);
  });

  it('reports what Handlebars itself refuses while rendering', () => {
    const err = thrown(() => engine().render('{{#each}}{{/each}}', {}));
    expect([err.reason, err.message]).toEqual(['render', 'Template error: Must pass iterator to #each']);
    const inner = thrown(() => engine().render('{{#with vars}}{{x.y}}{{/with}}', { vars: {} }));
    expect([inner.reason, inner.variable, inner.message]).toEqual([
      'unknown-variable',
      undefined,
      'Unknown variable: nothing to read .y from (line 1, column 17)',
    ]);
    const deeper = thrown(() => engine().render('{{#with vars}}{{x.y.z}}{{/with}}', { vars: {} }));
    expect([deeper.variable, deeper.message]).toEqual([
      undefined,
      'Unknown variable: nothing to read .y from',
    ]);
  });

  it('refuses an unknown helper and the log helper when compiling', () => {
    const unknown = thrown(() => engine().compile('{{shout "x"}}'));
    expect(unknown.reason).toBe('unknown-helper');
    expect(unknown.message).toContain('"shout"');
    expect(thrown(() => engine().compile('{{log "x"}}')).reason).toBe('unknown-helper');
  });
});

describe('TemplateEngine: helpers', () => {
  it('json: values, undefined as null, an indent; a non-number indent is an error', () => {
    const ctx = { vars: { s: 'a"b', n: null, o: { a: [1] }, u: undefined } };
    const e = engine();
    expect(e.render('{{json vars.s}} {{json vars.n}} {{json vars.o}} {{json vars.u}}', ctx)).toBe(
      '"a\\"b" null {"a":[1]} null',
    );
    expect(e.render('{{json vars.o 2}}', ctx)).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(thrown(() => e.render('{{json vars.o "x"}}', ctx)).reason).toBe('helper');
  });

  it('text: strings as they are, scalars as written, objects as JSON, nothing for null', () => {
    const ctx = { vars: { s: 'a"b', n: 5, b: false, o: { a: 1 }, z: null } };
    expect(
      engine().render('{{text vars.s}}|{{text vars.n}}|{{text vars.b}}|{{text vars.o}}|{{text vars.z}}', ctx),
    ).toBe('a"b|5|false|{"a":1}|');
  });

  it('now, epochMs and uuid come from the sources the engine was given', () => {
    const e = engine();
    expect(e.render('{{now}} {{epochMs}} {{uuid}}', {})).toBe(
      '2026-03-04T05:06:07.089Z 1772600767089 uuid-1',
    );
    expect(e.render('{{now "yyyy"}}', {})).toBe('2026');
    expect(thrown(() => e.render('{{now "jjj"}}', {})).message).toMatch(/^now: bad format "jjj"/);
    expect(thrown(() => e.render('{{now 5}}', {})).reason).toBe('helper');
  });

  it('defaults to the real clock and crypto.randomUUID', () => {
    const e = new TemplateEngine();
    const before = Date.now();
    const epoch = Number(e.render('{{epochMs}}', {}));
    expect(epoch).toBeGreaterThanOrEqual(before);
    expect(epoch).toBeLessThanOrEqual(Date.now());
    expect(e.render('{{uuid}}', {})).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('randomInt covers both ends of its range', () => {
    expect(engine(0).render('{{randomInt 1 6}}', {})).toBe('1');
    expect(engine(0.9999).render('{{randomInt 1 6}}', {})).toBe('6');
    expect(engine(0.5).render('{{randomInt 6 1}}', {})).toBe('4');
    expect(thrown(() => engine().render('{{randomInt 1}}', {})).message).toMatch(
      /^randomInt: expects 2 numbers/,
    );
    expect(thrown(() => engine().render('{{randomInt 1.2 1.8}}', {})).message).toMatch(/no integer lies/);
  });

  it('randomFloat has 2 decimals by default, or N, and stays in [min, max)', () => {
    expect(engine(0.123456).render('{{randomFloat 0 10}}', {})).toBe('1.23');
    expect(engine(0.123456).render('{{randomFloat 0 10 4}}', {})).toBe('1.2345');
    expect(engine(0).render('{{randomFloat 0.004 0.016 2}}', {})).toBe('0.01');
    expect(engine(0.9).render('{{randomFloat 0.004 0.006 2}}', {})).toBe('0.004');
    expect(engine(0).render('{{randomFloat 0.1 0.2}}', {})).toBe('0.1');
    expect(engine(0.5).render('{{randomFloat 5 5}}', {})).toBe('5');
    // Rounded, a draw near max would reach it: it stays in [min, max).
    expect(engine(0.9999).render('{{randomFloat 0 1}}', {})).toBe('0.99');
    expect(engine(0.99999).render('{{randomFloat 5 6 3}}', {})).toBe('5.999');
    expect(thrown(() => engine().render('{{randomFloat 0 1 2.5}}', {})).message).toMatch(/decimals/);
    expect(thrown(() => engine().render('{{randomFloat "a" 1}}', {})).reason).toBe('helper');
  });

  it('faker draws from its English data and takes options as a hash', () => {
    const e = engine();
    const first = e.render('{{faker "person.firstName"}}', {});
    const names = faker.definitions.person!.first_name!;
    expect([...names.generic!, ...names.female!, ...names.male!]).toContain(first);
    for (let i = 0; i < 20; i++) {
      const n = Number(e.render('{{faker "number.int" min=3 max=5}}', {}));
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(5);
    }
    expect(e.render('{{faker "string.alpha" 7}}', {})).toMatch(/^[A-Za-z]{7}$/);
  });

  it('faker refuses paths outside the allowed modules, and says why', () => {
    const e = engine();
    for (const path of [
      'helpers.fake',
      'person',
      'person.firstName.call',
      'person.constructor',
      'rawDefinitions.x',
    ]) {
      expect(thrown(() => e.render(`{{faker "${path}"}}`, {})).reason).toBe('helper');
    }
    expect(thrown(() => e.render('{{faker "person.noSuch"}}', {})).message).toContain(
      'has no method "noSuch"',
    );
    expect(thrown(() => e.render('{{faker "number.int" min=9 max=1}}', {})).message).toMatch(
      /^faker "number.int": /,
    );
    for (const module of FAKER_MODULES)
      expect(typeof (faker as unknown as Record<string, unknown>)[module]).toBe('object');
  });

  it('gives a helper error the position of the mustache', () => {
    const err = thrown(() => engine().render('ab\n  {{randomInt "x" 2}}', {}));
    expect([err.line, err.column]).toEqual([2, 3]);
  });
});

describe('TemplateEngine: compile once', () => {
  it('returns the same compiled template for the same text, and renders it many times', () => {
    const e = engine();
    const t = e.compile('{{seq}}');
    expect(e.compile('{{seq}}')).toBe(t);
    expect([1, 2, 3].map((seq) => t.render({ seq }))).toEqual(['1', '2', '3']);
  });

  it('keeps at most cacheSize templates, dropping the least recently used', () => {
    const e = new TemplateEngine({ cacheSize: 2 });
    const a = e.compile('a{{seq}}');
    const b = e.compile('b{{seq}}');
    expect(e.compile('a{{seq}}')).toBe(a);
    e.compile('c{{seq}}');
    expect(e.compile('a{{seq}}')).toBe(a);
    expect(e.compile('b{{seq}}')).not.toBe(b);
  });

  it('keeps each engine in its own Handlebars environment', () => {
    const one = new TemplateEngine({ uuid: () => 'one' });
    const two = new TemplateEngine({ uuid: () => 'two' });
    expect(one.render('{{uuid}}', {}) + two.render('{{uuid}}', {})).toBe('onetwo');
  });
});

/** How many times JSON.parse runs during `fn`. */
function countingJsonParses(fn: () => void): number {
  let parses = 0;
  const original = JSON.parse;
  JSON.parse = ((text: string) => {
    parses++;
    return original(text);
  }) as typeof JSON.parse;
  try {
    fn();
  } finally {
    JSON.parse = original;
  }
  return parses;
}

describe('messageView', () => {
  it('parses JSON once and keeps the result', () => {
    const parses = countingJsonParses(() => {
      const msg = messageView('{"a":1}');
      expect([msg.isJson, msg.json, msg.json, msg.isJson]).toEqual([true, { a: 1 }, { a: 1 }, true]);
      expect(messageView(new Uint8Array([0x7b, 0x7d])).json).toBeUndefined();
    });
    expect(parses).toBe(1);
  });

  it('parses JSON once for the rules that match on it and the template that answers', () => {
    const parses = countingJsonParses(() => {
      const msg = messageView('{"id":7}');
      expect(msg.json).toEqual({ id: 7 });
      expect(engine().render('{{msg.json.id}}', { msg })).toBe('7');
      expect(engine().render('{{json msg.json}}', { msg })).toBe('{"id":7}');
    });
    expect(parses).toBe(1);
  });

  it('shows a template every form of the message as its own properties, in order', () => {
    const msg = messageView('hi');
    expect(engine().render('{{#each msg}}{{@key}} {{/each}}', { msg })).toBe(
      'kind bytes size text isJson json hex base64 ',
    );
    expect(engine().render('{{#with msg}}{{this.text}} {{size}} {{hex}}{{/with}}', { msg })).toBe(
      'hi 2 6869',
    );
  });

  it('reads bytes as a text message when told to, and JSON null is JSON', () => {
    const msg = messageView(new TextEncoder().encode('{"x":2}'), 'text');
    expect([msg.kind, msg.text, msg.json]).toEqual(['text', '{"x":2}', { x: 2 }]);
    const nul = messageView('null');
    expect([nul.isJson, nul.json]).toEqual([true, null]);
  });
});
