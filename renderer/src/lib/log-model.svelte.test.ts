/** The log's state against the fake contract: following, kinds, search, time column, pins, export, Rec. */
import { describe, expect, it } from 'vitest';
import { waitFor } from '@testing-library/svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { LogModel } from './log-model.svelte.js';

function setup() {
  const api = createFakeApi();
  const log = new LogModel(api, 'conn-x');
  api.on['log.appended']((batch) => batch.logId === 'conn-x' && log.onAppended(batch));
  const text = (text: string, dir: 'in' | 'out' = 'in') =>
    api.appendEntry('conn-x', dir, { type: 'text', text });
  return { api, log, text };
}

const seqsShown = (log: LogModel): number[] => Array.from({ length: log.count }, (_, i) => log.rowAt(i)!.seq);

describe('LogModel: following', () => {
  it('counts the rows that arrive after following stopped, and forgets them when it resumes', async () => {
    const { log, text } = setup();
    for (let i = 0; i < 3; i++) text(`m${i}`);
    await waitFor(() => expect(log.count).toBe(3));
    expect(log.follow).toBe(true);
    expect(log.newCount).toBe(0);
    log.follow = false;
    for (let i = 0; i < 4; i++) text(`later ${i}`);
    await waitFor(() => expect(log.count).toBe(7));
    expect(log.newCount).toBe(4);
    log.follow = true;
    expect(log.newCount).toBe(0);
  });

  it('counts new rows of a filtered view from what the filter showed', async () => {
    const { log, text } = setup();
    text('a tick');
    text('a trade');
    log.follow = false;
    log.setFilter({ search: 'tick' });
    await waitFor(() => expect(log.scanning).toBe(false));
    await waitFor(() => expect(log.count).toBe(1));
    expect(log.newCount).toBe(0);
    text('b tick');
    text('b trade');
    await waitFor(() => expect(log.count).toBe(2));
    expect(log.newCount).toBe(1);
  });
});

describe('LogModel: kinds', () => {
  it('counts entries per kind from the engine, and messages apart from events', async () => {
    const { api, log, text } = setup();
    api.appendEvent('conn-x', 'none', 'open', { note: 'open' });
    text('hello');
    api.appendEntry('conn-x', 'in', { type: 'binary', data: new Uint8Array([1]) });
    api.appendEvent('conn-x', 'in', 'ping');
    api.appendEvent('conn-x', 'none', 'info', { note: 'reconnecting' });
    await waitFor(() => expect(log.total).toBe(5));
    expect(log.kindCounts).toEqual({ open: 1, text: 1, binary: 1, ping: 1, info: 1 });
    expect(log.messageCount).toBe(2);
  });

  it('hides kinds (and shows them again) through the engine filter', async () => {
    const { api, log, text } = setup();
    text('one');
    api.appendEvent('conn-x', 'in', 'ping');
    api.appendEvent('conn-x', 'out', 'pong');
    text('two');
    await waitFor(() => expect(log.total).toBe(4));
    log.setFilter({ hideKinds: ['ping', 'pong'] });
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 4]));
    expect(
      api.calls.some(
        ([n, input]) => n === 'log.match' && JSON.stringify(input).includes('"hideKinds":["ping","pong"]'),
      ),
    ).toBe(true);
    // New entries are matched by the same filter as they arrive.
    api.appendEvent('conn-x', 'in', 'ping');
    text('three');
    await waitFor(() => expect(log.total).toBe(6));
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 4, 6]));
    log.toggleHidden('ping');
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 2, 4, 5, 6]));
  });
});

describe('LogModel: hiding kinds the log holds none of', () => {
  it('shows every entry without asking the engine, then matches what arrives', async () => {
    const { api, log, text } = setup();
    text('one');
    text('two');
    api.appendEvent('conn-x', 'none', 'info', { note: 'reconnecting' });
    await waitFor(() => expect(log.kindCounts).toEqual({ text: 2, info: 1 }));
    const matchesBefore = api.calls.filter(([n]) => n === 'log.match').length;
    log.setFilter({ hideKinds: ['ping', 'pong'] });
    expect(log.filtered).toBe(true);
    expect(seqsShown(log)).toEqual([1, 2, 3]);
    expect(log.scanning).toBe(false);
    expect(api.calls.filter(([n]) => n === 'log.match').length).toBe(matchesBefore);
    // A ping that arrives now is hidden, the text after it shown.
    api.appendEvent('conn-x', 'in', 'ping');
    text('three');
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 2, 3, 5]));
    // Hiding a kind the log holds goes to the engine.
    log.setFilter({ hideKinds: ['info'] });
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 2, 4, 5]));
    expect(api.calls.filter(([n]) => n === 'log.match').length).toBe(matchesBefore + 1);
  });
});

