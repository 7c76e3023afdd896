import type Docker from 'dockerode';
import type { LogLine, LogsQuery } from '../../shared/logs.js';
import type { ContainerInfo } from '../docker/containers.js';
import { inspectContainer } from '../docker/containers.js';
import type { EngineWatcher } from '../docker/events.js';
import { followLogs, readLogs, toDockerSince, type LogFollower, type LogSource } from '../docker/logs.js';
import { CapstanError } from '../errors.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import { containersOf } from './service-view.js';

export interface LogDeps {
  docker: Docker;
  store: ServiceStore;
  watcher: EngineWatcher;
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

async function source(docker: Docker, info: ContainerInfo): Promise<LogSource> {
  const inspected = await inspectContainer(docker, info.id);
  return { id: info.id, name: info.name, tty: Boolean(inspected.Config.Tty) };
}

/** The last `tail` lines of each container, merged in time order. */
export async function getServiceLogs(deps: LogDeps, query: LogsQuery): Promise<LogLine[]> {
  const row = await deps.store.get(query.id);
  const targets = pick(row, await deps.watcher.containers(), query.container).filter((t) => t.info);
  const window = {
    tail: query.tail,
    ...(query.since ? { since: toUnixSeconds(query.since) } : {}),
    ...(query.until ? { until: toUnixSeconds(query.until) } : {}),
  };
  const perContainer = await Promise.all(targets.map(async (t) => readLogs(deps.docker, await source(deps.docker, t.info!), window)));
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
  /** The timestamp of the last line the client has: resume right after it. */
  after?: string | undefined;
}

/**
 * Follows the logs of a service's containers until `signal` aborts. A
 * container that stops or is recreated is followed again when it runs; a
 * slow reader pauses the engine's streams instead of growing a buffer.
 */
export async function* followServiceLogs(deps: LogDeps, opts: FollowOptions, outer: AbortSignal): AsyncGenerator<LogLine> {
  // Our own signal: the generator may be ended by return() without the caller's signal firing.
  const stop = new AbortController();
  const signal = stop.signal;
  const onOuterAbort = () => stop.abort();
  outer.addEventListener('abort', onOuterAbort);
  const row = await deps.store.get(opts.id);
  const targets = pick(row, await deps.watcher.containers(), opts.container);
  const queue: LogLine[] = [];
  const followers = new Set<LogFollower>();
  const last = new Map<string, string>();
  let wake: (() => void) | undefined;
  let paused = false;
  let dropped = 0;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  signal.addEventListener('abort', poke);
  deps.watcher.on('change', poke);

  const push = (key: string, line: LogLine) => {
    const seen = last.get(key) ?? opts.after;
    if (seen && line.timestamp && line.timestamp <= seen) return;
    if (line.timestamp) last.set(key, line.timestamp);
    queue.push(line);
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
      deps.watcher.off('change', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    deps.watcher.on('change', done);
    signal.addEventListener('abort', done);
  });

  const followOne = async (key: string) => {
    let history = !opts.after && opts.tail > 0;
    while (!signal.aborted) {
      const all = await deps.watcher.containers().catch(() => [] as ContainerInfo[]);
      const info = pick(row, all, key)[0]?.info;
      if (!info || info.state !== 'running') {
        if (info && history) {
          for (const l of await readLogs(deps.docker, await source(deps.docker, info), { tail: opts.tail })) push(key, l);
          history = false;
        }
        await changed();
        continue;
      }
      const since = last.get(key) ?? opts.after;
      const window = since ? { since: toDockerSince(since) } : { tail: history ? opts.tail : 0 };
      history = false;
      const follower = await followLogs(deps.docker, await source(deps.docker, info), window, (l) => push(key, l));
      followers.add(follower);
      if (paused) follower.pause();
      const aborted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
      await Promise.race([follower.ended, aborted]);
      follower.close();
      followers.delete(follower);
      // Stopped or replaced: wait a moment for the view to catch up, then look again.
      await new Promise((r) => setTimeout(r, REOPEN_DELAY_MS));
    }
  };

  const loops = targets.map((t) =>
    followOne(t.key).catch((err: unknown) => {
      push(t.key, { container: t.name, stream: 'stderr', timestamp: '', message: `[capstan] log stream failed: ${err instanceof CapstanError ? err.message : 'error'}` });
    }),
  );
  try {
    while (!signal.aborted) {
      if (dropped > 0) {
        yield { container: 'capstan', stream: 'stderr', timestamp: '', message: `[capstan] ${dropped} lines dropped: the client reads too slowly` };
        dropped = 0;
      }
      const line = queue.shift();
      if (!line) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      if (paused && queue.length < LOW_WATER) {
        paused = false;
        for (const f of followers) f.resume();
      }
      yield line;
    }
  } finally {
    stop.abort();
    outer.removeEventListener('abort', onOuterAbort);
    for (const f of followers) f.close();
    deps.watcher.off('change', poke);
    signal.removeEventListener('abort', poke);
    await Promise.allSettled(loops);
  }
}
