import { z } from 'zod';
import { zIdInput, zSuccess } from '../../shared/schemas.js';
import { zScheduleCreate, zScheduleObject, zScheduleUpdate } from '../../shared/schedules.js';
import { auditedProcedure, authedProcedure, router } from '../trpc.js';

const tags = ['schedules'];

export const schedulesRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/schedules', tags, summary: 'Schedules, optionally of one service' } })
    .input(z.object({ service_id: z.string().min(1).max(64).optional() }))
    .output(z.array(zScheduleObject))
    .query(({ ctx, input }) => ctx.app.schedules.list(input.service_id)),

  create: auditedProcedure
    .meta({
      openapi: { method: 'POST', path: '/api/schedules', tags, summary: 'Schedule daily or weekly updates (or restarts) of a service' },
      audit: 'schedule.create',
      successStatus: 201,
    })
    .input(zScheduleCreate)
    .output(zScheduleObject)
    .mutation(async ({ ctx, input }) => {
      const schedule = await ctx.app.schedules.create(input);
      ctx.audit.details = { service_id: schedule.service_id, frequency: schedule.frequency, day_of_week: schedule.day_of_week, time_of_day: schedule.time_of_day, timezone: schedule.timezone, action: schedule.action };
      return schedule;
    }),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/schedules/{id}', tags, summary: 'One schedule with its next and last run' } })
    .input(zIdInput)
    .output(zScheduleObject)
    .query(({ ctx, input }) => ctx.app.schedules.get(input.id)),

  update: auditedProcedure
    .meta({ openapi: { method: 'PUT', path: '/api/schedules/{id}', tags, summary: 'Change when (and what) a schedule runs' }, audit: 'schedule.update' })
    .input(zScheduleUpdate)
    .output(zScheduleObject)
    .mutation(async ({ ctx, input }) => {
      const { id, ...spec } = input;
      const schedule = await ctx.app.schedules.update(id, spec);
      ctx.audit.details = { frequency: schedule.frequency, day_of_week: schedule.day_of_week, time_of_day: schedule.time_of_day, timezone: schedule.timezone, action: schedule.action };
      return schedule;
    }),

  delete: auditedProcedure
    .meta({ openapi: { method: 'DELETE', path: '/api/schedules/{id}', tags, summary: 'Delete a schedule and its pending run' }, audit: 'schedule.delete' })
    .input(zIdInput)
    .output(zSuccess)
    .mutation(async ({ ctx, input }) => {
      await ctx.app.schedules.remove(input.id);
      return { success: true as const };
    }),

  runNow: auditedProcedure
    .meta({ openapi: { method: 'POST', path: '/api/schedules/{id}/run', tags, summary: 'Run the schedule once, now (its next run stays)' }, audit: 'schedule.run_now' })
    .input(zIdInput)
    .output(zScheduleObject)
    .mutation(({ ctx, input }) => ctx.app.schedules.runNow(input.id, ctx.session.actor)),
});
