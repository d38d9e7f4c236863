/**
 * Route paths of a mock, `/rooms/:room` style, on path-to-regexp (Express's
 * matcher): `:name` is one segment, `*name` the rest of the path, `{…}` optional.
 */
import { match } from 'path-to-regexp';

export type RouteParams = Record<string, string>;

/** Compiles a pattern once; throws a TypeError that names the position of a bad pattern. */
export function compileRoutePath(pattern: string): (pathname: string) => RouteParams | undefined {
  const test = match<Record<string, string | string[]>>(pattern, { decode: safeDecode });
  return (pathname) => {
    const query = pathname.indexOf('?');
    const result = test(query === -1 ? pathname : pathname.slice(0, query));
    if (!result) return undefined;
    const params: RouteParams = {};
    for (const [name, value] of Object.entries(result.params)) {
      if (value !== undefined) params[name] = Array.isArray(value) ? value.join('/') : value;
    }
    return params;
  };
}

/** A malformed escape (`%zz`) stays as written rather than failing the whole handshake. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
