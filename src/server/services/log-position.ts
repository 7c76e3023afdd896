/**
 * Where a log follow stands, as the SSE event id carries it: the last real
 * timestamp delivered on each stream (compose key + stdout/stderr), and a
 * floor for the streams not listed. A resume filters each stream by its own
 * position: the containers' lines do not arrive in one time order (history
 * comes container by container), so one time cannot say what was delivered.
 *
 * Form: `floor;key/o=ts;key/e=ts…`, floor '' meaning "unlisted streams start
 * as a fresh follow would". A bare RFC 3339 time (the old id) is a floor.
 */
import { splitTimestamp } from '../docker/logs.js';

export interface Positions {
  /** '' or a timestamp: where streams without an entry resume. */
  floor: string;
  /** `${encodeURIComponent(key)}/${'o' | 'e'}` → the last real timestamp delivered on that stream. */
  at: Map<string, string>;
}

/** The id stays small whatever the service: past these, entries fold into the floor (lines repeat, none are lost). */
const MAX_ENTRIES = 64;
const MAX_ID_LENGTH = 4096;
const EXACT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

export const streamKey = (key: string, stream: 'stdout' | 'stderr') => `${encodeURIComponent(key)}/${stream === 'stdout' ? 'o' : 'e'}`;

/** A timestamp the engine can take back as `since`, normalized to nanoseconds; undefined for anything else. */
function realTime(v: string): string | undefined {
  const { timestamp } = splitTimestamp(`${v} _`);
  if (!timestamp || !EXACT.test(timestamp)) return undefined;
  const ms = Date.parse(`${timestamp.slice(0, 19)}Z`);
  // Date.parse rolls nothing over for ISO strings: month 13 or hour 99 is NaN.
  return Number.isFinite(ms) && ms >= 0 && ms <= 253_402_300_799_000 ? timestamp : undefined;
}

/** The positions an event id names, or undefined when it names none (garbage, a synthetic id): start as if fresh. */
export function parsePositions(id: string | null | undefined): Positions | undefined {
  if (!id || id.length > MAX_ID_LENGTH) return undefined;
  const [head = '', ...entries] = id.split(';');
  const floor = head === '' ? '' : realTime(head);
  if (floor === undefined || entries.length > MAX_ENTRIES) return undefined;
  const at = new Map<string, string>();
  for (const entry of entries) {
    const m = /^([^/=;]+)\/([oe])=([^;]+)$/.exec(entry);
    const ts = m ? realTime(m[3]!) : undefined;
    if (!m || !ts) return undefined;
    at.set(`${m[1]}/${m[2]}`, ts);
  }
  if (floor === '' && at.size === 0) return undefined;
  return { floor, at };
}

/**
 * The id of "no position yet" (a marker before any real line): it parses as
 * none, so a resume from it starts fresh, which is where its follow stood.
 */
export const NO_POSITION = '-';

/** The event id for these positions (never empty: SSE would read that as no id). */
export function encodePositions(p: Positions): string {
  let floor = p.floor;
  let entries = [...p.at].sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
  const size = () => floor.length + entries.reduce((n, [k, ts]) => n + k.length + ts.length + 2, 0);
  if (entries.length > MAX_ENTRIES || size() > MAX_ID_LENGTH) {
    // Fold: the oldest position becomes the floor, so a resume repeats some lines rather than skip any.
    floor = entries.reduce((min, [, ts]) => (min === '' || ts < min ? ts : min), floor);
    while (entries.length > 0 && (entries.length > MAX_ENTRIES || size() > MAX_ID_LENGTH)) entries = entries.slice(0, -1);
    entries = entries.filter(([, ts]) => ts > floor);
  }
  const id = [floor, ...entries.map(([k, ts]) => `${k}=${ts}`)].join(';');
  return id === '' ? NO_POSITION : id;
}
