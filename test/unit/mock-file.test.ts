import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findRoute,
  findRule,
  handshakeAccepted,
  loadMockFile,
  loadMockText,
  MockFileError,
  parseMockFile,
  pickResponse,
  splitIntoFragments,
  type CompiledAction,
  type CompiledMock,
  type RenderedPayload,
} from '../../app/server/mock-file.js';
import { compileRoutePath } from '../../app/server/route-path.js';
import { messageView } from '../../app/payload/message-view.js';
import { TemplateEngine, type TemplateContext } from '../../app/templates/template-engine.js';
import { TemplateError } from '../../app/templates/template-error.js';

const chatFile = fileURLToPath(new URL('../fixtures/mocks/chat.yaml', import.meta.url));
const client = {
  id: 'c1',
  remoteAddress: '127.0.0.1',
  headers: { authorization: 'Bearer s3cret' },
  query: {},
};

function loadError(text: string, file = 'mocks/bad.yaml'): MockFileError {
  try {
    loadMockText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(MockFileError);
    return err as MockFileError;
  }
  throw new Error('expected a MockFileError');
}

function payloadOf(action: CompiledAction | undefined, ctx: TemplateContext): RenderedPayload {
  if (!action || (action.type !== 'send' && action.type !== 'broadcast'))
    throw new Error(`not a send: ${action?.type}`);
  return action.render(ctx);
}

const oneRoute = (lines: string) => `routes:\n  - path: /\n${lines}`;

describe('the example mock file', () => {
  let mock: CompiledMock;
  beforeAll(async () => {
    mock = await loadMockFile(chatFile);
  });

  it('reads port, host default, route, protocols and handshake', () => {
    expect([mock.port, mock.host, mock.routes.length]).toEqual([8080, '127.0.0.1', 1]);
    const route = mock.routes[0]!;
    expect(route.protocols).toEqual(['chat.v1']);
    expect(route.handshake!.reject).toEqual({ status: 401, body: 'missing token', headers: {} });
    expect(route.otherwise).toBe('echo');
  });

  it('finds the route and its params, and checks the handshake with vars', () => {
    const found = findRoute(mock, '/rooms/lobby?x=1')!;
    expect(found.params).toEqual({ room: 'lobby' });
    expect(findRoute(mock, '/elsewhere')).toBeUndefined();
    const ctx = { client, params: found.params, vars: { token: 's3cret' } };
    expect(handshakeAccepted(found.route, ctx)).toBe(true);
    expect(handshakeAccepted(found.route, { ...ctx, vars: { token: 'other' } })).toBe(false);
    expect(handshakeAccepted(found.route, { ...ctx, client: { ...client, headers: {} } })).toBe(false);
    expect(() => handshakeAccepted(found.route, { ...ctx, vars: {} })).toThrow(TemplateError);
  });

  it('renders the welcome, and each rule answers its message', () => {
    const route = mock.routes[0]!;
    const base = { client, params: { room: 'lobby' } };
    expect(payloadOf(route.onConnect[0], base)).toEqual({
      kind: 'text',
      text: '{"type":"welcome","room":"lobby","client":"c1"}',
    });

    const ping = messageView('{"type":"ping","id":7}');
    const pingRule = findRule(route, ping)!;
    expect(pingRule.name).toBe('rules[0]');
    expect(payloadOf(pingRule.then[0], { ...base, msg: ping })).toEqual({
      kind: 'text',
      text: '{"type":"pong","id":7}',
    });

    const hello = findRule(route, messageView('hello there'))!;
    expect(hello.then[0]).toEqual({ type: 'delay', ms: 100 });
    expect(payloadOf(hello.then[1], base)).toEqual({ kind: 'text', text: 'hi c1' });

    const bin = findRule(route, messageView(new Uint8Array([0x00, 0xff, 0x01])))!;
    expect(payloadOf(bin.then[0], base)).toEqual({ kind: 'binary', bytes: new Uint8Array([0xff, 0x00]) });

    const say = messageView('{"type":"say","text":"yo"}');
    const sayAction = findRule(route, say)!.then[0]!;
    expect(sayAction).toMatchObject({ type: 'broadcast', to: 'room' });
    expect(payloadOf(sayAction, { ...base, msg: say })).toEqual({
      kind: 'text',
      text: '{"type":"say","text":"yo"}',
    });

    expect(findRule(route, messageView('{"op":"quit"}'))!.then[0]).toEqual({
      type: 'close',
      code: 4000,
      reason: 'bye',
    });
    expect(findRule(route, messageView('unmatched'))).toBeUndefined();
  });

  it('compiles the stream with its seq counter', () => {
    const stream = mock.routes[0]!.streams[0]!;
    expect([stream.name, stream.every, stream.to, stream.count]).toEqual(['streams[0]', 1000, 'each', 10]);
    expect(payloadOf(stream.then[0], { seq: 3 })).toEqual({ kind: 'text', text: '{"tick":3}' });
  });

  it('reads the same mock written as JSON', async () => {
    const yaml = await readFile(chatFile, 'utf8');
    const { mock: asYaml } = parseMockFile(yaml, 'chat.yaml');
    const json = JSON.stringify(asYaml, null, 2);
    expect(parseMockFile(json, 'chat.json').mock).toEqual(asYaml);
  });
});

