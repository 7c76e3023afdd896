import type { LogLine, LogsQuery } from '../../shared/logs.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { EnginePool } from './engines.js';
import { followLogs, readLogs, toDockerSince, type LogFollower, type LogSource } from '../docker/logs.js';
import { CapstanError } from '../errors.js';
import { encodePositions, parsePositions, streamKey, type Positions } from './log-position.js';
import type { ServiceRow } from './service-store.js';
import { containersOf } from './service-view.js';

export interface LogDeps {
  /** The engines: each container's log is read from the engine whose live view reported it. */
  engines: EnginePool;
  /** A service's row with its project, as reads see it (the read view's, or the store's); 404 when unknown. */
  row: (id: string) => Promise<ServiceRow>;
}

/** The follow queue pauses the engine's streams above this many lines, and resumes below the low mark. */
const HIGH_WATER = 2000;
const LOW_WATER = 500;
/** Beyond this, the oldest lines are dropped (a stream that ignores pause must not grow memory without bound). */
const HARD_LIMIT = 10_000;
const REOPEN_DELAY_MS = 250;

const toUnixSeconds = (v: string) => (/^\d+(\.\d+)?$/.test(v) ? v : String(Date.parse(v) / 1000));
const byTime = (a: LogLine, b: LogLine) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);

/** The service's containers, in depends_on order, narrowed to one by name or compose key. */
function pick(row: ServiceRow, all: ContainerInfo[], container: string | undefined): { key: string; name: string; info: ContainerInfo | undefined }[] {
  const { objects, infos } = containersOf(row, all);
  const list = objects.map((o, i) => ({ key: o.service, name: o.name, info: infos[i] }));
  if (!container) return list;
  const one = list.filter((c) => c.name === container || c.key === container);
  if (one.length === 0) {
    throw new CapstanError('BAD_REQUEST', 'Unknown container', { details: `container: the service has no container "${container}"` });
  }
  return one;
}

/** How to read one container's log; the TTY flag comes from the live view (an inspect only for one it has not learnt yet). */
async function source(engines: EnginePool, info: ContainerInfo): Promise<LogSource> {
  return { id: info.id, name: info.name, tty: await engines.ttyOf(info) };
}

/**
 * The last `tail` lines of each container, merged in time order. The engine
 * is asked for the containers labelled with the service's id while its row
 * is read, not after: the row only confirms (or corrects) that set.
 */
export async function getServiceLogs(deps: LogDeps, query: LogsQuery): Promise<LogLine[]> {
  const rowRead = deps.row(query.id);
  // Awaited below: an unknown service stays a 404, before any engine error.
  rowRead.catch(() => undefined);
  let all: ContainerInfo[];
  try {
    all = await deps.engines.containers();
  } catch (err) {
    await rowRead;
    throw err;
  }
  const window = {
    tail: query.tail,
    ...(query.since ? { since: toUnixSeconds(query.since) } : {}),
    ...(query.until ? { until: toUnixSeconds(query.until) } : {}),
  };
  const read = async (info: ContainerInfo) => readLogs(await deps.engines.dockerOf(info), await source(deps.engines, info), window);
  const early = new Map<string, Promise<LogLine[]>>();
  for (const c of all) {
    if (c.serviceId !== query.id || (query.container && c.name !== query.container && c.key !== query.container)) continue;
    const lines = read(c);
    // A read the row turns out not to want must not be an unhandled rejection.
    lines.catch(() => undefined);
    early.set(c.id, lines);
  }
  const row = await rowRead;
  deps.engines.requireAvailable(row.engineId);
  const targets = pick(row, all, query.container).filter((t) => t.info);
  const perContainer = await Promise.all(targets.map((t) => early.get(t.info!.id) ?? read(t.info!)));
  return perContainer.flat().sort(byTime);
}

/** compose's layout: "name  | message", names padded to one width. */
export function logsAsText(lines: LogLine[]): string {
  const width = Math.max(0, ...lines.map((l) => l.container.length));
  return lines.map((l) => `${l.container.padEnd(width)} | ${l.message}\n`).join('');
}

export interface FollowOptions {
  id: string;
  container?: string | undefined;
  tail: number;
  /** The event id of the last item the client has (see log-position.ts): resume right after it. */
  after?: string | undefined;
}

/** A line and the event id that resumes right after it. */
export interface FollowItem {
  id: string;
  line: LogLine;
}

/** Resolves when `signal` aborts (at once if it has), leaving no listener behind either way. */
function whenAborted(signal: AbortSignal, also?: Promise<unknown>, ms?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      signal.removeEventListener('abort', done);
      if (timer) clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', done);
    also?.then(done, done);
    if (ms !== undefined) timer = setTimeout(done, ms);
  });
}

/**
 * Follows the logs of a service's containers until `signal` aborts. A
 * container that stops or is recreated is followed again when it runs; a
 * slow reader pauses the engine's streams instead of growing a buffer.
 * Every await is followed by a look at the signal: a client may leave at
 * any point of the setup, and nothing may stay open after it.
 */
