import { z } from 'zod';
import { zNetworkNameInput, zNetworkObject, zNetworkPruneInput, zNetworkPruneResult, zRemovedObject } from '../../shared/volumes-networks.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['networks'];

export const networksRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/networks', tags, summary: 'Networks on the engine, with the services whose containers are attached to each' } })
    .input(z.void())
    .output(z.array(zNetworkObject))
    .query(({ ctx }) => ctx.app.volumesNetworks.listNetworks()),

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
      ctx.audit.details = { label: input.label };
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
      await ctx.app.volumesNetworks.removeNetwork(input.name);
      return { success: true as const, name: input.name };
    }),
});
