import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  convertTemplate,
  importMockoon,
  MockoonImportError,
  objectPathToJsonPath,
  type MockoonImport,
} from '../../app/server/mockoon-import.js';
import {
  findRoute,
  findRule,
  loadMockFile,
  loadMockText,
  pickResponse,
  type CompiledAction,
  type CompiledMock,
  type CompiledRoute,
} from '../../app/server/mock-file.js';
import { Engine } from '../../app/engine.js';
import { messageView } from '../../app/payload/message-view.js';
import { TemplateEngine, type TemplateContext } from '../../app/templates/template-engine.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/mockoon/${name}`, import.meta.url), 'utf8'));

const engine = new TemplateEngine({
  uuid: () => 'u-1',
  random: () => 0,
  now: () => new Date('2026-05-06T07:08:09Z'),
});
const client = {
  id: 'c1',
  remoteAddress: '10.0.0.9',
  headers: { 'x-client': 'cli' },
  query: { user: 'ada' },
};

/** Renders the text a send action would put on the wire. */
function sent(action: CompiledAction | undefined, ctx: TemplateContext): string {
  if (action?.type !== 'send') throw new Error(`expected send, got ${action?.type}`);
  const payload = action.render(ctx);
  if (payload.kind !== 'text') throw new Error('expected text');
  return payload.text;
}

/** Minimal Mockoon-shaped environment with one ws route. */
function env(route: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    uuid: 'e',
    lastMigration: 32,
    name: 'Tiny',
    endpointPrefix: '',
    latency: 0,
    port: 3000,
    hostname: '',
    folders: [],
    routes: [
      {
        uuid: 'r',
        type: 'ws',
        documentation: '',
        method: '',
        endpoint: 'ws',
        streamingInterval: 0,
        ...route,
      },
    ],
    rootChildren: [{ type: 'route', uuid: 'r' }],
    proxyMode: false,
    tlsOptions: { enabled: false },
    headers: [],
    data: [],
    ...extra,
  };
}

function response(body: string, more: Record<string, unknown> = {}) {
  return {
    uuid: 'x',
    label: '',
    body,
    latency: 0,
    bodyType: 'INLINE',
    rules: [],
    rulesOperator: 'OR',
    ...more,
  };
}

