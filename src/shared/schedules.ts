import { z } from 'zod';

export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
export type Day = (typeof DAYS)[number];

/** IANA zone names as the runtime knows them ("Europe/Berlin", "UTC"). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const zDay = z.preprocess(
  (v) => (typeof v === 'string' ? DAYS.find((d) => d.toLowerCase() === v.toLowerCase()) ?? v : v),
  z.enum(DAYS, { error: `must be one of ${DAYS.join(', ')}` }),
);
const zTimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM, 24-hour');
const zTimeZone = z.string().refine(isTimeZone, 'must be an IANA time zone name, e.g. Europe/Berlin');

const scheduleFields = {
  frequency: z.enum(['daily', 'weekly']),
  day_of_week: zDay.nullish().meta({ description: 'Required for weekly' }),
  time_of_day: zTimeOfDay,
  timezone: zTimeZone.default('UTC'),
  action: z.enum(['update', 'restart']).default('update').meta({ description: 'update pulls and recreates what changed; restart restarts' }),
  cleanup: z.boolean().default(false).meta({ description: 'Remove the old image after a successful update' }),
};

function weeklyNeedsDay(v: { frequency?: string; day_of_week?: string | null | undefined }, ctx: z.RefinementCtx) {
  if (v.frequency === 'weekly' && !v.day_of_week) ctx.addIssue({ code: 'custom', path: ['day_of_week'], message: 'required for a weekly schedule' });
}

export const zScheduleCreate = z.object({ service_id: z.string().min(1).max(64), ...scheduleFields }).superRefine(weeklyNeedsDay);
export const zScheduleUpdate = z.object({ id: z.string().min(1).max(64), ...scheduleFields }).superRefine(weeklyNeedsDay);
export type ScheduleCreate = z.infer<typeof zScheduleCreate>;
export type ScheduleSpec = Omit<ScheduleCreate, 'service_id'>;

export const zScheduleSummary = z.object({
  changed: z.array(z.object({ container: z.string(), from: z.string(), to: z.string() })),
  rolled_back: z.array(z.object({ container: z.string(), reason: z.string() })),
  restarted: z.array(z.string()),
  error: z.string().optional(),
});
export type ScheduleSummary = z.infer<typeof zScheduleSummary>;

export const zScheduleStatus = z.enum(['updated', 'unchanged', 'rolled_back', 'restarted', 'failed']);
export type ScheduleStatus = z.infer<typeof zScheduleStatus>;

export const zScheduleObject = z.object({
  id: z.string(),
  service_id: z.string(),
  frequency: z.enum(['daily', 'weekly']),
  day_of_week: z.enum(DAYS).nullable(),
  time_of_day: z.string(),
  timezone: z.string(),
  action: z.enum(['update', 'restart']),
  cleanup: z.boolean(),
  next_run_at: z.iso.datetime().nullable(),
  last_run_at: z.iso.datetime().nullable(),
  last_status: zScheduleStatus.nullable(),
  last_summary: zScheduleSummary.nullable(),
  last_deployment_id: z.string().nullable(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ScheduleObject = z.infer<typeof zScheduleObject>;
