import { CapstanError } from '../errors.js';
import { applyPlan } from './apply.js';
import { recordLastError } from './operation-lifecycle.js';
import { takeDown } from './operation-delete.js';
import type { Operation } from './operations.js';
import { planFor } from './project-loader.js';

/**
 * A move between engines, as the user asked for it: the service is taken
 * down on the old engine (its containers stopped and removed, its networks
 * removed; named volumes stay there with their data), the row switches to
 * the new engine, and the project is deployed there. Each step converges on
 * a retry: a crash after the switch takes down nothing more on the old
 * engine and applies again on the new one.
 */
export const moveOperation: Operation = {
  needsService: true,
  async run({ deps, deployment, row, step, apply, details }) {
    const from = String(deployment.params?.from ?? '');
    const to = String(deployment.params?.to ?? '');
    if (!from || !to) throw new CapstanError('BAD_REQUEST', 'Move without engines', { details: 'params: from and to are required' });
    const [source, target] = await Promise.all([deps.engines.link(from), deps.engines.link(to)]);
    // Before the project can load on the new engine at all (an invalid folder cannot be deployed anywhere).
    const plan = planFor(row!.id, row!.project, row!.dir);
    await step({ action: 'take-down', target: `engine ${source.name}` });
    await takeDown(source.docker, row!, step, apply.signal, false);
    const moved = await deps.store.setEngine(row!.id, to);
    await step({ action: 'switch-engine', target: `engine ${target.name}` });
    deps.services.notify(row!.id);
    await deps.deployments.recordSource(deployment.id, moved.project.yaml ?? null, moved.project.envHash);
    await applyPlan(target.docker, moved, plan, step, apply);
    details.from = from;
    details.to = to;
  },
  settle: recordLastError,
};
