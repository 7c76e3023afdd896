import { z } from 'zod';
import { zChannelInput, zChannelObject, zChannelUpdate } from '../../shared/notifications.js';
import { zIdInput } from '../../shared/schemas.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['notifications'];
/** What an audit entry says of a channel: never its URL (it holds credentials). */
const described = (c: { id: string; name: string; kind: string; events: string[] }) => ({ channel_id: c.id, name: c.name, kind: c.kind, events: c.events });

export const notificationsRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/notifications', tags, summary: 'The notification channels (URLs masked), each with its delivery state' } })
    .input(z.void())
    .output(z.array(zChannelObject))
    .query(({ ctx }) => ctx.app.notifications.list()),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/notifications/{id}', tags, summary: 'One notification channel' } })
    .input(zIdInput)
    .output(zChannelObject)
    .query(({ ctx, input }) => ctx.app.notifications.get(input.id)),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/notifications', tags, summary: 'Add a channel: a shoutrrr-style URL and the events it is told about' },
      audit: 'notification.create',
      successStatus: 201,
    })
    .input(zChannelInput)
    .output(zChannelObject)
    .mutation(async ({ ctx, input }) => {
      const channel = await ctx.app.notifications.create(input);
      ctx.audit.target = `notification:${channel.id}`;
      ctx.audit.details = described(channel);
      return channel;
    }),

  update: auditedProcedure
    .meta({ openapi: { method: 'PUT', path: '/api/notifications/{id}', tags, summary: 'Change a channel; a URL left out (or sent back masked) is kept' }, audit: 'notification.update' })
    .input(zChannelUpdate)
    .output(zChannelObject)
    .mutation(async ({ ctx, input }) => {
      const { id, ...changes } = input;
      // Compared with the URL as it was shown before: the answer's is the new one, masked.
      const shown = changes.url === undefined ? undefined : (await ctx.app.notifications.get(id)).url;
      const channel = await ctx.app.notifications.update(id, changes);
      ctx.audit.details = { ...described(channel), url_changed: shown !== undefined && changes.url!.trim() !== shown };
      return channel;
    }),

  remove: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/notifications/{id}', tags, summary: 'Remove a channel' }, audit: 'notification.remove' })
    .input(zIdInput)
    .output(zChannelObject)
    .mutation(async ({ ctx, input }) => {
      const channel = await ctx.app.notifications.remove(input.id);
      ctx.audit.details = described(channel);
      return channel;
    }),

  test: auditedProcedure
    .meta({ openapi: { method: 'POST', path: '/api/notifications/{id}/test', tags, summary: 'Send a test message now; 200 once the channel accepted it, else its refusal (503)' }, audit: 'notification.test' })
    .input(zIdInput)
    .output(zChannelObject)
    .mutation(async ({ ctx, input }) => {
      const channel = await ctx.app.notifications.test(input.id);
      ctx.audit.details = described(channel);
      return channel;
    }),
});
