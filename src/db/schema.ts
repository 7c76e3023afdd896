import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import type { ServiceDefinition } from '../shared/definition.js';

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
  },
  (t) => [
    index('audit_at_idx').on(t.at),
    index('audit_action_id_idx').on(t.action, t.id),
    index('audit_actor_id_idx').on(t.actor, t.id),
  ],
);

export interface LastError {
  error: string;
  details?: string;
  code: string;
  at: string;
}

/**
 * A Capstan service: a named compose-shaped definition. Its containers live in
 * Docker; this row is the desired state and the outcome of the last apply.
 */
export const services = sqliteTable('service', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  definition: text('definition', { mode: 'json' }).notNull().$type<ServiceDefinition>(),
  /** Adopted from an existing compose project: its containers are found by project label, not by Capstan's id. */
  adopted: integer('adopted', { mode: 'boolean' }).notNull().default(false),
  lastError: text('last_error', { mode: 'json' }).$type<LastError>(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});
