import { z } from 'zod';
import {
  zAppComposeInput,
  zAppDeleteInput,
  zAppDeployInput,
  zAppDeployOutput,
  zAppDeploymentList,
  zAppDeploymentsQuery,
  zAppEnvInput,
  zAppEnvOutput,
  zAppIdInput,
  zAppList,
  zAppLogsQuery,
  zAppObject,
  zAppOperationOutput,
  zAppSubmitted,
  zTemplateImportOutput,
  zTemplateList,
} from '../../shared/appos.js';
import { zLogsOutput } from '../../shared/logs.js';
import { answerAfterWork } from '../operation-answer.js';
import type { App } from '../app.js';
import { appCompose, appEnv, deployApp, setAppEnv, type AppsDeps } from '../services/apps.js';
import { toDeploymentObject } from '../services/deployment-view.js';
import { getServiceLogs } from '../services/logs.js';
import { summaryOf } from '../services/templates.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

// The apps API (CONTRACT.md): every procedure is one call into the same
// services the services API uses. Its error body ({code, message, data}) is
// made on the way out (src/server/http-errors.ts), by path.

const tags = ['apps'];
const P = '/api/appos';

const deps = (app: App): AppsDeps => ({ services: app.services, store: app.serviceStore, templates: app.templates });

function operation(op: 'start' | 'stop' | 'restart') {
  return auditedProcedure
    .meta({
      openapi: { method: 'POST', path: `${P}/apps/{id}/${op}`, tags, summary: `${op[0]!.toUpperCase()}${op.slice(1)} the app's containers; answers after the work, or 202 after 30 s (it goes on)` },
      audit: `service.${op}`,
    })
    .input(zAppIdInput)
    .output(zAppOperationOutput)
    .mutation(async ({ ctx, input }) => {
      const d = await ctx.app.services[op](input.id, ctx.session.actor);
      ctx.audit.details = { deployment_id: d.id, status: d.status, api: 'apps' };
      answerAfterWork(ctx.res, d);
      return { success: true as const, deployment_id: d.id };
    });
}

