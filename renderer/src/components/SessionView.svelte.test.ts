import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { parseGoTo } from '../lib/sessions-tab.svelte.js';

function setup() {
  const api = createFakeApi();
  api.addSession('echo.jsonl', {
    url: 'ws://127.0.0.1:9/echo',
    protocols: ['chat.v1'],
    messages: [
      { dir: 'out', text: '{"op":"subscribe","topic":"prices"}' },
      { dir: 'in', text: '{"op":"subscribe","topic":"prices"}' },
      { dir: 'out', text: 'plain hello' },
      { dir: 'in', text: 'plain hello' },
    ],
    warnings: [{ line: 6, message: 'the last line is torn (the recording was cut off); it was skipped' }],
  });
  api.addSession('broken.jsonl', {
    error:
      '/ws/sessions/broken.jsonl, line 3: not valid JSON (Unexpected token } in JSON at position 12). The file was not changed.',
  });
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  return { api, sidebar };
}

describe('a session opened read-only', () => {
  it('shows the header, the warning and the entries in the log, with no composer or Record', async () => {
    const { api, sidebar } = setup();
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open session echo.jsonl' }));
    const facts = await screen.findByLabelText('Session facts');
    expect(facts.textContent).toContain('ws://127.0.0.1:9/echo');
    expect(facts.textContent).toContain('client');
    expect(facts.textContent).toContain('chat.v1');
    expect(screen.getByLabelText('Session file path').textContent).toBe('/workspace/sessions/echo.jsonl');
    expect(screen.getByText(/line 6: the last line is torn/)).toBeTruthy();
    const rows = (): NodeListOf<HTMLButtonElement> =>
      screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row');
    await waitFor(() => expect(rows().length).toBe(4));
    expect(screen.queryByRole('textbox', { name: 'Message' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Record' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Clear log' })).toBeNull();

    // The detail pane reads the payload from the session file.
    await fireEvent.click(rows()[0]!);
    await waitFor(() =>
      expect(screen.getByLabelText('Payload as JSON').textContent).toContain('"topic": "prices"'),
    );

    // Search goes to session.read with the filter.
    await fireEvent.input(screen.getByRole('searchbox', { name: 'Search messages' }), {
      target: { value: 'hello' },
    });
    await waitFor(() => expect(rows().length).toBe(2), { timeout: 2000 });
    expect(
      api.calls.some(([n, i]) => n === 'session.read' && JSON.stringify(i).includes('"search":"hello"')),
    ).toBe(true);
    expect(api.calls.some(([n]) => n === 'log.read')).toBe(false);
  });

  it('a corrupt file shows the error naming the line and the problem', async () => {
    const { sidebar } = setup();
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open session broken.jsonl' }));
    const alert = await screen.findByText(/line 3: not valid JSON/);
    expect(alert.closest('[role="alert"]')!.textContent).toMatch(/cannot be opened/);
    expect(screen.queryByRole('log', { name: 'Messages' })).toBeNull();
  });

  it('import from the file picker shows how many sessions were created; bad JSON shows the error', async () => {
    const { api, sidebar } = setup();
    const har = JSON.stringify({
      log: {
        entries: [
          { request: { url: 'wss://a.example/ws' }, _webSocketMessages: [] },
          { request: { url: 'https://a.example/' } },
          { request: { url: 'wss://b.example/ws' }, _webSocketMessages: [] },
        ],
      },
    });
    const input = within(sidebar).getByLabelText('HAR file to import') as HTMLInputElement;
    const file = new File([har], 'capture.har', { type: 'application/json' });
    await fireEvent.change(input, { target: { files: [file] } });
    await waitFor(() =>
      expect(within(sidebar).getByRole('status').textContent).toBe('Imported 2 sessions from capture.har.'),
    );
    expect(api.calls.find(([n]) => n === 'session.import')?.[1]).toMatchObject({ sourceName: 'capture.har' });
    await waitFor(() =>
      expect(within(sidebar).getByRole('button', { name: 'Open session imported-2.jsonl' })).toBeTruthy(),
    );

    const bad = new File(['{not json'], 'bad.har');
    await fireEvent.change(input, { target: { files: [bad] } });
    await waitFor(() =>
      expect(within(sidebar).getByRole('alert').textContent).toMatch(/^bad\.har: .*not JSON/),
    );
  });

  it('importing a HAR without WebSocket entries is shown as an error, not as a success', async () => {
    const { sidebar } = setup();
    const har = JSON.stringify({ log: { entries: [{ request: { url: 'https://a.example/' } }] } });
    const input = within(sidebar).getByLabelText('HAR file to import') as HTMLInputElement;
    await fireEvent.change(input, { target: { files: [new File([har], 'page.har')] } });
    await waitFor(() =>
      expect(within(sidebar).getByRole('alert').textContent).toMatch(/^page\.har: .*no WebSocket entries/),
    );
    expect(within(sidebar).queryByRole('status')?.textContent ?? '').not.toMatch(/Imported/);
  });
});

describe('going to an entry of a session', () => {
  it('jumps to a seq or a time into the recording and selects that row; bad input is explained', async () => {
    const { api, sidebar } = setup();
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open session echo.jsonl' }));
    const input = await screen.findByLabelText('Go to seq or time');
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row').length).toBe(4),
    );
    await fireEvent.input(input, { target: { value: '3' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Go to' }));
    await waitFor(() => expect(api.calls.some((c) => c[0] === 'session.locate')).toBe(true));
    await fireEvent.input(input, { target: { value: 'soon' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Go to' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/neither a seq .* nor a time/);
  });
});

describe('parseGoTo', () => {
  it('reads seqs and times into the recording', () => {
    expect(parseGoTo('1234')).toEqual({ seq: 1234 });
    expect(parseGoTo('#7')).toEqual({ seq: 7 });
    expect(parseGoTo('90s')).toEqual({ offsetMs: 90_000 });
    expect(parseGoTo('250ms')).toEqual({ offsetMs: 250 });
    expect(parseGoTo('1.5m')).toEqual({ offsetMs: 90_000 });
    expect(parseGoTo('1:30')).toEqual({ offsetMs: 90_000 });
    expect(parseGoTo('01:02:03.5')).toEqual({ offsetMs: 3_723_500 });
    expect(parseGoTo('0')).toBeUndefined();
    expect(parseGoTo('later')).toBeUndefined();
  });
});