describe('actions', () => {
  const ctx = { msg: messageView('{"n":2}'), params: { room: 'r' }, seq: 5 };
  const actions = (list: string) =>
    loadMockText(oneRoute(`    onConnect:\n${list}`), 'm.yaml').routes[0]!.onConnect;

  it('sendJson renders the string leaves as templates and keeps other values', () => {
    const [a] = actions(
      '      - sendJson: { room: "{{params.room}}", n: 1, ok: true, none: null, list: ["{{seq}}", 2] }\n',
    );
    expect(payloadOf(a, ctx)).toEqual({
      kind: 'text',
      text: '{"room":"r","n":1,"ok":true,"none":null,"list":["5",2]}',
    });
  });

  it('sendHex and sendBase64, literal or from a template', () => {
    const list = actions(
      '      - sendHex: "00 ff"\n      - sendBase64: "aGk="\n      - sendHex: "{{msg.hex}}"\n      - sendBase64: "{{msg.base64}}"\n',
    );
    const bytes = list.map((a) => (payloadOf(a, ctx) as { bytes: Uint8Array }).bytes);
    expect(bytes.map((b) => Buffer.from(b).toString('hex'))).toEqual([
      '00ff',
      '6869',
      '7b226e223a327d',
      '7b226e223a327d',
    ]);
  });

  it('template: false sends the text as written', () => {
    const [a, b] = actions(
      '      - send: "{{not a template"\n        template: false\n      - sendJson: ["{{x"]\n        template: false\n',
    );
    expect(payloadOf(a, ctx)).toEqual({ kind: 'text', text: '{{not a template' });
    expect(payloadOf(b, ctx)).toEqual({ kind: 'text', text: '["{{x"]' });
  });

  it('sendFile resolves against the mock file folder; fragments, as', () => {
    const mock = loadMockText(
      oneRoute(
        '    onConnect:\n      - sendFile: data/a.bin\n        fragments: 3\n      - sendFile: /abs/b.txt\n        as: text\n',
      ),
      '/work/mocks/m.yaml',
    );
    expect(mock.routes[0]!.onConnect).toEqual([
      { type: 'sendFile', file: '/work/mocks/data/a.bin', as: 'binary', fragments: 3 },
      { type: 'sendFile', file: '/abs/b.txt', as: 'text', fragments: 1 },
    ]);
  });

  it('broadcast to all / others, delay, close defaults, terminate, drop, answerPings, fragments', () => {
    const list = actions(
      [
        '      - broadcast: hi',
        '        to: others',
        '      - broadcast: hi',
        '        to: all',
        '      - delay: 0',
        '      - close: {}',
        '      - close: { code: 1011, reason: oops }',
        '      - terminate: true',
        '      - drop: true',
        '      - answerPings: false',
        '      - send: abc',
        '        fragments: 2',
        '',
      ].join('\n'),
    );
    expect(list.map((a) => (a.type === 'broadcast' ? a.to : a.type))).toEqual([
      'others',
      'all',
      'delay',
      'close',
      'close',
      'terminate',
      'drop',
      'answerPings',
      'send',
    ]);
    expect(list[3]).toEqual({ type: 'close', code: 1000, reason: '' });
    expect(list[4]).toEqual({ type: 'close', code: 1011, reason: 'oops' });
    expect(list[7]).toEqual({ type: 'answerPings', on: false });
    expect(list[8]).toMatchObject({ type: 'send', fragments: 2 });
  });

  it('responses in order (the default) or at random, items one action or a list', () => {
    const [seq, rnd] = actions(
      [
        '      - responses:',
        '          from: [ { send: a }, [ { delay: 5 }, { send: b } ] ]',
        '      - responses: { pick: random, from: [ { send: x } ] }',
        '',
      ].join('\n'),
    );
    if (seq?.type !== 'responses' || rnd?.type !== 'responses')
      throw new Error('expected two responses actions');
    expect(seq.pick).toBe('sequence');
    expect(seq.from.map((l) => l.map((a) => a.type))).toEqual([['send'], ['delay', 'send']]);
    expect(rnd.pick).toBe('random');
    expect([0, 1, 2].map((n) => pickResponse(seq, n).length)).toEqual([1, 2, 1]);
    expect(pickResponse(rnd, 0, () => 0.99)).toBe(rnd.from[0]);
    const two = { ...seq, pick: 'random' as const };
    expect([pickResponse(two, 0, () => 0), pickResponse(two, 0, () => 0.99)]).toEqual([
      seq.from[0],
      seq.from[1],
    ]);
  });

  it('otherwise: none, or a list of actions; rules may be named', () => {
    const mock = loadMockText(
      oneRoute(
        '    rules:\n      - name: greet\n        when: { kind: text }\n        then: []\n    otherwise:\n      - drop: true\n',
      ),
      'm.yaml',
    );
    expect(mock.routes[0]!.rules[0]!.name).toBe('greet');
    expect(mock.routes[0]!.otherwise).toEqual([{ type: 'drop' }]);
    expect(loadMockText(oneRoute('    otherwise: none\n'), 'm.yaml').routes[0]!.otherwise).toBe('none');
  });

  it('a stream may run a list of actions, to all clients', () => {
    const mock = loadMockText(
      oneRoute('    streams:\n      - every: 50\n        to: all\n        then: [ { sendHex: "01" } ]\n'),
      'm.yaml',
    );
    expect(mock.routes[0]!.streams[0]).toMatchObject({ every: 50, to: 'all', count: undefined });
  });

  it('handshake query requirement and default reject', () => {
    const mock = loadMockText(
      oneRoute('    handshake:\n      require: { query: { key: "{{vars.k}}" } }\n'),
      'm.yaml',
    );
    const route = mock.routes[0]!;
    expect(route.handshake!.reject).toEqual({ status: 401, body: '', headers: {} });
    const c = { ...client, query: { key: ['a', 'b'] } };
    expect(handshakeAccepted(route, { client: c, vars: { k: 'b' } })).toBe(true);
    expect(handshakeAccepted(route, { client: c, vars: { k: 'z' } })).toBe(false);
    expect(handshakeAccepted(loadMockText(oneRoute(''), 'm.yaml').routes[0]!, {})).toBe(true);
  });

  it('renders with the engine it is given', () => {
    const engine = new TemplateEngine({ uuid: () => 'fixed' });
    const mock = loadMockText(oneRoute('    onConnect: [ { send: "{{uuid}}" } ]\n'), 'm.yaml', { engine });
    expect(payloadOf(mock.routes[0]!.onConnect[0], {})).toEqual({ kind: 'text', text: 'fixed' });
  });
});

