import type { ContainerObject, ServiceObject } from '../../shared/schemas.js';
import type { ContainerStats, ServiceStats, StatsPoint } from '../../shared/stats.js';
import { openStatsStream, readStatsOnce, type StatsStream } from '../docker/stats.js';
import { CapstanError } from '../errors.js';
import type { EnginePool } from './engines.js';

/** How far back a new watcher's history reaches. */
export const HISTORY_MS = 5 * 60_000;
/** The engine samples about once a second; room for a faster one without growing past a bound. */
const RING_MAX = 600;
/** A live stream's last sample answers a GET when it is at most this old. */
const FRESH_MS = 5_000;

/** The last HISTORY_MS of one container's samples, oldest first, bounded in count too. */
export class SampleRing {
  private points: StatsPoint[] = [];
  constructor(private readonly windowMs = HISTORY_MS, private readonly max = RING_MAX) {}

  push(p: StatsPoint): void {
    // A reopened stream may repeat the moment it closed at: keep time moving forward.
    const last = this.points.at(-1);
    if (last && p.at <= last.at) return;
    this.points.push(p);
    if (this.points.length > this.max) this.points.splice(0, this.points.length - this.max);
    this.prune(p.at);
  }

  /** Drops what is older than the window, measured from `now`. */
  prune(now = Date.now()): void {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.points.length && this.points[i]!.at < from) i++;
    if (i > 0) this.points.splice(0, i);
  }

  latest(): StatsPoint | undefined {
    return this.points.at(-1);
  }

  snapshot(now = Date.now()): StatsPoint[] {
    this.prune(now);
    return [...this.points];
  }
}

export interface StatsListener {
  sample(p: StatsPoint): void;
  /** The engine stream stopped (ended, failed, went silent) while this listener watched. */
  end(reason: string): void;
}

export interface StatsWatch {
  /** The samples kept so far, oldest first: what a new watcher shows at once. */
  history: StatsPoint[];
  release(): void;
}

/** What the hub reads the services from: the live view, never the engine per request. */
export interface StatsViews {
  /** The service as the live view shows it; NOT_FOUND when there is none. */
  service(id: string): Promise<ServiceObject>;
  list(): Promise<ServiceObject[]>;
}

interface Feed {
  /** The engine the container is on, and the key of the feed with the container id (statsKey). */
  engineId: string;
  id: string;
  name: string;
  listeners: Set<StatsListener>;
  ring: SampleRing;
  stream: StatsStream | undefined;
  /** Set while the engine request is being made; aborting it abandons the open. */
  opening: AbortController | undefined;
}

const ZERO = { cpu_percent: 0, memory_bytes: 0, memory_limit_bytes: 0, net_rx_bytes: 0, net_tx_bytes: 0, block_read_bytes: 0, block_write_bytes: 0, pids: 0 };

/**
 * What a shared stream is known by: the engine and the container id, as two
 * engines could reach one daemon (and so name the same container) through
 * different clients.
 */
export const statsKey = (engineId: string, containerId: string) => `${engineId}/${containerId}`;

/** The states in which the engine has figures for a container. */
export const hasFigures = (c: ContainerObject): c is ContainerObject & { container_id: string } =>
  c.container_id !== null && (c.status === 'running' || c.status === 'paused');

const figures = (name: string, p: StatsPoint | undefined): ContainerStats => {
  if (!p) return { name, ...ZERO };
  const { at: _at, ...rest } = p;
  return { name, ...rest };
};

/**
 * The engines' stats streams, shared: one stream per container (of one
 * engine) while at least one watcher holds it (a count of listeners), closed
 * when the last leaves. Each stream is opened on the engine the container is on. Each container keeps its last minutes of samples, also for a while
 * after its stream closed, so whoever comes next sees a history at once.
 */
