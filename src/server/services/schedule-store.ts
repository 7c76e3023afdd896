import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { schedules } from '../../db/schema.js';
import type { ScheduleObject, ScheduleSpec, ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';

export type ScheduleRow = typeof schedules.$inferSelect;

export const timeOf = (r: Pick<ScheduleRow, 'frequency' | 'dayOfWeek' | 'timeOfDay' | 'timezone'>) => ({
  frequency: r.frequency,
  dayOfWeek: r.dayOfWeek,
  timeOfDay: r.timeOfDay,
  timezone: r.timezone,
});

export function toScheduleObject(r: ScheduleRow): ScheduleObject {
  return {
    id: r.id,
    service_id: r.serviceId,
    frequency: r.frequency,
    day_of_week: r.dayOfWeek ?? null,
    time_of_day: r.timeOfDay,
    timezone: r.timezone,
    action: r.action,
    cleanup: r.cleanup,
    next_run_at: r.nextRunAt?.toISOString() ?? null,
    last_run_at: r.lastRunAt?.toISOString() ?? null,
    last_status: r.lastStatus ?? null,
    last_summary: r.lastSummary ?? null,
    last_deployment_id: r.lastDeploymentId ?? null,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

function specColumns(spec: ScheduleSpec) {
  return {
    frequency: spec.frequency,
    dayOfWeek: spec.frequency === 'weekly' ? (spec.day_of_week ?? null) : null,
    timeOfDay: spec.time_of_day,
    timezone: spec.timezone,
    action: spec.action,
    cleanup: spec.cleanup,
  };
}

export class ScheduleStore {
  constructor(private readonly db: Db) {}

  list(serviceId?: string): Promise<ScheduleRow[]> {
    const q = this.db.select().from(schedules);
    return (serviceId ? q.where(eq(schedules.serviceId, serviceId)) : q).orderBy(asc(schedules.createdAt));
  }

  async get(id: string): Promise<ScheduleRow> {
    const row = await this.find(id);
    if (!row) throw notFound('Schedule', id);
    return row;
  }

  async find(id: string): Promise<ScheduleRow | undefined> {
    const [row] = await this.db.select().from(schedules).where(eq(schedules.id, id)).limit(1);
    return row;
  }

  async insert(serviceId: string, spec: ScheduleSpec, nextRunAt: Date): Promise<ScheduleRow> {
    const now = new Date();
    const [row] = await this.db
      .insert(schedules)
      .values({ id: newId(), serviceId, ...specColumns(spec), nextRunAt, createdAt: now, updatedAt: now })
      .returning();
    return row!;
  }

  async update(id: string, spec: ScheduleSpec, nextRunAt: Date): Promise<ScheduleRow> {
    const [row] = await this.db
      .update(schedules)
      .set({ ...specColumns(spec), nextRunAt, updatedAt: new Date() })
      .where(eq(schedules.id, id))
      .returning();
    if (!row) throw notFound('Schedule', id);
    return row;
  }

  async setNextRun(id: string, nextRunAt: Date): Promise<void> {
    await this.db.update(schedules).set({ nextRunAt }).where(eq(schedules.id, id));
  }

  async recordRun(id: string, run: { at: Date; status: ScheduleStatus; summary: ScheduleSummary; deploymentId: string }): Promise<void> {
    await this.db
      .update(schedules)
      .set({ lastRunAt: run.at, lastStatus: run.status, lastSummary: run.summary, lastDeploymentId: run.deploymentId })
      .where(eq(schedules.id, id));
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(schedules).where(eq(schedules.id, id));
  }
}
