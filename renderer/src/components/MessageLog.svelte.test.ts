import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import MessageLog from './MessageLog.svelte';
import type { Payload } from '../../../app/contract.js';
import { LogModel } from '../lib/log-model.svelte.js';
import { createFakeApi } from '../../test-support/fake-api.js';

function setup(count: number) {
  const api = createFakeApi();
  const log = new LogModel(api, 'conn-x');
  api.on['log.appended']((batch) => batch.logId === 'conn-x' && log.onAppended(batch));
  api.fillLog('conn-x', count);
  render(MessageLog, { api, log });
  return { api, log };
}

/** Opens the toolbar's "More" menu (time column, pins, export) unless it is open. */
async function openMore(): Promise<void> {
  const button = screen.getByRole('button', { name: 'More log options' });
  if (button.getAttribute('aria-expanded') !== 'true') await fireEvent.click(button);
}

/** The log's rows once `n` are rendered. */
async function rowsOf(n: number): Promise<HTMLElement> {
  await waitFor(() =>
    expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(n),
  );
  return screen.getByRole('log', { name: 'Messages' });
}

describe('MessageLog', () => {
  it('renders only the visible rows of 100,000 entries', async () => {
    const { log } = setup(100_000);
    await waitFor(() => expect(log.count).toBe(100_000));
    const list = screen.getByRole('log', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('button.row').length).toBeGreaterThan(0));
    const rows = list.querySelectorAll('.slot');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(60);
    expect(screen.getByText('100,000 messages')).toBeTruthy();
  });

  it('shows direction, time, kind, size and preview per row, and details on select', async () => {
    const { api, log } = setup(0);
    api.appendEntry('conn-x', 'out', { type: 'text', text: '{"hello":"world"}' });
    api.appendEntry('conn-x', 'in', { type: 'binary', data: new Uint8Array([0, 255, 16]) });
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(2),
    );
    const list = screen.getByRole('log', { name: 'Messages' });
    const [out, bin] = [...list.querySelectorAll('button.row')] as HTMLElement[];
    expect(out!.querySelector('.arrow svg')!.getAttribute('data-icon')).toBe('arrow-up');
    expect(out!.querySelector('.kind')!.textContent).toBe('text');
    expect(out!.querySelector('.num')!.textContent).toBe('17 B');
    expect(out!.querySelector('.preview')!.textContent).toBe('{"hello":"world"}');
    expect(out!.querySelector('.time')!.textContent).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    expect(bin!.querySelector('.arrow svg')!.getAttribute('data-icon')).toBe('arrow-down');
    expect(bin!.querySelector('.preview')!.textContent).toBe('00 ff 10');

    await fireEvent.click(out!);
    expect(log.selected?.seq).toBe(1);
    const tree = screen.getByRole('tree', { name: 'JSON' });
    expect(tree.textContent).toContain('"hello": "world"');
    expect(tree.querySelector('[aria-label="Copy path $.hello"]')).not.toBeNull();
    await fireEvent.click(bin!);
    const hex = screen.getByRole('region', { name: 'Hex view' });
    await waitFor(() => expect(hex.textContent).toContain('00000000  00 ff 10'));
  });

  it('filters by direction through the engine filter', async () => {
    const { api, log } = setup(0);
    for (let i = 0; i < 6; i++)
      api.appendEntry('conn-x', i % 2 ? 'in' : 'out', { type: 'text', text: `m${i}` });
    await fireEvent.click(screen.getByRole('button', { name: 'In' }));
    await waitFor(() => expect(log.count).toBe(3));
    expect(
      api.calls.some(([n, input]) => n === 'log.match' && JSON.stringify(input).includes('"dir":"in"')),
    ).toBe(true);
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'later' });
    api.appendEntry('conn-x', 'out', { type: 'text', text: 'not shown' });
    await waitFor(() => expect(log.total).toBe(8));
    expect(log.count).toBe(4);
  });

  it('reads pages it has not seen when the batch carried only the newest entries', async () => {
    const { api } = setup(50_000);
    await waitFor(() =>
      expect(
        screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length,
      ).toBeGreaterThan(0),
    );
    expect(api.calls.some(([n]) => n === 'log.read')).toBe(true);
  });

  it('scrolls a 1,000,000-entry log: the middle of the scrollbar shows the middle rows, read on demand', async () => {
    const { log } = setup(1_000_000);
    await waitFor(() => expect(log.count).toBe(1_000_000));
    const list = screen.getByRole('log', { name: 'Messages' });
    const spacer = list.firstElementChild as HTMLElement;
    expect(parseFloat(spacer.style.height)).toBeLessThanOrEqual(8_000_000); // scaled to what browsers lay out
    list.scrollTop = (parseFloat(spacer.style.height) - 480) / 2;
    await fireEvent.scroll(list);
    await waitFor(() => {
      const seqs = [...list.querySelectorAll('button.row .time')].length;
      expect(seqs).toBeGreaterThan(10);
    });
    const first = log.rowAt(Math.floor(1_000_000 / 2));
    expect(first?.seq).toBe(500_001);
    expect(list.querySelectorAll('.slot').length).toBeLessThan(60);
  });
});

