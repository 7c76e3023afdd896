import { EventEmitter } from 'node:events';
import type { ServiceObject, StatusEvent } from '../../shared/schemas.js';
import type { EngineWatcher } from '../docker/events.js';
import type { Logger } from '../log.js';
import type { DeploymentStore } from './deployment-store.js';
import type { ServiceManager } from './services.js';

export interface FeedItem {
  seq: number;
  event: StatusEvent;
}

const RING_SIZE = 1000;
const DEBOUNCE_MS = 50;

function serviceEvent(s: ServiceObject): StatusEvent {
  return {
    kind: 'service',
    id: s.id,
    name: s.name,
    status: s.status,
    containers: s.containers.map((c) => ({ name: c.name, status: c.status, health: c.health })),
  };
}

/**
 * Every change of a service's status, as numbered events: recomputed when the
 * engine's live view, a deployment or a service changes, and emitted only
 * when something a client shows actually differs. The last events are kept,
 * so a reconnecting client resumes from the last one it saw.
 */
export class StatusFeed extends EventEmitter<{ item: [FeedItem] }> {
  private seq = 0;
  private readonly last = new Map<string, string>();
  private readonly ring: FeedItem[] = [];
  private engineAvailable: boolean | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly services: ServiceManager,
    private readonly watcher: EngineWatcher,
    deployments: DeploymentStore,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    const schedule = () => this.schedule();
    watcher.on('change', schedule);
    deployments.on('change', schedule);
    services.on('change', schedule);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Items after `seq`, or undefined when they are no longer kept (the client then gets a snapshot). */
  since(seq: number): FeedItem[] | undefined {
    if (seq > this.seq) return undefined;
    if (seq === this.seq) return [];
    const first = this.ring[0];
    if (!first || first.seq > seq + 1) return undefined;
    return this.ring.filter((i) => i.seq > seq);
  }

  /** The current state of everything, numbered with the latest sequence number. */
  async snapshot(): Promise<FeedItem[]> {
    await this.running;
    const seq = this.seq;
    if (!this.watcher.isAvailable()) return [{ seq, event: { kind: 'engine', available: false } }];
    const services = await this.services.list();
    return [{ seq, event: { kind: 'engine', available: true } }, ...services.map((s) => ({ seq, event: serviceEvent(s) }))];
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.recompute()).catch((err: unknown) => {
        this.log.warn('status feed recompute failed', { error: String(err) });
      });
    }, DEBOUNCE_MS);
  }

  private async recompute(): Promise<void> {
    const available = this.watcher.isAvailable();
    if (available !== this.engineAvailable) {
      this.engineAvailable = available;
      this.push({ kind: 'engine', available });
    }
    if (!available) return;
    const services = await this.services.list();
    const seen = new Set<string>();
    for (const s of services) {
      seen.add(s.id);
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

  private push(event: StatusEvent): void {
    const item = { seq: ++this.seq, event };
    this.ring.push(item);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    this.emit('item', item);
  }
}
