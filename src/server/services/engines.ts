import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import { closeDockerClient, createDockerClient, type EngineEndpoint } from '../docker/client.js';
import type { ContainerInfo } from '../docker/containers.js';
import { Engine } from '../docker/engine.js';
import { EngineWatcher, type ContainerEvent } from '../docker/events.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { endpointOf, type EngineRecord, type EngineStore } from './engine-store.js';

/** One engine as this process reaches it: its client and its live view. */
export interface EngineLink {
  readonly id: string;
  readonly name: string;
  /** As configured, for display (a password in it blanked). */
  readonly url: string;
  readonly docker: Docker;
  readonly engine: Engine;
  readonly watcher: EngineWatcher;
  /** The row's version: a link older than its row is replaced. */
  readonly updatedAt: number;
}

interface PoolEvents {
  /** Some engine's live view changed. */
  change: [];
  /** One engine came (back) or went. */
  availability: [engineId: string, available: boolean];
  /** A managed container's event on one engine. */
  container: [ContainerEvent];
  /** Engines were added, changed or removed. */
  engines: [];
}

/** A URL as it may be shown: a password in it blanked. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return raw.replace(/:[^/@]*@/, ':***@');
  }
}

export const engineNotFound = (id: string) =>
  new CapstanError('NOT_FOUND', 'Engine not found', { details: `engine_id: no engine with id "${id}"` });

/**
 * Every engine Capstan manages, each with its own client and its own live
 * view (event stream, reconnect, resync). The pool's events are its
 * engines' events, tagged with the engine; its container view is that of
 * every engine that answers, each container tagged with its engine, so a
 * service matches only the containers of its own engine. An engine that is
 * down is left out, and the others go on.
 */
export class EnginePool extends EventEmitter<PoolEvents> {
  private readonly links = new Map<string, EngineLink>();
  private started = false;
  private reloading: Promise<void> | undefined;
  /** Told when this process changed an engine, for the other processes (jobs/notify.ts). */
  publish: (id: string) => void = () => {};

  constructor(
    private readonly store: EngineStore,
    private readonly local: { name: string; endpoint: EngineEndpoint },
    private readonly log: Logger,
    /** Told of every client made (the registry credentials are registered with each). */
    private readonly onClient: (docker: Docker) => void = () => {},
  ) {
    super();
    this.setMaxListeners(0);
    this.open({ id: LOCAL_ENGINE_ID, name: local.name, endpoint: local.endpoint, updatedAt: 0 });
  }

  /** Reads the engine rows and connects to each; the watchers start at once. */
  async start(): Promise<void> {
    this.started = true;
    for (const link of this.links.values()) link.watcher.start();
    await this.reload();
  }

  stop(): void {
    this.started = false;
    for (const link of this.links.values()) {
      link.watcher.stop();
      closeDockerClient(link.docker);
    }
  }

  /** The engines this process knows, `local` first. */
  all(): EngineLink[] {
    return [...this.links.values()];
  }

  find(id: string): EngineLink | undefined {
    return this.links.get(id);
  }

  /** An engine's link; one this process has not heard of yet is read from the table first (another process added it). */
  async link(id: string): Promise<EngineLink> {
    let link = this.links.get(id);
    if (!link) {
      await this.reload();
      link = this.links.get(id);
    }
    if (!link) throw engineNotFound(id);
    return link;
  }

  async docker(id: string): Promise<Docker> {
    return (await this.link(id)).docker;
  }

  isAvailable(id: string): boolean {
    return this.links.get(id)?.watcher.isAvailable() ?? false;
  }

  anyAvailable(): boolean {
    return this.all().some((l) => l.watcher.isAvailable());
  }

  /** A read of one engine's containers needs that engine: 503 (with why) while it does not answer. */
  requireAvailable(id: string): void {
    const link = this.links.get(id);
    if (!link) throw engineNotFound(id);
    if (link.watcher.isAvailable()) return;
    throw new CapstanError('SERVICE_UNAVAILABLE', 'Docker engine unavailable', { details: `engine "${link.name}": ${link.watcher.problem()}` });
  }

