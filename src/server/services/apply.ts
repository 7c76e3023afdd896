import type Docker from 'dockerode';
import {
  listComposeContainers,
  removeContainer,
  renameContainer,
  restartContainer,
  startContainer,
  type ContainerInfo,
} from '../docker/containers.js';
import type { DesiredContainer, PlannedService, ServicePlan } from '../docker/compose-plan.js';
import { containerMounts } from '../docker/inherit-volumes.js';
import { OLD_CONTAINER_MARK } from '../docker/labels.js';
import { CapstanError } from '../errors.js';
import { newId } from '../ids.js';
import { createPlanned, refsStale, stopGrace, stopGracefully } from './apply-container.js';
import { prepare } from './apply-prepare.js';
import { waitForDependencies } from './apply-wait.js';
import { concurrencyScope, planLevels, type ConcurrencyScope } from './levels.js';

/** Which containers belong to a service: by Capstan's id, or by project for an adopted one. */
export interface ServiceRef {
  id: string;
  name: string;
  adopted: boolean;
  /** The service's engine; matched against the engine a container of the live view came from. */
  engineId?: string;
}

/**
 * Whether a container is the service's: by Capstan's id label (or, adopted,
 * by project name), and from the service's own engine when the container
 * comes from the live view of all engines (one listed from a single engine's
 * client carries no engine: it is that engine's).
 */
export function belongsTo(c: ContainerInfo, ref: ServiceRef): boolean {
  if (c.engineId !== undefined && ref.engineId !== undefined && c.engineId !== ref.engineId) return false;
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

/**
 * Applies a plan declaratively, as `docker compose up -d` converges: checks
 * and pulls what is missing before touching anything, removes containers no
 * longer defined, then level by level in depends_on order (levels.ts), every
 * service of a level at once, waits for each service's depends_on conditions
 * and creates, recreates or starts only what differs, its replicas at once
 * (at most ENGINE_CONCURRENCY container changes in flight). A container that
 * fails to come up after a recreate is replaced by the old one again, so
 * nothing that ran before is lost. Every step is idempotent, and a crash or
 * a failure (which lets what is in flight finish, and begins nothing more)
 * leaves containers a second run converges from.
 */
export async function applyPlan(
  docker: Docker,
  ref: ServiceRef,
  plan: ServicePlan,
  onStep: (s: Step) => Promise<unknown> | void = () => {},
  opts: ApplyOptions = {},
): Promise<Step[]> {
  const steps: Step[] = [];
  // Recorded in order behind the work, not in its way: a level's engine calls do not wait for the database.
  let recorded: Promise<unknown> = Promise.resolve();
  const step = async (action: string, target: string) => {
    throwIfAborted(opts.signal);
    const s = { action, target };
    steps.push(s);
    recorded = recorded.then(() => onStep(s));
    recorded.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
  };
  let failed = false;
  try {
    await applySteps(docker, ref, plan, step, opts);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // Every step is recorded before the apply answers; a recording failure counts only when nothing else failed.
    await (failed ? recorded.catch(() => {}) : recorded);
  }
  return steps;
}

async function applySteps(docker: Docker, ref: ServiceRef, plan: ServicePlan, step: StepFn, opts: ApplyOptions): Promise<void> {
  for (const w of plan.warnings) await step('warning', w);

  const imageIds = await prepare(docker, plan, step, opts);

  let current = (await listComposeContainers(docker)).filter((c) => belongsTo(c, ref));
  current = await recoverInterruptedRecreates(docker, current, step);
  const scope = concurrencyScope(opts.signal);

  // Containers no longer in the plan go first: they may hold ports the new ones need.
  const wanted = new Set(plan.containers.map((c) => c.name));
  const unwanted = current.filter((c) => !wanted.has(c.name));
  await scope.eachStop(unwanted, async (c) => {
    await stopGracefully(docker, c, plannedGrace(plan, c.key));
    await removeContainer(docker, c.id, c.name);
    await step('remove', c.name);
  });
  current = current.filter((c) => wanted.has(c.name));

  const ctx: ServiceApply = { docker, plan, current, imageIds, bounced: new Set(), step, scope };
  for (const level of planLevels(plan)) await scope.all(level, (svc) => applyService(ctx, svc));
}

type StepFn = (action: string, target: string) => Promise<void>;

interface ServiceApply {
  docker: Docker;
  plan: ServicePlan;
  current: ContainerInfo[];
  imageIds: Map<string, string>;
  /** Services created, recreated or restarted in this apply: what `depends_on.restart: true` reacts to. */
  bounced: Set<string>;
  step: StepFn;
  scope: ConcurrencyScope;
}

/** The stop_grace_period the plan gives a service now (seconds), if it sets one. */
const plannedGrace = (plan: ServicePlan, key: string) =>
  (plan.containers.find((c) => c.key === key)?.create as { StopTimeout?: number } | undefined)?.StopTimeout;

/** One service: its depends_on conditions, then its replicas at once; then the restarts its dependencies ask for. */
async function applyService(ctx: ServiceApply, svc: PlannedService): Promise<void> {
  const { docker, plan, step, scope } = ctx;
  await waitForDependencies(docker, plan, svc, step, scope.signal);
  let touched = false;
  const untouched: ContainerInfo[] = [];
  await scope.each(
    plan.containers.filter((c) => c.key === svc.key),
    async (desired) => {
      const existing = ctx.current.find((c) => c.name === desired.name);
      const imageId = ctx.imageIds.get(desired.image);
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
    },
  );
  if (touched) ctx.bounced.add(svc.key);
  // Dependencies are in lower levels, all settled by now: `bounced` is final for them.
  const restartFor = Object.entries(svc.dependsOn).filter(([dep, d]) => d.restart && ctx.bounced.has(dep)).map(([dep]) => dep);
  if (restartFor.length && untouched.length) {
    const grace = plannedGrace(plan, svc.key);
    await scope.eachStop(untouched, async (c) => {
      await restartContainer(docker, c.id, c.name, await stopGrace(docker, c.id, grace));
      await step('restart', `${c.name} (${restartFor.join(', ')} changed)`);
    });
    ctx.bounced.add(svc.key);
  }
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
  // Read before anything changes: a crash after the rename leaves this container aside, and the retry reads it again.
  const inherit = await containerMounts(docker, old.id);
  const asideName = `${old.name}${OLD_CONTAINER_MARK}${newId(6)}`;
  // The grace period the service asks for now, as compose stops with the service's stop_grace_period.
  if (wasRunning) await stopGracefully(docker, old, (desired.create as { StopTimeout?: number }).StopTimeout);
  await renameContainer(docker, old.id, asideName);
  let newId_: string | undefined;
  try {
    newId_ = await createPlanned(docker, desired, imageId, inherit);
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
  step: StepFn,
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
