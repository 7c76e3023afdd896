import { asc, count, eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { services, type LastError, type LegacyDefinition } from '../../db/schema.js';
import { CapstanError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import type { LoadedProject, ProjectLoader } from './project-loader.js';

export type ServiceRecord = typeof services.$inferSelect;

/**
 * A service: its row (identity, outcome of the last apply) and its project as
 * the folder holds it now. The definition is never in the database: it is
 * derived from the folder's files, whose .env holds secrets.
 */
export type ServiceRow = ServiceRecord & { project: LoadedProject; dir: string };

/** The services table; every row it returns carries the service's project, loaded from its folder. */
export class ServiceStore {
  constructor(
    private readonly db: Db,
    readonly projects: ProjectLoader,
  ) {}

  async list(): Promise<ServiceRow[]> {
    return (await this.db.select().from(services).orderBy(asc(services.name))).map((r) => this.withProject(r));
  }

  async get(id: string): Promise<ServiceRow> {
    const row = await this.find(id);
    if (!row) throw notFound('Service', id);
    return row;
  }

  async find(id: string): Promise<ServiceRow | undefined> {
    const [row] = await this.db.select().from(services).where(eq(services.id, id)).limit(1);
    return row ? this.withProject(row) : undefined;
  }

  /** How many services each engine has, without loading their folders (the engines list asks this often). */
  async countByEngine(): Promise<Map<string, number>> {
    const rows = await this.db.select({ engineId: services.engineId, n: count() }).from(services).groupBy(services.engineId);
    return new Map(rows.map((r) => [r.engineId, r.n]));
  }

  /** The names of the services on one engine, in order. */
  async namesOnEngine(engineId: string): Promise<string[]> {
    const rows = await this.db.select({ name: services.name }).from(services).where(eq(services.engineId, engineId)).orderBy(asc(services.name));
    return rows.map((r) => r.name);
  }

  async findByName(name: string): Promise<ServiceRow | undefined> {
    const [row] = await this.db.select().from(services).where(eq(services.name, name)).limit(1);
    return row ? this.withProject(row) : undefined;
  }

  /** A new row for a service whose folder is written. */
  async insert(name: string, adopted = false, engineId = LOCAL_ENGINE_ID): Promise<ServiceRow> {
    const now = new Date();
    const rows = await this.db
      .insert(services)
      .values({ id: newId(), name, adopted, engineId, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: services.name })
      .returning();
    if (!rows[0]) throw nameTaken(name);
    return this.withProject(rows[0]);
  }

  /** The definition changed (its folder was written). */
  async touch(id: string): Promise<ServiceRow> {
    const rows = await this.db.update(services).set({ updatedAt: new Date() }).where(eq(services.id, id)).returning();
    if (!rows[0]) throw notFound('Service', id);
    return this.withProject(rows[0]);
  }

  /** A move's switch: from here on the service is the new engine's. */
  async setEngine(id: string, engineId: string): Promise<ServiceRow> {
    const rows = await this.db.update(services).set({ engineId, updatedAt: new Date() }).where(eq(services.id, id)).returning();
    if (!rows[0]) throw notFound('Service', id);
    return this.withProject(rows[0]);
  }

  async markDeleting(id: string): Promise<ServiceRow> {
    const rows = await this.db.update(services).set({ deleting: true, updatedAt: new Date() }).where(eq(services.id, id)).returning();
    if (!rows[0]) throw notFound('Service', id);
    return this.withProject(rows[0]);
  }

  /** A delete that failed for good: the service is usable again, and shows why. */
  async unmarkDeleting(id: string, lastError: LastError): Promise<void> {
    await this.db.update(services).set({ deleting: false, lastError, updatedAt: new Date() }).where(eq(services.id, id));
  }

  async setLastError(id: string, lastError: LastError | null): Promise<void> {
    await this.db.update(services).set({ lastError }).where(eq(services.id, id));
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(services).where(eq(services.id, id));
  }

  /** Rows created before project folders, whose definition still waits to be written out. */
  async listLegacy(): Promise<{ id: string; name: string; definition: LegacyDefinition }[]> {
    const rows = await this.db.select().from(services).where(isNotNull(services.legacyDefinition));
    return rows.map((r) => ({ id: r.id, name: r.name, definition: r.legacyDefinition! }));
  }

  async clearLegacy(id: string): Promise<void> {
    await this.db.update(services).set({ legacyDefinition: null }).where(eq(services.id, id));
  }

  private withProject(row: ServiceRecord): ServiceRow {
    return { ...row, project: this.projects.load(row.name), dir: this.projects.dir(row.name) };
  }
}

export const nameTaken = (name: string) =>
  new CapstanError('CONFLICT', 'Service name already used', { details: `name: a service named "${name}" exists` });
