import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import type { ServerClientInfo } from '../../../app/contract.js';
import App from '../App.svelte';
import { createFakeApi, type FakeApi } from '../../test-support/fake-api.js';

const CHAT = `# the chat mock
port: 0
routes:
  - path: /
    rules:
      - name: ping
        when: { json: { path: "$.type", equals: "ping" } }
        then:
          - send: '{"type":"pong"}'
      - name: hello
        when: { text: { regex: "^hello" } }
        then: [ { send: "hi" } ]
    otherwise: echo
`;

const sidebar = () => screen.getByRole('navigation', { name: 'Workspace' });
const mocksRegion = () => within(sidebar()).getByRole('region', { name: 'Mocks' });

async function openChat(api: FakeApi = createFakeApi(), text = CHAT) {
  api.addMock('chat', text);
  render(App, { api });
  await fireEvent.click(await within(mocksRegion()).findByRole('button', { name: 'Open mock chat' }));
  await screen.findByRole('region', { name: 'Rules form' });
  await waitFor(() => expect(screen.getByRole('textbox', { name: 'Name of rule 1' })).toBeTruthy());
  return api;
}

const lastSave = (api: FakeApi): string =>
  (api.calls.filter(([n]) => n === 'mock.save').at(-1)?.[1] as { text: string } | undefined)?.text ?? '';

