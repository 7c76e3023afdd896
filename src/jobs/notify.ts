import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from '../server/log.js';
import type { DeploymentStore } from '../server/services/deployment-store.js';
import type { ServiceManager } from '../server/services/services.js';
import type { SessionStore } from '../server/auth/sessions.js';
import type { EnginePool } from '../server/services/engines.js';

/** The channels Capstan processes tell each other about; payloads are small (ids), receivers re-read the rows. */
export const CHANNELS = ['capstan_deployment', 'capstan_service', 'capstan_session', 'capstan_engine'] as const;
export type Channel = (typeof CHANNELS)[number];

const BACKOFF_MS = [250, 500, 1000, 2000, 5000];
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; ours are ids, so anything near it is a bug. */
const MAX_PAYLOAD = 4000;

interface Events {
  /** A message from another process on one channel. */
  message: [Channel, string];
  /** The listener was cut and is back: what was sent in between is lost, so receivers resynchronise. */
  resync: [];
}

/**
 * Cross-process change notices over PostgreSQL LISTEN/NOTIFY, on the jobs
 * database every Capstan of one system shares. NOTIFY goes through the
 * queue's pool; LISTEN needs a session of its own, so a dedicated client
 * holds it, reconnecting with backoff when the server cuts it. A process
 * does not hear its own notices (they carry its origin id): it has already
 * emitted them locally.
 */
export class Notifications extends EventEmitter<Events> {
  private readonly origin = randomUUID();
  private client: pg.Client | undefined;
  private stopped = false;
  private retry = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Resolves once listening: a start that cannot listen fails like one that cannot reach the queue. */
  async start(): Promise<void> {
    await this.connect();
  }

  publish(channel: Channel, payload: string): void {
    if (this.stopped) return;
    const text = `${this.origin} ${payload}`;
    if (text.length > MAX_PAYLOAD) return void this.log.warn('notification not sent: payload too large', { channel });
    this.pool.query('SELECT pg_notify($1, $2)', [channel, text]).catch((err: unknown) => {
      // Not fatal: the other processes still see the rows on their next read or resync.
      this.log.warn('notification not sent', { channel, error: err instanceof Error ? err.message : String(err) });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    client.on('notification', (n) => this.received(n));
    try {
      await client.connect();
      for (const channel of CHANNELS) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => {});
      throw err;
    }
    if (this.stopped) return void (await client.end().catch(() => {}));
    this.client = client;
  }

  private received(n: pg.Notification): void {
    const channel = CHANNELS.find((c) => c === n.channel);
    const text = n.payload ?? '';
    const space = text.indexOf(' ');
    if (!channel || space < 0 || text.slice(0, space) === this.origin) return;
    this.emit('message', channel, text.slice(space + 1));
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    this.log.warn('jobs database listener lost; reconnecting', { error: err?.message ?? 'connection ended' });
    client.removeAllListeners('end');
    void client.end().catch(() => {});
    this.reconnectLater();
  }

  private reconnectLater(): void {
    const delay = BACKOFF_MS[Math.min(this.retry++, BACKOFF_MS.length - 1)]!;
    this.timer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.stopped) return;
          this.retry = 0;
          this.log.info('jobs database listener back');
          this.emit('resync');
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.log.warn('jobs database listener still down', { error: err instanceof Error ? err.message : String(err) });
          this.reconnectLater();
        },
      );
    }, delay);
  }
}

export interface SharedChanges {
  deployments: DeploymentStore;
  services: ServiceManager;
  /** The engines: one added, changed or removed elsewhere is connected (or dropped) here too. */
  engines?: EnginePool;
  sessions?: SessionStore;
}

/**
 * Makes the local change feeds of one process the feeds of the system: each
 * local change is published, each remote one re-read and emitted locally, so
 * subscriptions, waits and the status feed of any process see every change.
 */
export function shareChanges(n: Notifications, shared: SharedChanges, log: Logger): () => void {
  const { deployments, services, sessions, engines } = shared;
  deployments.publish = (row) => n.publish('capstan_deployment', `${row.id} ${row.version}`);
  services.publish = (id) => n.publish('capstan_service', id);
  if (sessions) sessions.publish = (what) => n.publish('capstan_session', what);
  if (engines) engines.publish = (id) => n.publish('capstan_engine', id);
  const fail = (err: unknown) => log.warn('remote change not read', { error: err instanceof Error ? err.message : String(err) });
  const onMessage = (channel: Channel, payload: string) => {
    const id = payload.split(' ')[0]!;
    if (channel === 'capstan_deployment') deployments.changedElsewhere(id).catch(fail);
    else if (channel === 'capstan_session') sessions?.forget(id);
    else if (channel === 'capstan_engine') engines?.reload().catch(fail);
    else services.changedElsewhere(id);
  };
  const onResync = () => {
    sessions?.forget('all');
    engines?.reload().catch(fail);
    services.changedElsewhere(undefined);
    deployments
      .listActive()
      .then((rows) => Promise.all(rows.map((r) => deployments.changedElsewhere(r.id))))
      .catch(fail);
  };
  n.on('message', onMessage);
  n.on('resync', onResync);
  return () => {
    deployments.publish = undefined;
    services.publish = undefined;
    if (sessions) sessions.publish = undefined;
    if (engines) engines.publish = () => {};
    n.off('message', onMessage);
    n.off('resync', onResync);
  };
}
