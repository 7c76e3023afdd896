import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { engines } from '../../db/schema.js';
import type { EngineEndpoint } from '../docker/client.js';
import { CapstanError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { SecretBox } from './secret-box.js';

/** What is sealed for an engine: its TLS material and ssh key, never shown again. */
export interface EngineCredentials {
  tls?: { ca: string; cert: string; key: string };
  ssh?: { privateKey: string; passphrase?: string };
}

export interface EngineRecord {
  id: string;
  name: string;
  url: string;
  credentials: EngineCredentials;
  /** The ssh host key fingerprint required of the host (given, or seen at the first connection). */
  sshHostKey: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a create or an update writes, credentials already checked and tested. */
export interface EngineValues {
  name: string;
  url: string;
  credentials: EngineCredentials;
  sshHostKey: string | null;
}

type Row = typeof engines.$inferSelect;

export const engineNameTaken = (name: string) =>
  new CapstanError('CONFLICT', 'Engine name already used', { details: `name: an engine named "${name}" exists` });

/** The endpoint a client connects with. */
export function endpointOf(r: Pick<EngineRecord, 'url' | 'credentials'>): EngineEndpoint {
  return { url: r.url, tls: r.credentials.tls, ssh: r.credentials.ssh };
}

/**
 * The engine table: one row per engine besides `local`, its credentials
 * sealed with the row's id as associated data (a sealed text copied onto
 * another row does not open).
 */
export class EngineStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async list(): Promise<EngineRecord[]> {
    return (await this.db.select().from(engines).orderBy(asc(engines.name))).map((r) => this.open(r));
  }

  async find(id: string): Promise<EngineRecord | undefined> {
    const [row] = await this.db.select().from(engines).where(eq(engines.id, id)).limit(1);
    return row ? this.open(row) : undefined;
  }

  async get(id: string): Promise<EngineRecord> {
    const r = await this.find(id);
    if (!r) throw notFound('Engine', id);
    return r;
  }

  async insert(v: EngineValues): Promise<EngineRecord> {
    const id = newId(8);
    const now = new Date();
    const rows = await this.db
      .insert(engines)
      .values({ id, name: v.name, url: v.url, credentialsSealed: this.seal(id, v.credentials), sshHostKey: v.sshHostKey, createdAt: now, updatedAt: now })
      .onConflictDoNothing({ target: engines.name })
      .returning();
    if (!rows[0]) throw engineNameTaken(v.name);
    return this.open(rows[0]);
  }

  async update(id: string, v: EngineValues): Promise<EngineRecord> {
    const clash = await this.db.select({ id: engines.id }).from(engines).where(eq(engines.name, v.name)).limit(1);
    if (clash[0] && clash[0].id !== id) throw engineNameTaken(v.name);
    const rows = await this.db
      .update(engines)
      .set({ name: v.name, url: v.url, credentialsSealed: this.seal(id, v.credentials), sshHostKey: v.sshHostKey, updatedAt: new Date() })
      .where(eq(engines.id, id))
      .returning();
    if (!rows[0]) throw notFound('Engine', id);
    return this.open(rows[0]);
  }

  async delete(id: string): Promise<void> {
    await this.db.delete(engines).where(eq(engines.id, id));
  }

  private seal(id: string, c: EngineCredentials): string | null {
    return c.tls || c.ssh ? this.box.seal(JSON.stringify(c), `engine:${id}`) : null;
  }

  private open(r: Row): EngineRecord {
    const credentials = r.credentialsSealed ? (JSON.parse(this.box.open(r.credentialsSealed, `engine:${r.id}`)) as EngineCredentials) : {};
    return { id: r.id, name: r.name, url: r.url, credentials, sshHostKey: r.sshHostKey, createdAt: r.createdAt, updatedAt: r.updatedAt };
  }
}