export class StatsHub {
  private readonly feeds = new Map<string, Feed>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly engines: EnginePool,
    readonly views: StatsViews,
  ) {}

  /** Joins (or starts) the stream of a container on an engine. The listener gets every sample after the history returned. */
  watch(engineId: string, id: string, name: string, listener: StatsListener): StatsWatch {
    if (this.closed) {
      queueMicrotask(() => listener.end('the server is stopping'));
      return { history: [], release: () => {} };
    }
    const key = statsKey(engineId, id);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = { engineId, id, name, listeners: new Set(), ring: new SampleRing(), stream: undefined, opening: undefined };
      this.feeds.set(key, feed);
    }
    feed.listeners.add(listener);
    if (!feed.stream && !feed.opening) this.open(feed);
    const f = feed;
    let released = false;
    return {
      history: f.ring.snapshot(),
      release: () => {
        if (released) return;
        released = true;
        f.listeners.delete(listener);
        if (f.listeners.size === 0) this.stopFeed(f);
      },
    };
  }

  /** How many engine streams are open or opening (for tests and the shutdown). */
  openStreams(): number {
    let n = 0;
    for (const f of this.feeds.values()) if (f.stream || f.opening) n++;
    return n;
  }

  /**
   * One sample per container of the service: a live stream's latest when one
   * is open, otherwise one engine read per container, all at once. A container
   * that is not running (or does not exist) is listed with zeros, so the
   * answer always names every container of the service.
   */
  async read(serviceId: string): Promise<ServiceStats> {
    const service = await this.views.service(serviceId);
    const engineId = service.engine_id;
    // Asked for only when some container needs an engine read: the engine's own failure (gone: 404) then reaches the caller.
    let docker: ReturnType<EnginePool['docker']> | undefined;
    const containers = await Promise.all(
      service.containers.map(async (c) => {
        if (!hasFigures(c)) return figures(c.name, undefined);
        const live = this.latest(engineId, c.container_id);
        if (live) return figures(c.name, live);
        docker ??= this.engines.docker(engineId);
        const client = await docker;
        try {
          return figures(c.name, await readStatsOnce(client, c.container_id, c.name));
        } catch (err) {
          // Removed between the view and the read: it has no figures any more.
          if (err instanceof CapstanError && err.code === 'NOT_FOUND') return figures(c.name, undefined);
          throw err;
        }
      }),
    );
    return { containers };
  }

  /** A live stream's last sample, when it is fresh. */
  latest(engineId: string, id: string): StatsPoint | undefined {
    const feed = this.feeds.get(statsKey(engineId, id));
    const last = feed?.stream ? feed.ring.latest() : undefined;
    return last && Date.now() - last.at <= FRESH_MS ? last : undefined;
  }

  /** Closes every stream; later watches end at once. */
  close(): void {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    for (const f of this.feeds.values()) {
      this.stopFeed(f);
      for (const l of f.listeners) l.end('the server is stopping');
      f.listeners.clear();
    }
    this.feeds.clear();
  }

  private open(feed: Feed): void {
    const ctl = new AbortController();
    feed.opening = ctl;
    const handlers = {
      sample: (p: StatsPoint) => {
        feed.ring.push(p);
        for (const l of feed.listeners) l.sample(p);
      },
      end: (reason: string) => this.ended(feed, reason),
    };
    // The engine's client first (an engine removed meanwhile ends the feed with its 404's words), then its stream.
    const opened = this.engines.docker(feed.engineId).then((docker) => {
      if (ctl.signal.aborted) throw new CapstanError('SERVICE_UNAVAILABLE', 'Stats stream abandoned');
      return openStatsStream(docker, feed.id, feed.name, handlers, ctl.signal);
    });
    opened.then(
      (stream) => {
        // Abandoned while it was being made (the last watcher left): close what arrived.
        if (feed.opening !== ctl) return stream.close();
        feed.opening = undefined;
        feed.stream = stream;
      },
      (err: unknown) => {
        if (feed.opening !== ctl) return;
        feed.opening = undefined;
        this.ended(feed, err instanceof CapstanError ? `${err.message}: ${err.details ?? err.code}` : String(err));
      },
    );
  }

  private ended(feed: Feed, reason: string): void {
    feed.stream = undefined;
    // Copied: a listener usually releases (and so leaves the set) while being told.
    for (const l of [...feed.listeners]) l.end(reason);
  }

  private stopFeed(feed: Feed): void {
    feed.opening?.abort();
    feed.opening = undefined;
    feed.stream?.close();
    feed.stream = undefined;
    this.scheduleSweep();
  }

  /** Forgets the containers nobody watches once their history has run out. */
  private scheduleSweep(): void {
    if (this.sweepTimer || this.closed) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      const now = Date.now();
      for (const [id, f] of this.feeds) {
        if (f.listeners.size > 0) continue;
        f.ring.prune(now);
        if (!f.ring.latest()) this.feeds.delete(id);
      }
      if ([...this.feeds.values()].some((f) => f.listeners.size === 0)) this.scheduleSweep();
    }, HISTORY_MS);
    this.sweepTimer.unref();
  }
}
