import { eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { violatesUnique } from '../../db/errors.js';
import { notificationChannels, notificationEvents } from '../../db/schema.js';
import type { ChannelObject, NotifyEvent } from '../../shared/notifications.js';
import { CapstanError, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Logger } from '../log.js';
import type { Outgoing } from './notify-messages.js';
import { testMessage } from './notify-messages.js';
import { DEFAULT_ENDPOINTS, deliver, type NotifyEndpoints, type NotifyMessage } from './notify-send.js';
import { maskChannelUrl, parseChannelUrl } from './notify-url.js';
import type { SecretBox } from './secret-box.js';

type Row = typeof notificationChannels.$inferSelect;

/** Deliveries in a row that fail before a channel is shown as failing. */
export const FAILING_AFTER = 3;
/** Dedupe keys are kept this long: far longer than any two processes hear one event apart. */
const EVENT_KEYS_KEPT_MS = 7 * 86_400_000;

/** How deliveries are queued: a job per channel and message, retried with backoff (src/jobs/tasks/notify.ts). */
export interface NotifyQueue {
  enqueueNotification(channelId: string, message: NotifyMessage, key: string): Promise<void>;
}

export interface ChannelInput {
  name: string;
  url: string;
  events: NotifyEvent[];
  enabled: boolean;
}

function toObject(row: Row): ChannelObject {
  return {
    id: row.id,
    name: row.name,
    url: row.urlMasked,
    kind: row.kind,
    events: row.events as NotifyEvent[],
    enabled: row.enabled,
    failing: row.consecutiveFailures >= FAILING_AFTER,
    consecutive_failures: row.consecutiveFailures,
    last_error: row.lastError,
    last_sent_at: row.lastSentAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const nameTaken = (name: string) => new CapstanError('CONFLICT', 'Channel name taken', { details: `a channel named "${name}" exists` });
const isUniqueName = (err: unknown) => violatesUnique(err, 'notification_channel.name');

/**
 * Notification channels and what is sent to them. The URL is sealed (its
 * credentials never leave here but to the channel itself) and shown masked.
 * Messages are queued, one job per channel, once per event across every
 * process of the system.
 */
export class NotificationService {
  queue: (() => NotifyQueue) | undefined;

  constructor(
    private readonly db: Db,
    private readonly box: SecretBox,
    private readonly log: Logger,
    private readonly endpoints: NotifyEndpoints = DEFAULT_ENDPOINTS,
  ) {}

  async list(): Promise<ChannelObject[]> {
    return (await this.db.select().from(notificationChannels).orderBy(notificationChannels.name)).map(toObject);
  }

  async get(id: string): Promise<ChannelObject> {
    return toObject(await this.row(id));
  }

  async create(input: ChannelInput): Promise<ChannelObject> {
    const target = parseChannelUrl(input.url);
    const id = newId();
    const now = new Date();
    try {
      const [row] = await this.db
        .insert(notificationChannels)
        .values({
          id,
          name: input.name,
          kind: target.kind,
          urlSealed: this.box.seal(input.url.trim(), id),
          urlMasked: maskChannelUrl(input.url),
          events: input.events,
          enabled: input.enabled,
          createdAt: now,
          updatedAt: now,
        })
        .returning();
      return toObject(row!);
    } catch (err) {
      if (isUniqueName(err)) throw nameTaken(input.name);
      throw err;
    }
  }

  /** A URL left out, or sent back masked as a list showed it, keeps the stored one. */
  async update(id: string, input: Partial<ChannelInput>): Promise<ChannelObject> {
    const row = await this.row(id);
    const set: Partial<typeof notificationChannels.$inferInsert> = { updatedAt: new Date() };
    if (input.name !== undefined) set.name = input.name;
    if (input.events !== undefined) set.events = input.events;
    if (input.enabled !== undefined) set.enabled = input.enabled;
    if (input.url !== undefined && input.url.trim() !== row.urlMasked) {
      set.kind = parseChannelUrl(input.url).kind;
      set.urlSealed = this.box.seal(input.url.trim(), id);
      set.urlMasked = maskChannelUrl(input.url);
      // A new address starts with a clean record.
      Object.assign(set, { consecutiveFailures: 0, lastError: null });
    }
    try {
      const [updated] = await this.db.update(notificationChannels).set(set).where(eq(notificationChannels.id, id)).returning();
      return toObject(updated!);
    } catch (err) {
      if (isUniqueName(err)) throw nameTaken(input.name ?? '');
      throw err;
    }
  }

  async remove(id: string): Promise<ChannelObject> {
    const [row] = await this.db.delete(notificationChannels).where(eq(notificationChannels.id, id)).returning();
    if (!row) throw notFound('Channel', id);
    return toObject(row);
  }

  /** Sends a test message now (not queued): resolves once the channel accepted it, else the channel's refusal. */
  async test(id: string): Promise<ChannelObject> {
    const row = await this.row(id);
    await this.send(row, testMessage(row.name, new Date()));
    return toObject(await this.row(id));
  }

  /**
   * Queues `message` for every enabled channel that chose its event, once:
   * the first process to record `key` queues, every other one stops there.
   */
  async dispatch(message: Outgoing, key: string): Promise<void> {
    const channels = (await this.db.select().from(notificationChannels)).filter((c) => c.enabled && (c.events as string[]).includes(message.event));
    if (!channels.length) return;
    const now = Date.now();
    const [fresh] = await this.db.insert(notificationEvents).values({ key, at: new Date(now) }).onConflictDoNothing().returning();
    if (!fresh) return;
    await this.db.delete(notificationEvents).where(lt(notificationEvents.at, new Date(now - EVENT_KEYS_KEPT_MS)));
    const queue = this.queue?.();
    if (!queue) return void this.log.warn('notification not queued: the job queue is not running', { event: message.event });
    for (const c of channels) await queue.enqueueNotification(c.id, message, key);
  }

  /** The body of a delivery job: a refusal is recorded on the channel and thrown, so the job is retried. */
  async deliverQueued(channelId: string, message: NotifyMessage): Promise<void> {
    const [row] = await this.db.select().from(notificationChannels).where(eq(notificationChannels.id, channelId));
    if (!row || !row.enabled) return; // removed or switched off since: nothing to send
    await this.send(row, message);
  }

  private async send(row: Row, message: NotifyMessage): Promise<void> {
    try {
      await deliver(parseChannelUrl(this.box.open(row.urlSealed, row.id)), message, this.endpoints);
    } catch (err) {
      const reason = err instanceof CapstanError ? `${err.message}: ${err.details ?? ''}`.replace(/: $/, '') : 'unexpected error';
      await this.db
        .update(notificationChannels)
        .set({ consecutiveFailures: sql`${notificationChannels.consecutiveFailures} + 1`, lastError: reason })
        .where(eq(notificationChannels.id, row.id));
      this.log.warn('notification not delivered', { channel: row.id, kind: row.kind, event: message.event, reason });
      throw err;
    }
    await this.db.update(notificationChannels).set({ consecutiveFailures: 0, lastError: null, lastSentAt: new Date() }).where(eq(notificationChannels.id, row.id));
  }

  private async row(id: string): Promise<Row> {
    const [row] = await this.db.select().from(notificationChannels).where(eq(notificationChannels.id, id));
    if (!row) throw notFound('Channel', id);
    return row;
  }
}
