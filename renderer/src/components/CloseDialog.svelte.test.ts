import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import CloseDialog from './CloseDialog.svelte';

describe('CloseDialog', () => {
  it('shows the error for code 999 inline and does not send it', async () => {
    const onclose = vi.fn(async () => '');
    render(CloseDialog, { onclose, oncancel: () => undefined });
    const code = screen.getByRole('textbox', { name: 'Close code' });
    await fireEvent.input(code, { target: { value: '999' } });
    expect(screen.getByRole('alert').textContent).toBe(
      'Close code 999 is not allowed: use 1000 (normal closure) or an application code from 3000 to 4999.',
    );
    expect(code.getAttribute('aria-invalid')).toBe('true');
    const submit = screen.getByRole('button', { name: 'Close connection' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.submit(submit.form!);
    expect(onclose).not.toHaveBeenCalled();
  });

  it('rejects a reason over 123 UTF-8 bytes', async () => {
    render(CloseDialog, { onclose: async () => '', oncancel: () => undefined });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Reason' }), {
      target: { value: 'é'.repeat(62) },
    });
    expect(screen.getByRole('alert').textContent).toMatch(/124 bytes of UTF-8; the limit is 123/);
  });

  it('sends a valid code and reason', async () => {
    const onclose = vi.fn(async () => '');
    render(CloseDialog, { onclose, oncancel: () => undefined });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Close code' }), { target: { value: '4000' } });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Reason' }), { target: { value: 'done' } });
    expect(screen.getByRole('alert').textContent).toBe('');
    await fireEvent.click(screen.getByRole('button', { name: 'Close connection' }));
    expect(onclose).toHaveBeenCalledWith(4000, 'done');
  });

  it('Escape cancels', async () => {
    const oncancel = vi.fn();
    render(CloseDialog, { onclose: async () => '', oncancel });
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalled();
  });
});
