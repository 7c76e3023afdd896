import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { services, type LastError } from '../../db/schema.js';
import type { ServiceDefinition } from '../../shared/definition.js';
import { CapstanError, notFound } from '../errors.js';
import { newId } from '../ids.js';

export type ServiceRow = typeof services.$inferSelect;

/** The services table: desired definitions and the outcome of their last apply. */
export class ServiceStore {
  constructor(private readonly db: Db) {}

  list(): Promise<ServiceRow[]> {
    return this.db.select().from(services).orderBy(asc(services.name));
  }

  async get(id: string): Promise<ServiceRow> {
    const [row] = await this.db.select().from(services).where(eq(services.id, id)).limit(1);
    if (!row) throw notFound('Service', id);
    return row;
  }

  async findByName(name: string): Promise<ServiceRow | undefined> {
    const [row] = await this.db.select().from(services).where(eq(services.name, name)).limit(1);
    return row;
  }

  async insert(definition: ServiceDefinition, adopted = false): Promise<ServiceRow> {
    const now = new Date();
    const rows = await this.db
      .insert(services)
      .values({ id: newId(), name: definition.name, definition, adopted, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: services.name })
      .returning();
    if (!rows[0]) throw nameTaken(definition.name);
    return rows[0];
  }

  async updateDefinition(id: string, definition: ServiceDefinition): Promise<ServiceRow> {
    const rows = await this.db
      .update(services)
      .set({ definition, name: definition.name, updatedAt: new Date() })
      .where(eq(services.id, id))
      .returning();
    if (!rows[0]) throw notFound('Service', id);
    return rows[0];
  }

  async find(id: string): Promise<ServiceRow | undefined> {
    const [row] = await this.db.select().from(services).where(eq(services.id, id)).limit(1);
    return row;
  }

  async markDeleting(id: string): Promise<ServiceRow> {
    const rows = await this.db.update(services).set({ deleting: true, updatedAt: new Date() }).where(eq(services.id, id)).returning();
    if (!rows[0]) throw notFound('Service', id);
    return rows[0];
  }

  async setLastError(id: string, lastError: LastError | null): Promise<void> {
    await this.db.update(services).set({ lastError }).where(eq(services.id, id));
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(services).where(eq(services.id, id));
  }
}

export const nameTaken = (name: string) =>
  new CapstanError('CONFLICT', 'Service name already used', { details: `name: a service named "${name}" exists` });
