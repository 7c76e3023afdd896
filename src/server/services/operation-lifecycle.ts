import type { ContainerInfo } from '../docker/containers.js';
import { listComposeContainers, restartContainer, startContainer } from '../docker/containers.js';
import { applyPlan } from './apply.js';
import { graceOf, stopGrace, stopGracefully } from './apply-container.js';
import { concurrencyScope, containerLevels, projectLevels } from './levels.js';
import type { Operation, OperationRun } from './operations.js';
import { planFor } from './project-loader.js';
import type { ServiceRow } from './service-store.js';
import { containersOf } from './service-view.js';

/** The service's containers as the engine has them now (not the event-fed view: a job acts on the truth). */
async function containersNow(op: OperationRun, row: ServiceRow): Promise<(ContainerInfo | undefined)[]> {
  return containersOf(row, await listComposeContainers(op.docker)).infos;
}

/** Start and restart bring up what is missing first, as `docker compose start` cannot but users expect. */
async function withMissingCreated(op: OperationRun, row: ServiceRow): Promise<ContainerInfo[]> {
  let infos = await containersNow(op, row);
  if (infos.some((c) => !c)) {
    await applyPlan(op.docker, row, planFor(row.id, row.project, row.dir), op.step, op.apply);
    infos = await containersNow(op, row);
  }
  return infos.filter((c): c is ContainerInfo => Boolean(c));
}

/**
 * Containers grouped by their service's depends_on level, dependencies first;
 * when the folder no longer loads (or its graph has a cycle) there is no
 * order to keep: one group, so a stop or delete still goes through.
 */
export function byLevels<T extends { key: string }>(row: ServiceRow, containers: readonly T[]): T[][] {
  let levels: string[][] | undefined;
  try {
    levels = row.project.ok ? projectLevels(row.project.project) : undefined;
  } catch {
    levels = undefined;
  }
  return containerLevels(containers, levels);
}

/** The stop_grace_period the definition gives a container's service now, if it loads and sets one. */
export function definedGrace(row: ServiceRow, key: string): number | undefined {
  return row.project.ok ? graceOf(row.project.project.services[key]) : undefined;
}

/**
 * As compose v2: level by level, every container of a level at once (at most
 * ENGINE_CONCURRENCY engine changes in flight, STOP_CONCURRENCY for stops and
 * restarts, which wait out grace periods); start and restart go
 * dependencies first, stop in reverse. A failure lets what is in flight
 * finish and begins nothing more; a retry converges (each change is one that
 * is a no-op when already done).
 */
async function inLevels(op: OperationRun, groups: ContainerInfo[][], fn: (c: ContainerInfo) => Promise<void>, waits = false): Promise<void> {
  const scope = concurrencyScope(op.apply.signal);
  for (const group of groups) await (waits ? scope.eachStop : scope.each)(group, fn);
}

export const startOperation: Operation = {
  needsService: true,
  async run(op) {
    const row = op.row!;
    await inLevels(op, byLevels(row, await withMissingCreated(op, row)), async (c) => {
      if (c.state === 'running') return;
      await startContainer(op.docker, c.id, c.name);
      await op.step({ action: 'start', target: c.name });
    });
  },
  settle: recordLastError,
};

export const restartOperation: Operation = {
  needsService: true,
  async run(op) {
    const row = op.row!;
    await inLevels(op, byLevels(row, await withMissingCreated(op, row)), async (c) => {
      await restartContainer(op.docker, c.id, c.name, await stopGrace(op.docker, c.id, definedGrace(row, c.key)));
      await op.step({ action: 'restart', target: c.name });
    }, true);
  },
  settle: recordLastError,
};

export const stopOperation: Operation = {
  needsService: true,
  async run(op) {
    const row = op.row!;
    const infos = (await containersNow(op, row)).filter((c): c is ContainerInfo => Boolean(c));
    await inLevels(op, byLevels(row, infos).reverse(), async (c) => {
      if (c.state !== 'running' && c.state !== 'restarting') return;
      await stopGracefully(op.docker, c, definedGrace(row, c.key));
      await op.step({ action: 'stop', target: c.name });
    }, true);
  },
  // A stopped service is not "fixed": an earlier failure stays shown; a failed stop is shown.
  async settle({ deps, row }, error) {
    if (row && error) await deps.store.setLastError(row.id, error);
  },
};

/** The service shows the last outcome of what brings it to its definition: cleared on success, set on failure. */
export async function recordLastError({ deps, row }: OperationRun, error: Parameters<NonNullable<Operation['settle']>>[1]): Promise<void> {
  if (row) await deps.store.setLastError(row.id, error ?? null);
}
