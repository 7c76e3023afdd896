import type Docker from 'dockerode';
import {
  createContainer,
  listComposeContainers,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  type ContainerInfo,
} from '../docker/containers.js';
import type { DesiredContainer, ServicePlan } from '../docker/compose-plan.js';
import { ensureImage } from '../docker/images.js';
import { OLD_CONTAINER_MARK } from '../docker/labels.js';
import { ensureNetwork, ensureVolume } from '../docker/resources.js';
import { CapstanError } from '../errors.js';
import { newId } from '../ids.js';

/** Which containers belong to a service: by Capstan's id, or by project for an adopted one. */
export interface ServiceRef {
  id: string;
  name: string;
  adopted: boolean;
}

export function belongsTo(c: ContainerInfo, ref: ServiceRef): boolean {
  if (c.serviceId) return c.serviceId === ref.id;
  return ref.adopted && c.project === ref.name;
}

export type Step = { action: string; target: string };

/**
 * Applies a plan declaratively: pulls what is missing before touching anything,
 * then creates, recreates or removes only what differs, in depends_on order.
 * A container that fails to come up after a recreate is replaced by the old one
 * again, so nothing that ran before is lost. Every step is idempotent, and a
 * crash between steps leaves containers a second run converges from.
 */
export async function applyPlan(
  docker: Docker,
  ref: ServiceRef,
  plan: ServicePlan,
  onStep: (s: Step) => Promise<unknown> | void = () => {},
): Promise<Step[]> {
  const steps: Step[] = [];
  const step = async (action: string, target: string) => {
    const s = { action, target };
    steps.push(s);
    await onStep(s);
  };

  for (const image of new Set(plan.containers.map((c) => c.image))) {
    if (await ensureImage(docker, image)) await step('pull', image);
  }
  if (await ensureNetwork(docker, plan.network.name, plan.network.labels)) await step('create-network', plan.network.name);
  for (const v of plan.volumes) {
    if (await ensureVolume(docker, v.name, v.labels)) await step('create-volume', v.name);
  }

  let current = (await listComposeContainers(docker)).filter((c) => belongsTo(c, ref));
  current = await recoverInterruptedRecreates(docker, current, step);

  // Containers no longer in the definition go first: they may hold ports the new ones need.
  const wanted = new Set(plan.containers.map((c) => c.name));
  for (const c of [...current].reverse()) {
    if (!wanted.has(c.name)) {
      await stopContainer(docker, c.id, c.name);
      await removeContainer(docker, c.id, c.name);
      await step('remove', c.name);
    }
  }

  for (const desired of plan.containers) {
    const existing = current.find((c) => c.name === desired.name);
    if (!existing) {
      const id = await createContainer(docker, desired.create);
      await step('create', desired.name);
      await startContainer(docker, id, desired.name);
      await step('start', desired.name);
    } else if (existing.configHash !== desired.hash) {
      await recreate(docker, existing, desired);
      await step('recreate', desired.name);
    } else if (existing.state !== 'running') {
      await startContainer(docker, existing.id, existing.name);
      await step('start', desired.name);
    }
  }
  return steps;
}

/**
 * Stops the old container and moves it aside, starts the new one under the
 * real name; if the new one does not start (or `verify` names a reason it is
 * not well), puts the old one back as it was and throws.
 */
export async function recreate(
  docker: Docker,
  old: ContainerInfo,
  desired: Pick<DesiredContainer, 'name' | 'create'>,
  verify?: (id: string) => Promise<string | undefined>,
): Promise<string> {
  const wasRunning = old.state === 'running' || old.state === 'restarting';
  const asideName = `${old.name}${OLD_CONTAINER_MARK}${newId(6)}`;
  if (wasRunning) await stopContainer(docker, old.id, old.name);
  await renameContainer(docker, old.id, asideName);
  let newId_: string | undefined;
  try {
    newId_ = await createContainer(docker, desired.create);
    await startContainer(docker, newId_, desired.name);
    const problem = await verify?.(newId_);
    if (problem) throw new CapstanError('CONFLICT', `Container ${desired.name} did not come up`, { details: problem });
  } catch (err) {
    if (newId_) await removeContainer(docker, newId_, desired.name).catch(() => {});
    await renameContainer(docker, old.id, old.name);
    if (wasRunning) await startContainer(docker, old.id, old.name).catch(() => {});
    throw err;
  }
  await removeContainer(docker, old.id, asideName);
  return newId_;
}

/**
 * A crash during a recreate leaves an old container renamed aside. If its real
 * name is free again, it is put back (the next step decides whether to recreate
 * it); if the new container exists, the old one is no longer needed.
 */
async function recoverInterruptedRecreates(
  docker: Docker,
  current: ContainerInfo[],
  step: (action: string, target: string) => Promise<void>,
): Promise<ContainerInfo[]> {
  const aside = current.filter((c) => c.name.includes(OLD_CONTAINER_MARK));
  if (aside.length === 0) return current;
  const result = current.filter((c) => !c.name.includes(OLD_CONTAINER_MARK));
  for (const c of aside) {
    const realName = c.name.slice(0, c.name.indexOf(OLD_CONTAINER_MARK));
    if (result.some((r) => r.name === realName)) {
      await removeContainer(docker, c.id, c.name);
      await step('remove-leftover', c.name);
    } else {
      await renameContainer(docker, c.id, realName);
      result.push({ ...c, name: realName });
      await step('restore-leftover', realName);
    }
  }
  return result;
}