describe('the chat demo environment', () => {
  let result: MockoonImport;
  let mock: CompiledMock;
  let route: (path: string) => CompiledRoute;
  beforeAll(() => {
    result = importMockoon(fixture('chat-environment.json'), { filePath: (p) => `../envs/${p}` });
    mock = loadMockText(result.yaml, 'mocks/chat-demo.yaml', { engine });
    route = (path) => findRoute(mock, path)!.route;
  });

  it('becomes one mock with the WebSocket routes, in folder order, under the prefix', () => {
    expect(result.name).toBe('Chat demo');
    expect(mock.port).toBe(3001);
    expect(mock.host).toBe('127.0.0.1');
    expect(mock.routes.map((r) => r.path)).toEqual([
      '/api/chat/:room',
      '/api/sequence',
      '/api/ticker',
      '/api/news',
      '/api/bucket',
      '/api/file',
    ]);
  });

  it('carries rules on the body: JSON path equals, regex_i on the text, inverted AND', () => {
    const chat = route('/api/chat/lobby');
    const ctx = { client, params: { room: 'lobby' } };
    const ping = messageView('{"type":"ping","id":5}');
    const pong = findRule(chat, ping)!;
    expect(pong.name).toBe('Pong');
    expect(sent(pong.then[0], { ...ctx, msg: ping })).toBe('{"type":"pong","id":"5","room":"lobby"}');

    const hello = findRule(chat, messageView('HELLO you'))!;
    expect(hello.name).toBe('Hello');
    expect(hello.then[0]).toEqual({ type: 'delay', ms: 50 });
    expect(sent(hello.then[1], ctx)).toBe('hi ada from cli');

    const del = messageView('{"op":"delete","user":{"role":"guest"}}');
    expect(findRule(chat, del)!.name).toBe('Not admin');
    expect(sent(findRule(chat, del)!.then[0], { ...ctx, msg: del })).toBe(
      '{"error":"forbidden","at":"2026-05-06"}',
    );
    expect(findRule(chat, messageView('{"op":"delete","user":{"role":"admin"}}'))).toBeUndefined();
  });

  it('answers with the default response otherwise, and ignores binary messages', () => {
    const chat = route('/api/chat/x');
    const other = messageView('anything');
    expect(findRule(chat, other)).toBeUndefined();
    expect(sent((chat.otherwise as CompiledAction[])[0], { msg: other })).toBe('anything');
    expect(findRule(chat, messageView(new Uint8Array([1])))!.then).toEqual([{ type: 'drop' }]);
  });

  it('a SEQUENTIAL route answers its responses in turn, with the helpers mapped', () => {
    const seq = route('/api/sequence');
    const [responses] = seq.otherwise as CompiledAction[];
    if (responses?.type !== 'responses') throw new Error('expected responses');
    expect(responses.pick).toBe('sequence');
    const replies = [0, 1, 2, 3].map((n) => sent(pickResponse(responses, n)[0], {}));
    expect(replies[0]).toBe('one u-1');
    expect(replies[1]).toMatch(/^\{"n":1,"f":0,"name":"[A-Z][a-z]+"\}$/);
    expect(replies[2]).toBe('{{oneOf (array "a" "b")}} and u-1');
    expect(replies[3]).toBe(replies[0]);
  });

  it('UNICAST and BROADCAST streams at their interval, each and all', () => {
    const ticker = route('/api/ticker');
    expect(ticker.streams).toHaveLength(1);
    expect(ticker.streams[0]).toMatchObject({ every: 500, to: 'each' });
    expect(ticker.otherwise).toBe('none');
    const [random] = ticker.streams[0]!.then;
    if (random?.type !== 'responses') throw new Error('expected responses');
    expect(random.pick).toBe('random');
    // Latency is not applied between stream messages, as in Mockoon; the unknown block stays raw.
    expect(random.from.map((list) => list.map((a) => a.type))).toEqual([['send'], ['send']]);
    expect(sent(random.from[1]![0], {})).toBe('{{#repeat 2}}x{{/repeat}}');

    const news = route('/api/news');
    expect(news.streams[0]).toMatchObject({ every: 10, to: 'all' });
    expect(sent(news.streams[0]!.then[0], {})).toMatch(/^\{"headline":"[A-Z].*\."\}$/);
  });
  it('a file response becomes sendFile with the path mapped; a data bucket sends its value', () => {
    expect(route('/api/file').otherwise).toEqual([
      {
        type: 'sendFile',
        file: expect.stringMatching(/\/envs\/data\/greeting\.txt$/),
        as: 'text',
        fragments: 1,
      },
    ]);
    expect(sent((route('/api/bucket').otherwise as CompiledAction[])[0], {})).toBe('[]');
  });

  it('lists everything not carried over', () => {
    const listed = result.notes.map((n) => `${n.where}: ${n.what}`);
    const expected = [
      /^environment: response headers/,
      /^route ws \/chat\/:room, response 1 "Pong": \{\{body 'id'\}\} became \{\{text msg\.json\.id\}\}/,
      /^route ws \/chat\/:room, response 4 "By header", rule 1: target "header"/,
      /^route ws \/sequence, response 3 "Third": \{\{oneOf \(array "a" "b"\)\}\}: no Duplex helper/,
      /^route ws \/ticker, response 2 "Tock": \{\{#repeat\}\}: no Duplex helper for this block/,
      /^route ws \/news: streaming interval 5 ms raised to 10 ms/,
      /^route http GET \/users: not a WebSocket route/,
      /^route ws \/file, response 1 "File": the file is sent as it is/,
    ];
    expect(listed).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(listed[i]).toMatch(re));
  });

  it('writes the notes at the top of the YAML', () => {
    expect(result.yaml.startsWith('# Imported from the Mockoon environment "Chat demo".\n')).toBe(true);
    expect(result.yaml).toContain('#   - route http GET /users: not a WebSocket route');
  });
});

describe('response modes and rules', () => {
  const load = (e: unknown) => loadMockText(importMockoon(e).yaml, 'm.yaml', { engine }).routes[0]!;

  it('DISABLE_RULES answers the default response and makes no rules', () => {
    const r = load(
      env({
        responseMode: 'DISABLE_RULES',
        responses: [
          response('ruled', { rules: [{ target: 'body', modifier: '', value: 'x', operator: 'equals' }] }),
          response('default', { default: true }),
        ],
      }),
    );
    expect(r.rules.map((rule) => rule.name)).toEqual(['binary messages (ignored, as in Mockoon)']);
    expect(sent((r.otherwise as CompiledAction[])[0], {})).toBe('default');
  });

  it('FALLBACK answers only when a rule matches; the first response is the default when none is marked', () => {
    const rules = [{ target: 'body', modifier: '', value: 'x', operator: 'equals' }];
    const fallback = load(env({ responseMode: 'FALLBACK', responses: [response('a', { rules })] }));
    expect(fallback.otherwise).toBe('none');
    expect(findRule(fallback, messageView('x'))!.name).toBe('response 1');
    const plain = load(env({ responseMode: null, responses: [response('first'), response('second')] }));
    expect(sent((plain.otherwise as CompiledAction[])[0], {})).toBe('first');
  });

  it('RANDOM with one response is just that response', () => {
    const r = load(env({ responseMode: 'RANDOM', responses: [response('only')] }));
    expect(sent((r.otherwise as CompiledAction[])[0], {})).toBe('only');
  });

  it('null, empty_array, array_includes, equals on numbers and arrays, OR', () => {
    const rule = (operator: string, modifier: string, value = '') => ({
      target: 'body',
      modifier,
      value,
      operator,
    });
    const r = load(
      env({
        responses: [
          response('null', { label: 'null', rules: [rule('null', 'a')] }),
          response('empty', { label: 'empty', rules: [rule('empty_array', 'list')] }),
          response('includes', { label: 'includes', rules: [rule('array_includes', 'tags', 'b')] }),
          response('num', { label: 'num', rules: [rule('equals', 'n', '5'), rule('equals', 'n', '6')] }),
          response('default', { default: true }),
        ],
      }),
    );
    const name = (text: string) => findRule(r, messageView(text))?.name;
    expect(name('{"a":null,"list":[1]}')).toBe('null');
    expect(name('{"a":1,"list":[]}')).toBe('empty');
    expect(name('{"a":1,"list":[1],"tags":["a","b"]}')).toBe('includes');
    expect(name('{"a":1,"list":[1],"tags":["c"],"n":6}')).toBe('num');
    expect(name('{"a":1,"list":[1],"n":"5"}')).toBe('num');
    expect(name('{"a":1,"list":[1],"n":7}')).toBeUndefined();
  });

  it('lists rules Duplex cannot express, and keeps the rest of the route', () => {
    const imported = importMockoon(
      env({
        responses: [
          response('counted', {
            rules: [{ target: 'request_number', modifier: '', value: '2', operator: 'equals' }],
          }),
          response('schema', {
            rules: [{ target: 'body', modifier: 'a', value: '{}', operator: 'valid_json_schema' }],
          }),
          response('whole', { rules: [{ target: 'body', modifier: '', value: '', operator: 'null' }] }),
          response('default', { default: true }),
        ],
      }),
    );
    expect(imported.notes.map((n) => n.what)).toEqual([
      'target "request_number" reads the handshake or server state, not the message; the response is not used as a rule',
      'operator "valid_json_schema" has no Duplex matcher; the response is not used as a rule',
      'operator "null" on the whole body; the response is not used as a rule',
    ]);
    const r = loadMockText(imported.yaml, 'm.yaml').routes[0]!;
    expect(r.rules).toHaveLength(1);
  });

  it('disableTemplating and bodies with mustaches but no template are sent as written', () => {
    const r = load(env({ responses: [response('{{uuid}}', { disableTemplating: true, default: true })] }));
    expect(sent((r.otherwise as CompiledAction[])[0], {})).toBe('{{uuid}}');
    const empty = load(env({ responses: [response('', { default: true, latency: 20 })] }));
    expect(empty.otherwise).toEqual([{ type: 'delay', ms: 20 }, { type: 'drop' }]);
  });
  it('a data bucket: its value as written; a templated one and a missing one are listed', () => {
    const bucket = (id: string, value: string) =>
      importMockoon(
        env(
          { responses: [response('', { bodyType: 'DATABUCKET', databucketID: id, default: true })] },
          { data: [{ uuid: 'b-uuid', id: 'b1', name: 'B', documentation: '', value }] },
        ),
      );
    const plain = bucket('b1', '{"users":[]}');
    expect(plain.notes).toEqual([]);
    expect(sent((loadMockText(plain.yaml, 'm.yaml').routes[0]!.otherwise as CompiledAction[])[0], {})).toBe(
      '{"users":[]}',
    );
    const templated = bucket('b-uuid', '{{faker "person.firstName"}}');
    expect(templated.notes[0]!.what).toMatch(/is a template: sent as written/);
    const missing = bucket('nope', '[]');
    expect(missing.notes[0]!.what).toMatch(/which the environment does not have/);
    expect(loadMockText(missing.yaml, 'm.yaml').routes[0]!.otherwise).toEqual([{ type: 'drop' }]);
  });

  it('a streaming route with rules sends its default response, and the note says so', () => {
    const imported = importMockoon(
      env({
        streamingMode: 'UNICAST',
        streamingInterval: 100,
        responses: [
          response('ruled', { rules: [{ target: 'body', modifier: '', value: 'x', operator: 'equals' }] }),
          response('default', { default: true }),
        ],
      }),
    );
    expect(imported.notes[0]!.what).toMatch(/the stream sends the default response/);
    const r = loadMockText(imported.yaml, 'm.yaml').routes[0]!;
    expect(sent(r.streams[0]!.then[0], {})).toBe('default');
  });
});

describe('the environment as a whole', () => {
  it('lists TLS, proxy, latency, callbacks, routes without responses, bad paths and unknown modes', () => {
    const imported = importMockoon(
      env(
        { responseMode: 'ODD', streamingMode: 'MULTICAST', responses: [response('a')] },
        {
          tlsOptions: { enabled: true },
          proxyMode: true,
          latency: 30,
          callbacks: [{}],
          routes: [
            {
              uuid: 'r',
              type: 'ws',
              endpoint: 'ws',
              responseMode: 'ODD',
              streamingMode: 'MULTICAST',
              responses: [response('a')],
            },
            { uuid: 'r2', type: 'ws', endpoint: 'empty', responses: [] },
            { uuid: 'r3', type: 'ws', endpoint: 'bad(', responses: [response('a')] },
          ],
          rootChildren: [],
        },
      ),
    );
    expect(imported.notes.map((n) => `${n.where}: ${n.what}`)).toEqual([
      expect.stringMatching(/^environment: TLS is on/),
      expect.stringMatching(/^environment: proxy mode/),
      expect.stringMatching(/^environment: global latency 30 ms/),
      expect.stringMatching(/^environment: 1 callback/),
      expect.stringMatching(/^route ws \/ws: streaming mode MULTICAST is unknown/),
      expect.stringMatching(/^route ws \/ws: response mode ODD is unknown/),
      expect.stringMatching(/^route ws \/empty: no responses/),
      expect.stringMatching(/^route ws \/bad\(: the path "\/bad\(" is not a Duplex route pattern/),
    ]);
    expect(loadMockText(imported.yaml, 'm.yaml').routes.map((r) => r.path)).toEqual(['/ws', '/empty']);
  });

  it('keeps the hostname, and refuses what is not an environment or has no WebSocket route', () => {
    expect(importMockoon(env({ responses: [response('a')] }, { hostname: '0.0.0.0' })).mock.host).toBe(
      '0.0.0.0',
    );
    expect(() => importMockoon({ routes: 'nope' })).toThrow(MockoonImportError);
    expect(() => importMockoon({ routes: 'nope' })).toThrow(/^Not a Mockoon environment: routes: /);
    expect(() => importMockoon(env({ type: 'http', responses: [] }))).toThrow(/has no WebSocket route/);
  });
});

describe('convertTemplate', () => {
  const duplex = (source: string) => convertTemplate(source);

  it('maps the request helpers to the message, client and params', () => {
    expect(duplex("{{body}} {{bodyRaw}} {{body ''}}").text).toBe('{{msg.text}} {{msg.text}} {{msg.text}}');
    expect(duplex("{{body 'a.b.0'}}").text).toBe('{{text msg.json.a.b.[0]}}');
    expect(duplex("{{body 'odd\\.key'}}").text).toBe('{{text msg.json.[odd.key]}}');
    expect(duplex("{{queryParam 'q'}} {{header 'X-Key'}} {{urlParam 'id'}} {{ip}}").text).toBe(
      '{{client.query.q}} {{client.headers.x-key}} {{params.id}} {{client.remoteAddress}}',
    );
    expect(duplex("{{{body 'x'}}}").text).toBe('{{{text msg.json.x}}}');
  });

  it('maps uuid, now, int, float and faker; keeps if/each/with/unless and lookup', () => {
    expect(duplex("{{uuid}} {{now}} {{now 'HH:mm'}}").text).toBe('{{uuid}} {{now}} {{now "HH:mm"}}');
    expect(duplex('{{int 1 5}} {{float 0 2}}').text).toBe('{{randomInt 1 5}} {{randomFloat 0 2}}');
    expect(duplex("{{faker 'string.alpha' 5}}").text).toBe('{{faker "string.alpha" 5}}');
    const blocks = duplex(
      "{{#if a}}{{uuid}}{{else}}{{body 'x'}}{{/if}}{{#each list}}{{this}}{{/each}}{{lookup a b}}",
    );
    expect(blocks.raw).toBe(false);
    expect(blocks.text).toBe(
      '{{#if a}}{{uuid}}{{else}}{{text msg.json.x}}{{/if}}{{#each list}}{{this}}{{/each}}{{lookup a b}}',
    );
  });

  it('escapes mustaches it cannot map, and lists them', () => {
    for (const source of [
      "{{body '$.a'}}",
      "{{body 'a' 'default'}}",
      '{{int}}',
      "{{faker 'helpers.arrayElement'}}",
      '{{setVar "a" 1}}',
      '{{data "x"}}',
      '{{uuid x=1}}',
      "{{queryParam ''}}",
      "{{lookup (body 'a') 'b'}}",
      "{{body 'a]'}}",
      '{{this.x}}',
    ]) {
      const out = duplex(`[${source}]`);
      expect(out.text).toBe(`[\\${source}]`);
      expect(out.raw).toBe(false);
      expect(out.notes).toHaveLength(1);
      expect(new TemplateEngine().render(out.text, {})).toBe(`[${source}]`);
    }
  });

  it('sends the whole body raw for an unknown block, a helper in a block condition, or bad syntax', () => {
    expect(duplex('{{#repeat 3}}x{{/repeat}}')).toMatchObject({
      raw: true,
      text: '{{#repeat 3}}x{{/repeat}}',
    });
    expect(duplex("{{#if (eq (body 'a') 'b')}}y{{/if}}").raw).toBe(true);
    expect(duplex('{{#if x}}').notes[0]).toMatch(/does not parse/);
    expect(duplex('{{#each x}}{{/each}}{{#with y}}{{/with}}{{#unless z}}{{/unless}}').raw).toBe(false);
  });

  it('sends the whole body raw for partials, and keeps else-if chains', () => {
    const partial = duplex('a {{> header}} b');
    expect(partial).toMatchObject({ raw: true, text: 'a {{> header}} b' });
    expect(partial.notes[0]).toMatch(/PartialStatement has no Duplex counterpart/);
    const chain = duplex("{{#if a}}1{{else if b}}{{body 'x'}}{{/if}}");
    expect(chain).toMatchObject({ raw: false, text: '{{#if a}}1{{else if b}}{{text msg.json.x}}{{/if}}' });
  });
});

describe('objectPathToJsonPath', () => {
  it('turns object-path modifiers into JSONPath', () => {
    expect(objectPathToJsonPath('a.b.0')).toBe('$.a.b[0]');
    expect(objectPathToJsonPath('user-name')).toBe("$['user-name']");
    expect(objectPathToJsonPath('a\\.b')).toBe("$['a.b']");
    expect(objectPathToJsonPath("it's")).toBe("$['it\\'s']");
  });
});

describe('file.importMockoon', () => {
  it("points a file response at the file beside the environment, from the mock's folder", async () => {
    const root = mkdtempSync(join(tmpdir(), 'duplex-mockoon-file-'));
    const engine = new Engine();
    try {
      mkdirSync(join(root, 'envs/data'), { recursive: true });
      mkdirSync(join(root, 'mocks'));
      writeFileSync(join(root, 'envs/data/greeting.txt'), 'hello');
      const file = join(root, 'envs/env.json');
      writeFileSync(
        file,
        JSON.stringify(
          env({ responses: [response('', { bodyType: 'FILE', filePath: './data/greeting.txt' })] }),
        ),
      );
      const { path } = await engine.call('file.importMockoon', { file, outDir: join(root, 'mocks') });
      const mock = await loadMockFile(path);
      const otherwise = findRoute(mock, '/ws')!.route.otherwise;
      expect(otherwise).toEqual([
        { type: 'sendFile', file: join(root, 'envs/data/greeting.txt'), as: 'text', fragments: 1 },
      ]);
    } finally {
      await engine.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
