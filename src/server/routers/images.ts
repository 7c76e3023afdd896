import { z } from 'zod';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import {
  zEngineQuery,
  zImageIdInput,
  zImagePruneInput,
  zImageObject,
  zPruneResult,
  zPullInput,
  zPullResult,
  zRemoveImageResult,
  type PullProgressEvent,
} from '../../shared/images.js';
import { imageRef } from '../services/images.js';
import { auditedProcedure, authedProcedure, router, withDomainErrors } from '../trpc.js';

const tags = ['images'];

export const imagesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/images', tags, summary: 'Images on an engine (`engine_id`, default `local`), with the containers and the services of that engine using each' } })
    .input(zEngineQuery())
    .output(z.array(zImageObject))
    .query(({ ctx, input }) => ctx.app.images.list(input?.engine_id ?? LOCAL_ENGINE_ID)),

  // Image names contain "/", so they travel in the body, never in the path.
  pullAndWait: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/images/pull', tags, summary: 'Pull an image (with stored registry credentials) on an engine (`engine_id`, default `local`) and wait for it' },
      audit: 'image.pull',
    })
    .input(zPullInput)
    .output(zPullResult)
    .mutation(async ({ ctx, input, signal }) => {
      const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
      ctx.audit.target = `image:${imageRef(input)}`;
      ctx.audit.details = { engine_id: engineId };
      const result = await ctx.app.images.pull(input, signal);
      ctx.audit.details = { engine_id: engineId, digest: result.digest, status: result.status };
      return result;
    }),

  // Declared before /api/images/{id} (a different method today, but the order keeps "prune" from ever being an id).
  prune: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/images/prune', tags, summary: 'Remove dangling images on an engine (`engine_id`, default `local`); answers what was deleted and the space reclaimed' },
      audit: 'image.prune',
    })
    .input(zImagePruneInput)
    .output(zPruneResult)
    .mutation(async ({ ctx, input }) => {
      const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
      ctx.audit.target = 'images:dangling';
      ctx.audit.details = { engine_id: engineId };
      const result = await ctx.app.images.prune(engineId);
      ctx.audit.details = { engine_id: engineId, deleted: result.deleted, space_reclaimed: result.space_reclaimed };
      return result;
    }),

  remove: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/images/{id}', tags, summary: 'Remove an image by id from an engine (`?engine_id=`, default `local`); 409 while a container uses it' },
      audit: 'image.remove',
    })
    .input(zImageIdInput)
    .output(zRemoveImageResult)
    .mutation(async ({ ctx, input }) => {
      const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
      ctx.audit.details = { engine_id: engineId };
      const result = await ctx.app.images.remove(input.id, engineId);
      ctx.audit.details = { engine_id: engineId, untagged: result.untagged, deleted: result.deleted };
      return result;
    }),

  /**
   * The pull as live progress (SSE): {done: false, layer, status, current,
   * total} per layer event, then {done: true, digest, …}. The engine's stream
   * is destroyed when the client goes away (signal), which cancels the pull.
   */
  pull: authedProcedure.input(zPullInput).subscription(async function* ({ ctx, input, signal }) {
    for await (const event of withDomainErrors(ctx.app.images.pullProgress(input, ctx.session.actor, signal))) {
      yield event satisfies PullProgressEvent;
    }
  }),
});
