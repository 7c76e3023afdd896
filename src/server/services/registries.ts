import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { registryCredentials } from '../../db/schema.js';
import type { RegistryObject } from '../../shared/images.js';
import { canonicalRegistryHost, DOCKER_HUB_SERVER, type CredentialLookup, type RegistryAuth } from '../docker/images.js';
import { CapstanError } from '../errors.js';
import type { SecretBox } from './secret-box.js';

type Row = typeof registryCredentials.$inferSelect;

const toObject = (r: Row): RegistryObject => ({
  host: r.host,
  username: r.username,
  created_at: r.createdAt.toISOString(),
  updated_at: r.updatedAt.toISOString(),
});

/** A path param arrives as sent (trpc-to-openapi does not decode it): "127.0.0.1%3A5000" is "127.0.0.1:5000". */
function hostParam(raw: string): string {
  try {
    return canonicalRegistryHost(decodeURIComponent(raw));
  } catch {
    return canonicalRegistryHost(raw);
  }
}

/**
 * Registry credentials: stored per canonical host with the password sealed,
 * listed without it, and opened only to hand to the engine for a pull.
 */
export class RegistryStore {
  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
  ) {}

  async list(): Promise<RegistryObject[]> {
    return (await this.db.select().from(registryCredentials).orderBy(asc(registryCredentials.host))).map(toObject);
  }

  /** Creates or replaces the credentials of a host; created_at survives a replacement. */
  async set(input: { host: string; username: string; password: string }): Promise<RegistryObject> {
    const host = canonicalRegistryHost(input.host);
    const now = new Date();
    const passwordSealed = this.box.seal(input.password, host);
    const [row] = await this.db
      .insert(registryCredentials)
      .values({ host, username: input.username, passwordSealed, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: registryCredentials.host, set: { username: input.username, passwordSealed, updatedAt: now } })
      .returning();
    return toObject(row!);
  }

  async remove(rawHost: string): Promise<string> {
    const host = hostParam(rawHost);
    const rows = await this.db.delete(registryCredentials).where(eq(registryCredentials.host, host)).returning({ host: registryCredentials.host });
    if (!rows[0]) {
      throw new CapstanError('NOT_FOUND', 'Registry credentials not found', { details: `no credentials stored for host "${host}"` });
    }
    return host;
  }

  /** For pulls (the API's and deploys'): the engine gets them in X-Registry-Auth. */
  readonly lookup: CredentialLookup = async (registryHost) => {
    const host = canonicalRegistryHost(registryHost);
    const [row] = await this.db.select().from(registryCredentials).where(eq(registryCredentials.host, host)).limit(1);
    if (!row) return undefined;
    const auth: RegistryAuth = {
      username: row.username,
      password: this.box.open(row.passwordSealed, host),
      serveraddress: host === 'docker.io' ? DOCKER_HUB_SERVER : host,
    };
    return auth;
  };
}
