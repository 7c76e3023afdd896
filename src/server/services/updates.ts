import { and, eq, inArray, notInArray } from 'drizzle-orm';
import type Docker from 'dockerode';
import type { Db } from '../../db/client.js';
import { imageUpdates } from '../../db/schema.js';
import type { ImageUpdate } from '../../shared/updates.js';
import { canonicalRef, localImage, pinnedDigest, registryDigest } from '../docker/distribution.js';
import { engineCall } from '../docker/errors.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import type { EnginePool } from './engines.js';
import { createGate } from './levels.js';
import { planFor } from './project-loader.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

/** Registries are asked a few at a time: a check of many images must not flood one registry or the engine. */
const CHECK_CONCURRENCY = 4;

/** What one comparison found, without pulling. */
export interface ImageCheck {
  image: string;
  /** The id of the engine's image under this reference; undefined when it has none. */
  localId: string | undefined;
  localDigest: string | null;
  remoteDigest: string | null;
  updateAvailable: boolean;
  /** Why the registry (or the engine) could not be asked. */
  error: string | null;
}

/** Why an image has no comparison: it never came from a registry (and asking one would send its name to whatever registry it seems to name). */
export const LOCAL_ONLY = 'not pulled from a registry (built or imported on this engine): nothing to compare';

const describe = (err: unknown) =>
  err instanceof CapstanError ? `${err.message}${err.details ? `: ${err.details}` : ''}` : err instanceof Error ? err.message : String(err);

/**
 * Compares the engine's image under `ref` with the registry's digest for it.
 * Never throws: a registry (or engine) that cannot be asked is an error in
 * the result, with no update shown. A reference pinned by digest cannot
 * change, so no registry is asked for it.
 */
export async function checkImage(docker: Docker, ref: string): Promise<ImageCheck> {
  const image = canonicalRef(ref);
  const pinned = pinnedDigest(image);
  let local: Awaited<ReturnType<typeof localImage>>;
  try {
    local = await localImage(docker, image);
  } catch (err) {
    return { image, localId: undefined, localDigest: null, remoteDigest: null, updateAvailable: false, error: describe(err) };
  }
  // Built or imported on this engine (no registry digest at all): no registry has a version of it to compare.
  if (local && local.digests.length === 0 && !pinned) {
    return { image, localId: local.id, localDigest: null, remoteDigest: null, updateAvailable: false, error: LOCAL_ONLY };
  }
  let remote: string | null = null;
  let error: string | null = null;
  try {
    remote = pinned ?? (await registryDigest(docker, image));
  } catch (err) {
    error = describe(err);
  }
  // The engine may hold several digests for one image (pulled as a list and as a manifest): any match is current.
  const localDigest = local ? (remote && local.digests.includes(remote) ? remote : (local.digests[0] ?? null)) : null;
  return { image, localId: local?.id, localDigest, remoteDigest: remote, updateAvailable: error === null && remote !== null && localDigest !== remote, error };
}

/** One image reference on one engine, with the services of that engine using it. */
export interface ImageUse {
  engineId: string;
  image: string;
  serviceIds: string[];
}

const useKey = (engineId: string, image: string) => `${engineId}\u0000${image}`;

/**
 * Every image reference the services' plans use, per engine: each engine
 * holds its own copy of a reference, so (engine, image) is one entry, with
 * the services of that engine using it. A folder that does not load uses nothing.
 */
export function imagesOf(rows: ServiceRow[]): Map<string, ImageUse> {
  const used = new Map<string, ImageUse>();
  for (const row of rows) {
    if (row.deleting) continue;
    let refs: string[];
    try {
      refs = planFor(row.id, row.project, row.dir).containers.map((c) => canonicalRef(c.image));
    } catch {
      continue;
    }
    for (const image of new Set(refs)) {
      const key = useKey(row.engineId, image);
      const use = used.get(key) ?? { engineId: row.engineId, image, serviceIds: [] };
      use.serviceIds.push(row.id);
      used.set(key, use);
    }
  }
  return used;
}

type Row = typeof imageUpdates.$inferSelect;

const toObject = (r: Row, serviceIds: string[]): ImageUpdate => ({
  engine_id: r.engineId,
  image: r.image,
  service_ids: serviceIds,
  local_digest: r.localDigest,
  remote_digest: r.remoteDigest,
  update_available: r.updateAvailable,
  checked_at: r.checkedAt.toISOString(),
  error: r.error,
});

const byImageThenEngine = (a: ImageUpdate, b: ImageUpdate) => a.image.localeCompare(b.image) || a.engine_id.localeCompare(b.engine_id);

/**
 * The update badges: for every image the services use, on the engine each
 * service runs on, the local digest against the registry's, asked through
 * that engine without pulling; on demand, on a schedule
 * (jobs/tasks/update-check.ts) and after an update of a service. Results are
 * rows in libSQL, one per (engine, image), so every Capstan process on the
 * database shows the same. An engine that does not answer gets an error on
 * each of its images; the other engines are checked all the same.
 */
