import { on } from 'node:events';
import { tracked } from '@trpc/server';
import { z } from 'zod';
import { zDeploymentCompose, zDeploymentObject, zIdInput, zResumable } from '../../shared/schemas.js';
import type { DeploymentRow, DeploymentStore } from '../services/deployment-store.js';
import { isFinished, toDeploymentObject } from '../services/deployment-view.js';
import { authedProcedure, router, withDomainErrors } from '../trpc.js';

const tags = ['deployments'];

export const deploymentsRouter = router({
  listForService: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/deployments', tags, summary: 'Deployments of a service, newest first' } })
    .input(zIdInput)
    .output(z.array(zDeploymentObject))
    .query(async ({ ctx, input }) => {
      await ctx.app.serviceStore.get(input.id);
      return (await ctx.app.deployments.listForService(input.id)).map(toDeploymentObject);
    }),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/deployments/{id}', tags, summary: 'One deployment with its steps' } })
    .input(zIdInput)
    .output(zDeploymentObject)
    .query(async ({ ctx, input }) => toDeploymentObject(await ctx.app.deployments.get(input.id))),

  compose: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/api/deployments/{id}/compose', tags, summary: 'The compose text a deployment applied, to read back or restore with PUT /api/services/{id}' },
    })
    .input(zIdInput)
    .output(zDeploymentCompose)
    .query(async ({ ctx, input }) => {
      const d = await ctx.app.deployments.get(input.id);
      return { yaml: d.composeYaml ?? null, env_hash: d.envHash ?? null };
    }),

  /**
   * A deployment step by step, until it finishes. Events are tracked by the
   * deployment's version, so a reconnecting client gets what it missed.
   */
  onUpdate: authedProcedure
    .input(zIdInput.extend(zResumable.shape))
    .subscription(({ ctx, input, signal }) => withDomainErrors(deploymentEvents(ctx.app.deployments, input.id, input.lastEventId, signal))),
});

async function* deploymentEvents(store: DeploymentStore, id: string, lastEventId: string | null | undefined, signal: AbortSignal | undefined) {
  // Listen before reading, so no change falls between the read and the stream.
  const changes = on(store, 'change', { signal });
  let seen = lastEventId ? Number(lastEventId) : -1;
  const current = await store.get(id);
  if (current.version > seen) {
    seen = current.version;
    yield tracked(String(current.version), toDeploymentObject(current));
  }
  if (isFinished(current)) return;
  try {
    for await (const [row] of changes as AsyncIterable<[DeploymentRow]>) {
      if (row.id !== id || row.version <= seen) continue;
      seen = row.version;
      yield tracked(String(row.version), toDeploymentObject(row));
      if (isFinished(row)) return;
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
