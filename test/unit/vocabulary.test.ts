import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MOCK_PATH_PATTERN,
  SESSION_EXT,
  directions,
  logKinds,
  mockNameOf,
  mockPathOf,
  flowNameOf,
  flowPathOf,
  harNameOf,
  withSessionExt,
  withoutSessionExt,
} from '../../app/vocabulary.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Source files of every layer that runs (tests excluded). */
function sources(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  // Comments may name the extension in examples; code may not.
  const code = (text: string): string =>
    text
      .split('\n')
      .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
      .join('\n');
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|svelte)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
        out.push({ path: relative(ROOT, p), text: code(readFileSync(p, 'utf8')) });
      }
    }
  };
  for (const dir of ['app', 'cli', 'main', 'renderer/src', 'renderer/test-support']) walk(join(ROOT, dir));
  return out;
}

describe('vocabulary', () => {
  it('names mock files mocks/NAME.yaml or mocks/NAME.json, and nothing else', () => {
    expect(mockNameOf('mocks/chat.yaml')).toBe('chat');
    expect(mockNameOf('mocks/chat.json')).toBe('chat');
    expect(mockNameOf('mocks\\chat.json')).toBe('chat');
    expect(mockNameOf('mocks/chat.yml')).toBeUndefined();
    expect(mockNameOf('mocks/a/b.yaml')).toBeUndefined();
    expect(mockNameOf('mocks/.hidden.yaml')).toBeUndefined();
    expect(mockNameOf('other/chat.yaml')).toBeUndefined();
    expect(mockPathOf('chat')).toBe('mocks/chat.yaml');
    expect(mockPathOf('chat', '.json')).toBe('mocks/chat.json');
    expect(MOCK_PATH_PATTERN.test(mockPathOf('price feed'))).toBe(true);
    expect(() => mockPathOf('../x')).toThrow(TypeError);
  });

  it('names flow files flows/NAME.yaml or flows/NAME.json, and nothing else', () => {
    expect(flowNameOf('flows/chat.yaml')).toBe('chat');
    expect(flowNameOf('flows\\chat.json')).toBe('chat');
    expect(flowNameOf('mocks/chat.yaml')).toBeUndefined();
    expect(flowNameOf('flows/.hidden.yaml')).toBeUndefined();
    expect(flowNameOf('flows/a/b.yaml')).toBeUndefined();
    expect(flowPathOf('chat')).toBe('flows/chat.yaml');
    expect(flowPathOf('chat', '.json')).toBe('flows/chat.json');
    expect(() => flowPathOf('../x')).toThrow(/not a flow name/);
  });

  it('adds the session extension once, and names the HAR of a session', () => {
    expect(withSessionExt('a')).toBe(`a${SESSION_EXT}`);
    expect(withSessionExt(`a${SESSION_EXT}`)).toBe(`a${SESSION_EXT}`);
    expect(withoutSessionExt(`a${SESSION_EXT}`)).toBe('a');
    expect(harNameOf(`chat${SESSION_EXT}`)).toBe('chat.har');
    expect(harNameOf('chat')).toBe('chat.har');
  });

  it('is imported rather than copied: no layer spells out these names itself', () => {
    const kindsList = logKinds.map((k) => `'${k}'`).join(', ');
    const copies: string[] = [];
    for (const { path, text } of sources()) {
      if (path === join('app', 'vocabulary.ts') || path === join('app', 'websocket-rules.ts')) continue;
      if (text.includes(`'${SESSION_EXT}'`) || text.includes(`${SESSION_EXT}\``))
        copies.push(`${path}: ${SESSION_EXT}`);
      if (text.includes('\\.jsonl')) copies.push(`${path}: a regex of ${SESSION_EXT}`);
      if (/endsWith\(SESSION_EXT\)\s*\?|-SESSION_EXT\.length/.test(text))
        copies.push(`${path}: withSessionExt or withoutSessionExt rewritten`);
      if (/\+ '\.har'|\.har`/.test(text)) copies.push(`${path}: harNameOf rewritten`);
      if (text.includes(logKinds.join('|'))) copies.push(`${path}: the log kinds in a regex`);
      if (text.includes(directions.join('|'))) copies.push(`${path}: the directions in a regex`);
      if (/function isTextKind|kind === 'text' \|\| kind === 'open'/.test(text))
        copies.push(`${path}: isTextKind rewritten`);
      if (text.includes(kindsList)) copies.push(`${path}: the list of log kinds`);
      if (/'CONNECTING',\s*'OPEN',\s*'CLOSING',\s*'CLOSED'/.test(text))
        copies.push(`${path}: ready-state names`);
      if (/CONNECTING:\s*0,\s*OPEN:\s*1/.test(text)) copies.push(`${path}: ready-state values`);
      if (/'mocks\/|"mocks\//.test(text)) copies.push(`${path}: the mocks folder`);
      if (/'flows\/|"flows\//.test(text)) copies.push(`${path}: the flows folder`);
    }
    expect(copies).toEqual([]);
  });
});