describe('MessageLog: following while messages stream', () => {
  it('stops following when a row is selected, offers "N new", and follows again from it or End', async () => {
    const { api, log } = setup(0);
    for (let i = 0; i < 5; i++) api.appendEntry('conn-x', 'in', { type: 'text', text: `m${i}` });
    const list = await rowsOf(5);
    const follow = screen.getByRole('button', { name: 'Follow new messages' });
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    await fireEvent.click(list.querySelectorAll('button.row')[2]!);
    expect(follow.getAttribute('aria-pressed')).toBe('false');
    expect(screen.queryByRole('button', { name: / new$/ })).toBeNull();
    for (let i = 0; i < 3; i++) api.appendEntry('conn-x', 'in', { type: 'text', text: `later ${i}` });
    const resume = await screen.findByRole('button', { name: '3 new' });
    expect(log.selected?.seq).toBe(3);
    await fireEvent.click(resume);
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    expect(screen.queryByRole('button', { name: / new$/ })).toBeNull();

    await fireEvent.click(list.querySelectorAll('button.row')[0]!);
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'one more' });
    await screen.findByRole('button', { name: '1 new' });
    await fireEvent.keyDown(list, { key: 'End' });
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    expect(log.selected?.seq).toBe(9);
    expect(screen.queryByRole('button', { name: / new$/ })).toBeNull();
  });
});

describe('MessageLog: kinds', () => {
  it('hides pings and pongs in one click, counts kinds, and counts messages apart from events', async () => {
    const { api } = setup(0);
    api.appendEvent('conn-x', 'none', 'open', { note: 'open' });
    api.appendEntry('conn-x', 'out', { type: 'text', text: 'hi' });
    api.appendEvent('conn-x', 'out', 'ping');
    api.appendEvent('conn-x', 'in', 'pong');
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'hi' });
    api.appendEvent('conn-x', 'none', 'info', { note: 'reconnecting' });
    const list = await rowsOf(6);
    expect(screen.getByText('2 messages')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Hide pings' }));
    await waitFor(() => expect(list.querySelectorAll('button.row').length).toBe(4));
    expect([...list.querySelectorAll('button.row .kind')].map((k) => k.textContent)).toEqual([
      'open',
      'text',
      'text',
      'info',
    ]);
    expect(screen.getByRole('button', { name: 'Show pings' }).getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByText('4 shown of 6')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: /^Kinds: ping, pong hidden/ }));
    const menu = screen.getByRole('group', { name: 'Kinds shown' });
    const countOf = (kind: string): string | null | undefined =>
      [...menu.querySelectorAll('label')]
        .find((l) => l.querySelector('.kind-name')?.textContent === kind)
        ?.querySelector('.kind-count')?.textContent;
    expect([countOf('text'), countOf('ping'), countOf('open'), countOf('binary')]).toEqual([
      '2',
      '1',
      '1',
      '0',
    ]);
    await fireEvent.click(screen.getByRole('checkbox', { name: /^info/ }));
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(3),
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Show all' }));
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(6),
    );
  });
});