describe('errors name the file, line and field', () => {
  it('a YAML syntax error', () => {
    const err = loadError('port: 1\nroutes: [\n  - path: /\n');
    expect(err.file).toBe('mocks/bad.yaml');
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.message).toMatch(/^mocks\/bad\.yaml:\d+:\d+: /);
  });

  it('a duplicate key', () => {
    const err = loadError('port: 1\nport: 2\nroutes: [ { path: / } ]\n');
    expect([err.line, err.message]).toEqual([2, expect.stringMatching(/unique/i)]);
  });

  it('a missing field points at the map that lacks it', () => {
    const err = loadError('port: 1\n');
    expect([err.field, err.line]).toEqual(['routes', 1]);
    expect(err.problem).toMatch(/required/);
    const noPath = loadError('routes:\n  - protocols: [a]\n');
    expect([noPath.field, noPath.line, noPath.column]).toEqual(['routes[0].path', 2, 5]);
  });

  it('an unknown field, a wrong type, an out-of-range number', () => {
    const unknown = loadError(oneRoute('    rulez: []\n'));
    expect([unknown.field, unknown.line, unknown.column, unknown.problem]).toEqual([
      'routes[0]',
      3,
      5,
      'unknown field "rulez"',
    ]);
    const top = loadError('routes: [ { path: / } ]\nprot: 1\n');
    expect([top.field, top.line, top.column, top.problem]).toEqual(['', 2, 1, 'unknown field "prot"']);
    const port = loadError('port: 70000\nroutes: [ { path: / } ]\n');
    expect([port.field, port.line]).toEqual(['port', 1]);
    const every = loadError(oneRoute('    streams:\n      - every: fast\n        send: x\n'));
    expect([every.field, every.line]).toEqual(['routes[0].streams[0].every', 4]);
  });

  it('a route path that is not a pattern, or does not start with /', () => {
    const bad = loadError('routes:\n  - path: "/rooms/:"\n');
    expect([bad.field, bad.line]).toEqual(['routes[0].path', 2]);
    expect(bad.problem).toMatch(/Missing parameter name/);
    expect(loadError('routes:\n  - path: rooms\n').problem).toMatch(/starts with \//);
  });

  it('actions: none, two at once, a modifier on the wrong verb, a bad close', () => {
    const none = loadError(oneRoute('    onConnect:\n      - fragments: 2\n'));
    expect(none.field).toBe('routes[0].onConnect[0]');
    expect(none.problem).toMatch(/an action needs one of send/);
    const two = loadError(oneRoute('    onConnect:\n      - { send: a, delay: 5 }\n'));
    expect([two.line, two.problem]).toEqual([4, expect.stringMatching(/found send and delay/)]);
    const to = loadError(oneRoute('    onConnect:\n      - { send: a, to: all }\n'));
    expect([to.field, to.problem]).toEqual([
      'routes[0].onConnect[0].to',
      expect.stringMatching(/goes with broadcast/),
    ]);
    const code = loadError(oneRoute('    onConnect:\n      - close: { code: 1005 }\n'));
    expect([code.field, code.line]).toEqual(['routes[0].onConnect[0].close.code', 4]);
    expect(code.problem).toMatch(/cannot be sent/);
    const reason = loadError(
      oneRoute(`    onConnect:\n      - close: { code: 4000, reason: "${'x'.repeat(124)}" }\n`),
    );
    expect(reason.field).toBe('routes[0].onConnect[0].close.reason');
    expect(loadError(oneRoute('    onConnect:\n      - terminate: false\n')).field).toBe(
      'routes[0].onConnect[0].terminate',
    );
  });

  it('a nested responses list points into the item', () => {
    const err = loadError(
      oneRoute('    onConnect:\n      - responses:\n          from:\n            - [ { delay: -1 } ]\n'),
    );
    expect(err.field).toBe('routes[0].onConnect[0].responses.from[0][0].delay');
    expect(err.line).toBe(6);
  });

  it('a template error names the field and the place in the template', () => {
    const err = loadError(
      oneRoute('    rules:\n      - when: { kind: text }\n        then:\n          - send: "x {{#if a}}"\n'),
    );
    expect(err.field).toBe('routes[0].rules[0].then[0].send');
    expect(err.line).toBe(6);
    expect(err.problem).toMatch(/^Template syntax error: .* at line 1, column \d+ of the template$/);
    const helper = loadError(oneRoute('    onConnect: [ { sendJson: { a: ["{{nope 1}}"] } } ]\n'));
    expect(helper.field).toBe('routes[0].onConnect[0].sendJson.a[0]');
    expect(helper.problem).toMatch(/Unknown helper "nope"/);
    const header = loadError(oneRoute('    handshake: { require: { header: { X-Key: "{{" } } }\n'));
    expect(header.field).toBe('routes[0].handshake.require.header.X-Key');
  });

  it('a matcher error names the field inside when', () => {
    const err = loadError(
      oneRoute(
        '    rules:\n      - when:\n          any:\n            - text: { regex: "(" }\n        then: []\n',
      ),
    );
    expect(err.field).toBe('routes[0].rules[0].when.any[0].text.regex');
    expect(err.line).toBe(6);
    const two = loadError(
      oneRoute('    rules:\n      - when: { json: { path: "$.a" } }\n        then: []\n'),
    );
    expect(two.field).toBe('routes[0].rules[0].when.json');
  });

  it('hex: bad digits, and digits YAML read as a number', () => {
    const digits = loadError(oneRoute('    onConnect: [ { sendHex: "0g" } ]\n'));
    expect([digits.field, digits.problem]).toEqual([
      'routes[0].onConnect[0].sendHex',
      expect.stringMatching(/not a hex digit/),
    ]);
    const number = loadError(
      oneRoute('    rules:\n      - when: { binary: { prefixHex: 0010 } }\n        then: []\n'),
    );
    expect(number.field).toBe('routes[0].rules[0].when.binary.prefixHex');
    expect(number.problem).toMatch(/quoted string/);
    expect(loadError(oneRoute('    onConnect: [ { sendBase64: "a" } ]\n')).problem).toMatch(/truncated/);
  });

  it('a stream needs send or then, not both; a subprotocol is a token', () => {
    const both = loadError(oneRoute('    streams:\n      - { every: 5, send: a, then: [] }\n'));
    expect([both.field, both.problem]).toEqual([
      'routes[0].streams[0]',
      expect.stringMatching(/either send/),
    ]);
    expect(loadError(oneRoute('    protocols: ["a b"]\n')).field).toBe('routes[0].protocols[0]');
  });

  it('a file that cannot be read, and toInfo', async () => {
    const err: unknown = await loadMockFile('/nonexistent/m.yaml').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MockFileError);
    expect((err as MockFileError).message).toMatch(/^\/nonexistent\/m\.yaml: cannot read the file: ENOENT/);
    expect(loadError('port: x\nroutes: [ { path: / } ]\n').toInfo()).toEqual({
      code: 'DUPLEX_ERR_MOCK_FILE',
      message: expect.stringMatching(/^mocks\/bad\.yaml:1:7: port: /),
      details: { file: 'mocks/bad.yaml', line: 1, column: 7, field: 'port' },
    });
  });

  it('every other field is checked, each error naming its field', () => {
    const cases: [string, string, RegExp][] = [
      ['routes: []\n', 'routes', /at least one route/],
      ["host: ''\nroutes: [ { path: / } ]\n", 'host', /./],
      ['vars: [1]\nroutes: [ { path: / } ]\n', 'vars', /./],
      ['name: 5\nroutes: [ { path: / } ]\n', 'name', /string/],
      [
        oneRoute('    handshake: { reject: { status: 200 } }\n'),
        'routes[0].handshake.reject.status',
        /400|>=/,
      ],
      [
        oneRoute('    handshake: { require: { header: { a: 1 } } }\n'),
        'routes[0].handshake.require.header.a',
        /string/,
      ],
      [
        oneRoute('    handshake: { require: { cookie: {} } }\n'),
        'routes[0].handshake.require',
        /unknown field "cookie"/,
      ],
      [oneRoute('    onConnect: [ { sendFile: a, as: pdf } ]\n'), 'routes[0].onConnect[0].as', /text|binary/],
      [oneRoute('    onConnect: [ { sendFile: "" } ]\n'), 'routes[0].onConnect[0].sendFile', /./],
      [oneRoute('    onConnect: [ { broadcast: a, to: nobody } ]\n'), 'routes[0].onConnect[0].to', /room/],
      [oneRoute('    onConnect: [ { send: a, fragments: 0 } ]\n'), 'routes[0].onConnect[0].fragments', /./],
      [oneRoute('    onConnect: [ { delay: 4000000 } ]\n'), 'routes[0].onConnect[0].delay', /./],
      [
        oneRoute('    onConnect: [ { sendFile: a, template: false } ]\n'),
        'routes[0].onConnect[0].template',
        /goes with send/,
      ],
      [
        oneRoute('    onConnect: [ { responses: { from: [] } } ]\n'),
        'routes[0].onConnect[0].responses.from',
        /./,
      ],
      [
        oneRoute('    onConnect: [ { responses: { pick: odd, from: [ { drop: true } ] } } ]\n'),
        'routes[0].onConnect[0].responses.pick',
        /sequence/,
      ],
      [
        oneRoute('    onConnect: [ { answerPings: maybe } ]\n'),
        'routes[0].onConnect[0].answerPings',
        /boolean/,
      ],
      [
        oneRoute('    onConnect: [ { close: { code: 4000, why: x } } ]\n'),
        'routes[0].onConnect[0].close',
        /unknown field "why"/,
      ],
      [
        oneRoute('    onConnect: [ { sendJson: { a: 1 }, fragments: 2, to: all } ]\n'),
        'routes[0].onConnect[0].to',
        /goes with broadcast/,
      ],
      [oneRoute('    rules: [ { when: { kind: text } } ]\n'), 'routes[0].rules[0].then', /required/],
      [
        oneRoute('    rules: [ { when: { kind: json }, then: [] } ]\n'),
        'routes[0].rules[0].when.kind',
        /text|binary/,
      ],
      [
        oneRoute('    rules: [ { when: { text: { like: a } }, then: [] } ]\n'),
        'routes[0].rules[0].when.text',
        /unknown field "like"/,
      ],
      [
        oneRoute('    rules: [ { when: { json: { equals: 1 } }, then: [] } ]\n'),
        'routes[0].rules[0].when.json.path',
        /required/,
      ],
      [
        oneRoute('    rules: [ { when: { json: { path: $.a, exists: yes } }, then: [] } ]\n'),
        'routes[0].rules[0].when.json.exists',
        /boolean/,
      ],
      [oneRoute('    rules: [ { when: { not: [] }, then: [] } ]\n'), 'routes[0].rules[0].when.not', /object/],
      [
        oneRoute('    rules: [ { when: { all: [ { bogus: 1 } ] }, then: [] } ]\n'),
        'routes[0].rules[0].when.all[0]',
        /unknown field "bogus"/,
      ],
      [oneRoute('    rules: [ { when: {}, then: [] } ]\n'), 'routes[0].rules[0].when', /needs one of/],
      [oneRoute('    streams: [ { every: 0, send: a } ]\n'), 'routes[0].streams[0].every', /./],
      [oneRoute('    streams: [ { every: 5, to: some, send: a } ]\n'), 'routes[0].streams[0].to', /each|all/],
      [oneRoute('    streams: [ { every: 5, count: 0, send: a } ]\n'), 'routes[0].streams[0].count', /./],
      [oneRoute('    streams: [ { every: 5 } ]\n'), 'routes[0].streams[0]', /either send/],
      [
        oneRoute('    otherwise: reply\n'),
        'routes[0].otherwise',
        /^otherwise is echo, none, or a list of actions$/,
      ],
      [oneRoute('    otherwise: [ { sned: x } ]\n'), 'routes[0].otherwise[0]', /unknown field "sned"/],
      [
        oneRoute('    onConnect: [ { responses: { from: [ 5 ] } } ]\n'),
        'routes[0].onConnect[0].responses.from[0]',
        /action or a list/,
      ],
    ];
    for (const [text, field, problem] of cases) {
      const err = loadError(text);
      expect(err.field, text).toBe(field);
      expect(err.problem, text).toMatch(problem);
      expect(err.line, text).toBeGreaterThan(0);
    }
  });

  it('the version, when given, must be one this build reads', () => {
    expect(loadError('version: 2\nroutes: [ { path: / } ]\n').field).toBe('version');
    expect(loadMockText('version: 1\nroutes: [ { path: / } ]\n', 'm.yaml').port).toBe(0);
  });
});

