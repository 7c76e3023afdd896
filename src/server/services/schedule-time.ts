import { Cron } from 'croner';
import { DAYS, type Day } from '../../shared/schedules.js';

export interface ScheduleTime {
  frequency: 'daily' | 'weekly';
  dayOfWeek: Day | null;
  timeOfDay: string;
  timezone: string;
}

/** The schedule as a cron pattern ("30 2 * * *", "0 3 * * 0"). */
export function cronPattern(s: ScheduleTime): string {
  const [hour, minute] = s.timeOfDay.split(':').map(Number);
  const day = s.frequency === 'weekly' ? String(DAYS.indexOf(s.dayOfWeek ?? 'Sunday')) : '*';
  return `${minute} ${hour} * * ${day}`;
}

/**
 * The next occurrence strictly after `after`, computed by croner in the
 * schedule's own time zone: a time skipped by a DST change runs right after
 * the jump, a time that happens twice runs once.
 */
export function nextOccurrence(s: ScheduleTime, after: Date = new Date()): Date {
  const next = new Cron(cronPattern(s), { timezone: s.timezone, paused: true }).nextRun(after);
  if (!next) throw new Error(`no next occurrence for ${cronPattern(s)} in ${s.timezone}`);
  return next;
}
