import { z } from 'zod';
import { zIdInput, zSuccess } from '../../shared/schemas.js';
import { zTokenCreate, zTokenCreated, zTokenObject } from '../../shared/tokens.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['tokens'];

export const tokensRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/tokens', tags, summary: 'The API tokens, with creation and last-use times (never their secrets)' } })
    .input(z.void())
    .output(z.array(zTokenObject))
    .query(({ ctx }) => ctx.app.tokens.list()),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/tokens', tags, summary: 'A new API token for the signed-in user; the secret is in this answer only' },
      audit: 'token.create',
      successStatus: 201,
    })
    .input(zTokenCreate)
    .output(zTokenCreated)
    .mutation(async ({ ctx, input }) => {
      const created = await ctx.app.tokens.create(ctx.session.user.id, input.name, input.expires_at);
      ctx.audit.target = `token:${created.id}`;
      ctx.audit.details = { name: created.name, expires_at: created.expires_at };
      return created;
    }),

  revoke: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/tokens/{id}', tags, summary: 'Revoke a token: it stops working at once, in every Capstan process' }, audit: 'token.revoke' })
    .input(zIdInput)
    .output(zSuccess.extend({ id: z.string(), name: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.app.tokens.revoke(input.id);
      ctx.audit.details = { name: revoked.name };
      return { success: true as const, id: revoked.id, name: revoked.name };
    }),
});
