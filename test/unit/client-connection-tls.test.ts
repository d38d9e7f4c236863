/**
 * Client certificates against a real TLS server that requires one
 * (requestCert + rejectUnauthorized, a CA made for the test with openssl).
 */
import { once } from 'node:events';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ClientConnection } from '../../app/connections/client-connection.js';
import { connectOptionsSchema, type ConnectOptions } from '../../app/contract.js';
import { ErrorCodes, type ErrorInfo } from '../../app/errors.js';
import { makeTestPki, type TestPki } from '../support/pki.js';

let pki: TestPki;
let https: Server;
let wss: WebSocketServer;
let url = '';
/** The subject CN of the client certificate each accepted connection presented. */
const peers: string[] = [];
const conns: ClientConnection[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  https = createHttpsServer({
    key: pki.serverKey,
    cert: pki.serverCert,
    ca: pki.caCert,
    requestCert: true,
    rejectUnauthorized: true,
  });
  wss = new WebSocketServer({ server: https });
  wss.on('connection', (ws, req) => {
    peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject.CN));
    ws.on('message', (d, bin) => ws.send(d, { binary: bin }));
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  url = `wss://127.0.0.1:${(https.address() as { port: number }).port}/`;
});

afterEach(() => {
  for (const c of conns.splice(0)) c.terminate();
});

afterAll(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise((r) => wss.close(r));
  await new Promise((r) => https.close(r));
  pki.remove();
});

function open(options: ConnectOptions): ClientConnection {
  const conn = new ClientConnection('tls', connectOptionsSchema.parse(options));
  conn.on('error', () => undefined);
  conns.push(conn);
  return conn.connect();
}

function nextError(conn: ClientConnection): Promise<ErrorInfo> {
  return new Promise((resolve) => conn.once('error', resolve));
}

async function echoes(conn: ClientConnection): Promise<string> {
  await once(conn, 'open');
  conn.send({ type: 'text', text: 'with a client certificate' });
  const [msg] = await once(conn, 'message');
  return Buffer.from(msg.payload).toString();
}

describe('ClientConnection: client certificates', () => {
  it('is refused without a client certificate, with a message that says one is needed', async () => {
    const conn = open({ url, tls: { ca: pki.caCert } });
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/requires a client certificate/);
    expect(err.message).not.toMatch(/SSL routines/);
  });

  it('connects with a PEM cert + key; the server sees that certificate', async () => {
    const before = peers.length;
    const conn = open({ url, tls: { ca: pki.caCert, cert: pki.clientCert, key: pki.clientKey } });
    expect(await echoes(conn)).toBe('with a client certificate');
    expect(peers.slice(before)).toEqual(['duplex-test-client']);
  });

  it('connects with a PFX (base64) and its passphrase', async () => {
    const before = peers.length;
    const conn = open({
      url,
      tls: { ca: pki.caCert, pfx: pki.clientPfx.toString('base64'), passphrase: pki.pfxPassphrase },
    });
    expect(await echoes(conn)).toBe('with a client certificate');
    expect(peers.slice(before)).toEqual(['duplex-test-client']);
  });

  it('a wrong PFX passphrase fails the connection with a readable TLS error, not a crash', async () => {
    const conn = open({
      url,
      tls: { ca: pki.caCert, pfx: pki.clientPfx.toString('base64'), passphrase: 'wrong' },
    });
    const err = await nextError(conn);
    expect(err.code).toBe(ErrorCodes.CONNECTION_FAILED);
    expect(err.message).toMatch(/passphrase/i);
    expect(conn.readyState).toBe(3);
  });

  it('the schema wants cert and key together, and PEM or PFX, not both', () => {
    expect(connectOptionsSchema.safeParse({ url, tls: { cert: pki.clientCert } }).success).toBe(false);
    expect(
      connectOptionsSchema.safeParse({
        url,
        tls: { cert: pki.clientCert, key: pki.clientKey, pfx: pki.clientPfx.toString('base64') },
      }).success,
    ).toBe(false);
    expect(connectOptionsSchema.safeParse({ url, tls: { pfx: 'not base64!' } }).success).toBe(false);
  });
});
