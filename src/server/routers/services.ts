import { tracked } from '@trpc/server';
import { z } from 'zod';
import {
  zDefinitionBody,
  zDeleteInput,
  zDiscoveredProject,
  zDoneOrAccepted,
  zEnvironmentInput,
  zEnvironmentMap,
  zIdInput,
  zQueuedService,
  zResumable,
  zServiceObject,
  zSubmittedService,
  zUpdateBody,
  zValidateInput,
  zValidateOutput,
  type StatusEvent,
} from '../../shared/schemas.js';
import type { EventFeed, FeedEvent } from '../services/event-feed.js';
import { feedMessages } from '../services/feed-follow.js';
import { zFollowLogsInput, zLogsOutput, zLogsQuery } from '../../shared/logs.js';
import { followServiceLogs, getServiceLogs } from '../services/logs.js';
import { adoptProject, discoverProjects } from '../services/adopt.js';
import { submissionFromBody } from '../services/definitions.js';
import { CapstanError } from '../errors.js';
import { LOCAL_ENGINE_ID, zEngineId, zMoveInput } from '../../shared/engines.js';
import { answerAfterWork } from '../operation-answer.js';
import { auditedProcedure, authedProcedure, router, withDomainErrors } from '../trpc.js';
import { serviceFileProcedures } from './service-files.js';

const tags = ['services'];


/** The service status part of the event feed, from a client's last event on (or a snapshot), then live. */
async function* statusEvents(feed: EventFeed, lastEventId: string | null | undefined, signal: AbortSignal | undefined) {
  const isStatus = (e: FeedEvent): e is StatusEvent => e.kind !== 'deployment';
  for await (const m of feedMessages(feed, lastEventId, signal)) {
    if ('snapshot' in m) for (const e of m.snapshot.filter(isStatus)) yield tracked(m.id, e);
    else if (isStatus(m.event)) yield tracked(m.id, m.event);
  }
}

const AFTER_WORK = '; answers after the work (its error when it fails), or 202 with the deployment_id when it takes longer than 30 s';

/** start, stop and restart: each a deployment of its kind, answered with its outcome. */
function lifecycle(operation: 'start' | 'stop' | 'restart', summary: string) {
  return auditedProcedure
    .meta({ openapi: { method: 'POST', path: `/api/services/{id}/${operation}`, tags, summary: summary + AFTER_WORK }, audit: `service.${operation}` })
    .input(zIdInput)
    .output(zDoneOrAccepted)
    .mutation(async ({ ctx, input }) => {
      const deployment = await ctx.app.services[operation](input.id, ctx.session.actor);
      ctx.audit.details = { deployment_id: deployment.id, status: deployment.status };
      return answerAfterWork(ctx.res, deployment);
    });
}

