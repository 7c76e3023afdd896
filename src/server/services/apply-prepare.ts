import type Docker from 'dockerode';
import type { ServicePlan } from '../docker/compose-plan.js';
import { imageExists, pullImage } from '../docker/images.js';
import { ensureNetwork, ensureVolume, requireExternalNetwork, requireExternalVolume } from '../docker/resources.js';
import { CapstanError } from '../errors.js';
import type { ApplyOptions } from './apply.js';
import { imageIdOf } from './apply-container.js';

type StepFn = (action: string, target: string) => Promise<void>;

type Policy = 'always' | 'missing' | 'never';

/** One policy per image: `always` if any service says so, `never` only if all do; refresh windows count as missing. */
function imagePolicies(plan: ServicePlan): Map<string, { policy: Policy; services: string[]; refresh: string[] }> {
  const out = new Map<string, { policy: Policy; services: string[]; refresh: string[] }>();
  for (const s of plan.services) {
    if (s.scale === 0) continue;
    const p = s.pullPolicy;
    const policy: Policy = p === 'always' ? 'always' : p === 'never' ? 'never' : 'missing';
    const entry = out.get(s.image);
    if (!entry) out.set(s.image, { policy, services: [s.key], refresh: [] });
    else {
      entry.services.push(s.key);
      if (policy === 'always' || entry.policy === 'always') entry.policy = 'always';
      else if (policy === 'missing') entry.policy = 'missing';
    }
    if (p === 'daily' || p === 'weekly' || p.startsWith('every_')) out.get(s.image)!.refresh.push(`${s.key} (${p})`);
  }
  return out;
}

/**
 * Everything the containers need, before any container changes: external
 * networks and volumes exist, images are there (pulled as pull_policy says),
 * the project's networks and volumes exist. Returns each image's id.
 */
export async function prepare(docker: Docker, plan: ServicePlan, step: StepFn, opts: ApplyOptions = {}): Promise<Map<string, string>> {
  const pullOpts = { ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.pullInactivityMs ? { inactivityMs: opts.pullInactivityMs } : {}) };
  for (const n of plan.networks) if (n.external) await requireExternalNetwork(docker, n.name, n.key);
  for (const v of plan.volumes) if (v.external) await requireExternalVolume(docker, v.name, v.key);

  const imageIds = new Map<string, string>();
  for (const [ref, { policy, services, refresh }] of imagePolicies(plan)) {
    if (refresh.length) await step('note', `pull_policy of ${refresh.join(', ')} is applied as "missing": ${ref} is pulled only when absent`);
    if (policy === 'always') {
      await pullImage(docker, ref, undefined, pullOpts);
      await step('pull', ref);
    } else if (!(await imageExists(docker, ref))) {
      if (policy === 'never') {
        throw new CapstanError('NOT_FOUND', `Image ${ref} is not on the engine and pull_policy is never`, {
          details: `services.${services[0]}.pull_policy: pull or load ${ref} first, or change pull_policy`,
        });
      }
      await pullImage(docker, ref, undefined, pullOpts);
      await step('pull', ref);
    }
    imageIds.set(ref, await imageIdOf(docker, ref));
  }

  for (const n of plan.networks) {
    if (n.create && (await ensureNetwork(docker, n.create))) await step('create-network', n.name);
  }
  for (const v of plan.volumes) {
    if (v.create && (await ensureVolume(docker, v.create as Docker.VolumeCreateOptions & { Name: string }))) await step('create-volume', v.name);
  }
  return imageIds;
}
