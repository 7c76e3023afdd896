import type Docker from 'dockerode';
import { listComposeContainers, removeContainer, stopContainer } from '../docker/containers.js';
import { anonymousVolumesOf } from '../docker/inherit-volumes.js';
import { networkName } from '../docker/compose-plan.js';
import { LABEL_PROJECT } from '../docker/labels.js';
import { listVolumesByLabel, removeNetwork, removeVolume } from '../docker/resources.js';
import { CapstanError } from '../errors.js';
import { belongsTo, type Step } from './apply.js';
import { stopGrace } from './apply-container.js';
import { concurrencyScope } from './levels.js';
import { byLevels, definedGrace } from './operation-lifecycle.js';
import type { Operation } from './operations.js';
import type { ProjectLoader } from './project-loader.js';
import type { ServiceRow } from './service-store.js';

/**
 * Stops the containers in reverse depends_on levels (each level's at once;
 * all at once when the folder no longer loads) and removes each level once it
 * has stopped; then the networks, and for a
 * hard delete the volumes and the project folder; then the row. A soft delete
 * keeps the folder (it may hold bind-mounted data), renamed
 * `<name>.deleted-<deployment id>` so a new service of the same name starts
 * from its own files. A delete that fails for good clears the service's
 * `deleting` mark and records why: the service stays usable and a second
 * DELETE tries again.
 */
export const deleteOperation: Operation = {
  needsService: false,
  async run({ deps, docker, deployment, row, step, apply }) {
    if (!row) return; // gone already: a second delivery of a delete that finished
    const mode = deployment.params?.mode === 'hard' ? 'hard' : 'soft';
    // The anonymous volumes an earlier attempt found: their containers may be gone now.
    const remembered = (deployment.steps ?? []).filter((st) => st.action === ANONYMOUS_VOLUME_STEP).map((st) => st.target);
    await takeDown(docker, row, step, apply.signal, mode === 'hard', remembered);
    await deps.schedules.removeForService(row.id);
    // Before the row: a retry after a crash finds the row and finishes; the folder step is idempotent.
    await step(removeFolder(deps.store.projects, row.name, mode, deployment.id));
    await deps.store.delete(row.id);
  },
  async settle({ deps, row }, error) {
    if (row && error) await deps.store.unmarkDeleting(row.id, error);
  },
};

/**
 * What `compose down` does: stops the service's containers in reverse
 * depends_on levels (each level's at once, each with its own grace period;
 * all at once when the folder no longer loads), removes each level once it
 * has stopped, then the project's networks, and the volumes too when asked
 * (the containers' anonymous ones, including those `rememberedVolumes` names
 * from an earlier attempt, and the named ones by label). Idempotent: what is
 * gone already is skipped.
 */
/** The step that records, before its container goes, an anonymous volume a hard delete removes after it. */
const ANONYMOUS_VOLUME_STEP = 'anonymous-volume';

export async function takeDown(
  docker: Docker,
  row: ServiceRow,
  step: (s: Step) => Promise<unknown>,
  signal: AbortSignal,
  volumes: boolean,
  rememberedVolumes: string[] = [],
): Promise<void> {
  const mine = (await listComposeContainers(docker)).filter((c) => belongsTo(c, row));
  const scope = concurrencyScope(signal);
  const grace = new Map<string, number | undefined>();
  await scope.each(mine, async (c) => grace.set(c.id, await stopGrace(docker, c.id, definedGrace(row, c.key))));
  // Anonymous volumes a container mounts by name (inherited on a recreate) outlive its removal: they
  // are removed after it. Each is recorded as a step first, so a retry after a crash still knows it.
  const anonymous = new Set<string>(rememberedVolumes);
  if (volumes) {
    const found = new Set<string>();
    await scope.each(mine, async (c) => (await anonymousVolumesOf(docker, c.id)).forEach((v) => found.add(v)));
    for (const v of found) {
      if (anonymous.has(v)) continue;
      anonymous.add(v);
      await step({ action: ANONYMOUS_VOLUME_STEP, target: v });
    }
  }
  // A stopped container's removal changes nothing its dependencies see: it runs beside the next level's stops.
  const removing: Promise<void>[] = [];
  try {
    for (const group of byLevels(row, mine).reverse()) {
      await scope.eachStop(group, (c) => stopContainer(docker, c.id, c.name, grace.get(c.id)));
      removing.push(
        scope.each(group, async (c) => {
          await removeContainer(docker, c.id, c.name, { anonymousVolumes: volumes });
          await step({ action: 'remove', target: c.name });
        }),
      );
    }
  } finally {
    await Promise.allSettled(removing);
  }
  await Promise.all(removing);
  await scope.each(projectNetworks(row), async (network) => {
    await removeNetwork(docker, network);
    await step({ action: 'remove-network', target: network });
  });
  if (volumes) {
    await scope.each([...(await listVolumesByLabel(docker, `${LABEL_PROJECT}=${row.name}`)), ...anonymous], async (v) => {
      try {
        await removeVolume(docker, v);
      } catch (err) {
        // Another container mounts it too: it stays, and the delete goes on.
        if (!(err instanceof CapstanError && err.code === 'CONFLICT') || !anonymous.has(v)) throw err;
        await step({ action: 'note', target: `anonymous volume ${v} is in use by another container and was kept` });
        return;
      }
      await step({ action: 'remove-volume', target: v });
    });
  }
}

/** The networks the project creates (not external ones), and the default one of older definitions. */
function projectNetworks(row: ServiceRow): string[] {
  const names = new Set([networkName(row.name)]);
  if (row.project.ok) for (const n of Object.values(row.project.project.networks)) if (!n.external) names.add(n.name);
  return [...names];
}

function removeFolder(projects: ProjectLoader, name: string, mode: 'soft' | 'hard', deploymentId: string): Step {
  projects.forget(name);
  try {
    if (mode === 'hard') {
      projects.folders.removeFolder(name);
      return { action: 'remove-folder', target: projects.dir(name) };
    }
    const kept = projects.folders.retire(name, deploymentId);
    return { action: 'keep-folder', target: kept ?? projects.dir(name) };
  } catch (err) {
    // Files a container wrote as another user: the service is gone; say what is left behind.
    return { action: 'keep-folder', target: `${projects.dir(name)} (${(err as NodeJS.ErrnoException).code ?? 'not removed'})` };
  }
}
