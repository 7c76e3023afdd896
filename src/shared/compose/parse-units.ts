// Sizes, durations and scalar casts as compose reads them. Compose-go casts
// interpolated strings ("true", "3") to the field's type, so every reader
// here takes the YAML scalar or its string spelling. Pure: the dashboard
// bundles this. Errors are ComposeValueError, whose message is for users.

/** A user-facing problem with one value; the caller attaches the path. */
export class ComposeValueError extends Error {
  override name = 'ComposeValueError';
}

const fail = (message: string): never => {
  throw new ComposeValueError(message);
};

// go-units' RAMInBytes: binary multiples, optional "i" and "b", optional space.
const BYTES_RE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;
const BYTE_UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** "512m", "1.5gb", "1g", 1024 → bytes. */
export function parseBytes(value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`${value} is not a whole number of bytes`);
    if (value < 0) fail('must not be negative');
    return value;
  }
  if (typeof value !== 'string') return fail('must be a size like "512m" or a number of bytes');
  const text = value.trim();
  if (/^-\d/.test(text)) fail('must not be negative');
  const m = BYTES_RE.exec(text);
  if (!m) return fail(`"${value}" is not a size; use e.g. "512m", "1g" or a number of bytes`);
  const unit = m[2] ? (BYTE_UNITS[m[2].toLowerCase()] as number) : 1;
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes)) fail(`size "${value}" is too large`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // micro sign
  'μs': 1e3, // Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9, // compose parses with go-str2duration, which adds days and weeks
  w: 7 * 86400e9,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y;

/** A Go duration ("1m30s", "500ms", "0") → nanoseconds, the Engine API's unit. */
export function parseDuration(value: unknown): number {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string') return fail('must be a duration like "30s"');
  const bad = () => fail(`"${s}" is not a duration; use e.g. "30s", "1m30s", "500ms" or "1h"`);
  if (s === '0') return 0;
  if (s.startsWith('-')) fail(`"${s}" must not be negative`);
  const text = s.startsWith('+') ? s.slice(1) : s;
  if (text === '') bad();
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < text.length) {
    const m = DURATION_PART.exec(text);
    if (m === null) return bad();
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  }
  total = Math.round(total);
  if (!Number.isSafeInteger(total)) fail(`duration "${s}" is too long`);
  return total;
}

/** true/false, or the strings compose-go's toBoolean accepts (y/yes/on, n/no/off with a warning there). */
export function parseBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'true' || v === 'y' || v === 'yes' || v === 'on') return true;
    if (v === 'false' || v === 'n' || v === 'no' || v === 'off') return false;
  }
  return fail('must be true or false');
}

/** An integer, or its decimal string. */
export function parseInteger(value: unknown, what = 'a whole number'): number {
  const n = typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`must be ${what}`);
  if (!Number.isInteger(n)) fail(`must be ${what}, got ${n}`);
  if (!Number.isSafeInteger(n)) fail(`${n} is too large`);
  return n;
}

/** A number (cpus: 0.5), or its string. */
export function parseNumber(value: unknown, what = 'a number'): number {
  const n = typeof value === 'string' && /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fail(`must be ${what}`);
  return n;
}

/** A file mode: a number (YAML 0o440 / 288) or an octal string ("0440", "440"), as compose reads it. */
export function parseFileMode(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0o7777) return value;
  if (typeof value === 'string' && /^(0o?)?[0-7]{1,4}$/i.test(value)) return parseInt(value.replace(/^0o/i, ''), 8);
  return fail('must be a file mode like 0440 (octal)');
}
