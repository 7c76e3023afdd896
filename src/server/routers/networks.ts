import { z } from 'zod';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import { zEngineQuery } from '../../shared/images.js';
import { zNetworkNameInput, zNetworkObject, zNetworkPruneInput, zNetworkPruneResult, zRemovedObject } from '../../shared/volumes-networks.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['networks'];

export const networksRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/networks', tags, summary: 'Networks on an engine (`engine_id`, default `local`), with the services of that engine whose containers are attached to each' } })
    .input(zEngineQuery())
    .output(z.array(zNetworkObject))
    .query(({ ctx, input }) => ctx.app.volumesNetworks.listNetworks(input?.engine_id ?? LOCAL_ENGINE_ID)),

  // Declared before /api/networks/{name}, so "prune" is never taken for a name.
  prune: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/networks/prune', tags, summary: 'Remove the networks no container is attached to (never the predefined ones)' },
      audit: 'network.prune',
    })
    .input(zNetworkPruneInput)
    .output(zNetworkPruneResult)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = 'networks:unused';
      ctx.audit.details = { engine_id: input.engine_id ?? LOCAL_ENGINE_ID, label: input.label };
      const result = await ctx.app.volumesNetworks.pruneNetworks(input);
      ctx.audit.details = { ...ctx.audit.details, deleted: result.deleted };
      return result;
    }),

  remove: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/networks/{name}', tags, summary: 'Remove a network; 409 naming the users while any container is attached, 403 for bridge, host, none' },
      audit: 'network.remove',
    })
    .input(zNetworkNameInput)
    .output(zRemovedObject)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `network:${input.name}`;
      ctx.audit.details = { engine_id: input.engine_id ?? LOCAL_ENGINE_ID };
      await ctx.app.volumesNetworks.removeNetwork(input.name, input.engine_id ?? LOCAL_ENGINE_ID);
      return { success: true as const, name: input.name };
    }),
});
