/**
 * Certificates of wss:// mock servers: a self-signed one generated for the
 * listening host (kept for the life of the process, so a client that trusted it
 * keeps working across restarts of the mock), or the user's own PEM files.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';
import { DuplexError, ErrorCodes } from '../errors.js';

export type TlsSource = { selfSigned: true } | { certFile: string; keyFile: string };

export interface ServerCertificate {
  /** PEM. */
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, colon-separated hex (what browsers show). */
  fingerprint: string;
  selfSigned: boolean;
}

const generated = new Map<string, Promise<ServerCertificate>>();

export async function loadServerCertificate(source: TlsSource, host: string): Promise<ServerCertificate> {
  if ('selfSigned' in source) {
    let cert = generated.get(host);
    if (!cert) {
      cert = selfSignedFor(host);
      generated.set(host, cert);
      cert.catch(() => generated.delete(host));
    }
    return cert;
  }
  const [cert, key] = await Promise.all([
    readPem(source.certFile, 'certificate'),
    readPem(source.keyFile, 'key'),
  ]);
  return { cert, key, fingerprint: fingerprintOf(cert, source.certFile), selfSigned: false };
}

async function selfSignedFor(host: string): Promise<ServerCertificate> {
  const names = new Set(['localhost', '127.0.0.1', '::1', host]);
  const altNames = [...names]
    .filter((n) => n !== '0.0.0.0' && n !== '::')
    .map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n }));
  const pems = await generate([{ name: 'commonName', value: isIP(host) ? 'localhost' : host }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return {
    cert: pems.cert,
    key: pems.private,
    fingerprint: fingerprintOf(pems.cert, 'generated'),
    selfSigned: true,
  };
}

function fingerprintOf(pem: string, file: string): string {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch (err) {
    throw new DuplexError(ErrorCodes.FILE, `${file} is not a PEM certificate: ${(err as Error).message}.`);
  }
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new DuplexError(ErrorCodes.FILE, `Cannot read the TLS ${what} ${file}: ${(err as Error).message}.`);
  }
}
