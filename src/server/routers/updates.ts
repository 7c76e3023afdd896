import { z } from 'zod';
import { zEngineField } from '../../shared/images.js';
import { zIdInput, zSuccess } from '../../shared/schemas.js';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import { zUpdatesList, type ImageUpdate } from '../../shared/updates.js';
import { answerAfterWork } from '../operation-answer.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['updates'];

/** The one-click update's answer: always the deployment's id, so a client can show its steps (a 202 means it goes on). */
const zImageUpdateAnswer = zSuccess.extend({ deployment_id: z.string().meta({ description: 'the update deployment; still running when the answer is a 202' }) });

/** "registry:5000/app:1" on local, "edge: registry:5000/app:1" on another engine (audit details). */
const engineImage = (i: ImageUpdate) => (i.engine_id === LOCAL_ENGINE_ID ? i.image : `${i.engine_id}: ${i.image}`);

export const updatesRouter = router({
  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/updates',
        tags,
        summary: 'The images services use, one entry per engine and image: local against registry digest, as last checked (nothing is pulled); `engine_id` keeps one engine\'s',
      },
    })
    .input(z.object({ engine_id: zEngineField("Only this engine's entries; without it, every engine's", false) }).optional())
    .output(zUpdatesList)
    .query(async ({ ctx, input }) => ({ images: await ctx.app.updates.list(input?.engine_id) })),

  check: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/updates/check', tags, summary: 'Check every image in use, on every engine, against its registry now (without pulling); answers the new list' },
      audit: 'image.check',
    })
    .input(z.void())
    .output(zUpdatesList)
    .mutation(async ({ ctx }) => {
      ctx.audit.target = 'images:in-use';
      const images = await ctx.app.updates.check();
      ctx.audit.details = {
        images: images.length,
        update_available: images.filter((i) => i.update_available).map(engineImage),
        errors: images.filter((i) => i.error).map(engineImage),
      };
      return { images };
    }),

  updateService: auditedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/services/{id}/update',
        tags: ['services'],
        summary:
          'Update the images of a service as a schedule does: pull what the registry changed, recreate exactly the containers whose image changed; answers after the work, or 202 after 30 s',
      },
      audit: 'service.image_update',
    })
    .input(zIdInput)
    .output(zImageUpdateAnswer)
    .mutation(async ({ ctx, input }) => {
      const deployment = await ctx.app.services.imageUpdate(input.id, ctx.session.actor);
      ctx.audit.details = { deployment_id: deployment.id, status: deployment.status };
      return { ...answerAfterWork(ctx.res, deployment), deployment_id: deployment.id };
    }),
});