export const servicesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services', tags, summary: 'Every service with its status' } })
    .input(z.void())
    .output(z.array(zServiceObject))
    .query(({ ctx }) => ctx.app.services.list()),

  // Declared before /api/services/{id} so that "discover" is not taken for an id.
  discover: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/discover', tags, summary: 'Compose projects on an engine (default `local`) that are not Capstan services there' } })
    .input(z.object({ engine_id: zEngineId.optional() }).optional())
    .output(z.array(zDiscoveredProject))
    .query(({ ctx, input }) => discoverProjects(ctx.app.engines, input?.engine_id ?? LOCAL_ENGINE_ID, ctx.app.serviceStore)),

  adopt: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/services/adopt', tags, summary: 'Make a running compose project a Capstan service, without restarting it' },
      audit: 'service.adopt',
      successStatus: 201,
    })
    .input(z.object({ project: z.string().min(1).max(63), engine_id: zEngineId.optional() }))
    .output(zServiceObject.extend({ warnings: z.array(z.string()) }))
    .mutation(async ({ ctx, input }) => {
      const engineId = input.engine_id ?? LOCAL_ENGINE_ID;
      const { row, warnings } = await adoptProject(ctx.app.engines, ctx.app.serviceStore, input.project, engineId);
      ctx.audit.details = { name: row.name, engine_id: engineId, warnings };
      // The live view lists that engine again, so the answer shows the containers it just took over.
      await ctx.app.engines.resync(engineId).catch(() => {});
      return { ...(await ctx.app.services.get(row.id)), warnings };
    }),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}', tags, summary: 'One service' } })
    .input(zIdInput)
    .output(zServiceObject)
    .query(({ ctx, input }) => ctx.app.services.get(input.id)),

  exportYaml: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/yaml', tags, summary: 'The compose file, exactly as saved (comments, order, anchors)' } })
    .input(zIdInput)
    .output(z.object({ yaml: z.string() }))
    .query(async ({ ctx, input }) => {
      const { yaml } = (await ctx.app.serviceStore.get(input.id)).project;
      if (yaml === undefined) throw new CapstanError('NOT_FOUND', 'The project folder has no compose.yaml', { details: `service ${input.id}` });
      return { yaml };
    }),

  // A mutation because it takes a body, but a read: it changes nothing, so like every read it is not audited
  // (the editor may call it on every change).
  validate: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/api/services/validate', tags, summary: 'Dry run: errors with their lines, warnings and the normalized definition; changes nothing' } })
    .input(zValidateInput)
    .output(zValidateOutput)
    .mutation(async ({ ctx, input }) => {
      const { id, ...body } = input;
      const result = await ctx.app.services.validate(submissionFromBody(body), id);
      return { ...result, definition: result.definition as unknown as Record<string, unknown> | null };
    }),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/services', tags, summary: 'Create a service from compose text (or the JSON form) and deploy it' },
      audit: 'service.create',
      successStatus: 201,
    })
    .input(zDefinitionBody)
    .output(zSubmittedService)
    .mutation(async ({ ctx, input }) => {
      const submission = { ...submissionFromBody(input), name: input.name };
      ctx.audit.details = { name: input.name, engine_id: submission.engineId ?? LOCAL_ENGINE_ID };
      const { service, deployment, warnings } = await ctx.app.services.create(submission, ctx.session.actor);
      ctx.audit.details = { name: service.name, engine_id: service.engine_id, containers: service.containers.map((c) => c.name), deployment_id: deployment.id };
      return { ...service, deployment_id: deployment.id, warnings };
    }),

  update: auditedProcedure
    .meta({
      openapi: { method: 'PUT', path: '/api/services/{id}', tags, summary: 'Replace the compose text (and .env); changed containers are recreated' },
      audit: 'service.update',
    })
    .input(zUpdateBody)
    .output(zSubmittedService)
    .mutation(async ({ ctx, input }) => {
      const { id, ...body } = input;
      const { service, deployment, warnings } = await ctx.app.services.update(id, submissionFromBody(body), ctx.session.actor);
      ctx.audit.details = { name: service.name, env_changed: body.env !== undefined, deployment_id: deployment.id };
      return { ...service, deployment_id: deployment.id, warnings };
    }),

  redeploy: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/services/{id}/redeploy', tags, summary: 'Apply the definition again (pulls missing images, recreates what drifted)' },
      audit: 'service.redeploy',
    })
    .input(zIdInput)
    .output(zQueuedService)
    .mutation(async ({ ctx, input }) => {
      const { service, deployment } = await ctx.app.services.redeploy(input.id, ctx.session.actor);
      ctx.audit.details = { name: service.name, deployment_id: deployment.id };
      return { ...service, deployment_id: deployment.id };
    }),

  delete: auditedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/api/services/{id}', tags, summary: 'Delete a service: soft keeps named volumes, hard removes them' + AFTER_WORK },
      audit: 'service.delete',
    })
    .input(zDeleteInput)
    .output(zDoneOrAccepted)
    .mutation(async ({ ctx, input }) => {
      const deployment = await ctx.app.services.remove(input.id, input.mode, ctx.session.actor);
      ctx.audit.details = { mode: input.mode, deployment_id: deployment.id, status: deployment.status };
      return answerAfterWork(ctx.res, deployment);
    }),

  move: auditedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/api/services/{id}/move',
        tags,
        summary: 'Move to another engine: stopped and removed on the old one, deployed on the new one; named volumes are not carried over' + AFTER_WORK,
      },
      audit: 'service.move',
    })
    .input(zMoveInput)
    .output(zDoneOrAccepted)
    .mutation(async ({ ctx, input }) => {
      ctx.audit.details = { engine_id: input.engine_id };
      const deployment = await ctx.app.services.move(input.id, input.engine_id, ctx.session.actor);
      ctx.audit.details = { engine_id: input.engine_id, deployment_id: deployment.id, status: deployment.status };
      return answerAfterWork(ctx.res, deployment);
    }),

  ...serviceFileProcedures,

  start: lifecycle('start', 'Start the containers in depends_on order'),
  stop: lifecycle('stop', 'Stop the containers in reverse depends_on order'),
  restart: lifecycle('restart', 'Restart the containers in depends_on order'),

  logs: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/services/{id}/logs',
        tags,
        summary: 'The last lines of each container, merged in time order (format=text or Accept: text/plain for plain text)',
      },
    })
    .input(zLogsQuery)
    .output(zLogsOutput)
    .query(async ({ ctx, input }) => ({ lines: await getServiceLogs(ctx.app.logs, input) })),

  /**
   * New log lines as they are written (SSE). The event id is the position of
   * every stream (services/log-position.ts), so a resume gets each stream's
   * lines after its own last one; a marker line carries the last real position.
   */
  followLogs: authedProcedure.input(zFollowLogsInput).subscription(async function* ({ ctx, input, signal }) {
    const items = followServiceLogs(
      ctx.app.logs,
      { id: input.id, container: input.container, tail: input.tail, after: input.lastEventId ?? undefined },
      signal ?? new AbortController().signal,
    );
    for await (const { id, line } of withDomainErrors(items)) yield tracked(id, line);
  }),

  getEnv: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/services/{id}/env', tags, summary: 'Environment of each container' } })
    .input(zIdInput)
    .output(z.object({ environment: zEnvironmentMap }))
    .query(async ({ ctx, input }) => ({ environment: await ctx.app.services.getEnvironment(input.id) })),

  setEnv: auditedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/api/services/{id}/env',
        tags,
        summary: 'Replace the environment of the named containers: the compose file is edited (changed keys only), those containers recreated',
      },
      audit: 'service.env',
    })
    .input(zEnvironmentInput)
    .output(zSubmittedService)
    .mutation(async ({ ctx, input }) => {
      const { service, deployment, changedKeys, warnings } = await ctx.app.services.setEnvironment(input.id, input.environment, ctx.session.actor);
      // Keys only: values are secrets.
      ctx.audit.details = { name: service.name, changed_keys: changedKeys, deployment_id: deployment.id };
      return { ...service, deployment_id: deployment.id, warnings };
    }),

  /**
   * Every service status change, live (SSE). A client that reconnects with
   * lastEventId gets the events it missed, or a fresh snapshot when they are
   * no longer kept.
   */
  onStatus: authedProcedure.input(zResumable.optional()).subscription(({ ctx, input, signal }) =>
    withDomainErrors(statusEvents(ctx.app.events, input?.lastEventId, signal)),
  ),
});
