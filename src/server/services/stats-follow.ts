import type { OverviewEvent, ServiceUsage, StatsEvent, StatsPoint } from '../../shared/stats.js';
import { CapstanError } from '../errors.js';
import { hasFigures, statsKey, type StatsHub, type StatsWatch } from './stats.js';

/**
 * What says the containers may have changed: the engine pool's 'change'
 * (any engine's live view changed, or an engine came or went).
 */
export interface ChangeSource {
  on(event: 'change', listener: () => void): unknown;
  off(event: 'change', listener: () => void): unknown;
}

/** One container to watch, on its engine; known by statsKey(engineId, id). */
interface Target {
  engineId: string;
  id: string;
  name: string;
}

const targetOf = (engineId: string, c: { container_id: string; name: string }): [string, Target] => [
  statsKey(engineId, c.container_id),
  { engineId, id: c.container_id, name: c.name },
];

/** A subscriber that falls this far behind loses its oldest samples, not our memory. */
const MAX_QUEUED = 2000;
/** A stream that stopped is tried again after this, doubling while it keeps failing. */
const RETRY_MS = 1000;
const RETRY_MAX_MS = 30_000;
/** The services list's figures are pushed this often. */
export const OVERVIEW_INTERVAL_MS = 2000;
/** A sample older than this no longer counts in the services list's totals. */
const STALE_MS = 10_000;

interface WatchEvents {
  history(key: string, t: Target, points: StatsPoint[]): void;
  sample(key: string, t: Target, p: StatsPoint): void;
  ended(key: string, t: Target, reason: string): void;
  /** A stopped stream's wait is over: sync again. */
  retry(): void;
}

/**
 * The containers one subscription watches in the hub: sync() holds exactly
 * the wanted ones, a stream that stopped is released and tried again later
 * (backing off), and clear() releases everything; what the finally runs.
 */
class WatchSet {
  private readonly held = new Map<string, StatsWatch>();
  private readonly backoff = new Map<string, { until: number; failures: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly hub: StatsHub, private readonly events: WatchEvents) {}

  /** `want`: statsKey → the container. */
  sync(want: Map<string, Target>): void {
    for (const [key, w] of this.held) {
      if (want.has(key)) continue;
      w.release();
      this.held.delete(key);
    }
    const now = Date.now();
    for (const [key, t] of want) {
      if (this.held.has(key) || (this.backoff.get(key)?.until ?? 0) > now) continue;
      const w = this.hub.watch(t.engineId, t.id, t.name, {
        sample: (p) => {
          this.backoff.delete(key);
          this.events.sample(key, t, p);
        },
        end: (reason) => this.stopped(key, t, reason),
      });
      this.held.set(key, w);
      if (w.history.length > 0) this.events.history(key, t, w.history);
    }
  }

  clear(): void {
    for (const w of this.held.values()) w.release();
    this.held.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private stopped(key: string, t: Target, reason: string): void {
    this.held.get(key)?.release();
    this.held.delete(key);
    const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (failures - 1));
    this.backoff.set(key, { until: Date.now() + delay, failures });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.events.retry();
    }, delay);
    // A retry is no reason to keep the process up.
    timer.unref();
    this.timers.add(timer);
    this.events.ended(key, t, reason);
  }
}

