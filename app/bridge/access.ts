/**
 * Who may use the browser-mode server: only a page on this machine that knows
 * the per-run token. Every request is checked for
 *  - a loopback Host header with our port (defeats DNS rebinding),
 *  - no Origin, or our own loopback origin (defeats other web pages),
 *  - the token, in the query (`?token=`) or in the HttpOnly cookie the page
 *    was given when it was fetched with the token.
 * Failing any check means 403 and nothing else.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/** Host header is `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`. */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  return LOOPBACK_NAMES.some((name) => host.toLowerCase() === `${name}:${port}`);
}

/** Origin is absent (not a browser page, or a top-level navigation) or our own loopback origin. */
export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return LOOPBACK_NAMES.some((name) => origin.toLowerCase() === `http://${name}:${port}`);
}

/** Name of the cookie holding the token; per port, since cookies ignore ports. */
export const tokenCookieName = (port: number): string => `duplex_ui_${port}`;

export function tokenFromQuery(url: URL): string | undefined {
  return url.searchParams.get('token') ?? undefined;
}

export function tokenFromCookie(req: IncomingMessage, port: number): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const wanted = tokenCookieName(port);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === wanted) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function tokenCookie(port: number, token: string): string {
  return `${tokenCookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}
