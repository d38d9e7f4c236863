import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { typeInComposer } from '../../test-support/code-editor-testing.js';

async function openApp(api = createFakeApi(), remembered?: string) {
  localStorage.clear();
  if (remembered !== undefined) localStorage.setItem('duplex.environment', remembered);
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
  return api;
}

const picker = () => screen.getByRole('combobox', { name: 'Environment' }) as HTMLSelectElement;

async function createEnvironment(name: string, rows: [string, string, boolean][]): Promise<void> {
  await fireEvent.click(screen.getByRole('button', { name: 'Edit environments' }));
  const dialog = screen.getByRole('dialog', { name: 'Environments' });
  await fireEvent.click(within(dialog).getByRole('button', { name: '+ New environment' }));
  await fireEvent.input(within(dialog).getByRole('textbox', { name: 'Name' }), { target: { value: name } });
  for (const [i, [variable, value, secret]] of rows.entries()) {
    if (i > 0) await fireEvent.click(within(dialog).getByRole('button', { name: '+ Variable' }));
    const names = within(dialog).getAllByRole('textbox', { name: 'Variable name' });
    await fireEvent.input(names[i]!, { target: { value: variable } });
    if (secret) {
      await fireEvent.click(within(dialog).getByRole('checkbox', { name: `${variable} is secret` }));
      await fireEvent.input(within(dialog).getByLabelText(`Secret value of ${variable}`), {
        target: { value },
      });
    } else {
      await fireEvent.input(within(dialog).getByRole('textbox', { name: `Value of ${variable}` }), {
        target: { value },
      });
    }
  }
  await fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
  await waitFor(() => expect(within(dialog).getByRole('status').textContent).toBe(`Saved ${name}.`));
}

