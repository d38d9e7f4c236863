import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import CopyAsCode from './CopyAsCode.svelte';
import { codeRequestFrom, redactCredentials, requestAsCode, type CodeRequest } from '../lib/copy-as-code.js';

const request: CodeRequest = {
  url: 'wss://example.com/feed',
  headers: { Authorization: 'Bearer t' },
  protocols: ['v1'],
  message: '{"op":"sub"}',
};

describe('CopyAsCode', () => {
  it('shows the request as each target and copies what it shows', async () => {
    const copy = vi.fn(async (_text: string) => undefined);
    render(CopyAsCode, { request: () => ({ ok: true, value: request }), copy });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy as code' }));
    const panel = screen.getByRole('region', { name: 'Copy as code' });
    await vi.waitFor(() => expect(within(panel).getByLabelText('Generated code').textContent).not.toBe(''));
    const group = within(panel).getByRole('group', { name: 'Code for' });
    expect([...group.querySelectorAll('button')].map((b) => b.textContent)).toEqual([
      'wscat',
      'websocat',
      'JavaScript (WebSocket)',
      'Python (websockets)',
    ]);
    for (const [label, target] of [
      ['wscat', 'wscat'],
      ['websocat', 'websocat'],
      ['JavaScript (WebSocket)', 'javascript'],
      ['Python (websockets)', 'python'],
    ] as const) {
      await fireEvent.click(within(group).getByRole('button', { name: label }));
      const shown = within(panel).getByLabelText('Generated code').textContent;
      expect(shown).toBe(requestAsCode(target, redactCredentials(request)));
      await fireEvent.click(within(panel).getByRole('button', { name: 'Copy' }));
      expect(copy).toHaveBeenLastCalledWith(shown);
      expect(within(panel).getByRole('status').textContent).toBe(`Copied as ${label}.`);
    }
    // Credentials are redacted unless the person opts in.
    expect(within(panel).getByLabelText('Generated code').textContent).toContain(
      'additional_headers={"Authorization": "[redacted]"}',
    );
    await fireEvent.click(within(panel).getByRole('checkbox', { name: /Include secrets and credentials/ }));
    await vi.waitFor(() =>
      expect(within(panel).getByLabelText('Generated code').textContent).toContain(
        'additional_headers={"Authorization": "Bearer t"}',
      ),
    );
  });

  it('asks for secret values only when the person opts in', async () => {
    const asked: boolean[] = [];
    render(CopyAsCode, {
      request: async (reveal: boolean) => {
        asked.push(reveal);
        return { ok: true, value: { url: reveal ? 'wss://h/?k=SECRET' : 'wss://h/?k=[redacted]' } };
      },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy as code' }));
    const code = (): string => screen.getByLabelText('Generated code').textContent ?? '';
    await vi.waitFor(() => expect(code()).toContain('k=[redacted]'));
    expect(code()).not.toContain('SECRET');
    await fireEvent.click(screen.getByRole('checkbox', { name: /Include secrets/ }));
    await vi.waitFor(() => expect(code()).toContain('k=SECRET'));
    expect(asked).toEqual([false, true]);
  });

  it('says what is wrong with a request that cannot be written out', async () => {
    render(CopyAsCode, { request: () => ({ ok: false, error: 'The URL must start with ws:// or wss://.' }) });
    await fireEvent.click(screen.getByRole('button', { name: 'Copy as code' }));
    await vi.waitFor(() => expect(screen.getByRole('alert')).toBeTruthy());
    expect(screen.getByRole('alert').textContent).toBe('The URL must start with ws:// or wss://.');
    expect(screen.queryByLabelText('Code')).toBeNull();
  });

  it('maps connection options, dropping what other clients cannot take, and an empty message', () => {
    expect(
      codeRequestFrom(
        {
          url: 'wss://h/',
          headers: { A: '1' },
          protocols: ['p'],
          origin: 'https://o',
          tls: { insecure: true, ca: 'PEM' },
          perMessageDeflate: false,
          handshakeTimeoutMs: 10,
        },
        '',
      ),
    ).toEqual({
      url: 'wss://h/',
      headers: { A: '1' },
      protocols: ['p'],
      origin: 'https://o',
      insecure: true,
    });
  });
});