describe('the Mocks section of the sidebar', () => {
  it('lists the workspace mocks as one tab stop moved with arrow keys, and follows changes from another window', async () => {
    const api = createFakeApi();
    api.addMock('alpha', CHAT);
    api.addMock('beta', CHAT);
    render(App, { api });
    const region = mocksRegion();
    const alpha = await within(region).findByRole('button', { name: 'Open mock alpha' });
    const beta = within(region).getByRole('button', { name: 'Open mock beta' });
    await waitFor(() => expect(alpha.tabIndex).toBe(0));
    expect(beta.tabIndex).toBe(-1);
    alpha.focus();
    await fireEvent.keyDown(alpha, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(beta);
    expect(beta.tabIndex).toBe(0);

    // Another window (or the CLI) saves a mock: the engine says so, this window lists it.
    const saved = await api.mock.save({ name: 'gamma', text: CHAT });
    expect(saved.ok).toBe(true);
    await within(region).findByRole('button', { name: 'Open mock gamma' });
  });

  it('creates a mock from the starter file, opens it in a tab, and deletes it after a confirmation', async () => {
    const api = createFakeApi();
    render(App, { api });
    const region = mocksRegion();
    await fireEvent.click(within(region).getByRole('button', { name: 'New mock' }));
    const field = within(region).getByRole('textbox', { name: 'Name of the new mock' });
    await fireEvent.input(field, { target: { value: 'prices' } });
    await fireEvent.submit(field.closest('form')!);
    await within(region).findByRole('button', { name: 'Open mock prices' });
    await screen.findByRole('tab', { name: /prices/ });
    expect(await screen.findByRole('textbox', { name: 'Name of rule 1' })).toHaveProperty('value', 'ping');

    await fireEvent.click(within(region).getByRole('button', { name: 'Delete mock prices' }));
    const confirm = within(region).getByRole('group', { name: 'Delete mock prices?' });
    await fireEvent.click(within(confirm).getByRole('button', { name: 'Delete' }));
    await waitFor(() =>
      expect(within(region).queryByRole('button', { name: 'Open mock prices' })).toBeNull(),
    );
    expect(screen.queryByRole('tab', { name: /prices/ })).toBeNull();
    expect(await api.mock.list({})).toEqual({ ok: true, value: [] });
  });

  it('starts and stops a mock by name', async () => {
    const api = createFakeApi();
    api.addMock('chat', CHAT);
    render(App, { api });
    const region = mocksRegion();
    await fireEvent.click(await within(region).findByRole('button', { name: 'Start mock chat' }));
    await within(region).findByRole('button', { name: 'Stop mock chat' });
    expect(api.calls.some(([n, i]) => n === 'mock.start' && (i as { name: string }).name === 'chat')).toBe(
      true,
    );
    const servers = within(sidebar()).getByRole('region', { name: 'Mock servers' });
    expect(within(servers).getByRole('button', { name: /chat :\d+/ })).toBeTruthy();
    await fireEvent.click(within(region).getByRole('button', { name: 'Stop mock chat' }));
    await within(region).findByRole('button', { name: 'Start mock chat' });
    expect(api.calls.some(([n]) => n === 'server.stop')).toBe(true);

    // Started elsewhere (another window, the CLI through the same engine): this window shows it running.
    const elsewhere = await api.mock.start({ name: 'chat' });
    expect(elsewhere.ok).toBe(true);
    await within(region).findByRole('button', { name: 'Stop mock chat' });
  });
});

describe('the mock tab', () => {
  it('adds, edits, reorders and removes rules in the form; saving writes the YAML and keeps comments', async () => {
    const api = await openChat();
    await fireEvent.click(screen.getByRole('button', { name: 'Add rule' }));
    const name = await screen.findByRole('textbox', { name: 'Name of rule 3' });
    await fireEvent.input(name, { target: { value: 'quit' } });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Matcher of rule 3' }), {
      target: { value: 'json' },
    });
    await fireEvent.input(screen.getByRole('textbox', { name: 'JSON path of rule 3' }), {
      target: { value: '$.op' },
    });
    await fireEvent.input(screen.getByRole('textbox', { name: 'JSON value of rule 3' }), {
      target: { value: 'quit' },
    });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Action 1 of then of rule quit' }), {
      target: { value: 'close' },
    });
    await fireEvent.change(screen.getByRole('spinbutton', { name: 'Close code of action 1' }), {
      target: { value: '4000' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Move rule 3 up' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Remove rule 1' }));
    expect(screen.getByRole('textbox', { name: 'Name of rule 1' })).toHaveProperty('value', 'quit');
    expect(screen.getByRole('textbox', { name: 'Name of rule 2' })).toHaveProperty('value', 'hello');
    expect(screen.getByLabelText('Unsaved changes')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    const text = lastSave(api);
    expect(text).toContain('# the chat mock');
    expect(text).toMatch(/- name: quit\n\s+when:\n\s+json:\n\s+path: \$\.op\n\s+equals: "?quit"?\n/);
    expect(text).toContain('code: 4000');
    expect(text).not.toContain('name: ping');
    expect(screen.queryByLabelText('Unsaved changes')).toBeNull();
  });

  it('edits on connect, otherwise and a stream, and a combination matcher as YAML', async () => {
    const api = await openChat();
    const onConnect = screen.getByRole('list', { name: 'on connect' });
    await fireEvent.click(within(onConnect).getByRole('button', { name: '+ Add action' }));
    await fireEvent.input(within(onConnect).getByRole('textbox', { name: 'send of action 1' }), {
      target: { value: 'welcome {{client.id}}' },
    });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Otherwise' }), {
      target: { value: 'none' },
    });
    await fireEvent.click(screen.getByRole('button', { name: '+ Stream' }));
    await fireEvent.change(await screen.findByRole('spinbutton', { name: 'Interval of stream 1 in ms' }), {
      target: { value: '250' },
    });
    await fireEvent.change(screen.getByRole('combobox', { name: 'Matcher of rule 2' }), {
      target: { value: 'raw' },
    });
    const raw = screen.getByRole('textbox', { name: 'When of rule 2 as YAML' });
    expect((raw as HTMLTextAreaElement).value).toContain('all:');
    await fireEvent.input(raw, { target: { value: 'not:\n  kind: binary' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText('Saved.');
    const text = lastSave(api);
    expect(text).toMatch(/onConnect:\n\s+- send: "?welcome \{\{client\.id\}\}"?/);
    expect(text).toContain('otherwise: none');
    expect(text).toContain('every: 250');
    expect(text).toMatch(/when:\n\s+not:\n\s+kind: binary/);
  });

  it('shows Source with the same text; an edit there shows in the form', async () => {
    await openChat();
    await fireEvent.click(screen.getByRole('button', { name: 'Source' }));
    const host = document.querySelector('.source-editor')!;
    const content = host.shadowRoot!.querySelector('.cm-content')!;
    expect(content.textContent).toContain('# the chat mock');
    const { EditorView } = await import('@codemirror/view');
    const view = EditorView.findFromDOM(content as HTMLElement)!;
    const doc = view.state.doc.toString();
    view.dispatch({ changes: { from: doc.indexOf('hello'), to: doc.indexOf('hello') + 5, insert: 'greet' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Rules' }));
    expect(screen.getByRole('textbox', { name: 'Name of rule 2' })).toHaveProperty('value', 'greet');
  });

  it('shows the engine’s validation error next to its field and line, and keeps the edit', async () => {
    const api = await openChat();
    const text = screen.getByRole('textbox', { name: 'Text of rule 2' });
    await fireEvent.input(text, { target: { value: '(hello' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const banner = await screen.findByRole('alert', { name: 'Mock file problem' });
    expect(banner.textContent).toContain('Line 11');
    expect(banner.textContent).toContain('routes[0].rules[1].when.text.regex');
    expect(banner.textContent).toContain('not saved');
    const card = screen.getByRole('article', { name: 'Rule hello' });
    expect(within(card).getByRole('alert').textContent).toMatch(/Invalid regular expression/);
    expect(text.getAttribute('aria-invalid')).toBe('true');
    // Nothing was written, and the person's edit is still there.
    expect(await api.mock.read({ name: 'chat' })).toMatchObject({ ok: true, value: { text: CHAT } });
    expect((text as HTMLInputElement).value).toBe('(hello');
    expect(screen.getByLabelText('Unsaved changes')).toBeTruthy();

    await fireEvent.click(within(banner).getByRole('button', { name: 'Show in source' }));
    await waitFor(() => expect(screen.getByRole('alert', { name: '' }).textContent).toContain('Line 11:'));
  });

  it('checks the text while typing, before any save', async () => {
    await openChat();
    await fireEvent.input(screen.getByRole('textbox', { name: 'Mock port' }), { target: { value: '70000' } });
    const banner = await screen.findByRole('alert', { name: 'Mock file problem' }, { timeout: 2000 });
    expect(banner.textContent).toContain('port');
    expect(banner.textContent).not.toContain('not saved');
  });

  it('tries a message: the rule that matches and its reply, or otherwise', async () => {
    const api = await openChat();
    const box = screen.getByRole('form', { name: 'Try a message' });
    await fireEvent.click(within(box).getByRole('button', { name: 'JSON' }));
    await fireEvent.input(within(box).getByRole('textbox', { name: 'Message to try' }), {
      target: { value: '{"type":"ping"}' },
    });
    await fireEvent.click(within(box).getByRole('button', { name: 'Try' }));
    let result = await screen.findByRole('status', { name: 'Try result' });
    expect(result.textContent).toContain('Matches rule ping on /');
    expect(result.textContent).toContain('{"type":"pong"}');

    await fireEvent.click(within(box).getByRole('button', { name: 'Text' }));
    await fireEvent.input(within(box).getByRole('textbox', { name: 'Message to try' }), {
      target: { value: 'bye' },
    });
    await fireEvent.click(within(box).getByRole('button', { name: 'Try' }));
    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Try result' }).textContent).toContain(
        'No rule matched → otherwise: echo',
      ),
    );
    result = screen.getByRole('status', { name: 'Try result' });
    expect(result.textContent).toContain('bye');
    // It tries the text as it is in the tab (saved or not), by the mock's name.
    expect(api.calls.filter(([n]) => n === 'mock.try').at(-1)?.[1]).toMatchObject({
      name: 'chat',
      text: CHAT,
      message: { type: 'text', text: 'bye' },
    });

    await fireEvent.click(within(box).getByRole('button', { name: 'Hex' }));
    await fireEvent.input(within(box).getByRole('textbox', { name: 'Message to try' }), {
      target: { value: 'zz' },
    });
    await fireEvent.click(within(box).getByRole('button', { name: 'Try' }));
    expect((await within(box.parentElement!).findByRole('alert')).textContent).toMatch(/hex/i);
  });

  it('runs: Start shows its server, hit counts grow as rules fire, and the log names the rule', async () => {
    const api = await openChat();
    await fireEvent.click(screen.getByRole('button', { name: 'Start mock' }));
    await screen.findByRole('status', { name: 'Mock state: running' });
    await screen.findByRole('region', { name: 'Clients' });
    const servers = await api.server.list({});
    const serverId = servers.ok ? servers.value[0]!.serverId : '';
    const hitsTable = await screen.findByRole('table', { name: 'Hits on /' });
    expect(within(hitsTable).getByRole('row', { name: 'ping 0' })).toBeTruthy();

    api.deliverToMock(serverId, 'client-1', { type: 'text', text: '{"type":"ping"}' });
    api.deliverToMock(serverId, 'client-1', { type: 'text', text: '{"type":"ping"}' });
    api.deliverToMock(serverId, 'client-1', { type: 'text', text: 'other' });
    await waitFor(() => expect(within(hitsTable).getByRole('row', { name: 'ping 2' })).toBeTruthy());
    expect(within(hitsTable).getByRole('row', { name: 'otherwise 1' })).toBeTruthy();
    const log = screen.getByRole('log', { name: 'Messages' });
    await waitFor(() => expect(log.querySelectorAll('.rule').length).toBe(3));
    expect([...log.querySelectorAll('.rule')].map((r) => r.textContent)).toEqual([
      'ping',
      'ping',
      'otherwise',
    ]);

    // The form shows the hits on each rule card too.
    await fireEvent.click(screen.getByRole('button', { name: 'Rules' }));
    expect(screen.getByLabelText('2 hits of rule ping')).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Stop mock' }));
    await screen.findByRole('status', { name: 'Mock state: stopped' });
  });

  it('a self-signed TLS mock shows its fingerprint and exports its certificate; own cert and key are fields', async () => {
    const api = await openChat(
      createFakeApi(),
      CHAT.replace('port: 0', 'port: 0\ntls: { selfSigned: true }'),
    );
    expect(screen.getByRole('combobox', { name: 'TLS' })).toHaveProperty('value', 'selfSigned');
    await fireEvent.click(screen.getByRole('button', { name: 'Start mock' }));
    const fp = await screen.findByLabelText('Certificate fingerprint');
    expect(fp.textContent).toBe('AB:CD:EF:01:23:45:67:89');
    const created: string[] = [];
    const orig = URL.createObjectURL;
    URL.createObjectURL = (b: Blob) => (created.push(b.type), 'blob:x');
    try {
      await fireEvent.click(screen.getByRole('button', { name: 'Export certificate (PEM)' }));
      await screen.findByText(/Exported duplex-server-\d+\.crt/);
    } finally {
      URL.createObjectURL = orig;
    }
    expect(created).toEqual(['application/x-pem-file']);
    expect(api.calls.some(([n]) => n === 'server.certificate')).toBe(true);

    await fireEvent.click(screen.getByRole('button', { name: 'Rules' }));
    await fireEvent.change(screen.getByRole('combobox', { name: 'TLS' }), { target: { value: 'files' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Certificate file' }), {
      target: { value: 'certs/me.pem' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByText(/Saved/);
    expect(lastSave(api)).toMatch(/tls:\n\s+cert: certs\/me\.pem\n\s+key: key\.pem/);
  });
});

describe('a mock tab across reloads', () => {
  it('comes back after a reload of the window with its unsaved text', async () => {
    localStorage.setItem(
      'duplex.ui',
      JSON.stringify({
        version: 1,
        sidebarWidth: 252,
        upperHeight: 200,
        window: {
          tabs: [{ kind: 'mock', name: 'chat', text: CHAT.replace('name: hello', 'name: howdy') }],
          active: 0,
        },
      }),
    );
    try {
      const api = createFakeApi();
      api.addMock('chat', CHAT);
      render(App, { api });
      await waitFor(() =>
        expect(screen.getByRole('textbox', { name: 'Name of rule 2' })).toHaveProperty('value', 'howdy'),
      );
      expect(screen.getByLabelText('Unsaved changes')).toBeTruthy();
    } finally {
      localStorage.removeItem('duplex.ui');
    }
  });

  it('says when the running mock reloads its file, or keeps its rules', async () => {
    const api = await openChat();
    await fireEvent.click(screen.getByRole('button', { name: 'Start mock' }));
    await screen.findByRole('status', { name: 'Mock state: running' });
    const listed = await api.server.list({});
    const serverId = listed.ok ? listed.value[0]!.serverId : '';
    api.emit('server.mockReload', {
      serverId,
      file: '/workspace/mocks/chat.yaml',
      ok: false,
      error: { code: 'DUPLEX_ERR_MOCK_FILE', message: 'mocks/chat.yaml:3:1: routes: is required (array)' },
    });
    await screen.findByText(/kept its previous rules: mocks\/chat\.yaml:3:1/);
  });
});

describe('closing a mock tab with unsaved edits', () => {
  it('asks first: cancel keeps the tab, save and close writes the file, discard drops the edit', async () => {
    const api = await openChat();
    await fireEvent.input(screen.getByRole('textbox', { name: 'Name of rule 2' }), {
      target: { value: 'howdy' },
    });
    await fireEvent.click(screen.getByRole('button', { name: /^Close tab chat/ }));
    let dialog = screen.getByRole('alertdialog', { name: 'Close chat with unsaved changes?' });
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('tab', { name: /^chat/ })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: /^Close tab chat/ }));
    dialog = screen.getByRole('alertdialog');
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Save and close' }));
    await waitFor(() => expect(screen.queryByRole('tab', { name: /^chat/ })).toBeNull());
    expect(lastSave(api)).toContain('name: howdy');

    await fireEvent.click(within(mocksRegion()).getByRole('button', { name: 'Open mock chat' }));
    await waitFor(() =>
      expect(screen.getByRole('textbox', { name: 'Name of rule 2' })).toHaveProperty('value', 'howdy'),
    );
    await fireEvent.input(screen.getByRole('textbox', { name: 'Name of rule 2' }), {
      target: { value: 'gone' },
    });
    await fireEvent.click(screen.getByRole('button', { name: /^Close tab chat/ }));
    await fireEvent.click(
      within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Discard changes' }),
    );
    await waitFor(() => expect(screen.queryByRole('tab', { name: /^chat/ })).toBeNull());
    expect(await api.mock.read({ name: 'chat' })).toMatchObject({
      ok: true,
      value: { text: expect.stringContaining('howdy') },
    });
  });
});

describe('sessions as mocks', () => {
  it('serves a session as a mock, and turns a recording into rules in a new mock tab', async () => {
    const api = createFakeApi();
    api.addSession('echo.jsonl', {
      messages: [
        { dir: 'out', text: 'hello' },
        { dir: 'in', text: 'hi there' },
      ],
    });
    render(App, { api });
    const sessions = within(sidebar()).getByRole('region', { name: 'Sessions' });
    await fireEvent.click(await within(sessions).findByRole('button', { name: 'Open session echo.jsonl' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Serve this session as a mock' }));
    await screen.findByRole('button', { name: 'Stop server' });
    expect(api.calls.find(([n]) => n === 'mock.serveSession')?.[1]).toMatchObject({
      name: 'echo.jsonl',
      conversation: true,
    });

    await fireEvent.click(within(sessions).getByRole('button', { name: 'Open session echo.jsonl' }));
    await fireEvent.click(await screen.findByRole('button', { name: 'Turn this recording into rules…' }));
    const name = screen.getByRole('textbox', { name: 'Name of the new mock' });
    expect((name as HTMLInputElement).value).toBe('echo');
    await fireEvent.click(screen.getByRole('button', { name: 'Create mock' }));
    await screen.findByRole('tab', { name: /^echo/ });
    await waitFor(() =>
      expect(screen.getByRole('textbox', { name: 'Name of rule 1' })).toHaveProperty('value', 'message 1'),
    );
    expect(screen.getByRole('textbox', { name: 'Text of rule 1' })).toHaveProperty('value', 'hello');
    expect(screen.getByRole('textbox', { name: 'send of action 1' })).toHaveProperty('value', 'hi there');
    await within(mocksRegion()).findByRole('button', { name: 'Open mock echo' });
  });
});

describe('the server client list', () => {
  it('stays small in the DOM with 10,000 clients (a virtual list)', async () => {
    const api = createFakeApi();
    render(App, { api });
    await fireEvent.click(within(sidebar()).getByRole('button', { name: 'New mock server' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Start server' }));
    await screen.findByRole('button', { name: 'Stop server' });
    const listed = await api.server.list({});
    const serverId = listed.ok ? listed.value[0]!.serverId : '';
    const clients: ServerClientInfo[] = Array.from({ length: 10_000 }, (_, i) => ({
      clientId: `client-${i + 1}`,
      remoteAddress: '127.0.0.1',
      remotePort: 50000 + (i % 10000),
      path: '/',
      protocol: '',
      connectedAt: 0,
      readyState: 1,
      headers: {},
    }));
    api.emit('server.clients', { serverId, clients });
    const region = screen.getByRole('region', { name: 'Clients' });
    await waitFor(() => expect(region.textContent).toContain('10000'));
    const rows = within(region).getAllByRole('listitem');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(40);
    await fireEvent.click(within(region).getByRole('button', { name: /^client-2 / }));
    expect(screen.getByRole('region', { name: 'Client client-2' })).toBeTruthy();
  });
});