  /**
   * The containers of every engine that answers, each tagged with its
   * engine. 503 only when none answers (after each had its first moment to connect).
   */
  async containers(): Promise<ContainerInfo[]> {
    const links = this.all();
    await Promise.all(links.map((l) => l.watcher.settled()));
    const views = links.map((l) => l.watcher.current());
    if (views.every((v) => v === undefined)) {
      // The one engine's own reason when there is one engine; otherwise that none answers.
      if (links.length === 1) return links[0]!.watcher.containers();
      throw new CapstanError('SERVICE_UNAVAILABLE', 'Docker engine unavailable', { details: `none of the ${links.length} engines answers` });
    }
    return views.flatMap((v) => v ?? []);
  }

  /** The client of the engine a container of the live view came from (one without an engine is `local`'s). */
  dockerOf(info: ContainerInfo): Promise<Docker> {
    return this.docker(info.engineId ?? LOCAL_ENGINE_ID);
  }

  /** Whether a container (from the live view) has a TTY: its engine's watcher knows or asks. */
  async ttyOf(info: ContainerInfo): Promise<boolean> {
    if (info.tty !== undefined) return info.tty;
    return (await this.link(info.engineId ?? LOCAL_ENGINE_ID)).watcher.ttyOf(info.id);
  }

  /** Lists one engine again now (after an operation changed its containers). */
  async resync(id: string): Promise<void> {
    await this.links.get(id)?.watcher.resync();
  }

  /**
   * Brings the links in line with the table: new engines connected, changed
   * ones reconnected, removed ones closed. One reload at a time; callers during one share it.
   */
  reload(): Promise<void> {
    this.reloading ??= this.readRows().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** This process saved or removed an engine: its link follows now, and the other processes are told. */
  async changed(id: string): Promise<void> {
    await this.reload();
    this.publish(id);
  }

  private async readRows(): Promise<void> {
    const rows = await this.store.list();
    const wanted = new Map(rows.map((r) => [r.id, r]));
    let changed = false;
    for (const [id, link] of this.links) {
      if (id === LOCAL_ENGINE_ID) continue;
      const row = wanted.get(id);
      if (!row || row.updatedAt.getTime() !== link.updatedAt) {
        this.close(id);
        changed = true;
      }
    }
    for (const row of rows) {
      if (this.links.has(row.id)) continue;
      this.openRecord(row);
      changed = true;
    }
    if (changed) this.emit('engines');
  }

  private openRecord(r: EngineRecord): void {
    const pinned = r.sshHostKey;
    this.open({
      id: r.id,
      name: r.name,
      endpoint: {
        ...endpointOf(r),
        ...(r.url.startsWith('ssh:') ? { verifyHostKey: (f: string) => this.checkHostKey(r.id, pinned, f) } : {}),
      },
      updatedAt: r.updatedAt.getTime(),
    });
  }

  private checkHostKey(id: string, pinned: string | null, fingerprint: string): boolean {
    if (pinned === null || pinned === fingerprint) return true;
    this.log.warn('engine ssh host key changed: connection refused', { engine: id, expected: pinned, presented: fingerprint });
    return false;
  }

  private open(o: { id: string; name: string; endpoint: EngineEndpoint; updatedAt: number }): void {
    const docker = createDockerClient(o.endpoint);
    this.onClient(docker);
    const watcher = new EngineWatcher(o.id, docker, this.log);
    watcher.on('change', () => this.emit('change'));
    const engine = new Engine(docker);
    watcher.on('availability', (available) => {
      if (!available) engine.forgetIdentity();
      this.emit('availability', o.id, available);
    });
    watcher.on('container', (e) => this.emit('container', e));
    const link: EngineLink = { id: o.id, name: o.name, url: displayUrl(o.endpoint.url), docker, engine, watcher, updatedAt: o.updatedAt };
    this.links.set(o.id, link);
    if (this.started) watcher.start();
  }

  private close(id: string): void {
    const link = this.links.get(id);
    if (!link) return;
    this.links.delete(id);
    link.watcher.stop();
    link.watcher.removeAllListeners();
    closeDockerClient(link.docker);
    if (link.watcher.isAvailable()) this.emit('availability', id, false);
    this.emit('change');
  }
}
