import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { ScheduleSummary } from '../shared/schedules.js';
import type { TemplateRepository, TemplateVariable } from '../shared/templates.js';

export const users = sqliteTable('user', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`),
});

/** Shape fixed by lucia's drizzle adapter: expires_at in Unix seconds. */
export const sessions = sqliteTable(
  'session',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('session_user_id_idx').on(t.userId)],
);

/**
 * The audit log: append-only and hash-chained (services/audit*.ts). Triggers
 * in drizzle/0005_audit_triggers.sql refuse UPDATE of an entry and DELETE of
 * one younger than the retention period. A migration that recreates this
 * table (drizzle does so for some column changes) drops those triggers: it
 * must create them again.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** Hash of the entry before this one (or of the last pruned one, or the genesis value). Null only before sealing. */
    prevHash: text('prev_hash'),
    /** SHA-256 of this entry's canonical content, prev_hash included. */
    hash: text('hash'),
  },
  (t) => [
    index('audit_at_idx').on(t.at),
    index('audit_action_id_idx').on(t.action, t.id),
    index('audit_actor_id_idx').on(t.actor, t.id),
    index('audit_target_id_idx').on(t.target, t.id),
    index('audit_outcome_id_idx').on(t.outcome, t.id),
    // One successor per entry: two writers that read the same last entry cannot both append (the chain cannot fork).
    uniqueIndex('audit_prev_hash_idx').on(t.prevHash),
  ],
);

/** One row per prune batch: where the chain continues after the entries it removed. Append-only too. */
export const auditCheckpoints = sqliteTable('audit_checkpoint', {
  lastId: integer('last_id').primaryKey(),
  lastHash: text('last_hash').notNull(),
  lastAt: integer('last_at', { mode: 'timestamp_ms' }).notNull(),
  count: integer('count').notNull(),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * The retention period, where the delete trigger can read it: one row,
 * written at start from CAPSTAN_AUDIT_RETENTION_DAYS.
 */
export const auditSettings = sqliteTable(
  'audit_settings',
  {
    id: integer('id').primaryKey(),
    retentionDays: integer('retention_days').notNull(),
  },
  (t) => [check('audit_settings_one_row', sql`${t.id} = 1`), check('audit_settings_retention_min', sql`${t.retentionDays} >= 1`)],
);

/**
 * Where the last verification of the chain ended (one row): the next verify
 * starts there. Not a proof: whoever can rewrite the file can rewrite this
 * row too, which a full verify (`?full=1`, `--full`) does not rely on.
 */
export const auditVerifiedHead = sqliteTable(
  'audit_verified_head',
  {
    id: integer('id').primaryKey(),
    lastId: integer('last_id').notNull(),
    lastHash: text('last_hash').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [check('audit_verified_head_one_row', sql`${t.id} = 1`)],
);

export interface LastError {
  error: string;
  details?: string;
  code: string;
  at: string;
}

/**
 * A definition from before project folders, as the row held it: a subset of
 * compose (services with image, command, environment, ports, volumes, ...) as
 * JSON, its values never interpolated.
 */
export interface LegacyDefinition {
  name: string;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
}

/**
 * A Capstan service: a named compose-shaped definition. Its containers live in
 * Docker; this row is the desired state and the outcome of the last apply.
 */
export const services = sqliteTable('service', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /**
   * The JSON definition of a service created before project folders; written
   * to the folder as compose.yaml at start (services/project-migrate.ts) and
   * then cleared. New services never set it: the folder is the definition.
   */
  legacyDefinition: text('legacy_definition', { mode: 'json' }).$type<LegacyDefinition>(),
  /** Adopted from an existing compose project: its containers are found by project label, not by Capstan's id. */
  adopted: integer('adopted', { mode: 'boolean' }).notNull().default(false),
  /** The Docker engine the service runs on: `local` (DOCKER_HOST) or an id of the engine table. */
  engineId: text('engine_id').notNull().default('local'),
  lastError: text('last_error', { mode: 'json' }).$type<LastError>(),
  /** Set when a delete is queued: no new operation may be queued; the row goes when the delete succeeds, the mark when it fails. */
  deleting: integer('deleting', { mode: 'boolean' }).notNull().default(false),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export interface DeploymentStep {
  at: string;
  action: string;
  target: string;
}

/**
 * One operation on a service (create, update, env change, redeploy, start,
 * stop, restart, scheduled run, delete), as the runner applies it. Kept after the service is gone.
 */
export const deployments = sqliteTable(
  'deployment',
  {
    id: text('id').primaryKey(),
    serviceId: text('service_id').notNull(),
    serviceName: text('service_name').notNull(),
    kind: text('kind', { enum: ['create', 'update', 'env', 'redeploy', 'start', 'stop', 'restart', 'scheduled', 'image-update', 'move', 'delete'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed'] }).notNull(),
    actor: text('actor').notNull(),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>(),
    /** The compose text this deployment applied (read back to restore a previous version). */
    composeYaml: text('compose_yaml'),
    /** SHA-256 of the .env it applied: the .env itself holds secrets and is never stored here. */
    envHash: text('env_hash'),
    steps: text('steps', { mode: 'json' }).notNull().$type<DeploymentStep[]>(),
    error: text('error', { mode: 'json' }).$type<LastError>(),
    attempts: integer('attempts').notNull().default(0),
    /** Bumped on every change: the id of the last event a subscriber saw. */
    version: integer('version').notNull().default(0),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('deployment_service_idx').on(t.serviceId, t.createdAt), index('deployment_status_idx').on(t.status)],
);

/**
 * Credentials for a private registry, one row per canonical host. The
 * password is sealed (AES-256-GCM, see services/secret-box.ts); the key is
 * not in this database.
 */
export const registryCredentials = sqliteTable('registry_credential', {
  host: text('host').primaryKey(),
  username: text('username').notNull(),
  passwordSealed: text('password_sealed').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/** A recurring update (or restart) of one service; each has exactly one pending job at its next run. */
export const schedules = sqliteTable(
  'schedule',
  {
    id: text('id').primaryKey(),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    frequency: text('frequency', { enum: ['daily', 'weekly'] }).notNull(),
    dayOfWeek: text('day_of_week', { enum: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] }),
    timeOfDay: text('time_of_day').notNull(),
    timezone: text('timezone').notNull(),
    action: text('action', { enum: ['update', 'restart'] }).notNull(),
    cleanup: integer('cleanup', { mode: 'boolean' }).notNull().default(false),
    nextRunAt: integer('next_run_at', { mode: 'timestamp_ms' }),
    lastRunAt: integer('last_run_at', { mode: 'timestamp_ms' }),
    lastStatus: text('last_status', { enum: ['updated', 'unchanged', 'rolled_back', 'restarted', 'failed'] }),
    lastSummary: text('last_summary', { mode: 'json' }).$type<ScheduleSummary>(),
    lastDeploymentId: text('last_deployment_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('schedule_service_idx').on(t.serviceId)],
);

/**
 * App templates imported from Portainer App Templates documents (the
 * built-in ones are files in templates/builtin/). A re-import of a template
 * with the same id replaces it.
 */
export const appTemplates = sqliteTable('app_template', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  description: text('description').notNull(),
  categories: text('categories', { mode: 'json' }).$type<string[]>().notNull(),
  logo: text('logo'),
  note: text('note'),
  variables: text('variables', { mode: 'json' }).$type<TemplateVariable[]>().notNull(),
  /** The compose text, or null when it is fetched from `repository` at deploy. */
  compose: text('compose'),
  repository: text('repository', { mode: 'json' }).$type<TemplateRepository>(),
  importedAt: integer('imported_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * The last update check of each image a service uses (services/updates.ts):
 * the local and the registry's digest, compared without pulling. Rows of
 * images no service uses any longer are dropped at the next check.
 */
export const imageUpdates = sqliteTable('image_update', {
  /** The engine whose image was compared: each engine holds its own copy of a reference. */
  engineId: text('engine_id').notNull().default('local'),
  /** The reference as the services' plans name it, tag included ("registry:5000/app:1"). */
  image: text('image').notNull(),
  serviceIds: text('service_ids', { mode: 'json' }).$type<string[]>().notNull(),
  localDigest: text('local_digest'),
  remoteDigest: text('remote_digest'),
  updateAvailable: integer('update_available', { mode: 'boolean' }).notNull(),
  /** Why the registry could not be asked; then update_available is false. */
  error: text('error'),
  checkedAt: integer('checked_at', { mode: 'timestamp_ms' }).notNull(),
}, (t) => [primaryKey({ columns: [t.engineId, t.image] })]);

/** API tokens (auth/api-tokens.ts): known by the SHA-256 of the secret; the secret itself is never stored. */
export const apiTokens = sqliteTable('api_token', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull().unique(),
  /** The secret's last four characters, to tell tokens apart in a list. */
  hint: text('hint').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  expiresAt: integer('expires_at', { mode: 'timestamp_ms' }),
  lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
});

/**
 * Deploy webhooks (services/webhooks.ts): `POST /api/hooks/<secret>` queues the
 * hook's action. The secret is known by its SHA-256 only; the signing secret
 * (for X-Hub-Signature-256) must be read to check a signature, so it is sealed.
 */
export const webhooks = sqliteTable(
  'webhook',
  {
    id: text('id').primaryKey(),
    serviceId: text('service_id')
      .notNull()
      .references(() => services.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    action: text('action', { enum: ['redeploy', 'update'] }).notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    signingSecretSealed: text('signing_secret_sealed'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    lastUsedAt: integer('last_used_at', { mode: 'timestamp_ms' }),
    lastDeploymentId: text('last_deployment_id'),
  },
  (t) => [index('webhook_service_idx').on(t.serviceId)],
);

/** Notification channels (services/notifications.ts). The URL holds credentials: sealed. */
export const notificationChannels = sqliteTable('notification_channel', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').notNull(),
  urlSealed: text('url_sealed').notNull(),
  /** The URL as answers show it (credentials masked), kept beside the sealed one so a list opens nothing. */
  urlMasked: text('url_masked').notNull(),
  events: text('events', { mode: 'json' }).notNull().$type<string[]>(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  lastError: text('last_error'),
  lastSentAt: integer('last_sent_at', { mode: 'timestamp_ms' }),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * What has been queued for notification, by a key every process computes
 * alike (a deployment's end, an incident's first engine event): every process
 * hears the same engine, and only the first to insert a key queues messages.
 */
export const notificationEvents = sqliteTable('notification_event', {
  key: text('key').primaryKey(),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
});

/**
 * The Docker engines Capstan manages besides `local` (DOCKER_HOST, never a
 * row). TLS material and ssh keys are sealed (SecretBox) as one JSON text;
 * the ssh host key fingerprint, once seen or given, is required from then on.
 */
export const engines = sqliteTable('engine', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  url: text('url').notNull(),
  credentialsSealed: text('credentials_sealed'),
  sshHostKey: text('ssh_host_key'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
