import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import App from '../App.svelte';
import { createFakeApi } from '../../test-support/fake-api.js';
import type { ConnectOptions } from '../../../app/contract.js';

async function newTab(url: string) {
  const api = createFakeApi();
  render(App, { api });
  const sidebar = screen.getByRole('navigation', { name: 'Workspace' });
  await fireEvent.click(within(sidebar).getByRole('button', { name: 'New connection' }));
  await fireEvent.input(screen.getByRole('textbox', { name: 'URL' }), { target: { value: url } });
  return api;
}

async function connect(): Promise<void> {
  await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
  await waitFor(() => expect(screen.getByRole('status', { name: 'Connection state: OPEN' })).toBeTruthy());
}

const opened = (api: ReturnType<typeof createFakeApi>): ConnectOptions[] =>
  api.calls.filter(([name]) => name === 'connection.open').map(([, input]) => input as ConnectOptions);

describe('The request of a connection tab', () => {
  it('an edited URL while connected is marked not applied, naming the live URL; gone after disconnect', async () => {
    await newTab('ws://127.0.0.1:9/echo');
    await connect();
    const url = screen.getByRole('textbox', { name: 'URL' });
    expect(url.getAttribute('aria-describedby')).toBeNull();
    await fireEvent.input(url, { target: { value: 'ws://127.0.0.1:9/other' } });
    const note = screen.getByText(/Not applied: still connected to ws:\/\/127\.0\.0\.1:9\/echo/);
    expect(url.getAttribute('aria-describedby')).toBe(note.id);
    expect(url.classList.contains('unapplied')).toBe(true);
    // The tab keeps the live URL as its name until the edit applies.
    const tabs = screen.getByRole('tablist', { name: 'Open tabs' });
    expect(within(tabs).getByRole('tab', { name: /127\.0\.0\.1:9\/echo/ })).toBeTruthy();
    expect(within(tabs).queryByRole('tab', { name: /\/other/ })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    await waitFor(() =>
      expect(screen.getByRole('status', { name: 'Connection state: CLOSED' })).toBeTruthy(),
    );
    expect(screen.queryByText(/Not applied/)).toBeNull();
    expect(url.classList.contains('unapplied')).toBe(false);
    expect(within(tabs).getByRole('tab', { name: /127\.0\.0\.1:9\/other/ })).toBeTruthy();
  });

  it('the Handshake tab shows the request sent (URL, headers, offered protocols, origin) above the response', async () => {
    await newTab('ws://127.0.0.1:9/echo');
    await fireEvent.click(screen.getByRole('tab', { name: 'Options' }));
    await fireEvent.input(screen.getByLabelText('Subprotocols'), { target: { value: 'v2.json, v1' } });
    await fireEvent.input(screen.getByLabelText('Origin'), { target: { value: 'https://app.example' } });
    await connect();
    await fireEvent.click(screen.getByRole('tab', { name: 'Handshake' }));
    const request = screen.getByLabelText('Request headers');
    expect(request.textContent).toContain('Offered protocols');
    expect(request.textContent).toContain('v2.json, v1');
    expect(request.textContent).toContain('https://app.example');
    expect(request.textContent).toContain('Sec-WebSocket-Key');
    expect(screen.getByText('ws://127.0.0.1:9/echo', { selector: '.line' })).toBeTruthy();
    expect(screen.getByLabelText('Response headers').textContent).toContain('upgrade');
  });

  it('reconnect, heartbeat and a PEM client certificate from the Options tab go into connection.open', async () => {
    const api = await newTab('wss://127.0.0.1:9/secure');
    await fireEvent.click(screen.getByRole('tab', { name: 'Options' }));
    await fireEvent.input(screen.getByLabelText('Auto-reconnect'), { target: { value: '5' } });
    await fireEvent.input(screen.getByLabelText('Heartbeat'), { target: { value: '15000' } });
    await fireEvent.input(screen.getByLabelText('Certificate (PEM)'), { target: { value: 'CERT-PEM' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    // A certificate without its key is refused before anything is opened.
    expect((await screen.findByRole('alert')).textContent).toMatch(/both the certificate and its key/);
    expect(opened(api)).toEqual([]);
    await fireEvent.input(screen.getByLabelText('Private key (PEM)'), { target: { value: 'KEY-PEM' } });
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'pw' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(opened(api)).toHaveLength(1));
    expect(opened(api)[0]).toMatchObject({
      reconnect: { maxAttempts: 5 },
      heartbeat: { intervalMs: 15000 },
      tls: { cert: 'CERT-PEM', key: 'KEY-PEM', passphrase: 'pw' },
    });
  });

  it('a PFX file is read as base64 and sent with its passphrase; bad numbers say what to write', async () => {
    const api = await newTab('wss://127.0.0.1:9/secure');
    await fireEvent.click(screen.getByRole('tab', { name: 'Options' }));
    const bytes = new Uint8Array([0x30, 0x82, 0x01, 0xff, 0x00]);
    const file = new File([bytes], 'client.p12', { type: 'application/x-pkcs12' });
    await fireEvent.change(screen.getByLabelText('PFX file'), { target: { files: [file] } });
    await waitFor(() => expect(screen.getByTestId('pfx-name').textContent).toBe('client.p12'));
    await fireEvent.input(screen.getByLabelText('Heartbeat'), { target: { value: '5' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Heartbeat .*at least 100/);
    await fireEvent.input(screen.getByLabelText('Heartbeat'), { target: { value: '' } });
    await fireEvent.input(screen.getByLabelText('Passphrase'), { target: { value: 'secret' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    await waitFor(() => expect(opened(api)).toHaveLength(1));
    expect(opened(api)[0]!.tls).toEqual({ pfx: 'MIIB/wA=', passphrase: 'secret' });
    expect(opened(api)[0]!.heartbeat).toBeUndefined();
  });

  it('bufferedAmount is live: it shows the queued bytes, then falls back to 0', async () => {
    const api = await newTab('ws://127.0.0.1:9/echo');
    await connect();
    const facts = screen.getByLabelText('Connection facts');
    const [live] = await api.connection.list({}).then((r) => (r.ok ? r.value : []));
    api.drain.hold = true;
    await api.connection.send({
      connectionId: live!.connectionId,
      payload: { type: 'binary', data: new Uint8Array(300 * 1024) },
    });
    await waitFor(() => expect(facts.textContent).toMatch(/buffered\s*300(\.0)? KiB/));
    api.drain.release();
    await waitFor(() => expect(facts.textContent).toMatch(/buffered\s*0 B/));
  });
});