export async function* followServiceLogs(deps: LogDeps, opts: FollowOptions, outer: AbortSignal): AsyncGenerator<FollowItem> {
  // Our own signal: the generator may be ended by return() without the caller's signal firing.
  const stop = new AbortController();
  const signal = stop.signal;
  const onOuterAbort = () => stop.abort();
  if (outer.aborted) stop.abort();
  else outer.addEventListener('abort', onOuterAbort);
  // An id that names no position (garbage, an old synthetic one) starts as a fresh follow: never a NaN `since`.
  const resumed = parsePositions(opts.after);
  /** What the client has: the event ids. */
  const delivered: Positions = { floor: resumed?.floor ?? '', at: new Map(resumed?.at) };
  /** What came from the engine (queued or delivered): where a reopened stream starts. */
  const received = new Map(delivered.at);
  const queue: { key: string; line: LogLine }[] = [];
  const followers = new Set<LogFollower>();
  const loops: Promise<void>[] = [];
  let wake: (() => void) | undefined;
  let paused = false;
  let dropped = 0;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  signal.addEventListener('abort', poke);
  deps.engines.on('change', poke);

  const positionOf = (key: string, stream: LogLine['stream']) => received.get(streamKey(key, stream)) ?? (delivered.floor || undefined);
  const push = (key: string, line: LogLine) => {
    if (signal.aborted) return;
    const seen = positionOf(key, line.stream);
    if (seen && line.timestamp && line.timestamp <= seen) return;
    if (line.timestamp) received.set(streamKey(key, line.stream), line.timestamp);
    queue.push({ key, line });
    if (queue.length > HARD_LIMIT) {
      queue.shift();
      dropped++;
    }
    if (!paused && queue.length > HIGH_WATER) {
      paused = true;
      for (const f of followers) f.pause();
    }
    poke();
  };

  const changed = () => new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      deps.engines.off('change', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    deps.engines.on('change', done);
    signal.addEventListener('abort', done);
  });

  const followOne = async (row: ServiceRow, key: string) => {
    let history = opts.tail > 0;
    while (!signal.aborted) {
      const all = await deps.engines.containers().catch(() => [] as ContainerInfo[]);
      if (signal.aborted) return;
      const info = pick(row, all, key)[0]?.info;
      if (!info || info.state !== 'running') {
        if (info && history) {
          const lines = await readLogs(await deps.engines.dockerOf(info), await source(deps.engines, info), { tail: opts.tail });
          for (const l of lines) push(key, l);
          history = false;
        }
        await changed();
        continue;
      }
      // Each stream resumes after its own last line: the engine from the older of the two, push() drops the rest.
      const positions = [positionOf(key, 'stdout'), positionOf(key, 'stderr')].filter((p): p is string => Boolean(p)).sort();
      const since = positions[0] ? toDockerSince(positions[0]) : undefined;
      const window = since ? { since } : { tail: history ? opts.tail : 0 };
      history = false;
      const src = await source(deps.engines, info);
      if (signal.aborted) return;
      const follower = await followLogs(await deps.engines.dockerOf(info), src, window, (l) => push(key, l), signal);
      followers.add(follower);
      if (paused) follower.pause();
      await whenAborted(signal, follower.ended);
      follower.close();
      followers.delete(follower);
      // Stopped or replaced: wait a moment for the view to catch up, then look again.
      await whenAborted(signal, undefined, REOPEN_DELAY_MS);
    }
  };

  try {
    const row = await deps.row(opts.id);
    if (signal.aborted) return;
    deps.engines.requireAvailable(row.engineId);
    const targets = pick(row, await deps.engines.containers(), opts.container);
    if (signal.aborted) return;
    for (const t of targets) {
      loops.push(
        followOne(row, t.key).catch((err: unknown) => {
          // Ended by the client leaving: nothing to tell anyone.
          if (signal.aborted) return;
          push(t.key, { container: t.name, stream: 'stderr', timestamp: '', message: `[capstan] log stream failed: ${err instanceof CapstanError ? err.message : 'error'}` });
        }),
      );
    }
    while (!signal.aborted) {
      if (dropped > 0) {
        // A marker is no position: it carries the id of the last real line delivered.
        const message = `[capstan] ${dropped} lines dropped: the client reads too slowly`;
        dropped = 0;
        yield { id: encodePositions(delivered), line: { container: 'capstan', stream: 'stderr', timestamp: '', message } };
        continue;
      }
      const item = queue.shift();
      if (!item) {
        await new Promise<void>((r) => {
          wake = r;
          // Aborted, or a line came, between the loop's test and here: poke() has already run.
          if (signal.aborted || queue.length > 0 || dropped > 0) poke();
        });
        continue;
      }
      if (paused && queue.length < LOW_WATER) {
        paused = false;
        for (const f of followers) f.resume();
      }
      if (item.line.timestamp) delivered.at.set(streamKey(item.key, item.line.stream), item.line.timestamp);
      yield { id: encodePositions(delivered), line: item.line };
    }
  } finally {
    stop.abort();
    outer.removeEventListener('abort', onOuterAbort);
    for (const f of followers) f.close();
    deps.engines.off('change', poke);
    signal.removeEventListener('abort', poke);
    await Promise.allSettled(loops);
  }
}