describe('loading from disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'duplex-mock-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a JSON file and resolves sendFile next to it', async () => {
    const file = join(dir, 'echo.json');
    await writeFile(
      file,
      JSON.stringify({ routes: [{ path: '/', onConnect: [{ sendFile: 'hello.txt' }] }] }),
    );
    const mock = await loadMockFile(file);
    expect(mock.routes[0]!.onConnect[0]).toEqual({
      type: 'sendFile',
      file: join(dir, 'hello.txt'),
      as: 'binary',
      fragments: 1,
    });
  });
});

describe('compileRoutePath', () => {
  it('matches params, decodes them, allows a trailing slash, and joins a wildcard', () => {
    const rooms = compileRoutePath('/rooms/:room');
    expect(rooms('/rooms/a%20b')).toEqual({ room: 'a b' });
    expect(rooms('/rooms/a/')).toEqual({ room: 'a' });
    expect(rooms('/rooms')).toBeUndefined();
    expect(rooms('/rooms/a/b')).toBeUndefined();
    expect(rooms('/rooms/%zz')).toEqual({ room: '%zz' });
    expect(compileRoutePath('/files/*rest')('/files/a/b')).toEqual({ rest: 'a/b' });
    expect(compileRoutePath('/x{/:opt}')('/x')).toEqual({});
    expect(compileRoutePath('/')('/?a=1')).toEqual({});
    expect(() => compileRoutePath('/a(b)')).toThrow(/Unexpected \(/);
  });
});

describe('splitIntoFragments', () => {
  it('splits text bytes or binary into N near-equal frames', () => {
    const frames = splitIntoFragments({ kind: 'text', text: 'abcdefg' }, 3);
    expect(frames.map((f) => Buffer.from(f).toString())).toEqual(['abc', 'de', 'fg']);
    const five = splitIntoFragments({ kind: 'binary', bytes: new Uint8Array([1, 2, 3, 4, 5]) }, 4);
    expect(five.map((f) => [...f])).toEqual([[1, 2], [3], [4], [5]]);
    expect(Buffer.concat(splitIntoFragments({ kind: 'text', text: 'héllo wörld' }, 4)).toString()).toBe(
      'héllo wörld',
    );
    expect(splitIntoFragments({ kind: 'binary', bytes: new Uint8Array([1, 2]) }, 5)).toHaveLength(2);
    expect(splitIntoFragments({ kind: 'text', text: '' }, 4)).toEqual([new Uint8Array()]);
    expect(splitIntoFragments({ kind: 'text', text: 'ab' }, 1)).toHaveLength(1);
  });
});

describe('docs/mock-format.md', () => {
  it('every YAML example in the format document loads (a rules fragment inside one route)', async () => {
    const doc = await readFile(fileURLToPath(new URL('../../docs/mock-format.md', import.meta.url)), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) {
      const whole = /^(port|routes):/m.test(block);
      const text = whole ? block : `routes:\n  - path: /\n${block.replace(/^/gm, '    ')}`;
      expect(() => loadMockText(text, 'docs/mock-format.md')).not.toThrow();
    }
  });
});
