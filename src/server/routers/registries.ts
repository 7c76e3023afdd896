import { z } from 'zod';
import { zRegistryHostInput, zRegistryInput, zRegistryObject } from '../../shared/images.js';
import { zSuccess } from '../../shared/schemas.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['registries'];

/** Registry credentials for pulls. The password goes in and is never sent back, logged or audited. */
export const registriesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/registries', tags, summary: 'Registry hosts with stored credentials (never the password)' } })
    .input(z.void())
    .output(z.array(zRegistryObject))
    .query(({ ctx }) => ctx.app.registries.list()),

  set: auditedProcedure
    .meta({
      openapi: { method: 'PUT', path: '/api/registries', tags, summary: 'Store the credentials of a registry host (encrypted at rest)' },
      audit: 'registry.set',
    })
    .input(zRegistryInput)
    .output(zRegistryObject)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `registry:${input.host}`;
      const result = await ctx.app.registries.set(input);
      ctx.audit.target = `registry:${result.host}`;
      ctx.audit.details = { username: result.username };
      return result;
    }),

  remove: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/registries/{host}', tags, summary: 'Forget the credentials of a registry host' },
      audit: 'registry.remove',
    })
    .input(zRegistryHostInput)
    .output(zSuccess)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `registry:${input.host}`;
      ctx.audit.target = `registry:${await ctx.app.registries.remove(input.host)}`;
      return { success: true as const };
    }),
});
