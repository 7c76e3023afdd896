import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { webhooks } from '../../db/schema.js';
import type { WebhookCreated, WebhookObject } from '../../shared/webhooks.js';
import { CapstanError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { AuditLog } from './audit.js';
import type { SecretBox } from './secret-box.js';
import type { ServiceManager } from './services.js';
import type { ServiceStore } from './service-store.js';
import { signatureMatches, SlidingWindowLimiter } from './webhook-guard.js';

type Row = typeof webhooks.$inferSelect;

/** 32 random bytes: the URL is the credential. */
const SECRET_BYTES = 32;
/** Calls per hook per minute: a CI that loops cannot queue deployments without end. */
export const HOOK_CALLS_PER_MINUTE = 6;
export const HOOK_PATH_PREFIX = '/api/hooks/';

const hashOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');
const isSecret = (s: string) => /^[A-Za-z0-9_-]{43}$/.test(s);

function toObject(row: Row): WebhookObject {
  return {
    id: row.id,
    service_id: row.serviceId,
    name: row.name,
    action: row.action,
    signed: row.signingSecretSealed !== null,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    last_deployment_id: row.lastDeploymentId,
  };
}

/**
 * Deploy webhooks: per service, secret URLs that queue a redeploy or an
 * update through the one operation runner. The URL's secret is known by its
 * SHA-256 only (shown once, at creation or rotation); a signing secret, when
 * set, is sealed, since checking X-Hub-Signature-256 needs it.
 */
export class WebhookService {
  private readonly limiter = new SlidingWindowLimiter(HOOK_CALLS_PER_MINUTE, 60_000);
  /** Refused signatures are audited this often per hook and minute; beyond, only answered: whoever holds a URL cannot grow the log at will. */
  private readonly refusalAudits = new SlidingWindowLimiter(HOOK_CALLS_PER_MINUTE, 60_000);

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly store: ServiceStore,
    private readonly services: ServiceManager,
    private readonly audit: AuditLog,
  ) {}

  async list(serviceId: string): Promise<WebhookObject[]> {
    await this.store.get(serviceId);
    return (await this.db.select().from(webhooks).where(eq(webhooks.serviceId, serviceId)).orderBy(asc(webhooks.createdAt))).map(toObject);
  }

  async create(serviceId: string, input: { name?: string | undefined; action: Row['action']; signing_secret?: string | undefined }, baseUrl: string): Promise<WebhookCreated> {
    const service = await this.store.get(serviceId);
    const id = newId();
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const [row] = await this.db
      .insert(webhooks)
      .values({
        id,
        serviceId,
        name: input.name ?? `${service.name}-${input.action}`,
        action: input.action,
        secretHash: hashOf(secret),
        signingSecretSealed: input.signing_secret ? this.box.seal(input.signing_secret, id) : null,
        createdAt: new Date(),
      })
      .returning();
    return { ...toObject(row!), url: `${baseUrl}${HOOK_PATH_PREFIX}${secret}` };
  }

  /** A new URL for the hook; the old one stops working at once. */
  async rotate(serviceId: string, id: string, baseUrl: string): Promise<WebhookCreated> {
    await this.row(serviceId, id);
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const [row] = await this.db.update(webhooks).set({ secretHash: hashOf(secret) }).where(eq(webhooks.id, id)).returning();
    return { ...toObject(row!), url: `${baseUrl}${HOOK_PATH_PREFIX}${secret}` };
  }

  async remove(serviceId: string, id: string): Promise<WebhookObject> {
    await this.row(serviceId, id);
    const [row] = await this.db.delete(webhooks).where(eq(webhooks.id, id)).returning();
    return toObject(row!);
  }

  /**
   * A call of a hook's URL: 404 for an unknown secret, 401 for a missing or
   * wrong signature when the hook has a signing secret (nothing queued), 429
   * over the rate limit; else the hook's action is queued as a deployment
   * whose actor is `hook:<name>`, and its id answered.
   */
  async trigger(secret: string, body: Buffer, signature: string | string[] | undefined, address: string): Promise<{ deployment_id: string }> {
    const [row] = isSecret(secret) ? await this.db.select().from(webhooks).where(eq(webhooks.secretHash, hashOf(secret))) : [];
    if (!row) throw new CapstanError('NOT_FOUND', 'Not found', { details: 'no webhook with this URL' });
    const actor = `hook:${row.name}`;
    const target = `service:${row.serviceId}`;
    const refuse = async (err: CapstanError) => {
      await this.audit.record({ actor, action: 'webhook.trigger', target, outcome: 'failure', details: { hook_id: row.id, action: row.action, address, reason: err.message } });
      throw err;
    };
    if (row.signingSecretSealed && !signatureMatches(body, signature, this.box.open(row.signingSecretSealed, row.id))) {
      const err = new CapstanError('UNAUTHORIZED', 'Invalid signature', { details: "X-Hub-Signature-256: missing or not the HMAC-SHA256 of the body with this hook's signing secret" });
      if (this.refusalAudits.take(row.id) > 0) throw err;
      await refuse(err);
    }
    const wait = this.limiter.take(row.id);
    if (wait > 0) await refuse(new CapstanError('TOO_MANY_REQUESTS', 'Too many calls of this webhook', { details: `at most ${HOOK_CALLS_PER_MINUTE} a minute; retry after ${wait} seconds`, retryAfter: wait }));
    try {
      const deploymentId =
        row.action === 'redeploy' ? (await this.services.redeploy(row.serviceId, actor)).deployment.id : (await this.services.imageUpdate(row.serviceId, actor, 0)).id;
      await this.db.update(webhooks).set({ lastUsedAt: new Date(), lastDeploymentId: deploymentId }).where(eq(webhooks.id, row.id));
      await this.audit.record({ actor, action: 'webhook.trigger', target, outcome: 'success', details: { hook_id: row.id, action: row.action, address, deployment_id: deploymentId } });
      return { deployment_id: deploymentId };
    } catch (err) {
      if (err instanceof CapstanError) await refuse(err);
      throw err;
    }
  }

  private async row(serviceId: string, id: string): Promise<Row> {
    const [row] = await this.db.select().from(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.serviceId, serviceId)));
    if (!row) throw notFound('Webhook', id);
    return row;
  }
}