export const apposRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/apps`, tags, summary: 'Every app with its status' } })
    .input(z.void())
    .output(zAppList)
    .query(async ({ ctx }) => ({ items: await ctx.app.services.list() })),

  // Before /apps/{id}: "deploy" is not an id.
  deploy: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: `${P}/apps/deploy`, tags, summary: 'Create an app from compose text (and .env) or from a template, and deploy it as a job' },
      audit: 'service.create',
    })
    .input(zAppDeployInput)
    .output(zAppDeployOutput)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.details = { name: input.name, template: input.template ?? null, engine_id: input.engine_id ?? 'local', api: 'apps' };
      const { service, deployment, warnings, generated, template } = await deployApp(deps(ctx.app), input, ctx.session.actor);
      // Names only: the generated values are secrets.
      ctx.audit.details = { name: service.name, engine_id: service.engine_id, template, generated, deployment_id: deployment.id, api: 'apps' };
      return { id: service.id, name: service.name, deployment_id: deployment.id, status: service.status, warnings, generated };
    }),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/apps/{id}`, tags, summary: 'One app' } })
    .input(zAppIdInput)
    .output(zAppObject)
    .query(({ ctx, input }) => ctx.app.services.get(input.id)),

  start: operation('start'),
  stop: operation('stop'),
  restart: operation('restart'),

  delete: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: `${P}/apps/{id}`, tags, summary: 'Delete an app: soft keeps named volumes and the folder, hard removes them' }, audit: 'service.delete' })
    .input(zAppDeleteInput)
    .output(z.object({ success: z.literal(true), deployment_id: z.string().optional() }))
    .mutation(async ({ ctx, input }) => {
      const d = await ctx.app.services.remove(input.id, input.mode, ctx.session.actor);
      ctx.audit.details = { mode: input.mode, deployment_id: d.id, status: d.status, api: 'apps' };
      return answerAfterWork(ctx.res, d);
    }),

  logs: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/apps/{id}/logs`, tags, summary: 'The last lines of each container (follow=1: a live text/event-stream)' } })
    .input(zAppLogsQuery)
    .output(zLogsOutput)
    .query(async ({ ctx, input }) => ({
      lines: await getServiceLogs(ctx.app.logs, { id: input.id, tail: input.tail, container: input.container }),
    })),

  getEnv: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/apps/{id}/env`, tags, summary: 'The .env text and the environment of each container' } })
    .input(zAppIdInput)
    .output(zAppEnvOutput)
    .query(({ ctx, input }) => appEnv(deps(ctx.app), input.id)),

  setEnv: auditedProcedure
    .meta({ openapi: { method: 'PUT', path: `${P}/apps/{id}/env`, tags, summary: 'Replace the .env text, or set per-container values; changed containers are recreated' }, audit: 'service.env' })
    .input(zAppEnvInput)
    .output(zAppSubmitted)
    .mutation(async ({ ctx, input }) => {
      const { service, deployment, warnings, changedKeys } = await setAppEnv(deps(ctx.app), input.id, input, ctx.session.actor);
      ctx.audit.details = { name: service.name, env_text: input.env !== undefined, changed_keys: changedKeys, deployment_id: deployment.id, api: 'apps' };
      return { ...service, deployment_id: deployment.id, warnings };
    }),

  getCompose: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/apps/{id}/compose`, tags, summary: 'The compose file, exactly as saved' } })
    .input(zAppIdInput)
    .output(z.object({ compose: z.string() }))
    .query(async ({ ctx, input }) => ({ compose: await appCompose(deps(ctx.app), input.id) })),

  setCompose: auditedProcedure
    .meta({ openapi: { method: 'PUT', path: `${P}/apps/{id}/compose`, tags, summary: 'Replace the compose file; changed containers are recreated' }, audit: 'service.update' })
    .input(zAppComposeInput)
    .output(zAppSubmitted)
    .mutation(async ({ ctx, input }) => {
      const { service, deployment, warnings } = await ctx.app.services.update(input.id, { name: undefined, yaml: input.compose, env: undefined, files: undefined }, ctx.session.actor);
      ctx.audit.details = { name: service.name, deployment_id: deployment.id, api: 'apps' };
      return { ...service, deployment_id: deployment.id, warnings };
    }),

  deployments: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/deployments`, tags, summary: 'Deployments, newest first (app_id: of one app)' } })
    .input(zAppDeploymentsQuery)
    .output(zAppDeploymentList)
    .query(async ({ ctx, input }) => {
      if (input.app_id) await ctx.app.serviceStore.get(input.app_id);
      const rows = input.app_id ? await ctx.app.deployments.listForService(input.app_id, input.limit) : await ctx.app.deployments.listRecent(input.limit);
      return { items: rows.map(toDeploymentObject) };
    }),

  templates: authedProcedure
    .meta({ openapi: { method: 'GET', path: `${P}/templates`, tags, summary: 'The app templates: built-in and imported' } })
    .input(z.void())
    .output(zTemplateList)
    .query(async ({ ctx }) => ({ items: (await ctx.app.templates.list()).map(summaryOf) })),

  importTemplates: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: `${P}/templates/import`, tags, summary: 'Import a Portainer App Templates document (version 2 or 3): container and compose-stack templates' },
      audit: 'template.import',
    })
    .input(z.looseObject({ version: z.unknown().optional(), templates: z.unknown().optional() }))
    .output(zTemplateImportOutput)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.app.templates.import(JSON.stringify(input));
      ctx.audit.details = { imported: result.imported, skipped: result.skipped.length };
      return result;
    }),

  deleteTemplate: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: `${P}/templates/{id}`, tags, summary: 'Remove an imported template' }, audit: 'template.delete' })
    .input(z.object({ id: z.string().min(1).max(64) }))
    .output(z.object({ success: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await ctx.app.templates.remove(input.id);
      return { success: true as const };
    }),
});
