/**
 * The helpers a template may call, besides Handlebars' own if / unless / each /
 * with / lookup. Every helper here is pure except for the clock, the random
 * source and the UUID source, which the engine passes in so tests can fix them.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type { HelperDelegate, HelperOptions } from 'handlebars';
import { format as formatDate } from 'date-fns/format';
import type { Faker } from '@faker-js/faker';
import { TemplateError } from './template-error.js';

// Faker's English data costs tens of milliseconds to load; most templates never use it,
// so it is loaded on the first {{faker}} (a synchronous require of its ES module build).
// Not named `require`: bundlers for Electron's main process declare their own at the top of the bundle.
const loadModule = createRequire(import.meta.url);
let fakerEn: Faker | undefined;
function faker(): Faker {
  return (fakerEn ??= (loadModule('@faker-js/faker/locale/en') as { faker: Faker }).faker);
}

export interface HelperSources {
  now: () => Date;
  /** A number in [0, 1), like Math.random. */
  random: () => number;
  uuid: () => string;
}

export const defaultHelperSources: HelperSources = {
  now: () => new Date(),
  random: Math.random,
  uuid: randomUUID,
};

/** Faker modules a template may draw from; `helpers` is left out because it calls back into code. */
export const FAKER_MODULES: ReadonlySet<string> = new Set([
  'airline',
  'animal',
  'book',
  'color',
  'commerce',
  'company',
  'database',
  'datatype',
  'date',
  'finance',
  'food',
  'git',
  'hacker',
  'image',
  'internet',
  'location',
  'lorem',
  'music',
  'number',
  'person',
  'phone',
  'science',
  'string',
  'system',
  'vehicle',
  'word',
]);

const FAKER_METHOD = /^[a-z][A-Za-z0-9]*$/;

export function createHelpers(sources: HelperSources): Record<string, HelperDelegate> {
  return {
    /** `{{json value}}` or `{{json value 2}}`: the value as JSON text; undefined becomes null. */
    json: (...args: unknown[]) => {
      const [value, indent] = positional(args);
      if (indent !== undefined && typeof indent !== 'number') {
        throw helperError(args, 'json: the indent, if given, must be a number, e.g. {{json msg.json 2}}');
      }
      return JSON.stringify(value === undefined ? null : value, null, indent);
    },
    /** `{{text value}}`: a string as it is, a number or boolean as written, anything else as JSON. */
    text: (...args: unknown[]) => {
      const [value] = positional(args);
      if (value === undefined || value === null) return '';
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
        return String(value);
      }
      return JSON.stringify(value);
    },
    /** `{{now}}` ISO 8601; `{{now "yyyy-MM-dd HH:mm"}}` with date-fns format tokens. */
    now: (...args: unknown[]) => {
      const [pattern] = positional(args);
      const date = sources.now();
      if (pattern === undefined) return date.toISOString();
      if (typeof pattern !== 'string') throw helperError(args, 'now: the format must be a string');
      try {
        return formatDate(date, pattern);
      } catch (err) {
        throw helperError(args, `now: bad format "${pattern}": ${(err as Error).message}`);
      }
    },
    /** `{{epochMs}}`: milliseconds since 1970. */
    epochMs: () => sources.now().getTime(),
    uuid: () => sources.uuid(),
    /** `{{randomInt 1 6}}`: an integer from min to max, both included. */
    randomInt: (...args: unknown[]) => {
      const [min, max] = numbers(args, 'randomInt', 2);
      const low = Math.ceil(Math.min(min, max));
      const high = Math.floor(Math.max(min, max));
      if (low > high) throw helperError(args, `randomInt: no integer lies between ${min} and ${max}`);
      return low + Math.floor(sources.random() * (high - low + 1));
    },
    /** `{{randomFloat 0 1}}` or `{{randomFloat 0 1 3}}`: a number in [min, max) with 2 (or N) decimals, each as likely. */
    randomFloat: (...args: unknown[]) => {
      const [min, max, decimals = 2] = numbers(args, 'randomFloat', 2, 3);
      if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) {
        throw helperError(args, 'randomFloat: decimals must be a whole number from 0 to 15');
      }
      // Drawn as a whole number of steps (0.01 for 2 decimals) in [min, max): rounding a
      // float instead could reach max (0.996 is 1.00) or fall under min.
      const scale = 10 ** decimals;
      const steps = (x: number): number => Math.ceil(Number((x * scale).toFixed(6)));
      const first = steps(Math.min(min, max));
      const last = steps(Math.max(min, max)) - 1;
      // No N-decimal number lies in the range (or min = max): min itself.
      if (last < first) return Math.min(min, max);
      return Number(((first + Math.floor(sources.random() * (last - first + 1))) / scale).toFixed(decimals));
    },
    /** `{{faker "person.firstName"}}`, `{{faker "number.int" min=1 max=9}}`: fake data from an allowed module. */
    faker: (...args: unknown[]) => {
      const [path, ...rest] = positional(args);
      const options = args[args.length - 1] as HelperOptions;
      const method = fakerMethod(path, args);
      const hash = options.hash as Record<string, unknown>;
      const callArgs = Object.keys(hash).length > 0 ? [...rest, { ...hash }] : rest;
      try {
        return method(...callArgs);
      } catch (err) {
        throw helperError(args, `faker "${String(path)}": ${(err as Error).message}`);
      }
    },
  };
}

/** The names `createHelpers` defines; the engine compiles with only these (and Handlebars' own) known. */
export const HELPER_NAMES = [
  'json',
  'text',
  'now',
  'epochMs',
  'uuid',
  'randomInt',
  'randomFloat',
  'faker',
] as const;

function fakerMethod(path: unknown, args: unknown[]): (...a: unknown[]) => unknown {
  const parts = typeof path === 'string' ? path.split('.') : [];
  const [moduleName, methodName] = parts;
  if (parts.length !== 2 || !FAKER_MODULES.has(moduleName!) || !FAKER_METHOD.test(methodName!)) {
    throw helperError(
      args,
      `faker: "${String(path)}" is not an allowed faker path; use MODULE.METHOD, e.g. "person.firstName", ` +
        `with MODULE one of ${[...FAKER_MODULES].join(', ')}`,
    );
  }
  const module = (faker() as unknown as Record<string, Record<string, unknown>>)[moduleName!]!;
  const method = module[methodName!];
  if (typeof method !== 'function' || methodName === 'constructor') {
    throw helperError(args, `faker: "${moduleName}" has no method "${methodName}"`);
  }
  return (method as (...a: unknown[]) => unknown).bind(module);
}

/** The arguments a template passed, without Handlebars' trailing options object. */
function positional(args: unknown[]): unknown[] {
  return args.slice(0, -1);
}

function numbers(args: unknown[], helper: string, min: number, max = min): [number, number, number?] {
  const values = positional(args);
  if (
    values.length < min ||
    values.length > max ||
    values.some((v) => typeof v !== 'number' || !isFinite(v))
  ) {
    const shape = max === min ? `${min} numbers` : `${min} to ${max} numbers`;
    throw helperError(args, `${helper}: expects ${shape}, e.g. {{${helper} 1 10}}`);
  }
  return values as [number, number, number?];
}

function helperError(args: unknown[], message: string): TemplateError {
  const options = args[args.length - 1] as HelperOptions & {
    loc?: { start: { line: number; column: number } };
  };
  const start = options?.loc?.start;
  return new TemplateError('helper', message, {
    line: start?.line,
    column: start === undefined ? undefined : start.column + 1,
  });
}
