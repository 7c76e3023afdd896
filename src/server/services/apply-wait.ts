import type Docker from 'dockerode';
import type { ComposeDependsOn } from '../../shared/compose/model.js';
import type { PlannedService, ServicePlan } from '../docker/compose-plan.js';
import { inspectContainer } from '../docker/containers.js';
import { CapstanError } from '../errors.js';

/** The engine's healthcheck defaults, for bounding a wait on a check the file did not time. */
const DEFAULT_INTERVAL_NS = 30e9;
const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_RETRIES = 3;
/** Slack over the healthcheck's own bound (the first check, the engine's bookkeeping). */
const SLACK_MS = 10_000;
/** No single dependency holds a deploy longer than this, whatever its healthcheck says. */
export const WAIT_CAP_MS = 10 * 60_000;
const POLL_MS = 500;

type StepFn = (action: string, target: string) => Promise<void>;

/** start_period + (interval + timeout) × retries: when the engine must have decided, plus slack, capped. */
export function healthWaitMs(h: Docker.HealthConfig | undefined): number {
  const interval = h?.Interval || DEFAULT_INTERVAL_NS;
  const timeout = h?.Timeout || DEFAULT_TIMEOUT_NS;
  const retries = h?.Retries || DEFAULT_RETRIES;
  const bound = ((h?.StartPeriod ?? 0) + (interval + timeout) * retries) / 1e6;
  return Math.min(bound + SLACK_MS, WAIT_CAP_MS);
}

/** A poll pause that ends early (rejecting with the reason) when the signal aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls one container until its condition holds (undefined) or cannot hold
 * any more (the reason). Mirrors compose's isServiceHealthy / isServiceCompleted.
 */
async function waitContainer(
  docker: Docker,
  name: string,
  condition: ComposeDependsOn['condition'],
  signal: AbortSignal | undefined,
): Promise<string | undefined> {
  let deadline: number | undefined;
  const started = Date.now();
  for (;;) {
    let c: Docker.ContainerInspectInfo;
    try {
      c = await inspectContainer(docker, name);
    } catch (err) {
      if (err instanceof CapstanError && err.code === 'NOT_FOUND') return `container ${name} does not exist`;
      throw err;
    }
    const state = c.State;
    if (condition === 'service_completed_successfully') {
      if (state.Status === 'exited' || state.Status === 'dead') {
        return state.ExitCode === 0 ? undefined : `container ${name} exited with code ${state.ExitCode}`;
      }
      deadline ??= started + WAIT_CAP_MS;
    } else {
      if (state.Status === 'exited' || state.Status === 'dead') return `container ${name} exited with code ${state.ExitCode}`;
      const check = c.Config.Healthcheck;
      if (!check?.Test?.length || check.Test[0] === 'NONE') return `container ${name} has no healthcheck configured`;
      const health = (state as { Health?: { Status?: string } }).Health?.Status;
      if (health === 'healthy') return undefined;
      if (health === 'unhealthy') return `container ${name} is unhealthy`;
      deadline ??= started + healthWaitMs(check);
    }
    if (Date.now() >= deadline) {
      const what = condition === 'service_healthy' ? 'not healthy' : 'still running';
      return `container ${name} ${what} after ${Math.round((Date.now() - started) / 1000)} s`;
    }
    await sleep(POLL_MS, signal);
  }
}

const CONDITION_TEXT: Record<ComposeDependsOn['condition'], string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'to complete successfully',
};

/**
 * Before a service starts, its depends_on conditions (compose's
 * waitDependencies): service_started is the order itself; service_healthy and
 * service_completed_successfully are waited for, bounded. A required
 * dependency that fails stops the apply with the dependency and the reason; an
 * optional one (required: false) is a warning step.
 */
export async function waitForDependencies(
  docker: Docker,
  plan: ServicePlan,
  svc: PlannedService,
  step: StepFn,
  signal?: AbortSignal,
): Promise<void> {
  for (const [dep, cfg] of Object.entries(svc.dependsOn)) {
    const target = plan.services.find((s) => s.key === dep);
    if (!target) {
      // A service left out by its profiles is not waited for, as compose does not wait for disabled services.
      if (plan.disabled.includes(dep)) continue;
      const message = `${svc.key} is missing dependency ${dep}`;
      if (!cfg.required) {
        await step('warning', message);
        continue;
      }
      throw new CapstanError('BAD_REQUEST', `Service ${message}`, { details: `services.${svc.key}.depends_on.${dep}` });
    }
    if (cfg.condition === 'service_started' || target.scale === 0) continue;
    await step('wait', `${svc.key}: ${dep} ${CONDITION_TEXT[cfg.condition]}`);
    for (const name of target.containers) {
      const reason = await waitContainer(docker, name, cfg.condition, signal);
      if (!reason) continue;
      const message = `Dependency ${dep} of ${svc.key} ${cfg.condition === 'service_healthy' ? 'did not become healthy' : 'did not complete successfully'}`;
      if (!cfg.required) {
        await step('warning', `optional ${message.charAt(0).toLowerCase()}${message.slice(1)}: ${reason}`);
        break;
      }
      throw new CapstanError('CONFLICT', message, { details: `services.${svc.key}.depends_on.${dep}: ${reason}` });
    }
  }
}
