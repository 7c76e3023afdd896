import { zFileList, zFileQuery, zFileWrite, zIdInput, zSuccess } from '../../shared/schemas.js';
import { deleteFile, listFiles, readFile, writeFile } from '../services/project-file-ops.js';
import { auditedProcedure } from '../trpc.js';
import { z } from 'zod';

const tags = ['services'];
const ok = { success: true as const };

/**
 * The project folder of a service: its compose.yaml, .env and other files.
 * Every operation is audited with the path only, never the content (a .env
 * holds secrets). Part of the services router (services.listFiles, ...).
 */
export const serviceFileProcedures = {
  listFiles: auditedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/files', tags, summary: 'The files of the service\'s project folder (recursive, bounded)' }, audit: 'service.file_list' })
    .input(zIdInput)
    .output(zFileList)
    .query(async ({ ctx, input }) => listFiles(await ctx.app.serviceStore.get(input.id), ctx.app.serviceStore)),

  readFile: auditedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/file', tags, summary: 'One file of the project folder' }, audit: 'service.file_read' })
    .input(zFileQuery)
    .output(z.object({ path: z.string(), content: z.string() }))
    .query(async ({ ctx, input }) => {
      ctx.audit.details = { path: input.path };
      return readFile(await ctx.app.serviceStore.get(input.id), ctx.app.serviceStore, input.path);
    }),

  writeFile: auditedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/api/services/{id}/file',
        tags,
        summary: 'Write one file of the project folder (compose.yaml and .env are validated); nothing is deployed',
      },
      audit: 'service.file_write',
    })
    .input(zFileWrite)
    .output(zSuccess)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.details = { path: input.path, bytes: Buffer.byteLength(input.content, 'utf8') };
      const row = await ctx.app.serviceStore.get(input.id);
      writeFile(row, ctx.app.serviceStore, input.path, input.content);
      ctx.app.services.notify(row.id);
      return ok;
    }),

  deleteFile: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/services/{id}/file', tags, summary: 'Delete one file of the project folder' }, audit: 'service.file_delete' })
    .input(zFileQuery)
    .output(zSuccess)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.details = { path: input.path };
      const row = await ctx.app.serviceStore.get(input.id);
      deleteFile(row, ctx.app.serviceStore, input.path);
      ctx.app.services.notify(row.id);
      return ok;
    }),
};
