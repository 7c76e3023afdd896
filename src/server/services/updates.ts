import { asc, inArray, notInArray } from 'drizzle-orm';
import type Docker from 'dockerode';
import type { Db } from '../../db/client.js';
import { imageUpdates } from '../../db/schema.js';
import type { ImageUpdate } from '../../shared/updates.js';
import { canonicalRef, localImage, pinnedDigest, registryDigest } from '../docker/distribution.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
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

/** Every image reference the services' plans use, with the services using each. A folder that does not load uses nothing. */
export function imagesOf(rows: ServiceRow[]): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const row of rows) {
    if (row.deleting) continue;
    let refs: string[];
    try {
      refs = planFor(row.id, row.project, row.dir).containers.map((c) => canonicalRef(c.image));
    } catch {
      continue;
    }
    for (const ref of new Set(refs)) used.set(ref, [...(used.get(ref) ?? []), row.id]);
  }
  return used;
}

type Row = typeof imageUpdates.$inferSelect;

const toObject = (r: Row, serviceIds: string[]): ImageUpdate => ({
  image: r.image,
  service_ids: serviceIds,
  local_digest: r.localDigest,
  remote_digest: r.remoteDigest,
  update_available: r.updateAvailable,
  checked_at: r.checkedAt.toISOString(),
  error: r.error,
});

/**
 * The update badges: for every image the services use, the local digest
 * against the registry's, asked through the engine without pulling; on
 * demand, on a schedule (jobs/tasks/update-check.ts) and after an update of
 * a service. Results are rows in libSQL, so every Capstan process on the
 * database shows the same.
 */
export class UpdateChecker {
  private running: Promise<ImageUpdate[]> | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly store: ServiceStore,
    private readonly db: Db,
    private readonly log: Logger,
  ) {}

  /** The last results of the images in use, with the services using each now. */
  async list(): Promise<ImageUpdate[]> {
    const used = imagesOf(await this.store.list());
    if (used.size === 0) return [];
    const rows = await this.db.select().from(imageUpdates).where(inArray(imageUpdates.image, [...used.keys()])).orderBy(asc(imageUpdates.image));
    return rows.map((r) => toObject(r, used.get(r.image) ?? []));
  }

  /** Checks every image in use now and drops the results of images no service uses. One check at a time: a second caller shares it. */
  check(): Promise<ImageUpdate[]> {
    this.running ??= this.checkAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks again the images of one service (after its update), so its badge shows what the engine has now. */
  async checkService(serviceId: string): Promise<void> {
    const used = imagesOf(await this.store.list());
    const mine = new Map([...used].filter(([, ids]) => ids.includes(serviceId)));
    await this.checkEach(mine);
  }

  /**
   * After a deployment that may have changed which images a service uses
   * (create, update, env, redeploy): its images are checked in the
   * background, so a new service has its badge without waiting for the schedule.
   */
  afterDeployment(kind: string, serviceId: string, succeeded: boolean): void {
    if (!succeeded || !['create', 'update', 'env', 'redeploy'].includes(kind)) return;
    void this.checkService(serviceId).catch((err: unknown) => this.log.warn('update check after a deployment failed', { service: serviceId, error: String(err) }));
  }

  private async checkAll(): Promise<ImageUpdate[]> {
    const used = imagesOf(await this.store.list());
    await this.checkEach(used);
    // Images no service uses any longer: their badges would point nowhere.
    await this.db.delete(imageUpdates).where(used.size ? notInArray(imageUpdates.image, [...used.keys()]) : undefined);
    return this.list();
  }

  private async checkEach(used: Map<string, string[]>): Promise<void> {
    const gate = createGate(CHECK_CONCURRENCY);
    await Promise.all(
      [...used].map(([image, serviceIds]) =>
        gate(async () => {
          const c = await checkImage(this.docker, image);
          if (c.error) this.log.debug('update check: registry not asked', { image, error: c.error });
          await this.record(c, serviceIds);
        }),
      ),
    );
  }

  private async record(c: ImageCheck, serviceIds: string[]): Promise<void> {
    const values = {
      serviceIds,
      localDigest: c.localDigest,
      remoteDigest: c.remoteDigest,
      updateAvailable: c.updateAvailable,
      error: c.error,
      checkedAt: new Date(),
    };
    await this.db.insert(imageUpdates).values({ image: c.image, ...values }).onConflictDoUpdate({ target: imageUpdates.image, set: values });
  }
}
