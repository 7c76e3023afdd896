import type Docker from 'dockerode';
import {
  listComposeContainers,
  removeContainer,
  renameContainer,
  restartContainer,
  startContainer,
  stopContainer,
  type ContainerInfo,
} from '../docker/containers.js';
import type { DesiredContainer, ServicePlan } from '../docker/compose-plan.js';
import { LABEL_CONTAINER_NUMBER, OLD_CONTAINER_MARK } from '../docker/labels.js';
import { CapstanError } from '../errors.js';
import { newId } from '../ids.js';
import { createPlanned, refsStale } from './apply-container.js';
import { prepare } from './apply-prepare.js';
import { waitForDependencies } from './apply-wait.js';

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

/** What bounds an apply: the job's signal (its deadline, the worker's shutdown) and the pull stall bound. */
export interface ApplyOptions {
  signal?: AbortSignal;
  pullInactivityMs?: number;
}

/** Between steps: an aborted apply stops before its next change, with the signal's reason. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CapstanError('SERVICE_UNAVAILABLE', 'The operation was cancelled');
}

const numberOf = (c: ContainerInfo) => Number(c.labels[LABEL_CONTAINER_NUMBER] ?? 0) || 0;

/**
 * Applies a plan declaratively, as `docker compose up -d` converges: checks
 * and pulls what is missing before touching anything, removes containers no
 * longer defined (the highest replica numbers first), then service by service
 * in dependency order waits for the depends_on conditions and creates,
 * recreates or starts only what differs. A container that fails to come up
 * after a recreate is replaced by the old one again, so nothing that ran
 * before is lost. Every step is idempotent, and a crash between steps leaves
 * containers a second run converges from.
 */
export async function applyPlan(
  docker: Docker,
  ref: ServiceRef,
  plan: ServicePlan,
  onStep: (s: Step) => Promise<unknown> | void = () => {},
  opts: ApplyOptions = {},
): Promise<Step[]> {
  const steps: Step[] = [];
  const step = async (action: string, target: string) => {
    throwIfAborted(opts.signal);
    const s = { action, target };
    steps.push(s);
    await onStep(s);
  };
  for (const w of plan.warnings) await step('warning', w);

  const imageIds = await prepare(docker, plan, step, opts);

  let current = (await listComposeContainers(docker)).filter((c) => belongsTo(c, ref));
  current = await recoverInterruptedRecreates(docker, current, step);

  // Containers no longer in the plan go first: they may hold ports the new ones need.
  const wanted = new Set(plan.containers.map((c) => c.name));
  const unwanted = current.filter((c) => !wanted.has(c.name)).sort((a, b) => numberOf(b) - numberOf(a));
  for (const c of unwanted) {
    await stopContainer(docker, c.id, c.name);
    await removeContainer(docker, c.id, c.name);
    await step('remove', c.name);
  }
  current = current.filter((c) => wanted.has(c.name));

  /** Services created, recreated or restarted in this apply: what `depends_on.restart: true` reacts to. */
  const bounced = new Set<string>();
  for (const svc of plan.services) {
    await waitForDependencies(docker, plan, svc, step, opts.signal);
    let touched = false;
    const untouched: ContainerInfo[] = [];
    for (const desired of plan.containers.filter((c) => c.key === svc.key)) {
      const existing = current.find((c) => c.name === desired.name);
      const imageId = imageIds.get(desired.image);
      if (!existing) {
        const id = await createPlanned(docker, desired, imageId);
        await step('create', desired.name);
        await startContainer(docker, id, desired.name);
        await step('start', desired.name);
        touched = true;
      } else if (
        existing.configHash !== desired.hash ||
        (imageId && existing.imageId !== imageId) ||
        // A shared namespace names a container id: when that container was replaced, so is this one.
        (await refsStale(docker, existing.id, desired))
      ) {
        await recreate(docker, existing, desired, undefined, imageId);
        await step('recreate', desired.name);
        touched = true;
      } else if (existing.state !== 'running') {
        // As `compose up`: a stopped container (a finished one-shot too) is started again.
        await startContainer(docker, existing.id, existing.name);
        await step('start', desired.name);
      } else untouched.push(existing);
    }
    if (touched) bounced.add(svc.key);
    const restartFor = Object.entries(svc.dependsOn).filter(([dep, d]) => d.restart && bounced.has(dep)).map(([dep]) => dep);
    if (restartFor.length && untouched.length) {
      for (const c of untouched) {
        await restartContainer(docker, c.id, c.name);
        await step('restart', `${c.name} (${restartFor.join(', ')} changed)`);
      }
      bounced.add(svc.key);
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
  desired: DesiredContainer,
  verify?: (id: string) => Promise<string | undefined>,
  imageId?: string,
): Promise<string> {
  const wasRunning = old.state === 'running' || old.state === 'restarting';
  const asideName = `${old.name}${OLD_CONTAINER_MARK}${newId(6)}`;
  // The grace period the service asks for now, as compose stops with the service's stop_grace_period.
  const grace = (desired.create as { StopTimeout?: number }).StopTimeout;
  if (wasRunning) await stopContainer(docker, old.id, old.name, grace);
  await renameContainer(docker, old.id, asideName);
  let newId_: string | undefined;
  try {
    newId_ = await createPlanned(docker, desired, imageId);
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
