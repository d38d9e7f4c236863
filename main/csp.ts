/**
 * Serves the built renderer under app://duplex/ (a privileged standard scheme,
 * not file://, so the page has a real origin to check) and puts the strict
 * Content-Security-Policy on every response the window receives.
 */
import { readFile } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { securityHeaders } from '../app/bridge/csp.js';
import { contentTypeOf, resolveStaticFile } from '../app/bridge/static-files.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'duplex';
/** The window's page; IPC accepts only frames whose URL starts with APP_ORIGIN. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** The window's policy: like browser mode's, with app://duplex for 'self' and no connections. */
export const electronContentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${APP_ORIGIN}`,
  `style-src ${APP_ORIGIN}`,
  `img-src ${APP_ORIGIN} data:`,
  `font-src ${APP_ORIGIN}`,
  "connect-src 'none'",
  `worker-src ${APP_ORIGIN}`,
  `manifest-src ${APP_ORIGIN}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Answers app://duplex/<path> from the renderer folder; nothing outside it, nothing else. */
export function serveRenderer(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? await resolveStaticFile(rendererDir, url.pathname) : undefined;
    if (!file || request.method !== 'GET') {
      return new Response('Not found', { status: 404, headers: { ...securityHeaders } });
    }
    return new Response(await readFile(file), {
      headers: {
        ...securityHeaders,
        'Content-Security-Policy': electronContentSecurityPolicy,
        'Content-Type': contentTypeOf(file),
      },
    });
  });
}

/**
 * Adds the CSP header to every response of the session (the page also carries a <meta> policy;
 * the browser enforces both). Stricter than browser mode's: sources are app://duplex itself and
 * the page opens no connections at all (it talks to the engine over IPC). Written out literally
 * so the built app can be audited (electronegativity reads the literal); test/main checks it
 * equals electronContentSecurityPolicy.
 */
export function installContentSecurityPolicy(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'none'; script-src app://duplex; style-src app://duplex; img-src app://duplex data:; font-src app://duplex; connect-src 'none'; worker-src app://duplex; manifest-src app://duplex; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'",
        ],
      },
    });
  });
}
