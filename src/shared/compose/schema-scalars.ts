// Scalars as compose-go casts them after interpolation ("true", "3"), with the
// value parsers' messages, and the limits the Docker Engine enforces.
import { parseBool, parseBytes, parseDuration, parseFileMode, parseInteger, parseNumber } from './parse-units.js';
import { attempt, custom, issue } from './schema-kit.js';

export const zBool = custom((v, ctx) => attempt(ctx, () => parseBool(v)), ['boolean', 'string']);
export const zInt = (min?: number, max?: number) =>
  custom((v, ctx) => {
    const n = attempt(ctx, () => parseInteger(v));
    if (n === undefined) return undefined;
    if (min !== undefined && n < min) return void issue(ctx, `must be ${min} or more`);
    if (max !== undefined && n > max) return void issue(ctx, `must be ${max} or less`);
    return n;
  }, ['integer', 'string']);
export const zNumber = (min?: number) =>
  custom((v, ctx) => {
    const n = attempt(ctx, () => parseNumber(v));
    if (n !== undefined && min !== undefined && n < min) return void issue(ctx, `must be ${min} or more`);
    return n;
  }, ['number', 'string']);
export const zBytes = custom((v, ctx) => attempt(ctx, () => parseBytes(v)), ['integer', 'string']);
/** Docker refuses memory limits and reservations under 6 MiB (0 means no limit). */
export const zMemory = custom((v, ctx) => {
  const n = attempt(ctx, () => parseBytes(v));
  if (n !== undefined && n > 0 && n < 6 * 2 ** 20) return void issue(ctx, 'must be at least 6m: Docker refuses less memory');
  return n;
}, ['integer', 'string']);
export const zDuration = custom((v, ctx) => attempt(ctx, () => parseDuration(v)), 'string');
export const zMode = custom((v, ctx) => attempt(ctx, () => parseFileMode(v)), ['number', 'string']);
