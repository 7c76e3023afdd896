import { z } from 'zod';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import { zEngineQuery } from '../../shared/images.js';
import { zRemovedObject, zVolumeNameInput, zVolumeObject, zVolumePruneInput, zVolumePruneResult } from '../../shared/volumes-networks.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['volumes'];

export const volumesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/volumes', tags, summary: 'Volumes on an engine (`engine_id`, default `local`), with their size and the services of that engine using each' } })
    .input(zEngineQuery())
    .output(z.array(zVolumeObject))
    .query(({ ctx, input }) => ctx.app.volumesNetworks.listVolumes(input?.engine_id ?? LOCAL_ENGINE_ID)),

  // Declared before /api/volumes/{name}, so "prune" is never taken for a name.
  prune: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/volumes/prune', tags, summary: 'Remove the volumes no container uses (anonymous ones only unless `all`)' },
      audit: 'volume.prune',
    })
    .input(zVolumePruneInput)
    .output(zVolumePruneResult)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = 'volumes:unused';
      ctx.audit.details = { engine_id: input.engine_id ?? LOCAL_ENGINE_ID, all: input.all, label: input.label };
      const result = await ctx.app.volumesNetworks.pruneVolumes(input);
      ctx.audit.details = { ...ctx.audit.details, deleted: result.deleted, space_reclaimed: result.space_reclaimed };
      return result;
    }),

  remove: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/volumes/{name}', tags, summary: 'Remove a volume; 409 naming the users while any container uses it' },
      audit: 'volume.remove',
    })
    .input(zVolumeNameInput)
    .output(zRemovedObject)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `volume:${input.name}`;
      ctx.audit.details = { engine_id: input.engine_id ?? LOCAL_ENGINE_ID };
      await ctx.app.volumesNetworks.removeVolume(input.name, input.engine_id ?? LOCAL_ENGINE_ID);
      return { success: true as const, name: input.name };
    }),
});
