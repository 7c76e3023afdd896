import type { OverviewEvent, ServiceUsage, StatsEvent, StatsPoint } from '../../shared/stats.js';
import { CapstanError } from '../errors.js';
import { hasFigures, type StatsHub, type StatsWatch } from './stats.js';

/** What says the containers may have changed: the engine watcher's events. */
export interface ChangeSource {
  on(event: 'change' | 'availability', listener: () => void): unknown;
  off(event: 'change' | 'availability', listener: () => void): unknown;
}

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
  history(id: string, name: string, points: StatsPoint[]): void;
  sample(id: string, name: string, p: StatsPoint): void;
  ended(id: string, name: string, reason: string): void;
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

  sync(want: Map<string, string>): void {
    for (const [id, w] of this.held) {
      if (want.has(id)) continue;
      w.release();
      this.held.delete(id);
    }
    const now = Date.now();
    for (const [id, name] of want) {
      if (this.held.has(id) || (this.backoff.get(id)?.until ?? 0) > now) continue;
      const w = this.hub.watch(id, name, {
        sample: (p) => {
          this.backoff.delete(id);
          this.events.sample(id, name, p);
        },
        end: (reason) => this.stopped(id, name, reason),
      });
      this.held.set(id, w);
      if (w.history.length > 0) this.events.history(id, name, w.history);
    }
  }

  clear(): void {
    for (const w of this.held.values()) w.release();
    this.held.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private stopped(id: string, name: string, reason: string): void {
    this.held.get(id)?.release();
    this.held.delete(id);
    const failures = (this.backoff.get(id)?.failures ?? 0) + 1;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (failures - 1));
    this.backoff.set(id, { until: Date.now() + delay, failures });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.events.retry();
    }, delay);
    // A retry is no reason to keep the process up.
    timer.unref();
    this.timers.add(timer);
    this.events.ended(id, name, reason);
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
    history: (id, name, samples) => push({ kind: 'samples', container: name, container_id: id, samples }),
    sample: (id, name, p) => push({ kind: 'samples', container: name, container_id: id, samples: [p] }),
    ended: (id, name, reason) => push({ kind: 'ended', container: name, container_id: id, reason }),
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
    watches.sync(new Map(service.containers.filter(hasFigures).map((c) => [c.container_id, c.name])));
  };
  changes.on('change', onChange);
  changes.on('availability', onChange);
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
    changes.off('availability', onChange);
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
  const keep = (id: string, p: StatsPoint) => {
    const serviceId = owner.get(id);
    if (serviceId) latest.set(id, { serviceId, point: p });
  };
  const watches = new WatchSet(hub, {
    history: (id, _name, points) => keep(id, points.at(-1)!),
    sample: (id, _name, p) => keep(id, p),
    ended: (id) => void latest.delete(id),
    retry: onChange,
  });
  const resync = async () => {
    const list = await hub.views.list();
    if (signal.aborted) return;
    const want = new Map<string, string>();
    owner = new Map();
    for (const s of list) {
      for (const c of s.containers.filter(hasFigures)) {
        want.set(c.container_id, c.name);
        owner.set(c.container_id, s.id);
      }
    }
    for (const id of latest.keys()) if (!owner.has(id)) latest.delete(id);
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
  changes.on('availability', onChange);
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
    changes.off('availability', onChange);
    watches.clear();
  }
}
