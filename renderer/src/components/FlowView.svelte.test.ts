import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import { typeInComposer } from '../../test-support/code-editor-testing.js';

const ECHO = 'ws://127.0.0.1:9/echo';

async function openFlow(text: string) {
  const api = createFakeApi();
  api.addFlow('echo', text);
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open flow echo' }));
  await screen.findByRole('list', { name: 'Steps' });
  return api;
}

const steps = () => within(screen.getByRole('list', { name: 'Steps' })).getAllByRole('listitem');

describe('a flow in its tab', () => {
  it('lists the steps, runs them with pass/fail and timing, shows the failure and the connection log', async () => {
    const api = await openFlow(
      `steps:\n  - connect: { url: "${ECHO}" }\n  - send: hi\n  - expect: { text: { equals: bye }, within: 50 }\n  - send: never\n`,
    );
    await waitFor(() => expect(steps()).toHaveLength(4));
    expect(steps()[0]!.textContent).toContain(`connect { url: "${ECHO}" }`);
    await fireEvent.click(screen.getByRole('button', { name: 'Run flow' }));
    expect(api.calls.find(([n]) => n === 'flow.run')?.[1]).toEqual({ name: 'echo', keepOpen: true });
    await screen.findByRole('status', { name: 'Flow state: Failed' });
    const rows = steps();
    expect(rows.map((r) => r.className.match(/passed|failed|skipped/)?.[0])).toEqual([
      'passed',
      'passed',
      'failed',
      'skipped',
    ]);
    expect(within(rows[1]!).getByText(/\d+ ms/)).toBeTruthy();
    expect(within(rows[2]!).getByRole('alert').textContent).toBe(
      'expected a message matching text equals "bye" on main; none within 50 ms; 1 arrived that did not match: "hi"',
    );
    expect(screen.getByText(/2 passed · 1 failed · 1 skipped/)).toBeTruthy();

    // The connection's log: the sent message and its echo.
    await fireEvent.click(screen.getByRole('tab', { name: 'Log: main' }));
    await waitFor(() =>
      expect(screen.getByRole('log', { name: 'Messages' }).querySelectorAll('button.row.k-text').length).toBe(
        2,
      ),
    );
  });

  it('runs with the environment picked in its bar (as --env); none picked, the flow keeps its own', async () => {
    const api = createFakeApi();
    await api.env.save({ name: 'dev', variables: [{ name: 'host', value: '127.0.0.1:9' }] });
    api.addFlow('echo', `steps:\n  - connect: { url: "ws://{{host}}/echo" }\n`);
    localStorage.clear();
    render(App, { api });
    const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
    await fireEvent.click(await within(sidebar).findByRole('button', { name: 'Open flow echo' }));
    const picker = (await screen.findByRole('combobox', { name: 'Environment' })) as HTMLSelectElement;
    await waitFor(() => expect([...picker.options].map((o) => o.value)).toEqual(['', 'dev']));
    await fireEvent.click(screen.getByRole('button', { name: 'Run flow' }));
    await waitFor(() => expect(api.calls.filter(([n]) => n === 'flow.run')).toHaveLength(1));
    expect(api.calls.filter(([n]) => n === 'flow.run')[0]![1]).toEqual({ name: 'echo', keepOpen: true });
    await fireEvent.change(picker, { target: { value: 'dev' } });
    await waitFor(() => expect(screen.getByRole('button', { name: 'Run flow' })).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: 'Run flow' }));
    await waitFor(() => expect(api.calls.filter(([n]) => n === 'flow.run')).toHaveLength(2));
    expect(api.calls.filter(([n]) => n === 'flow.run')[1]![1]).toEqual({
      name: 'echo',
      keepOpen: true,
      env: 'dev',
    });
  });

  it('runs one step again on the open connections', async () => {
    const api = await openFlow(`steps:\n  - connect: { url: "${ECHO}" }\n  - send: hi\n`);
    const rerun = await screen.findByRole('button', { name: 'Run step steps[1] again' });
    expect((rerun as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByRole('button', { name: 'Run flow' }));
    await screen.findByRole('status', { name: 'Flow state: Passed' });
    await waitFor(() => expect((rerun as HTMLButtonElement).disabled).toBe(false));
    await fireEvent.click(rerun);
    expect(api.calls.find(([n]) => n === 'flow.rerunStep')?.[1]).toMatchObject({ stepId: 'steps[1]' });
    await waitFor(() => expect(within(steps()[1]!).getByText('×2')).toBeTruthy());
    await fireEvent.click(screen.getByRole('button', { name: 'Close connections' }));
    await waitFor(() => expect((rerun as HTMLButtonElement).disabled).toBe(true));
  });

  it('edits the source: a flow with a mistake is refused with its line and field, a good one is saved', async () => {
    const api = await openFlow(`steps:\n  - connect: { url: "${ECHO}" }\n`);
    await typeInComposer('name: nothing here\n');
    const save = screen.getByRole('button', { name: 'Save' });
    await fireEvent.click(save);
    expect((await screen.findByText(/flows\/echo\.yaml:1:1: steps: is required/)).getAttribute('role')).toBe(
      'alert',
    );
    await typeInComposer(`steps:\n  - connect: { url: "${ECHO}" }\n  - send: one\n  - send: two\n`);
    await fireEvent.click(save);
    await waitFor(() => expect(steps()).toHaveLength(3));
    expect(api.calls.filter(([n]) => n === 'flow.save')).toHaveLength(2);
  });
});
