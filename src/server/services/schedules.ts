import type { ScheduleCreate, ScheduleObject, ScheduleSpec } from '../../shared/schedules.js';
import { CapstanError } from '../errors.js';
import { nextOccurrence } from './schedule-time.js';
import { timeOf, toScheduleObject, type ScheduleRow, type ScheduleStore } from './schedule-store.js';
import type { ServiceStore } from './service-store.js';

/** The job side of schedules, provided by src/jobs once the worker runs. */
export interface ScheduleQueue {
  /** Puts the schedule's one pending job at `runAt`; `keepRunAt` leaves an existing job's time alone. */
  scheduleRun(s: ScheduleRow, runAt: Date, keepRunAt?: boolean): Promise<void>;
  unscheduleRun(scheduleId: string): Promise<void>;
  runNow(s: ScheduleRow, actor: string): Promise<void>;
}

/**
 * Schedules: each has exactly one pending job, at its next occurrence in its
 * own time zone. Changing a schedule replaces that job; deleting removes it.
 */
export class ScheduleService {
  queue: ScheduleQueue | undefined;

  constructor(
    private readonly store: ScheduleStore,
    private readonly services: ServiceStore,
  ) {}

  async list(serviceId?: string): Promise<ScheduleObject[]> {
    return (await this.store.list(serviceId)).map(toScheduleObject);
  }

  async get(id: string): Promise<ScheduleObject> {
    return toScheduleObject(await this.store.get(id));
  }

  async create(input: ScheduleCreate): Promise<ScheduleObject> {
    const service = await this.services.find(input.service_id);
    if (!service || service.deleting) {
      throw new CapstanError('NOT_FOUND', 'Service not found', { details: `service_id: no service with id "${input.service_id}"` });
    }
    const { service_id, ...spec } = input;
    const row = await this.store.insert(service_id, spec, this.next(spec));
    await this.requireQueue().scheduleRun(row, row.nextRunAt!);
    return toScheduleObject(row);
  }

  async update(id: string, spec: ScheduleSpec): Promise<ScheduleObject> {
    await this.store.get(id);
    const row = await this.store.update(id, spec, this.next(spec));
    await this.requireQueue().scheduleRun(row, row.nextRunAt!);
    return toScheduleObject(row);
  }

  async remove(id: string): Promise<void> {
    await this.store.get(id);
    await this.requireQueue().unscheduleRun(id);
    await this.store.delete(id);
  }

  async runNow(id: string, actor: string): Promise<ScheduleObject> {
    const row = await this.store.get(id);
    await this.requireQueue().runNow(row, actor);
    return toScheduleObject(row);
  }

  /** The outcome of a scheduled run, written by the runner when its deployment ends. */
  async recordRun(id: string, run: Parameters<ScheduleStore['recordRun']>[1]): Promise<void> {
    if (await this.store.find(id)) await this.store.recordRun(id, run);
  }

  /** A deleted service takes its schedules (and their jobs) with it. */
  async removeForService(serviceId: string): Promise<void> {
    for (const s of await this.store.list(serviceId)) {
      await this.queue?.unscheduleRun(s.id);
      await this.store.delete(s.id);
    }
  }

  /** At start: every schedule gets its one pending job; a run missed while Capstan was down keeps its time and runs now. */
  async reconcile(queue: ScheduleQueue, now = new Date()): Promise<void> {
    for (const s of await this.store.list()) {
      const next = nextOccurrence(timeOf(s), now);
      const runAt = s.nextRunAt && s.nextRunAt < next ? s.nextRunAt : next;
      await queue.scheduleRun(s, runAt, true);
      if (!s.nextRunAt) await this.store.setNextRun(s.id, runAt);
    }
  }

  private next(spec: ScheduleSpec): Date {
    return nextOccurrence({ frequency: spec.frequency, dayOfWeek: spec.day_of_week ?? null, timeOfDay: spec.time_of_day, timezone: spec.timezone });
  }

  private requireQueue(): ScheduleQueue {
    if (!this.queue) throw new CapstanError('SERVICE_UNAVAILABLE', 'The job queue is not running');
    return this.queue;
  }
}
