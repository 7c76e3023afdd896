import { describe, expect, it } from 'vitest';
import { zScheduleCreate } from '../../src/shared/schedules.js';
import { cronPattern, nextOccurrence, type ScheduleTime } from '../../src/server/services/schedule-time.js';

const daily = (timeOfDay: string, timezone: string): ScheduleTime => ({ frequency: 'daily', dayOfWeek: null, timeOfDay, timezone });

function runs(s: ScheduleTime, from: string, n: number): string[] {
  const out: string[] = [];
  let t = new Date(from);
  for (let i = 0; i < n; i++) {
    t = nextOccurrence(s, t);
    out.push(t.toISOString());
  }
  return out;
}

describe('schedule times', () => {
  it('daily 02:30 Europe/Berlin runs once a day across the March change (the skipped time runs after the jump)', () => {
    expect(runs(daily('02:30', 'Europe/Berlin'), '2026-03-27T12:00:00Z', 4)).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:30:00.000Z', // 02:30 does not exist; 03:30 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('daily 02:30 Europe/Berlin runs once on the October day when 02:30 happens twice', () => {
    const list = runs(daily('02:30', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 3);
    expect(list.filter((t) => t.startsWith('2026-10-25'))).toHaveLength(1);
    expect(list).toEqual(['2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('weekly Sunday 03:00 UTC', () => {
    const s: ScheduleTime = { frequency: 'weekly', dayOfWeek: 'Sunday', timeOfDay: '03:00', timezone: 'UTC' };
    expect(cronPattern(s)).toBe('0 3 * * 0');
    // From a Sunday after 03:00 to the next Sunday; from a Sunday before 03:00 to the same day.
    expect(nextOccurrence(s, new Date('2026-11-22T12:00:00Z')).toISOString()).toBe('2026-11-29T03:00:00.000Z');
    expect(nextOccurrence(s, new Date('2026-11-22T02:59:00Z')).toISOString()).toBe('2026-11-22T03:00:00.000Z');
    expect(nextOccurrence(s, new Date('2026-11-22T03:00:00Z')).toISOString()).toBe('2026-11-29T03:00:00.000Z');
  });

  it('weekly Monday 09:15 America/New_York', () => {
    const s: ScheduleTime = { frequency: 'weekly', dayOfWeek: 'Monday', timeOfDay: '09:15', timezone: 'America/New_York' };
    expect(nextOccurrence(s, new Date('2026-11-22T12:00:00Z')).toISOString()).toBe('2026-11-23T14:15:00.000Z');
  });
});

describe('schedule input', () => {
  it('accepts the contract body and fills the defaults', () => {
    expect(zScheduleCreate.parse({ service_id: 'k3v9q2', frequency: 'weekly', day_of_week: 'sunday', time_of_day: '03:00' })).toEqual({
      service_id: 'k3v9q2',
      frequency: 'weekly',
      day_of_week: 'Sunday',
      time_of_day: '03:00',
      timezone: 'UTC',
      action: 'update',
      cleanup: false,
    });
  });

  it.each([
    [{ frequency: 'weekly', time_of_day: '03:00' }, 'day_of_week'],
    [{ frequency: 'hourly', time_of_day: '03:00' }, 'frequency'],
    [{ frequency: 'daily', time_of_day: '24:00' }, 'time_of_day'],
    [{ frequency: 'daily', time_of_day: '3:00' }, 'time_of_day'],
    [{ frequency: 'daily', time_of_day: '03:00', timezone: 'Mars/Olympus' }, 'timezone'],
    [{ frequency: 'weekly', day_of_week: 'Funday', time_of_day: '03:00' }, 'day_of_week'],
    [{ frequency: 'daily', time_of_day: '03:00', action: 'explode' }, 'action'],
  ])('rejects %j naming %s', (body, field) => {
    const r = zScheduleCreate.safeParse({ service_id: 'x', ...body });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path[0])).toContain(field);
  });
});
