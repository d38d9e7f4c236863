import { describe, expect, it } from 'vitest';
import {
  allSteps,
  findStep,
  FlowFileError,
  parseFlowFile,
  type CloseStep,
  type ConnectStep,
  type ExpectStep,
  type Flow,
  type RepeatStep,
  type SendStep,
} from '../../app/flows/flow-file.js';
import { ErrorCodes } from '../../app/errors.js';

function flowOf(text: string): Flow {
  return parseFlowFile(text, 'flows/t.yaml').flow;
}

function flowError(text: string): FlowFileError {
  try {
    parseFlowFile(text, 'flows/bad.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(FlowFileError);
    return err as FlowFileError;
  }
  throw new Error('expected a FlowFileError');
}

const chat = `name: two clients chat
vars:
  room: lobby
steps:
  - connect: { as: alice, url: "{{mock.url}}/rooms/{{room}}" }
  - connect:
      as: bob
      url: "{{mock.url}}/rooms/{{room}}"
      headers: { Authorization: "Bearer {{token}}" }
      protocols: [chat.v1]
  - name: alice says hello
    send: { on: alice, json: { type: say, text: hello } }
  - expect: { on: bob, json: { path: $.text, equals: hello }, within: 2000 }
  - capture: { on: bob, as: said, json: $.text }
  - expect: { on: alice, none: true, within: 300 }
  - ping: { on: bob }
  - repeat:
      times: 3
      steps:
        - send: { on: alice, text: "n={{index}}" }
  - close: { on: alice, code: 1000, expect: { code: 1000 } }
  - expect: { on: bob, close: { code: 4000 } }
  - wait: 50
`;

describe('a flow file', () => {
  it('resolves every step into a typed step with its id, line and connection', () => {
    const flow = flowOf(chat);
    expect(flow.name).toBe('two clients chat');
    expect(flow.vars).toEqual({ room: 'lobby' });
    expect(flow.connections).toEqual(['alice', 'bob']);
    expect(flow.steps.map((s) => s.type)).toEqual([
      'connect',
      'connect',
      'send',
      'expect',
      'capture',
      'expect',
      'ping',
      'repeat',
      'close',
      'expect',
      'wait',
    ]);
    const bob = flow.steps[1] as ConnectStep;
    expect(bob).toMatchObject({
      id: 'steps[1]',
      line: 6,
      connection: 'bob',
      headers: { Authorization: 'Bearer {{token}}' },
      protocols: ['chat.v1'],
      expect: { status: 101 },
    });
    const send = flow.steps[2] as SendStep;
    expect(send).toMatchObject({
      label: 'alice says hello',
      connection: 'alice',
      payload: { kind: 'json', json: { type: 'say', text: 'hello' } },
      template: true,
    });
    expect(flow.steps[3]).toMatchObject({
      kind: 'message',
      connection: 'bob',
      withinMs: 2000,
      strict: false,
      match: { json: { path: '$.text', equals: 'hello' } },
    });
    expect(flow.steps[4]).toMatchObject({ type: 'capture', variable: 'said', from: { json: '$.text' } });
    expect(flow.steps[5]).toMatchObject({ kind: 'none', withinMs: 300, match: undefined });
    expect(flow.steps[6]).toMatchObject({ type: 'ping', connection: 'bob', data: '', pong: true });
    const repeat = flow.steps[7] as RepeatStep;
    expect(repeat).toMatchObject({ loop: { times: 3 }, as: 'index' });
    expect(repeat.steps[0]!.id).toBe('steps[7].repeat.steps[0]');
    expect(findStep(flow, 'steps[7].repeat.steps[0]')).toBe(repeat.steps[0]);
    expect([...allSteps(flow.steps)]).toHaveLength(12);
    expect(flow.steps[8] as CloseStep).toMatchObject({ code: 1000, expect: { code: 1000 } });
    expect(flow.steps[9] as ExpectStep).toMatchObject({ kind: 'close', code: 4000, withinMs: 5000 });
    expect(flow.steps[10]).toMatchObject({ type: 'wait', ms: 50 });
  });

  it('reads the same flow written as JSON', () => {
    const json = JSON.stringify({
      steps: [
        { connect: { url: 'ws://127.0.0.1:1/' } },
        { send: 'hi' },
        { expect: { text: { equals: 'hi' } } },
      ],
    });
    const flow = flowOf(json);
    expect(flow.connections).toEqual(['main']);
    expect(flow.steps[1]).toMatchObject({ connection: 'main', payload: { kind: 'text', text: 'hi' } });
  });

  it('takes shorthands: send as text, ping and close with nothing after them', () => {
    const flow = flowOf('steps:\n  - connect: { url: ws://x/ }\n  - send: hello\n  - ping:\n  - close:\n');
    expect(flow.steps[2]).toMatchObject({ type: 'ping', pong: true });
    expect(flow.steps[3]).toMatchObject({ type: 'close', code: undefined, reason: '', expect: undefined });
  });

  it('a regex capture takes group 1 when the regex has a group, the whole match when not', () => {
    const flow = flowOf(
      'steps:\n  - connect: { url: ws://x/ }\n  - capture: { as: a, regex: "id=(\\\\d+)" }\n  - capture: { as: b, regex: "\\\\d+" }\n',
    );
    expect(flow.steps[1]).toMatchObject({ from: { regex: 'id=(\\d+)', group: 1 } });
    expect(flow.steps[2]).toMatchObject({ from: { regex: '\\d+', group: 0 } });
  });

  it('repeat over a list written in the file, or over a variable', () => {
    const flow = flowOf(
      'steps:\n  - connect: { url: ws://x/ }\n  - repeat: { over: [a, b], steps: [ { send: "{{item}}" } ] }\n  - repeat: { over: users, as: user, steps: [ { send: "{{user}}" } ] }\n',
    );
    expect(flow.steps[1]).toMatchObject({ loop: { over: ['a', 'b'] }, as: 'item' });
    expect(flow.steps[2]).toMatchObject({ loop: { overVariable: 'users' }, as: 'user' });
  });
});

describe('flow file errors name the file, line and field', () => {
  const cases: [string, string, number, string, RegExp][] = [
    ['YAML syntax', 'steps:\n  - send: [unclosed\n', 3, '', /.+/],
    ['no steps', 'name: x\n', 1, 'steps', /is required/],
    ['an unknown top-level field', 'steps:\n  - wait: 1\nstep: []\n', 3, '', /unknown field "step"/],
    [
      'a step with no verb',
      'steps:\n  - connect: { url: ws://x/ }\n  - name: nothing\n',
      3,
      'steps[1]',
      /a step needs one of/,
    ],
    [
      'a step with two verbs',
      'steps:\n  - connect: { url: ws://x/ }\n    send: hi\n',
      2,
      'steps[0]',
      /one step does one thing; found connect and send/,
    ],
    [
      'an unknown key in a step',
      'steps:\n  - connect: { url: ws://x/ }\n  - send: { txt: hi }\n',
      3,
      'steps[1].send',
      /unknown field "txt"/,
    ],
    [
      'an unknown key in expect, shown where it is written',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect:\n      text: { equals: a }\n      timeout: 5\n',
      5,
      'steps[1].expect',
      /unknown field "timeout"/,
    ],
    ['connect without url or saved', 'steps:\n  - connect: { as: a }\n', 2, 'steps[0].connect', /needs url/],
    [
      'a bad connection name',
      'steps:\n  - connect: { as: "my conn", url: ws://x/ }\n',
      2,
      'steps[0].connect.as',
      /a connection name is a word/,
    ],
    [
      'on names a connection no step opens',
      'steps:\n  - connect: { as: alice, url: ws://x/ }\n  - send: { on: bob, text: hi }\n',
      3,
      'steps[1].send.on',
      /no connect step opens "bob"; the flow's connections are alice/,
    ],
    [
      'on missing with two connections',
      'steps:\n  - connect: { as: a, url: ws://x/ }\n  - connect: { as: b, url: ws://x/ }\n  - send: hi\n',
      4,
      'steps[2].send',
      /several connections \(a, b\): say which with on/,
    ],
    [
      'a step before any connect',
      'steps:\n  - send: hi\n',
      2,
      'steps[0].send',
      /no connect step comes before this/,
    ],
    [
      'send with two payloads',
      'steps:\n  - connect: { url: ws://x/ }\n  - send: { text: a, hex: "00" }\n',
      3,
      'steps[1].send',
      /found text and hex/,
    ],
    [
      'bad hex',
      'steps:\n  - connect: { url: ws://x/ }\n  - send: { hex: "0g" }\n',
      3,
      'steps[1].send.hex',
      /hex/i,
    ],
    [
      'a template syntax error',
      'steps:\n  - connect: { url: ws://x/ }\n  - send: "{{#if}}"\n',
      3,
      'steps[1].send.text',
      /Template|syntax/i,
    ],
    [
      'an unknown helper in a header',
      'steps:\n  - connect:\n      url: ws://x/\n      headers: { X-Id: "{{nope 1}}" }\n',
      4,
      'steps[0].connect.headers.X-Id',
      /Unknown helper "nope"/,
    ],
    [
      'a bad regex in a matcher',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { text: { regex: "(" } }\n',
      3,
      'steps[1].expect.text.regex',
      /Invalid regular expression/,
    ],
    [
      'a matcher with two tests',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { text: { equals: a, contains: b } }\n',
      3,
      'steps[1].expect.text',
      /give exactly one of equals, contains, regex/,
    ],
    [
      'a JSON path not starting at $',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { json: { path: type, equals: a } }\n',
      3,
      'steps[1].expect.json.path',
      /starts at \$/,
    ],
    [
      'expect with nothing to expect',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { within: 10 }\n',
      3,
      'steps[1].expect',
      /expect needs a matcher/,
    ],
    [
      'expect close with a matcher',
      'steps:\n  - connect: { url: ws://x/ }\n  - expect: { close: { code: 1000 }, kind: text }\n',
      3,
      'steps[1].expect',
      /expect close stands alone/,
    ],
    [
      'a close code no one may send',
      'steps:\n  - connect: { url: ws://x/ }\n  - close: { code: 1006 }\n',
      3,
      'steps[1].close.code',
      /1006/,
    ],
    [
      'a close reason over 123 bytes',
      `steps:\n  - connect: { url: ws://x/ }\n  - close: { code: 1000, reason: "${'x'.repeat(124)}" }\n`,
      3,
      'steps[1].close.reason',
      /123/,
    ],
    [
      'capture with both json and regex',
      'steps:\n  - connect: { url: ws://x/ }\n  - capture: { as: v, json: $.a, regex: a }\n',
      3,
      'steps[1].capture',
      /either json/,
    ],
    [
      'capture into a bad variable name',
      'steps:\n  - connect: { url: ws://x/ }\n  - capture: { as: 1v, json: $.a }\n',
      3,
      'steps[1].capture.as',
      /a variable name/,
    ],
    [
      'a negative wait',
      'steps:\n  - connect: { url: ws://x/ }\n  - wait: -5\n',
      3,
      'steps[1].wait',
      />=\s*0|too small/i,
    ],
    [
      'repeat with both times and over',
      'steps:\n  - connect: { url: ws://x/ }\n  - repeat: { times: 2, over: [a], steps: [ { wait: 1 } ] }\n',
      3,
      'steps[1].repeat',
      /either times/,
    ],
    [
      'a bad step inside a repeat',
      'steps:\n  - connect: { url: ws://x/ }\n  - repeat:\n      times: 2\n      steps:\n        - send: { on: zed, text: a }\n',
      6,
      'steps[1].repeat.steps[0].send.on',
      /no connect step opens "zed"/,
    ],
    ['a version this build does not read', 'version: 2\nsteps:\n  - wait: 1\n', 1, 'version', /1/],
  ];

  for (const [what, text, line, field, problem] of cases) {
    it(what, () => {
      const err = flowError(text);
      expect(err.code).toBe(ErrorCodes.FLOW_FILE);
      expect({ line: err.line, field: err.field }).toEqual({ line, field });
      expect(err.problem).toMatch(problem);
      expect(err.message.startsWith(`flows/bad.yaml:${line}:`)).toBe(true);
      expect(err.toInfo().details).toMatchObject({ file: 'flows/bad.yaml', line, field });
    });
  }
});
