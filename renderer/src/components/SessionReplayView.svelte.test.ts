import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';

describe('replaying a session from the UI', () => {
  it('starts with the settings, then pause / step / resume call session.replayControl and the report shows', async () => {
    const api = createFakeApi();
    api.addSession('echo.jsonl', {
      url: 'ws://127.0.0.1:9/echo',
      messages: [
        { dir: 'out', text: 'one' },
        { dir: 'in', text: 'one' },
        { dir: 'out', text: 'two' },
        { dir: 'in', text: 'two' },
      ],
    });
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Replay session echo.jsonl' }));

    const form = screen.getByRole('form', { name: 'Replay settings' });
    expect((within(form).getByRole('textbox', { name: 'Target URL' }) as HTMLInputElement).value).toBe(
      'ws://127.0.0.1:9/echo',
    );
    await fireEvent.input(within(form).getByRole('spinbutton', { name: 'Speed' }), {
      target: { value: '0' },
    });
    await fireEvent.click(within(form).getByRole('checkbox', { name: /Start paused/ }));
    await fireEvent.click(within(form).getByRole('button', { name: 'Start replay' }));

    expect(api.calls.find(([n]) => n === 'session.replay')?.[1]).toEqual({
      name: 'echo.jsonl',
      speed: 0,
      verify: true,
      url: 'ws://127.0.0.1:9/echo',
      timeoutMs: 5000,
      startPaused: true,
    });
    // A client recording has no client to pick.
    expect(screen.queryByRole('combobox', { name: 'Client' })).toBeNull();
    await screen.findByRole('status', { name: 'Replay state: Paused' });
    const controls = screen.getByRole('toolbar', { name: 'Replay controls' });

    await fireEvent.click(within(controls).getByRole('button', { name: 'Step' }));
    await waitFor(() => expect(screen.getByText(/1 of 2 sent/)).toBeTruthy());
    // The replay's connection log shows the sent message and its echo.
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row.k-text').length).toBe(
        2,
      ),
    );

    await fireEvent.click(within(controls).getByRole('button', { name: 'Resume' }));
    await screen.findByRole('status', { name: 'Replay state: Finished' });
    const report = screen.getByRole('region', { name: 'Verify report' });
    expect(report.textContent).toMatch(/All matched: 2 of 2 incoming messages/);
    expect((within(controls).getByRole('button', { name: 'Stop' }) as HTMLButtonElement).disabled).toBe(true);

    const actions = api.calls
      .filter(([n]) => n === 'session.replayControl')
      .map(([, i]) => (i as { action: string }).action);
    expect(actions).toEqual(['step', 'resume']);
  });

  it('stop ends a paused replay and says so', async () => {
    const api = createFakeApi();
    api.addSession('echo.jsonl', {
      messages: [
        { dir: 'out', text: 'one' },
        { dir: 'out', text: 'two' },
      ],
    });
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Replay session echo.jsonl' }));
    await fireEvent.click(screen.getByRole('checkbox', { name: /Start paused/ }));
    await fireEvent.click(screen.getByRole('button', { name: 'Start replay' }));
    await screen.findByRole('status', { name: 'Replay state: Paused' });
    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    await screen.findByRole('status', { name: 'Replay state: Stopped' });
    expect(screen.getByRole('region', { name: 'Verify report' }).textContent).toMatch(/Stopped after 0 of 2/);
    expect(api.calls.at(-1)).toEqual(['session.replayControl', { replayId: 'replay-1', action: 'stop' }]);
  });

  it('a server recording offers its clients; the chosen client and the verify timeout go to session.replay', async () => {
    const api = createFakeApi();
    api.addSession('server.jsonl', {
      role: 'server',
      messages: [
        { dir: 'in', text: 'from a', clientId: '1' },
        { dir: 'out', text: 'from a', clientId: '1' },
        { dir: 'in', text: 'from b', clientId: '2' },
        { dir: 'out', text: 'from b', clientId: '2' },
      ],
    });
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(
      await within(sidebar).findByRole('button', { name: 'Replay session server.jsonl' }),
    );
    const form = screen.getByRole('form', { name: 'Replay settings' });
    const client = (await within(form).findByRole('combobox', { name: 'Client' })) as HTMLSelectElement;
    expect([...client.options].map((o) => o.textContent)).toEqual(['client 1', 'client 2']);
    expect(client.value).toBe('1');
    await fireEvent.change(client, { target: { value: '2' } });
    const timeout = within(form).getByRole('spinbutton', { name: 'Verify timeout (ms)' });
    // Emptied (the browser's own checks stop 0.5 or 0 before submit; an empty field passes them).
    await fireEvent.input(timeout, { target: { value: '' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Start replay' }));
    expect((await within(form).findByRole('alert')).textContent).toMatch(/Verify timeout is a whole number/);
    expect(api.calls.some(([n]) => n === 'session.replay')).toBe(false);

    await fireEvent.input(timeout, { target: { value: '250' } });
    await fireEvent.click(within(form).getByRole('button', { name: 'Start replay' }));
    expect(api.calls.find(([n]) => n === 'session.replay')?.[1]).toMatchObject({
      name: 'server.jsonl',
      verify: true,
      timeoutMs: 250,
      clientId: '2',
    });
  });
});
