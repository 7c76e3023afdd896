import { createHash } from 'node:crypto';
import type { HealthStatus, ServiceObject } from '../../shared/schemas.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { EnginePool } from './engines.js';
import type { DeploymentStore } from './deployment-store.js';
import type { ServiceRow, ServiceStore } from './service-store.js';
import { toServiceObject } from './service-view.js';

/** A read that must show host edits of a project folder shows them after at most this long. */
const MAX_AGE_MS = 2000;

/** One JSON answer, serialized and encoded once per change, with the ETag of its bytes. */
export interface CachedJson {
  bytes: Buffer;
  etag: string;
}

export interface ReadSnapshot {
  rows: Map<string, ServiceRow>;
  list: ServiceObject[];
  byId: Map<string, ServiceObject>;
  /** The health answer, made once per rebuild; `health` is its bytes. */
  healthStatus: HealthStatus;
  services: CachedJson;
  health: CachedJson;
}

const cached = (value: unknown): CachedJson => {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { bytes, etag: `"${createHash('sha1').update(bytes).digest('base64url')}"` };
};

/**
 * The service list and health as reads see them, from memory: rebuilt only
 * when something they show may have changed (an engine event, a deployment's
 * change, a service's change, here or in another process) or after MAX_AGE_MS
 * (a file edited on the host), once for all the requests that wait for it.
 * Containers are indexed by service once per rebuild, not scanned per service.
 */
export class ServiceReadView {
  private version = 0;
  private built: { version: number; at: number; snapshot: ReadSnapshot } | undefined;
  private building: Promise<ReadSnapshot> | undefined;

  constructor(
    private readonly store: ServiceStore,
    private readonly engines: EnginePool,
    private readonly deployments: DeploymentStore,
    changes: { on(event: 'change', listener: () => void): unknown },
  ) {
    const bump = () => void this.version++;
    engines.on('change', bump);
    engines.on('availability', bump);
    engines.on('engines', bump);
    deployments.on('change', bump);
    changes.on('change', bump);
  }

  /** Forget the snapshot: the next read rebuilds (a write that emits no change). */
  invalidate(): void {
    this.version++;
  }

  async current(): Promise<ReadSnapshot> {
    const b = this.built;
    if (b && b.version === this.version && Date.now() - b.at < MAX_AGE_MS) return b.snapshot;
    this.building ??= this.build().finally(() => (this.building = undefined));
    return this.building;
  }

  /** A service's row as the view holds it (its project loaded once per change); the store's answer (or 404) when the view does not have it. */
  async row(id: string): Promise<ServiceRow> {
    const row = (await this.current().catch(() => undefined))?.rows.get(id);
    return row ?? this.store.get(id);
  }

  private async build(): Promise<ReadSnapshot> {
    const version = this.version;
    const at = Date.now();
    // 503 only when no engine answers; the services of one that does not are `unknown`.
    const [containers, rows, active] = await Promise.all([this.engines.containers(), this.store.list(), this.deployments.listActive()]);
    const busy = new Set(active.map((d) => d.serviceId));
    const { byService, byProject } = indexContainers(containers);
    const list = rows.map((row) => {
      // What belongsTo() can match: by Capstan's id label, or (adopted) by project name without one.
      const mine = [...(byService.get(row.id) ?? []), ...(row.adopted ? (byProject.get(row.name) ?? []) : [])];
      return toServiceObject(row, mine, busy.has(row.id), this.engines.isAvailable(row.engineId));
    });
    const healthStatus: HealthStatus = { services: list.map((s) => ({ id: s.id, name: s.name, engine_id: s.engine_id, status: s.status })) };
    const snapshot: ReadSnapshot = {
      rows: new Map(rows.map((r) => [r.id, r])),
      list,
      byId: new Map(list.map((s) => [s.id, s])),
      healthStatus,
      services: cached(list),
      health: cached(healthStatus),
    };
    this.built = { version, at, snapshot };
    return snapshot;
  }
}

function indexContainers(all: ContainerInfo[]) {
  const byService = new Map<string, ContainerInfo[]>();
  const byProject = new Map<string, ContainerInfo[]>();
  for (const c of all) {
    const [map, key] = c.serviceId ? [byService, c.serviceId] : [byProject, c.project];
    if (!key) continue;
    const list = map.get(key);
    if (list) list.push(c);
    else map.set(key, [c]);
  }
  return { byService, byProject };
}