describe('LogModel: search', () => {
  it('filters by regex and by JSON path, live entries included', async () => {
    const { log, text } = setup();
    text('{"type":"tick","n":1}');
    text('{"type":"trade","n":2}');
    text('plain tick');
    log.setFilter({ search: '$.type == "tick"', searchMode: 'jsonpath' });
    await waitFor(() => expect(seqsShown(log)).toEqual([1]));
    text('{"type":"tick","n":4}');
    await waitFor(() => expect(seqsShown(log)).toEqual([1, 4]));
    log.setFilter({ search: '^\\{.*"n":[24]', searchMode: 'regex' });
    await waitFor(() => expect(seqsShown(log)).toEqual([2, 4]));
    expect(log.search?.ranges('{"type":"trade","n":2}')).toEqual([[0, 21]]);
  });

  it('reports a bad regex and filters as if there were no search meanwhile', async () => {
    const { log, text } = setup();
    text('a');
    text('b');
    await waitFor(() => expect(log.count).toBe(2));
    log.setFilter({ search: '(a', searchMode: 'regex' });
    expect(log.searchError).toMatch(/^Not a regular expression/);
    expect(log.filtered).toBe(false);
    expect(log.count).toBe(2);
    log.setFilter({ search: 'a', searchMode: 'regex' });
    expect(log.searchError).toBe('');
    await waitFor(() => expect(seqsShown(log)).toEqual([1]));
  });
});

describe('LogModel: time column', () => {
  it('shows clock time, time since the open before the row, or the delta to the row before', async () => {
    const { api, log } = setup();
    const t0 = new Date(2026, 0, 2, 3, 4, 5, 6).getTime();
    api.appendEvent('conn-x', 'none', 'open', { t: t0, note: 'open' });
    api.appendEvent('conn-x', 'in', 'text', { t: t0 + 250 }, 'a');
    api.appendEvent('conn-x', 'in', 'text', { t: t0 + 3_250 }, 'b');
    api.appendEvent('conn-x', 'none', 'open', { t: t0 + 10_000, note: 'open' });
    api.appendEvent('conn-x', 'in', 'text', { t: t0 + 10_042 }, 'c');
    await waitFor(() => expect(log.total).toBe(5));
    const labels = (): string[] => Array.from({ length: 5 }, (_, i) => log.timeLabel(i, log.rowAt(i)!));
    expect(labels()).toEqual([
      '03:04:05.006',
      '03:04:05.256',
      '03:04:08.256',
      '03:04:15.006',
      '03:04:15.048',
    ]);
    log.timeMode = 'open';
    expect(labels()).toEqual(['+0 ms', '+250 ms', '+3.250 s', '+0 ms', '+42 ms']);
    log.timeMode = 'delta';
    expect(labels()).toEqual(['+0 ms', '+250 ms', '+3.000 s', '+6.750 s', '+42 ms']);
  });
});

describe('LogModel: pins and export', () => {
  it('pins entries, shows only them, and exports what the view shows', async () => {
    const { api, log, text } = setup();
    for (let i = 1; i <= 5; i++) text(`m${i}`);
    await waitFor(() => expect(log.total).toBe(5));
    log.togglePin(2);
    log.togglePin(4);
    log.togglePin(5);
    log.togglePin(5);
    expect([...log.pinned]).toEqual([2, 4]);
    log.setFilter({ pinnedOnly: true });
    await waitFor(() => expect(seqsShown(log)).toEqual([2, 4]));
    const r = await log.exportShown('session');
    expect(r).toMatchObject({ format: 'session', entries: 2 });
    expect(api.calls.at(-1)).toEqual([
      'log.export',
      { logId: 'conn-x', format: 'session', filter: { seqs: [2, 4] } },
    ]);
    log.setFilter({ pinnedOnly: false, search: 'm3' });
    const har = await log.exportShown('har');
    expect(har).toMatchObject({ format: 'har', entries: 1 });
  });

  it('records from now on, unless asked to include the history', async () => {
    const { api, log } = setup();
    await log.record(true);
    expect(api.calls.at(-1)).toEqual(['session.recordStart', { logId: 'conn-x', includeExisting: false }]);
    await log.record(false);
    await log.record(true, true);
    expect(api.calls.at(-1)).toEqual(['session.recordStart', { logId: 'conn-x', includeExisting: true }]);
  });
});