/** An abortable wait for "something to do": ring() wakes it. */
class Bell {
  private wake: (() => void) | undefined;
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.ring(), { once: true });
  }

  ring(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** Resolves on ring(), abort, `ms` (when given), or at once when `ready()` already holds. */
  wait(ready: () => boolean, ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.signal.aborted || ready()) return resolve();
      const timer = ms === undefined ? undefined : setTimeout(() => this.ring(), ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Our own signal, also aborted by the caller's; the generator may end by return() without that one firing. */
function linked(outer: AbortSignal | undefined): { signal: AbortSignal; stop(): void } {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  if (outer?.aborted) ctl.abort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  return { signal: ctl.signal, stop: () => (outer?.removeEventListener('abort', onAbort), ctl.abort()) };
}

const isNotFound = (err: unknown) => err instanceof CapstanError && err.code === 'NOT_FOUND';

/**
 * One service's containers, live: the container list (first, and when it
 * changes), each running container's kept history, then its samples as the
 * engine sends them. The containers come from the live view, followed as it
 * changes; leaving (abort or return) releases every watch in the finally.
 */
export async function* followServiceStats(hub: StatsHub, changes: ChangeSource, serviceId: string, outer: AbortSignal | undefined): AsyncGenerator<StatsEvent> {
  const { signal, stop } = linked(outer);
  const bell = new Bell(signal);
  const queue: StatsEvent[] = [];
  let dirty = false;
  let lastList = '';
  const push = (e: StatsEvent) => {
    if (queue.length >= MAX_QUEUED) {
      const i = queue.findIndex((q) => q.kind === 'samples');
      queue.splice(i < 0 ? 0 : i, 1);
    }
    queue.push(e);
    bell.ring();
  };
  const onChange = () => {
    dirty = true;
    bell.ring();
  };
  const watches = new WatchSet(hub, {
    history: (_key, t, samples) => push({ kind: 'samples', container: t.name, container_id: t.id, samples }),
    sample: (_key, t, p) => push({ kind: 'samples', container: t.name, container_id: t.id, samples: [p] }),
    ended: (_key, t, reason) => push({ kind: 'ended', container: t.name, container_id: t.id, reason }),
    retry: onChange,
  });
  const resync = async () => {
    const service = await hub.views.service(serviceId);
    if (signal.aborted) return;
    const containers = service.containers.map((c) => ({ name: c.name, service: c.service, container_id: c.container_id, status: c.status }));
    const key = JSON.stringify(containers);
    if (key !== lastList) {
      lastList = key;
      push({ kind: 'containers', containers });
    }
    // The service's engine as the view has it now: a moved service's containers are watched on the new one.
    watches.sync(new Map(service.containers.filter(hasFigures).map((c) => targetOf(service.engine_id, c))));
  };
  changes.on('change', onChange);
  try {
    // The first read's failure (an unknown service: 404) reaches the client.
    await resync();
    while (!signal.aborted) {
      if (dirty) {
        dirty = false;
        try {
          await resync();
        } catch (err) {
          // Deleted while watched: the feed is over. Anything else (the engine away) waits for the next change.
          if (isNotFound(err)) return;
        }
        continue;
      }
      const e = queue.shift();
      if (e) yield e;
      else await bell.wait(() => dirty || queue.length > 0);
    }
  } finally {
    stop();
    changes.off('change', onChange);
    watches.clear();
  }
}

/**
 * The services list's figures: every running container of every service is
 * watched through the hub (the same shared streams), and every interval the
 * latest sample of each is summed per service and pushed, one compact event;
 * no engine call per refresh.
 */
export async function* followOverview(hub: StatsHub, changes: ChangeSource, outer: AbortSignal | undefined, intervalMs = OVERVIEW_INTERVAL_MS): AsyncGenerator<OverviewEvent> {
  const { signal, stop } = linked(outer);
  const bell = new Bell(signal);
  const latest = new Map<string, { serviceId: string; point: StatsPoint | undefined }>();
  let owner = new Map<string, string>();
  let dirty = false;
  const onChange = () => {
    dirty = true;
    bell.ring();
  };
  // Both by statsKey(engine, container id).
  const keep = (key: string, p: StatsPoint) => {
    const serviceId = owner.get(key);
    if (serviceId) latest.set(key, { serviceId, point: p });
  };
  const watches = new WatchSet(hub, {
    history: (key, _t, points) => keep(key, points.at(-1)!),
    sample: (key, _t, p) => keep(key, p),
    ended: (key) => void latest.delete(key),
    retry: onChange,
  });
  const resync = async () => {
    const list = await hub.views.list();
    if (signal.aborted) return;
    const want = new Map<string, Target>();
    owner = new Map();
    for (const s of list) {
      for (const c of s.containers.filter(hasFigures)) {
        const [key, t] = targetOf(s.engine_id, c);
        want.set(key, t);
        owner.set(key, s.id);
      }
    }
    for (const key of latest.keys()) if (!owner.has(key)) latest.delete(key);
    watches.sync(want);
  };
  const summary = (): OverviewEvent => {
    const now = Date.now();
    const byService = new Map<string, ServiceUsage>();
    for (const { serviceId, point } of latest.values()) {
      if (!point || now - point.at > STALE_MS) continue;
      const u = byService.get(serviceId) ?? { id: serviceId, cpu_percent: 0, memory_bytes: 0, containers: 0 };
      u.cpu_percent += point.cpu_percent;
      u.memory_bytes += point.memory_bytes;
      u.containers += 1;
      byService.set(serviceId, u);
    }
    return { at: now, services: [...byService.values()] };
  };
  changes.on('change', onChange);
  try {
    await resync();
    let next = Date.now();
    while (!signal.aborted) {
      if (dirty) {
        dirty = false;
        await resync().catch(() => undefined); // the engine away: the next change tries again
        continue;
      }
      if (Date.now() >= next) {
        next = Date.now() + intervalMs;
        yield summary();
        continue;
      }
      await bell.wait(() => dirty, Math.max(0, next - Date.now()));
    }
  } finally {
    stop();
    changes.off('change', onChange);
    watches.clear();
  }
}
