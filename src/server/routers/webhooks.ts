import { z } from 'zod';
import { zIdInput } from '../../shared/schemas.js';
import { zWebhookCreate, zWebhookCreated, zWebhookObject, zWebhookRef } from '../../shared/webhooks.js';
import { isSecure } from '../context.js';
import { auditedProcedure, authedProcedure, router, type Context } from '../trpc.js';

const tags = ['webhooks'];

/**
 * Where this server was reached, as the webhook's URL must name it: behind a
 * reverse proxy, the host the proxy says it was asked for. Trusting the header
 * costs nothing: the URL is only shown to the signed-in caller who sent it.
 */
function baseUrl(ctx: Context): string {
  const forwarded = ctx.req.headers['x-forwarded-host'];
  const host = (typeof forwarded === 'string' && forwarded.split(',')[0]!.trim()) || ctx.req.headers.host || 'localhost';
  return `${isSecure(ctx.req) ? 'https' : 'http'}://${/^[\w.:[\]-]+$/.test(host) ? host : 'localhost'}`;
}

export const webhooksRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/webhooks', tags, summary: "A service's deploy webhooks (never their URLs' secrets)" } })
    .input(zIdInput)
    .output(z.array(zWebhookObject))
    .query(({ ctx, input }) => ctx.app.webhooks.list(input.id)),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/services/{id}/webhooks', tags, summary: 'A new deploy webhook; its URL (the secret) is in this answer only' },
      audit: 'webhook.create',
      successStatus: 201,
    })
    .input(zWebhookCreate)
    .output(zWebhookCreated)
    .mutation(async ({ ctx, input }) => {
      const hook = await ctx.app.webhooks.create(input.id, input, baseUrl(ctx));
      ctx.audit.details = { hook_id: hook.id, name: hook.name, action: hook.action, signed: hook.signed };
      return hook;
    }),

  rotate: auditedProcedure
    .meta({ openapi: { method: 'POST', path: '/api/services/{id}/webhooks/{hook_id}/rotate', tags, summary: 'A new URL for the webhook; the old one stops working at once' }, audit: 'webhook.rotate' })
    .input(zWebhookRef)
    .output(zWebhookCreated)
    .mutation(async ({ ctx, input }) => {
      const hook = await ctx.app.webhooks.rotate(input.id, input.hook_id, baseUrl(ctx));
      ctx.audit.details = { hook_id: hook.id, name: hook.name };
      return hook;
    }),

  remove: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/services/{id}/webhooks/{hook_id}', tags, summary: 'Delete a webhook: its URL stops working at once' }, audit: 'webhook.remove' })
    .input(zWebhookRef)
    .output(zWebhookObject)
    .mutation(async ({ ctx, input }) => {
      const hook = await ctx.app.webhooks.remove(input.id, input.hook_id);
      ctx.audit.details = { hook_id: hook.id, name: hook.name };
      return hook;
    }),
});
