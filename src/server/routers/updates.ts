import { z } from 'zod';
import { zIdInput, zSuccess } from '../../shared/schemas.js';
import { zUpdatesList } from '../../shared/updates.js';
import { answerAfterWork } from '../operation-answer.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['updates'];

/** The one-click update's answer: always the deployment's id, so a client can show its steps (a 202 means it goes on). */
const zImageUpdateAnswer = zSuccess.extend({ deployment_id: z.string().meta({ description: 'the update deployment; still running when the answer is a 202' }) });

export const updatesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/updates', tags, summary: 'The images services use: local against registry digest, as last checked (nothing is pulled)' } })
    .input(z.void())
    .output(zUpdatesList)
    .query(async ({ ctx }) => ({ images: await ctx.app.updates.list() })),

  check: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/updates/check', tags, summary: 'Check every image in use against its registry now (without pulling); answers the new list' },
      audit: 'image.check',
    })
    .input(z.void())
    .output(zUpdatesList)
    .mutation(async ({ ctx }) => {
      ctx.audit.target = 'images:in-use';
      const images = await ctx.app.updates.check();
      ctx.audit.details = {
        images: images.length,
        update_available: images.filter((i) => i.update_available).map((i) => i.image),
        errors: images.filter((i) => i.error).map((i) => i.image),
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
