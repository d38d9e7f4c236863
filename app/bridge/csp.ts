/**
 * The one Content-Security-Policy of the UI, sent by the browser-mode server,
 * by the Electron shell (response header and app:// protocol) and repeated in
 * renderer/index.html's <meta>. Nothing inline, nothing remote: scripts,
 * styles and fonts come from the app itself; the only connection is the
 * same-origin bridge WebSocket (CSP3 'self' covers ws: to the same host:port).
 * The composer's CodeMirror editor lives in a shadow root, where its styles are
 * constructed (adopted) stylesheets; Chromium applies those under style-src
 * 'self' (the composer e2e checks its base theme is in effect and no violation
 * is reported), so no 'unsafe-inline' or nonce is needed.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Security headers sent with every response of the UI. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'Content-Security-Policy': contentSecurityPolicy,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