describe('environments in the request bar', () => {
  it('the editor saves a table of variables; a secret keeps only "set", never its value', async () => {
    const api = await openApp();
    expect([...picker().options].map((o) => o.text)).toEqual(['No environment']);
    await createEnvironment('dev', [
      ['host', '127.0.0.1:9', false],
      ['token', 'S3CRET', true],
    ]);
    expect(api.calls.filter(([n]) => n === 'env.save').at(-1)?.[1]).toEqual({
      name: 'dev',
      variables: [
        { name: 'host', value: '127.0.0.1:9' },
        { name: 'token', secret: true, value: 'S3CRET' },
      ],
    });
    const dialog = screen.getByRole('dialog', { name: 'Environments' });
    // Read back: the secret row shows that a value is stored, not the value.
    const secret = within(dialog).getByLabelText('Secret value of token') as HTMLInputElement;
    expect(secret.value).toBe('');
    expect(secret.placeholder).toBe('set — type to replace');
    expect(within(dialog).getByRole('button', { name: 'Clear secret' })).toBeTruthy();
    await fireEvent.click(within(dialog).getByRole('button', { name: 'Close environments' }));
    await waitFor(() => expect([...picker().options].map((o) => o.text)).toEqual(['No environment', 'dev']));
  });

  it('connects with the picked environment: {{host}} resolves, and hovering the URL shows the value', async () => {
    const api = await openApp();
    await createEnvironment('dev', [['host', '127.0.0.1:9', false]]);
    await fireEvent.click(screen.getByRole('button', { name: 'Close environments' }));
    await fireEvent.change(picker(), { target: { value: 'dev' } });
    const url = screen.getByRole('textbox', { name: 'URL' });
    await fireEvent.input(url, { target: { value: 'ws://{{host}}/echo' } });
    await waitFor(() => expect(url.getAttribute('title')).toBe('Resolves to ws://127.0.0.1:9/echo'));
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    expect(api.calls.find(([n]) => n === 'connection.open')?.[1]).toMatchObject({
      url: 'ws://{{host}}/echo',
      environment: 'dev',
    });
    expect(localStorage.getItem('duplex.environment')).toBe('dev');
  });

  it('hovering a header value, the subprotocols, the origin or the message shows what it resolves to', async () => {
    await openApp();
    await createEnvironment('dev', [
      ['room', 'lobby', false],
      ['token', 'S3CRET', true],
    ]);
    await fireEvent.click(screen.getByRole('button', { name: 'Close environments' }));
    await fireEvent.change(picker(), { target: { value: 'dev' } });
    const hovered = async (el: HTMLElement, value: string): Promise<string | null> => {
      await fireEvent.input(el, { target: { value } });
      el.removeAttribute('title');
      await fireEvent.pointerEnter(el);
      await waitFor(() => expect(el.getAttribute('title')).not.toBeNull());
      return el.getAttribute('title');
    };

    await fireEvent.click(screen.getByRole('tab', { name: 'Headers' }));
    await fireEvent.click(screen.getByRole('button', { name: '+ Add header' }));
    const header = screen.getByRole('textbox', { name: 'Header 1 value' });
    expect(await hovered(header, 'Bearer {{token}} in {{room}}')).toBe(
      'Resolves to Bearer [redacted] in lobby',
    );
    expect(await hovered(header, 'for {{nobody}}')).toMatch(/Unknown variable nobody/);
    // Without {{ there is nothing to resolve, and no tooltip.
    await fireEvent.input(header, { target: { value: 'plain' } });
    await fireEvent.pointerEnter(header);
    await waitFor(() => expect(header.getAttribute('title')).toBeNull());

    await fireEvent.click(screen.getByRole('tab', { name: 'Options' }));
    expect(await hovered(screen.getByRole('textbox', { name: 'Subprotocols' }), '{{room}}.v1')).toBe(
      'Resolves to lobby.v1',
    );
    expect(await hovered(screen.getByRole('textbox', { name: 'Origin' }), 'https://{{room}}.test')).toBe(
      'Resolves to https://lobby.test',
    );

    // The message: resolved as it is now, each time the pointer comes.
    await fireEvent.click(screen.getByRole('tab', { name: 'Message' }));
    await typeInComposer('{"room":"{{room}}"}');
    const host = document.querySelector('.editor-host') as HTMLElement;
    await fireEvent.pointerEnter(host);
    await waitFor(() => expect(host.getAttribute('title')).toBe('Resolves to {"room":"lobby"}'));
  });

  it('an unknown variable is shown as the connect error, naming it', async () => {
    await openApp();
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://{{nope}}/' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() =>
      expect(screen.getAllByRole('alert').map((a) => a.textContent)).toContainEqual(
        expect.stringMatching(/Unknown variable nope in the URL/),
      ),
    );
  });

  it('copy as code resolves variables but keeps secrets [redacted] unless asked', async () => {
    await openApp();
    await createEnvironment('dev', [
      ['host', '127.0.0.1:9', false],
      ['token', 'S3CRET', true],
    ]);
    await fireEvent.click(screen.getByRole('button', { name: 'Close environments' }));
    await fireEvent.change(picker(), { target: { value: 'dev' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://{{host}}/?key={{token}}' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy as code' }));
    const code = (): string => screen.getByLabelText('Generated code').textContent ?? '';
    await waitFor(() => expect(code()).toBe(`wscat -c 'ws://127.0.0.1:9/?key=[redacted]'`));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Include secrets and credentials/ }));
    await waitFor(() => expect(code()).toBe(`wscat -c 'ws://127.0.0.1:9/?key=S3CRET'`));
  });

  it('recordings are redacted unless the person ticks "keep" in the environments dialog', async () => {
    const api = await openApp();
    await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), {
      target: { value: 'ws://127.0.0.1:9/echo' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
    const rec = () => screen.getByRole('button', { name: /^(Record|Stop recording)$/ });
    await fireEvent.click(rec());
    await waitFor(() => expect(api.calls.some(([n]) => n === 'session.recordStart')).toBe(true));
    await fireEvent.click(rec());
    await fireEvent.click(screen.getByRole('button', { name: 'Edit environments' }));
    await fireEvent.click(
      screen.getByRole('checkbox', { name: /Keep secret values and Authorization\/Cookie values/ }),
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Close environments' }));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Environments' })).toBeNull());
    await fireEvent.click(rec());
    await waitFor(() => expect(api.calls.filter(([n]) => n === 'session.recordStart')).toHaveLength(2));
    const [first, second] = api.calls.filter(([n]) => n === 'session.recordStart').map(([, input]) => input);
    expect(first).not.toHaveProperty('redact');
    expect(second).toMatchObject({ redact: false });
  });
});

describe('environments at page start', () => {
  const options = () => [...picker().options].map((o) => o.value);

  it('lists the environments already in the workspace, and one another window saves', async () => {
    const api = createFakeApi();
    await api.env.save({ name: 'dev', variables: [{ name: 'host', value: 'h:1' }] });
    await openApp(api);
    await waitFor(() => expect(options()).toEqual(['', 'dev']));
    // Another window (or the CLI through the engine) saves one: workspace.changed lists it here.
    await api.env.save({ name: 'prod', variables: [{ name: 'host', value: 'h:2' }] });
    await waitFor(() => expect(options()).toEqual(['', 'dev', 'prod']));
  });

  it('starts on the environment of `duplex ui --env`, over the one this page remembered', async () => {
    const api = createFakeApi({ launchEnvironment: 'staging' });
    for (const name of ['dev', 'staging']) {
      await api.env.save({ name, variables: [{ name: 'host', value: `${name}:1` }] });
    }
    await openApp(api, 'dev');
    await waitFor(() => expect(picker().value).toBe('staging'));
    expect(localStorage.getItem('duplex.environment')).toBe('staging');
  });

  it('without --env, the remembered environment stays chosen', async () => {
    const api = createFakeApi();
    await api.env.save({ name: 'dev', variables: [{ name: 'host', value: 'dev:1' }] });
    await openApp(api, 'dev');
    await waitFor(() => expect(picker().value).toBe('dev'));
  });
});
