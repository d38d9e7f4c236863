import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';

describe('the sidebar', () => {
  it('shows a renamed session under its new name', async () => {
    const api = createFakeApi();
    api.addSession('echo.jsonl', { url: 'ws://127.0.0.1:9/echo', messages: [{ dir: 'out', text: 'hi' }] });
    render(App, { api });
    const sessions = screen.getByRole('region', { name: 'Sessions' });
    const item = (): HTMLElement => sessions.querySelector('li:not(.empty)')!;
    await within(sessions).findByRole('button', { name: 'Open session echo.jsonl' });

    await fireEvent.click(within(sessions).getByRole('button', { name: 'Rename session echo.jsonl' }));
    const field = within(sessions).getByRole('textbox', { name: 'New name for session echo.jsonl' });
    await fireEvent.input(field, { target: { value: 'nightly run' } });
    await fireEvent.submit(field.closest('form')!);

    await within(sessions).findByRole('button', { name: 'Open session nightly run.jsonl' });
    await waitFor(() => expect(item().querySelector('.title')!.textContent).toBe('nightly run'));
    expect(api.calls.find(([n]) => n === 'session.rename')?.[1]).toEqual({
      name: 'echo.jsonl',
      newName: 'nightly run.jsonl',
    });
  });
});
