import path from 'node:path';
import { z } from 'zod';

/** Empty variables count as unset, as most shells and compose files produce them. */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const zPort = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const zUrlWithScheme = (schemes: string[]) =>
  z.string().refine(
    (v) => schemes.some((s) => v.startsWith(`${s}:`)),
    `must start with one of ${schemes.map((s) => `${s}:`).join(', ')}`,
  );

const zEnv = z
  .object({
    PORT: optional(zPort).transform((v) => v ?? 8080),
    HOST: optional(z.string()).transform((v) => v ?? '127.0.0.1'),
    CAPSTAN_DATA_DIR: optional(z.string()).transform((v) => path.resolve(v ?? './data')),
    CAPSTAN_PROJECTS_DIR: optional(z.string()),
    CAPSTAN_DATABASE_URL: optional(zUrlWithScheme(['file', 'libsql', 'http', 'https', 'ws', 'wss'])),
    CAPSTAN_DATABASE_AUTH_TOKEN: optional(z.string()),
    CAPSTAN_JOBS_DATABASE_URL: optional(zUrlWithScheme(['postgres', 'postgresql'])),
    DOCKER_HOST: optional(zUrlWithScheme(['unix', 'tcp', 'http', 'https', 'ssh', 'npipe'])).transform(
      (v) => v ?? 'unix:///var/run/docker.sock',
    ),
    DOCKER_TLS_VERIFY: optional(z.string()),
    DOCKER_CERT_PATH: optional(z.string()),
    CAPSTAN_ADMIN_USERNAME: optional(
      z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores'),
    ),
    CAPSTAN_ADMIN_PASSWORD: optional(z.string().min(8, 'must be at least 8 characters')),
    CAPSTAN_AUDIT_RETENTION_DAYS: optional(
      z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1'),
    ).transform((v) => v ?? 90),
    CAPSTAN_UPDATE_CHECK_HOURS: optional(
      z.coerce.number({ error: 'must be a number' }).min(0, 'must be 0 (off) or more').max(8760, 'must be at most 8760 (a year)'),
    ).transform((v) => v ?? 6),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.CAPSTAN_ADMIN_USERNAME) !== Boolean(env.CAPSTAN_ADMIN_PASSWORD)) {
      const missing = env.CAPSTAN_ADMIN_USERNAME ? 'CAPSTAN_ADMIN_PASSWORD' : 'CAPSTAN_ADMIN_USERNAME';
      ctx.addIssue({ code: 'custom', path: [missing], message: 'must be set together with the other admin variable' });
    }
  });

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Absolute: one folder per service (compose.yaml, .env, its other files). */
  projectsDir: string;
  databaseUrl: string;
  databaseAuthToken: string | undefined;
  jobsDatabaseUrl: string | undefined;
  docker: { host: string; tlsVerify: boolean; certPath: string | undefined };
  admin: { username: string; password: string } | undefined;
  auditRetentionDays: number;
  /** How often every service's images are compared with their registries (hours; 0: only on demand). */
  updateCheckHours: number;
  /** Internal bounds on jobs (a pull's stall, an attempt's deadline); never from the environment: tests shorten them. */
  limits?: {
    jobDeadlineMs?: number;
    pullInactivityMs?: number;
    /** Comment heartbeats on event streams (default 15 s). */
    sseHeartbeatMs?: number;
    /** What one event-stream client may leave unread before it is dropped (default 1 MiB). */
    sseBufferBytes?: number;
    /** A terminal with no input for this long is closed (default 15 min). */
    terminalIdleMs?: number;
    /** Where Discord's and Slack's webhooks are posted (tests: a local receiver). */
    notifyEndpoints?: { discord: string; slack: string };
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment once; a bad value throws a ConfigError naming every offending variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = zEnv.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0] ?? '?')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: e.CAPSTAN_DATA_DIR,
    projectsDir: path.resolve(e.CAPSTAN_PROJECTS_DIR ?? path.join(e.CAPSTAN_DATA_DIR, 'projects')),
    databaseUrl: e.CAPSTAN_DATABASE_URL ?? `file:${path.join(e.CAPSTAN_DATA_DIR, 'capstan.db')}`,
    databaseAuthToken: e.CAPSTAN_DATABASE_AUTH_TOKEN,
    jobsDatabaseUrl: e.CAPSTAN_JOBS_DATABASE_URL,
    docker: {
      host: e.DOCKER_HOST,
      // The docker CLI enables TLS verification for any non-empty value.
      tlsVerify: Boolean(e.DOCKER_TLS_VERIFY),
      certPath: e.DOCKER_CERT_PATH,
    },
    admin:
      e.CAPSTAN_ADMIN_USERNAME && e.CAPSTAN_ADMIN_PASSWORD
        ? { username: e.CAPSTAN_ADMIN_USERNAME, password: e.CAPSTAN_ADMIN_PASSWORD }
        : undefined,
    auditRetentionDays: e.CAPSTAN_AUDIT_RETENTION_DAYS,
    updateCheckHours: e.CAPSTAN_UPDATE_CHECK_HOURS,
  };
}
