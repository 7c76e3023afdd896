import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DeploymentObject, ServiceObject, StatusEvent } from '../../shared/schemas.js';
import type { EnginePool } from './engines.js';
import type { Logger } from '../log.js';
import type { DeploymentRow, DeploymentStore } from './deployment-store.js';
import { toDeploymentObject } from './deployment-view.js';
import type { ServiceManager } from './services.js';

/** Everything that changes, as the feed numbers it: a service's status, its removal, the engine, a deployment's step. */
export type FeedEvent = StatusEvent | { kind: 'deployment'; deployment: DeploymentObject };

export interface FeedItem {
  seq: number;
  event: FeedEvent;
}

/** A client's starting point: the events it missed, or (when they are gone) the state of everything now. */
export type Backlog = { kind: 'missed'; items: FeedItem[] } | { kind: 'snapshot'; seq: number; events: FeedEvent[] };

export interface FeedOptions {
  /** How many events are kept for clients that reconnect. */
  backlog?: number;
  /** And how many bytes (as JSON) they may hold together: a deployment event carries all its steps. */
  backlogBytes?: number;
}

const DEFAULT_BACKLOG = 2000;
const DEFAULT_BACKLOG_BYTES = 8 << 20;
const DEBOUNCE_MS = 50;
/** Deployment versions remembered to drop a change heard twice (locally and from another process). */
const VERSIONS_KEPT = 5000;

function serviceEvent(s: ServiceObject): StatusEvent {
  return {
    kind: 'service',
    id: s.id,
    name: s.name,
    engine_id: s.engine_id,
    status: s.status,
    containers: s.containers.map((c) => ({ name: c.name, status: c.status, health: c.health })),
  };
}

/**
 * The one source of live state, for /api/events and the tRPC subscriptions
 * alike: service status (recomputed when the engine's live view, a deployment
 * or a service changes, emitted only when something a client shows differs),
 * the engine's availability, and every step of every deployment. Events are
 * numbered; the last ones are kept so a reconnecting client resumes from the
 * last one it saw. Ids carry this feed's epoch, so an id from before a restart
 * (or from another process) is never mistaken for one of ours: it gets a snapshot.
 */
export class EventFeed extends EventEmitter<{ item: [FeedItem] }> {
  readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly last = new Map<string, string>();
  private readonly names = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  private readonly ring: FeedItem[] = [];
  private readonly sizes: number[] = [];
  private ringBytes = 0;
  private readonly size: number;
  private readonly maxBytes: number;
  /** Each engine's availability as last pushed. */
  private readonly engineAvailable = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly services: ServiceManager,
    private readonly engines: EnginePool,
    private readonly deployments: DeploymentStore,
    private readonly log: Logger,
    options: FeedOptions = {},
  ) {
    super();
    this.size = options.backlog ?? DEFAULT_BACKLOG;
    this.maxBytes = options.backlogBytes ?? DEFAULT_BACKLOG_BYTES;
    this.setMaxListeners(0);
    const schedule = () => this.schedule();
    engines.on('change', schedule);
    engines.on('availability', schedule);
    engines.on('engines', schedule);
    deployments.on('change', (row) => {
      this.deploymentChanged(row);
      schedule();
    });
    services.on('change', schedule);
  }

  /** The id a client sees for an item. */
  idOf(seq: number): string {
    return `${this.epoch}-${seq}`;
  }

  /** Where a client that last saw `lastEventId` starts: what it missed, or a snapshot when that is not kept (or the id is not ours). */
  async backlog(lastEventId: string | null | undefined): Promise<Backlog> {
    const seq = this.seqOf(lastEventId);
    const missed = seq === undefined ? undefined : this.since(seq);
    if (missed) return { kind: 'missed', items: missed };
    return this.snapshot();
  }

  /** The name a service had when it was last seen (for a removal event). */
  nameOf(id: string): string | undefined {
    return this.names.get(id);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private seqOf(id: string | null | undefined): number | undefined {
    const m = /^([0-9a-f]{8})-(\d{1,15})$/.exec(id ?? '');
    return m && m[1] === this.epoch ? Number(m[2]) : undefined;
  }

  private since(seq: number): FeedItem[] | undefined {
    if (seq > this.seq) return undefined;
    if (seq === this.seq) return [];
    const first = this.ring[0];
    if (!first || first.seq > seq + 1) return undefined;
    return this.ring.filter((i) => i.seq > seq);
  }

  /** The current state of everything, numbered with the latest sequence number. */
  private async snapshot(): Promise<Backlog> {
    await this.running;
    const seq = this.seq;
    const active = (await this.deployments.listActive()).map((d): FeedEvent => ({ kind: 'deployment', deployment: toDeploymentObject(d) }));
    const engines = this.engineEvents();
    if (!this.engines.anyAvailable()) return { kind: 'snapshot', seq, events: [...engines, ...active] };
    const services = await this.services.list();
    return { kind: 'snapshot', seq, events: [...engines, ...services.map(serviceEvent), ...active] };
  }

  private deploymentChanged(row: DeploymentRow): void {
    // The same version can arrive twice (made here, then re-read after another process's notice).
    if ((this.versions.get(row.id) ?? -1) >= row.version) return;
    this.versions.delete(row.id);
    this.versions.set(row.id, row.version);
    if (this.versions.size > VERSIONS_KEPT) this.versions.delete(this.versions.keys().next().value!);
    this.push({ kind: 'deployment', deployment: toDeploymentObject(row) });
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.recompute()).catch((err: unknown) => {
        this.log.warn('event feed recompute failed', { error: String(err) });
      });
    }, DEBOUNCE_MS);
  }

  private async recompute(): Promise<void> {
    for (const e of this.engineEvents()) {
      if (e.kind !== 'engine' || this.engineAvailable.get(e.engine_id) === e.available) continue;
      this.engineAvailable.set(e.engine_id, e.available);
      this.push(e);
    }
    for (const id of [...this.engineAvailable.keys()]) if (!this.engines.find(id)) this.engineAvailable.delete(id);
    // With no engine answering there is nothing current to say of any service.
    if (!this.engines.anyAvailable()) return;
    const services = await this.services.list();
    const seen = new Set<string>();
    for (const s of services) {
      seen.add(s.id);
      this.names.set(s.id, s.name);
      const event = serviceEvent(s);
      const key = JSON.stringify(event);
      if (this.last.get(s.id) !== key) {
        this.last.set(s.id, key);
        this.push(event);
      }
    }
    for (const id of [...this.last.keys()]) {
      if (!seen.has(id)) {
        this.last.delete(id);
        this.push({ kind: 'service-removed', id });
      }
    }
  }

  private engineEvents(): FeedEvent[] {
    return this.engines.all().map((l) => ({ kind: 'engine', engine_id: l.id, available: l.watcher.isAvailable() }));
  }

  private push(event: FeedEvent): void {
    const item = { seq: ++this.seq, event };
    const bytes = JSON.stringify(event).length;
    this.ring.push(item);
    this.sizes.push(bytes);
    this.ringBytes += bytes;
    while (this.ring.length > 1 && (this.ring.length > this.size || this.ringBytes > this.maxBytes)) {
      this.ring.shift();
      this.ringBytes -= this.sizes.shift()!;
    }
    this.emit('item', item);
  }
}