describe('MessageLog: search', () => {
  it('filters with a JSON path and marks the matches in the rows and the detail', async () => {
    const { api } = setup(0);
    api.appendEntry('conn-x', 'in', { type: 'text', text: '{"type":"tick","price":1}' });
    api.appendEntry('conn-x', 'in', { type: 'text', text: '{"type":"trade","price":2}' });
    await rowsOf(2);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Search mode' }), {
      target: { value: 'jsonpath' },
    });
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search messages' }), {
      target: { value: '$.type == "tick"' },
    });
    const list = screen.getByRole('log', { name: 'Messages' });
    await waitFor(() => expect(list.querySelectorAll('button.row').length).toBe(1));
    const row = list.querySelector('button.row')!;
    expect([...row.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['"tick"']);
    await fireEvent.click(row);
    const detail = screen.getByLabelText('Payload as JSON');
    expect([...detail.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['"tick"']);
  });

  it('marks regex matches and names a bad regex', async () => {
    const { api } = setup(0);
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'price 101 and 202' });
    await rowsOf(1);
    await fireEvent.change(screen.getByRole('combobox', { name: 'Search mode' }), {
      target: { value: 'regex' },
    });
    const box = screen.getByRole('searchbox', { name: 'Search messages' });
    await fireEvent.input(box, { target: { value: '\\d+' } });
    const list = screen.getByRole('log', { name: 'Messages' });
    await waitFor(() =>
      expect([...list.querySelectorAll('button.row mark')].map((m) => m.textContent)).toEqual(['101', '202']),
    );
    // Enter applies what is typed at once, without the typing pause.
    await fireEvent.input(box, { target: { value: '2\\d2' } });
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(
      api.calls.some(([n, input]) => n === 'log.match' && JSON.stringify(input).includes('"2\\\\d2"')),
    ).toBe(true);
    await waitFor(() =>
      expect([...list.querySelectorAll('button.row mark')].map((m) => m.textContent)).toEqual(['202']),
    );
    await fireEvent.input(box, { target: { value: '[0-' } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Not a regular expression/);
    expect(box.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('MessageLog: rows', () => {
  it('switches the time column between clock, since open and delta', async () => {
    const { api } = setup(0);
    const t0 = new Date(2026, 0, 2, 3, 4, 5, 0).getTime();
    api.appendEvent('conn-x', 'none', 'open', { t: t0, note: 'open' });
    api.appendEvent('conn-x', 'in', 'text', { t: t0 + 1500 }, 'a');
    api.appendEvent('conn-x', 'in', 'text', { t: t0 + 1520 }, 'b');
    const list = await rowsOf(3);
    const times = (): (string | null)[] =>
      [...list.querySelectorAll('button.row .time')].map((t) => t.textContent);
    expect(times()).toEqual(['03:04:05.000', '03:04:06.500', '03:04:06.520']);
    await openMore();
    const select = screen.getByRole('combobox', { name: 'Time column' });
    await fireEvent.change(select, { target: { value: 'open' } });
    expect(times()).toEqual(['+0 ms', '+1.500 s', '+1.520 s']);
    await fireEvent.change(select, { target: { value: 'delta' } });
    expect(times()).toEqual(['+0 ms', '+1.500 s', '+20 ms']);
  });

  it('shows events of Duplex as events, a clean close not as an error, and a size for every frame', async () => {
    const { api } = setup(0);
    api.appendEvent('conn-x', 'none', 'open', { note: 'open' });
    api.appendEvent('conn-x', 'in', 'ping');
    api.appendEvent('conn-x', 'in', 'close', { code: 1000, reason: 'bye', note: 'closed cleanly' }, 'bye');
    api.appendEvent('conn-x', 'none', 'close', { code: 1006, note: 'closed abnormally' });
    api.appendEvent('conn-x', 'none', 'info', { note: 'reconnecting' });
    const list = await rowsOf(5);
    const rows = [...list.querySelectorAll('button.row')];
    const cells = rows.map((r) => [
      r.querySelector('.arrow svg')!.getAttribute('data-icon'),
      r.querySelector('.sr')!.textContent,
      r.querySelector('.num')!.textContent,
      r.classList.contains('failure'),
    ]);
    expect(cells).toEqual([
      ['dot', 'event', '', false],
      ['arrow-down', 'received', '0 B', false],
      ['arrow-down', 'received', '3 B', false],
      ['dot', 'event', '', true],
      ['dot', 'event', '', false],
    ]);
  });

  it('pins the selected row, shows only pinned rows, and saves the rows shown as a session', async () => {
    const { api } = setup(0);
    for (let i = 1; i <= 4; i++) api.appendEntry('conn-x', 'in', { type: 'text', text: `m${i}` });
    const list = await rowsOf(4);
    await fireEvent.click(list.querySelectorAll('button.row')[1]!);
    await openMore();
    await fireEvent.click(screen.getByRole('button', { name: 'Pin' }));
    await fireEvent.click(list.querySelectorAll('button.row')[3]!);
    await fireEvent.keyDown(list, { key: 'p' });
    expect([...list.querySelectorAll('button.row.pinned .preview')].map((p) => p.textContent)).toEqual([
      'm2',
      'm4',
    ]);
    await openMore();
    await fireEvent.click(screen.getByRole('button', { name: 'Pinned (2)' }));
    await waitFor(() => expect(list.querySelectorAll('button.row').length).toBe(2));
    await fireEvent.click(screen.getByRole('button', { name: 'Session' }));
    expect((await screen.findByRole('status')).textContent).toBe('Saved 2 entries as conn-x.jsonl.');
    expect(api.calls.filter(([n]) => n === 'log.export')).toEqual([
      ['log.export', { logId: 'conn-x', format: 'session', filter: { seqs: [2, 4] } }],
    ]);
  });

  it('records from the moment Rec is pressed, or with the history when asked', async () => {
    const { api } = setup(0);
    api.appendEntry('conn-x', 'in', { type: 'text', text: 'before' });
    await rowsOf(1);
    await fireEvent.click(screen.getByRole('button', { name: 'Record' }));
    await screen.findByRole('button', { name: 'Stop recording' });
    expect(api.calls.filter(([n]) => n === 'session.recordStart').at(-1)).toEqual([
      'session.recordStart',
      { logId: 'conn-x', includeExisting: false },
    ]);
    await fireEvent.click(screen.getByRole('button', { name: 'Stop recording' }));
    await openMore();
    await fireEvent.click(await screen.findByRole('checkbox', { name: 'Rec with history' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Record' }));
    await screen.findByRole('button', { name: 'Stop recording' });
    expect(api.calls.filter(([n]) => n === 'session.recordStart').at(-1)).toEqual([
      'session.recordStart',
      { logId: 'conn-x', includeExisting: true },
    ]);
  });
});

describe('MessageLog: edit and resend from a row', () => {
  it('each message row has the action; it puts that message, whole, in the composer (E on the selected row too)', async () => {
    const api = createFakeApi();
    const log = new LogModel(api, 'conn-x');
    api.on['log.appended']((batch) => batch.logId === 'conn-x' && log.onAppended(batch));
    const edited: Payload[] = [];
    render(MessageLog, { api, log, onedit: (p: Payload) => edited.push(p) });
    api.appendEntry('conn-x', 'out', { type: 'text', text: '{"op":"first"}' });
    api.appendEntry('conn-x', 'in', { type: 'binary', data: new Uint8Array([1, 2, 3]) });
    api.appendEntry('conn-x', 'in', { type: 'text', text: '{"op":"third"}' });
    const list = await rowsOf(3);
    // Messages only: an open or close event has nothing to resend.
    const actions = [...list.querySelectorAll('button.row-resend')] as HTMLElement[];
    expect(actions.map((b) => b.getAttribute('aria-label'))).toEqual([
      'Edit message 1 and resend',
      'Edit message 2 and resend',
      'Edit message 3 and resend',
    ]);
    await fireEvent.click(actions[1]!);
    await waitFor(() => expect(edited).toEqual([{ type: 'binary', data: new Uint8Array([1, 2, 3]) }]));
    expect(log.selected?.seq).toBe(2);
    await fireEvent.click(actions[0]!);
    await waitFor(() => expect(edited.at(-1)).toEqual({ type: 'text', text: '{"op":"first"}' }));
    expect(log.selected?.seq).toBe(1);
    // The keyboard: the list has the selected row; ArrowDown twice, then E.
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    await fireEvent.keyDown(list, { key: 'e' });
    await waitFor(() => expect(edited.at(-1)).toEqual({ type: 'text', text: '{"op":"third"}' }));
    expect(edited).toHaveLength(3);
  });

  it('has no row action where nothing can be resent (a session file, no composer)', async () => {
    const { api } = setup(0);
    api.appendEntry('conn-x', 'out', { type: 'text', text: 'x' });
    const list = await rowsOf(1);
    expect(list.querySelector('button.row-resend')).toBeNull();
  });
});
