import { z } from 'zod';
import {
  zImageIdInput,
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
    .meta({ openapi: { method: 'GET', path: '/api/images', tags, summary: 'Images on the engine, with the containers and services using each' } })
    .input(z.void())
    .output(z.array(zImageObject))
    .query(({ ctx }) => ctx.app.images.list()),

  // Image names contain "/", so they travel in the body, never in the path.
  pullAndWait: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/images/pull', tags, summary: 'Pull an image (with stored registry credentials) and wait for it' },
      audit: 'image.pull',
    })
    .input(zPullInput)
    .output(zPullResult)
    .mutation(async ({ ctx, input, signal }) => {
      ctx.audit.target = `image:${imageRef(input)}`;
      const result = await ctx.app.images.pull(input, signal);
      ctx.audit.details = { digest: result.digest, status: result.status };
      return result;
    }),

  // Declared before /api/images/{id} (a different method today, but the order keeps "prune" from ever being an id).
  prune: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/images/prune', tags, summary: 'Remove dangling images; answers what was deleted and the space reclaimed' },
      audit: 'image.prune',
    })
    .input(z.void())
    .output(zPruneResult)
    .mutation(async ({ ctx }) => {
      ctx.audit.target = 'images:dangling';
      const result = await ctx.app.images.prune();
      ctx.audit.details = { deleted: result.deleted, space_reclaimed: result.space_reclaimed };
      return result;
    }),

  remove: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/images/{id}', tags, summary: 'Remove an image by id; 409 while a container uses it' },
      audit: 'image.remove',
    })
    .input(zImageIdInput)
    .output(zRemoveImageResult)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.app.images.remove(input.id);
      ctx.audit.details = { untagged: result.untagged, deleted: result.deleted };
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
