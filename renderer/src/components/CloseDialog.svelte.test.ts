import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
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

  it('says that "abc" is not a number instead of calling it NaN, and sends nothing', async () => {
    const onclose = vi.fn(async () => '');
    render(CloseDialog, { onclose, oncancel: () => undefined });
    const code = screen.getByRole('textbox', { name: 'Close code' });
    const submit = screen.getByRole('button', { name: 'Close connection' }) as HTMLButtonElement;
    for (const value of ['abc', '1e3', '10 00', '4000.5']) {
      await fireEvent.input(code, { target: { value } });
      expect(screen.getByRole('alert').textContent, value).toBe(
        `Close code "${value}" is not a number: type a code such as 1000 or 4000.`,
      );
      expect(screen.getByRole('alert').textContent).not.toMatch(/NaN/);
      expect(code.getAttribute('aria-invalid')).toBe('true');
      expect(submit.disabled).toBe(true);
    }
    await fireEvent.submit(submit.form!);
    expect(onclose).not.toHaveBeenCalled();
    await fireEvent.input(code, { target: { value: ' 4000 ' } });
    expect(screen.getByRole('alert').textContent).toBe('');
    await fireEvent.click(submit);
    expect(onclose).toHaveBeenCalledWith(4000, '', false);
  });

  it('pre-fills 1000 for a client as for a server', () => {
    for (const side of ['client', 'server'] as const) {
      const { unmount } = render(CloseDialog, { side, onclose: async () => '', oncancel: () => undefined });
      const code = screen.getByRole('textbox', { name: 'Close code' }) as HTMLInputElement;
      expect(code.value, side).toBe('1000');
      expect(screen.getByRole('alert').textContent).toBe('');
      unmount();
    }
  });

  it('a client refuses 1011 by default and sends it once "any code valid on the wire" is ticked', async () => {
    const onclose = vi.fn(async () => '');
    render(CloseDialog, { onclose, oncancel: () => undefined });
    await fireEvent.input(screen.getByRole('textbox', { name: 'Close code' }), { target: { value: '1011' } });
    expect(screen.getByRole('alert').textContent).toMatch(/^Close code 1011 is not allowed/);
    const submit = screen.getByRole('button', { name: 'Close connection' }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    const optIn = screen.getByRole('checkbox', { name: /any code valid on the wire/ }) as HTMLInputElement;
    expect(optIn.checked).toBe(false);
    await fireEvent.click(optIn);
    expect(screen.getByRole('alert').textContent).toBe('');
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    expect(onclose).toHaveBeenCalledWith(1011, '', true);
    // Codes that never appear in a close frame stay refused with the opt-in.
    await fireEvent.input(screen.getByRole('textbox', { name: 'Close code' }), { target: { value: '1005' } });
    expect(screen.getByRole('alert').textContent).toMatch(/^Close code 1005 cannot be sent/);
  });

  it('a server closes with 1001, 1008 or 1011 without any opt-in, and never with 1005', async () => {
    const onclose = vi.fn(async () => '');
    render(CloseDialog, { side: 'server', onclose, oncancel: () => undefined });
    expect(screen.queryByRole('checkbox')).toBeNull();
    const code = screen.getByRole('textbox', { name: 'Close code' });
    const submit = screen.getByRole('button', { name: 'Close connection' }) as HTMLButtonElement;
    for (const value of [1001, 1008, 1011]) {
      await fireEvent.input(code, { target: { value: String(value) } });
      expect(screen.getByRole('alert').textContent, `code ${value}`).toBe('');
      expect(submit.disabled).toBe(false);
    }
    await fireEvent.click(submit);
    expect(onclose).toHaveBeenCalledWith(1011, '', false);
    await fireEvent.input(code, { target: { value: '1005' } });
    expect(screen.getByRole('alert').textContent).toMatch(/^Close code 1005 cannot be sent/);
    expect(submit.disabled).toBe(true);
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
    expect(onclose).toHaveBeenCalledWith(4000, 'done', false);
  });

  it('Escape cancels', async () => {
    const oncancel = vi.fn();
    render(CloseDialog, { onclose: async () => '', oncancel });
    await fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(oncancel).toHaveBeenCalled();
  });

  it('is a labelled modal dialog: Tab and Shift+Tab cycle inside it', async () => {
    render(CloseDialog, { onclose: async () => '', oncancel: () => undefined });
    const dialog = screen.getByRole('dialog', { name: 'Close connection' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(dialog.getAttribute('aria-describedby')).toBe('close-hint');
    const code = screen.getByRole('textbox', { name: 'Close code' });
    expect(document.activeElement).toBe(code);
    const submit = screen.getByRole('button', { name: 'Close connection' });
    submit.focus();
    await fireEvent.keyDown(submit, { key: 'Tab' });
    expect(document.activeElement).toBe(code);
    await fireEvent.keyDown(code, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(submit);
    // With the submit disabled (code 999), Cancel is the last stop.
    await fireEvent.input(code, { target: { value: '999' } });
    const cancel = screen.getByRole('button', { name: 'Cancel' });
    cancel.focus();
    await fireEvent.keyDown(cancel, { key: 'Tab' });
    expect(document.activeElement).toBe(code);
  });

  it('pulls focus back in when it lands outside, and returns it to the opener when it ends', async () => {
    const outside = document.createElement('button');
    outside.textContent = 'Opener';
    document.body.append(outside);
    outside.focus();
    const view = render(CloseDialog, { onclose: async () => '', oncancel: () => undefined });
    const code = screen.getByRole('textbox', { name: 'Close code' });
    expect(document.activeElement).toBe(code);
    outside.focus();
    expect(document.activeElement).toBe(code);
    view.unmount();
    await waitFor(() => expect(document.activeElement).toBe(outside));
    outside.remove();
  });

  it('uses returnFocus when the opener is gone, and its own action label', async () => {
    const opener = document.createElement('button');
    const fallback = document.createElement('button');
    document.body.append(opener, fallback);
    opener.focus();
    const view = render(CloseDialog, {
      title: 'Disconnect client-1',
      action: 'Disconnect client',
      onclose: async () => '',
      oncancel: () => undefined,
      returnFocus: () => fallback,
    });
    expect(screen.getByRole('dialog', { name: 'Disconnect client-1' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Disconnect client' })).toBeTruthy();
    opener.remove();
    view.unmount();
    await waitFor(() => expect(document.activeElement).toBe(fallback));
    fallback.remove();
  });
});
