import type { ContainerInfo } from '../docker/containers.js';
import { listComposeContainers, restartContainer, startContainer, stopContainer } from '../docker/containers.js';
import { applyPlan } from './apply.js';
import type { Operation, OperationRun } from './operations.js';
import { planFor } from './project-loader.js';
import type { ServiceRow } from './service-store.js';
import { containersOf } from './service-view.js';

/** The service's containers as the engine has them now (not the event-fed view: a job acts on the truth). */
async function containersNow(op: OperationRun, row: ServiceRow): Promise<(ContainerInfo | undefined)[]> {
  return containersOf(row, await listComposeContainers(op.deps.docker)).infos;
}

/** Start and restart bring up what is missing first, as `docker compose start` cannot but users expect. */
async function withMissingCreated(op: OperationRun, row: ServiceRow): Promise<ContainerInfo[]> {
  let infos = await containersNow(op, row);
  if (infos.some((c) => !c)) {
    await applyPlan(op.deps.docker, row, planFor(row.id, row.project, row.dir), op.step, op.apply);
    infos = await containersNow(op, row);
  }
  return infos.filter((c): c is ContainerInfo => Boolean(c));
}

/** Containers in depends_on order; stop goes in reverse. */
export const startOperation: Operation = {
  needsService: true,
  async run(op) {
    for (const c of await withMissingCreated(op, op.row!)) {
      if (c.state === 'running') continue;
      await startContainer(op.deps.docker, c.id, c.name);
      await op.step({ action: 'start', target: c.name });
    }
  },
  settle: recordLastError,
};

export const restartOperation: Operation = {
  needsService: true,
  async run(op) {
    for (const c of await withMissingCreated(op, op.row!)) {
      await restartContainer(op.deps.docker, c.id, c.name);
      await op.step({ action: 'restart', target: c.name });
    }
  },
  settle: recordLastError,
};

export const stopOperation: Operation = {
  needsService: true,
  async run(op) {
    const infos = (await containersNow(op, op.row!)).filter((c): c is ContainerInfo => Boolean(c));
    for (const c of infos.reverse()) {
      if (c.state !== 'running' && c.state !== 'restarting') continue;
      await stopContainer(op.deps.docker, c.id, c.name);
      await op.step({ action: 'stop', target: c.name });
    }
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