export class UpdateChecker {
  private running: Promise<ImageUpdate[]> | undefined;

  constructor(
    private readonly engines: EnginePool,
    private readonly store: ServiceStore,
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** The last results of the images in use (on every engine, or on one: 404 for an id no engine has), with the services using each now. */
  async list(engineId?: string): Promise<ImageUpdate[]> {
    if (engineId !== undefined) await this.engines.link(engineId);
    const used = imagesOf(await this.store.list());
    if (engineId !== undefined) for (const [k, u] of used) if (u.engineId !== engineId) used.delete(k);
    if (used.size === 0) return [];
    const images = [...new Set([...used.values()].map((u) => u.image))];
    const rows = await this.db.select().from(imageUpdates).where(inArray(imageUpdates.image, images));
    return rows
      .flatMap((r) => {
        const use = used.get(useKey(r.engineId, r.image));
        return use ? [toObject(r, use.serviceIds)] : [];
      })
      .sort(byImageThenEngine);
  }

  /** Checks every image in use now, on every engine, and drops the results no service uses. One check at a time: a second caller shares it. */
  check(): Promise<ImageUpdate[]> {
    this.running ??= this.checkAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks again the images of one service (after its update) on its engine, so its badge shows what the engine has now. */
  async checkService(serviceId: string): Promise<void> {
    const used = imagesOf(await this.store.list());
    await this.checkEach([...used.values()].filter((u) => u.serviceIds.includes(serviceId)));
  }

  /**
   * After a deployment that may have changed which images a service uses
   * (create, update, env, redeploy) or where (move): its images are checked
   * in the background, so a new service has its badge without waiting for the schedule.
   */
  afterDeployment(kind: string, serviceId: string, succeeded: boolean): void {
    if (!succeeded || !['create', 'update', 'env', 'redeploy', 'move'].includes(kind)) return;
    void this.checkService(serviceId).catch((err: unknown) => this.log.warn('update check after a deployment failed', { service: serviceId, error: String(err) }));
  }

  private async checkAll(): Promise<ImageUpdate[]> {
    const used = imagesOf(await this.store.list());
    await this.checkEach([...used.values()]);
    await this.dropUnused(used);
    return this.list();
  }

  /** Images no service uses any longer (on that engine): their badges would point nowhere. */
  private async dropUnused(used: Map<string, ImageUse>): Promise<void> {
    const byEngine = new Map<string, string[]>();
    for (const u of used.values()) byEngine.set(u.engineId, [...(byEngine.get(u.engineId) ?? []), u.image]);
    for (const [engineId, images] of byEngine) {
      await this.db.delete(imageUpdates).where(and(eq(imageUpdates.engineId, engineId), notInArray(imageUpdates.image, images)));
    }
    await this.db.delete(imageUpdates).where(byEngine.size ? notInArray(imageUpdates.engineId, [...byEngine.keys()]) : undefined);
  }

  /** Per engine: one that does not answer (or is gone) records why on each of its images, without asking it once per image. */
  private async checkEach(uses: ImageUse[]): Promise<void> {
    const byEngine = new Map<string, ImageUse[]>();
    for (const u of uses) byEngine.set(u.engineId, [...(byEngine.get(u.engineId) ?? []), u]);
    const gate = createGate(CHECK_CONCURRENCY);
    await Promise.all(
      [...byEngine].map(async ([engineId, list]) => {
        let docker: Docker;
        try {
          docker = await this.engines.docker(engineId);
          // dockerode takes the signal (its types do not say so).
          await engineCall((abortSignal) => (docker.ping as (opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal }), 'Docker engine unavailable');
        } catch (err) {
          const error = `engine "${engineId}": ${describe(err)}`;
          this.log.debug('update check: engine not asked', { engine: engineId, error });
          for (const u of list) {
            await this.record(engineId, { image: u.image, localId: undefined, localDigest: null, remoteDigest: null, updateAvailable: false, error }, u.serviceIds);
          }
          return;
        }
        await Promise.all(
          list.map((u) =>
            gate(async () => {
              const c = await checkImage(docker, u.image);
              if (c.error) this.log.debug('update check: registry not asked', { engine: engineId, image: u.image, error: c.error });
              await this.record(engineId, c, u.serviceIds);
            }),
          ),
        );
      }),
    );
  }

  private async record(engineId: string, c: ImageCheck, serviceIds: string[]): Promise<void> {
    const values = {
      serviceIds,
      localDigest: c.localDigest,
      remoteDigest: c.remoteDigest,
      updateAvailable: c.updateAvailable,
      error: c.error,
      checkedAt: new Date(),
    };
    await this.db
      .insert(imageUpdates)
      .values({ engineId, image: c.image, ...values })
      .onConflictDoUpdate({ target: [imageUpdates.engineId, imageUpdates.image], set: values });
  }
}
