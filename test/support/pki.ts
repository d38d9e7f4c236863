/**
 * A throwaway PKI made with openssl for TLS tests: a CA, a server certificate
 * for 127.0.0.1 signed by it, and a client certificate signed by it (as PEM
 * and as a passphrase-protected PFX).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client certificate and key as PKCS#12, protected by `pfxPassphrase`. */
  clientPfx: Buffer;
  pfxPassphrase: string;
  /** Files of the same material, for CLI flags. */
  files: { clientCert: string; clientKey: string; clientPfx: string; caCert: string };
  remove(): void;
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'duplex-pki-'));
  const f = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  return issue();

  function issue(): TestPki {
    ssl(
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1'],
      ...['-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', '/CN=Duplex Test CA'],
    );
    leaf('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
    leaf('client', '/CN=duplex-test-client', 'extendedKeyUsage=clientAuth');
    const pfxPassphrase = 'pfx-secret';
    ssl(
      ...['pkcs12', '-export', '-inkey', f('client.key'), '-in', f('client.pem')],
      ...['-out', f('client.pfx'), '-passout', `pass:${pfxPassphrase}`],
    );
    const read = (name: string): string => readFileSync(f(name), 'utf8');
    return {
      dir,
      caCert: read('ca.pem'),
      serverCert: read('server.pem'),
      serverKey: read('server.key'),
      clientCert: read('client.pem'),
      clientKey: read('client.key'),
      clientPfx: readFileSync(f('client.pfx')),
      pfxPassphrase,
      files: {
        clientCert: f('client.pem'),
        clientKey: f('client.key'),
        clientPfx: f('client.pfx'),
        caCert: f('ca.pem'),
      },
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  }

  function leaf(name: string, subject: string, ext: string): void {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      f(`${name}.key`),
      '-out',
      f(`${name}.csr`),
      '-subj',
      subject,
    );
    ssl(
      ...['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key')],
      ...['-CAcreateserial', '-days', '1', '-out', f(`${name}.pem`), '-extfile', extFile(name, ext)],
    );
  }

  function extFile(name: string, ext: string): string {
    const path = f(`${name}.ext`);
    writeFileSync(path, `${ext}\n`);
    return path;
  }
}
