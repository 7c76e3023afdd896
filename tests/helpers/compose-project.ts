import type { ComposeProject, ComposeService } from '../../src/shared/compose/model.js';
import { planProject, type DesiredContainer } from '../../src/server/docker/compose-plan.js';

/** Nanoseconds in a second (the model's durations). */
export const S = 1e9;

/**
 * A normalized compose project built by hand, as the loader would produce it:
 * each service gets its key as `name` and `image` unless given; the default
 * network exists.
 */
export function composeProject(
  name: string,
  services: Record<string, Partial<ComposeService>>,
  extra: Partial<ComposeProject> = {},
  image = 'busybox:1',
): ComposeProject {
  return {
    name,
    services: Object.fromEntries(Object.entries(services).map(([k, s]) => [k, { name: k, image, ...s } as ComposeService])),
    networks: { default: { name: `${name}_default` } },
    volumes: {},
    secrets: {},
    configs: {},
    ...extra,
  };
}

export const PLAN_META = { workingDir: '/srv/projects/app', configFiles: ['/srv/projects/app/compose.yaml'] };

/** Plans a project of service id "svc1" in /srv/projects/app. */
export const planOf = (p: ComposeProject, meta: { workingDir?: string; env?: Record<string, string> } = {}) =>
  planProject('svc1', p, { ...PLAN_META, ...meta });

/** The first container of a one-service project "app" whose service is "web". */
export const planOne = (s: Partial<ComposeService>, extra?: Partial<ComposeProject>): DesiredContainer =>
  planOf(composeProject('app', { web: s }, extra)).containers[0]!;

export const hostOf = (c: DesiredContainer) => c.create.HostConfig as Record<string, any>;
