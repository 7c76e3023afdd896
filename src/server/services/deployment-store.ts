import { EventEmitter } from 'node:events';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { deployments, type DeploymentStep, type LastError } from '../../db/schema.js';
import { notFound } from '../errors.js';
import { newId } from '../ids.js';

export type DeploymentRow = typeof deployments.$inferSelect;
export type DeploymentKind = DeploymentRow['kind'];
export const ACTIVE: DeploymentRow['status'][] = ['queued', 'running'];

/**
 * The deployments table, and a feed of its changes for the
 * deployments.onUpdate subscription, waits and the status feed. Changes made
 * here are emitted and published (to the other processes of the system, see
 * src/jobs/notify.ts); changes published elsewhere come back through
 * changedElsewhere and are emitted here too.
 */
export class DeploymentStore extends EventEmitter<{ change: [DeploymentRow] }> {
  /** Set once the cross-process notifications run. */
  publish: ((row: DeploymentRow) => void) | undefined;

  constructor(private readonly db: Db) {
    super();
    this.setMaxListeners(0);
  }

  async create(input: {
    serviceId: string;
    serviceName: string;
    kind: DeploymentKind;
    actor: string;
    params?: Record<string, unknown>;
    composeYaml?: string | null;
    envHash?: string | null;
  }): Promise<DeploymentRow> {
    const [row] = await this.db
      .insert(deployments)
      .values({ id: newId(), ...input, status: 'queued', steps: [], createdAt: new Date() })
      .returning();
    this.changed(row!);
    return row!;
  }

  /**
   * A deployment with a given id, created once: a job retried after a crash
   * (a schedule's occurrence) finds the row its first attempt made.
   */
  async createOnce(id: string, input: Parameters<DeploymentStore['create']>[0]): Promise<DeploymentRow> {
    const [row] = await this.db
      .insert(deployments)
      .values({ id, ...input, status: 'queued', steps: [], createdAt: new Date() })
      .onConflictDoNothing()
      .returning();
    if (!row) return this.get(id);
    this.changed(row);
    return row;
  }

  async find(id: string): Promise<DeploymentRow | undefined> {
    const [row] = await this.db.select().from(deployments).where(eq(deployments.id, id)).limit(1);
    return row;
  }

  async get(id: string): Promise<DeploymentRow> {
    const [row] = await this.db.select().from(deployments).where(eq(deployments.id, id)).limit(1);
    if (!row) throw notFound('Deployment', id);
    return row;
  }

  listForService(serviceId: string, limit = 50): Promise<DeploymentRow[]> {
    return this.db.select().from(deployments).where(eq(deployments.serviceId, serviceId)).orderBy(desc(deployments.createdAt)).limit(limit);
  }

  /** Every service's deployments, newest first. */
  listRecent(limit = 50): Promise<DeploymentRow[]> {
    return this.db.select().from(deployments).orderBy(desc(deployments.createdAt)).limit(limit);
  }

  listActive(): Promise<DeploymentRow[]> {
    return this.db.select().from(deployments).where(inArray(deployments.status, ACTIVE));
  }

  async hasActive(serviceId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ id: deployments.id })
      .from(deployments)
      .where(and(eq(deployments.serviceId, serviceId), inArray(deployments.status, ACTIVE)))
      .limit(1);
    return Boolean(row);
  }

  markRunning(id: string, attempt: number): Promise<DeploymentRow> {
    return this.change(id, { status: 'running', attempts: attempt, startedAt: new Date(), error: null });
  }

  async addStep(id: string, step: Omit<DeploymentStep, 'at'>): Promise<DeploymentRow> {
    const entry = JSON.stringify({ at: new Date().toISOString(), ...step });
    // Appended in SQL, so concurrent readers never see a lost step.
    return this.change(id, { steps: sql`json_insert(${deployments.steps}, '$[#]', json(${entry}))` as unknown as DeploymentStep[] });
  }

  /** The compose text and .env hash the job applies (read from the folder when it runs, so a host edit is what is recorded). */
  recordSource(id: string, composeYaml: string | null, envHash: string | null): Promise<DeploymentRow> {
    return this.change(id, { composeYaml, envHash });
  }

  /** A retryable failure: back to queued with the error shown, for the next attempt. */
  markRetrying(id: string, error: LastError): Promise<DeploymentRow> {
    return this.change(id, { status: 'queued', error });
  }

  finish(id: string, outcome: { error?: LastError }): Promise<DeploymentRow> {
    return this.change(id, {
      status: outcome.error ? 'failed' : 'succeeded',
      error: outcome.error ?? null,
      finishedAt: new Date(),
    });
  }

  private async change(id: string, values: Partial<typeof deployments.$inferInsert>): Promise<DeploymentRow> {
    const [row] = await this.db
      .update(deployments)
      .set({ ...values, version: sql`${deployments.version} + 1` })
      .where(eq(deployments.id, id))
      .returning();
    if (!row) throw notFound('Deployment', id);
    this.changed(row);
    return row;
  }

  /** Another process changed this deployment: re-read it from the shared database and emit it here. */
  async changedElsewhere(id: string): Promise<void> {
    const row = await this.find(id);
    if (row) this.emit('change', row);
  }

  private changed(row: DeploymentRow): void {
    this.emit('change', row);
    this.publish?.(row);
  }
}
