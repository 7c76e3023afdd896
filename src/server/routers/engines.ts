import { z } from 'zod';
import { zEngineCreate, zEngineId, zEngineObject, zEngineTestResult, zEngineUpdate } from '../../shared/engines.js';
import { zSuccess } from '../../shared/schemas.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['engines'];
const zEngineIdInput = z.object({ id: zEngineId });

/** What an audit entry says of an engine: never its credentials. */
const described = (e: { name: string; url: string; kind: string }) => ({ name: e.name, url: e.url, kind: e.kind });

export const enginesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/engines', tags, summary: 'The Docker engines Capstan manages, each with its state, version and counts; `local` is DOCKER_HOST' } })
    .input(z.void())
    .output(z.array(zEngineObject))
    .query(({ ctx }) => ctx.app.engineAdmin.list()),

  // Declared before /api/engines/{id}: "test" is never taken for an id.
  test: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/api/engines/test', tags, summary: 'Test a connection with what would be saved, without saving it' } })
    .input(zEngineCreate)
    .output(zEngineTestResult)
    .mutation(({ ctx, input }) => ctx.app.engineAdmin.test(input)),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/engines/{id}', tags, summary: 'One engine' } })
    .input(zEngineIdInput)
    .output(zEngineObject)
    .query(({ ctx, input }) => ctx.app.engineAdmin.get(input.id)),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/engines', tags, summary: 'Add an engine: saved only once a connection test with it succeeds (400 naming the field otherwise)' },
      audit: 'engine.create',
      successStatus: 201,
    })
    .input(zEngineCreate)
    .output(zEngineObject)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.details = { name: input.name };
      const { engine } = await ctx.app.engineAdmin.create(input);
      ctx.audit.target = `engine:${engine.id}`;
      ctx.audit.details = { ...described(engine), tls: engine.tls, ssh_host_key: engine.ssh_host_key };
      return engine;
    }),

  update: auditedProcedure
    .meta({
      openapi: { method: 'PUT', path: '/api/engines/{id}', tags, summary: 'Change an engine (tested again first); `tls`/`ssh` left out keep the stored ones, `null` drops them' },
      audit: 'engine.update',
    })
    .input(zEngineUpdate)
    .output(zEngineObject)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `engine:${input.id}`;
      ctx.audit.details = { changed: Object.keys(input).filter((k) => k !== 'id') };
      const { engine } = await ctx.app.engineAdmin.update(input);
      ctx.audit.details = { ...ctx.audit.details, ...described(engine) };
      return engine;
    }),

  remove: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/engines/{id}', tags, summary: 'Remove an engine; 409 while services run on it' }, audit: 'engine.remove' })
    .input(zEngineIdInput)
    .output(zSuccess)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.target = `engine:${input.id}`;
      const removed = await ctx.app.engineAdmin.remove(input.id);
      ctx.audit.details = { name: removed.name, url: removed.url };
      return { success: true as const };
    }),
});
