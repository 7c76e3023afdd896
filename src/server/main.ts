import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createApp, type App } from './app.js';
import { installCrashGuards } from './crash-guard.js';
import { ConfigError, loadConfig, type Config } from './env.js';
import { answerClientError, createRequestHandler } from './http.js';
import { describeStartError } from './start-error.js';
import { pendingQueue } from '../jobs/pending-queue.js';
import { startJobs, type Jobs } from '../jobs/worker.js';
import { startEmbeddedPostgres } from '../jobs/postgres.js';
import { createLogger, type Logger } from './log.js';
import { createTerminalRoute, type TerminalRoute } from './terminal-route.js';
import { applyRetentionSetting } from './services/audit-retention.js';
import { ensureFirstAdmin } from './services/users.js';

export interface RunningCapstan {
  app: App;
  server: Server;
  jobs: Jobs;
  url: string;
  port: number;
  /** Set when this start created the first admin with a generated password. */
  generatedAdmin?: { username: string; password: string };
  stop(): Promise<void>;
}

/** Starts everything in order: databases, first admin, HTTP. stop() undoes it in reverse. */
export async function startCapstan(config: Config, log: Logger = createLogger()): Promise<RunningCapstan> {
  // The embedded PostgreSQL takes longest (initdb on a fresh data dir): it starts while the rest does,
  // and its failure is thrown where the jobs await it.
  const embedded = config.jobsDatabaseUrl ? undefined : startEmbeddedPostgres(config.dataDir, log);
  embedded?.catch(() => {});
  const stopEmbedded = () => embedded?.then((db) => db.stop(), () => {}).catch(() => {});
  let app: App;
  try {
    app = await createApp(config, log);
  } catch (err) {
    await stopEmbedded();
    throw err;
  }
  let server: Server | undefined;
  let terminal: TerminalRoute | undefined;
  let jobs: Jobs | undefined;
  let startedJobs = false;
  try {
    // Before anything can delete: the audit delete trigger reads the period from the database.
    await applyRetentionSetting(app.audit, config.auditRetentionDays);
    const admin = await ensureFirstAdmin(app.users, config.admin);
    if (admin) {
      await app.audit.record({
        actor: 'system',
        action: 'user.create',
        target: `user:${admin.id}`,
        outcome: 'success',
        details: { username: admin.username, reason: 'first admin' },
      });
    }
    await app.sessions.deleteExpired();
    app.alerts.start();
    await app.engines.start();
    void reportEngineAtStart(app, config, log);
    startedJobs = true;
    const jobsStarting = startJobs({
      dataDir: config.dataDir,
      databaseUrl: config.jobsDatabaseUrl,
      log,
      sessions: app.sessions,
      ...(embedded ? { embedded } : {}),
      updateCheckHours: config.updateCheckHours,
      channels: app.notifications,
      deps: {
        engines: app.engines,
        store: app.serviceStore,
        deployments: app.deployments,
        services: app.services,
        audit: app.audit,
        schedules: app.schedules,
        log,
        updates: app.updates,
        finished: (d, outcome) => {
          app.updates.afterDeployment(d.kind, d.serviceId, !outcome.error);
          app.alerts.deploymentFinished(d, outcome);
        },
        ...(config.limits ? { limits: config.limits } : {}),
      },
      scheduleDeps: {
        store: app.serviceStore,
        schedules: app.scheduleStore,
        deployments: app.deployments,
        services: app.services,
        audit: app.audit,
        log,
      },
    });
    jobsStarting.catch(() => {}); // awaited below
    // Listening before the queue is up (initdb takes longest): logins and reads are answered at once,
    // and what needs the queue waits for it. A queue that fails to start still fails the start.
    const pending = pendingQueue(jobsStarting);
    app.services.queue = pending;
    app.schedules.queue = pending;
    app.notifications.queue = () => pending;

    server = createServer({ requestTimeout: 60_000, headersTimeout: 30_000 }, createRequestHandler(app));
    server.on('clientError', answerClientError);
    // WebSocket upgrades: the terminal's path; any other is refused in the contract's shape.
    terminal = createTerminalRoute(app);
    server.on('upgrade', terminal.handleUpgrade);
    // Long-lived SSE responses must not be cut by the keep-alive timer.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.port, config.host, () => resolve());
    });
    jobs = await jobsStarting;
    app.services.queue = jobs;
    app.schedules.queue = jobs;
    const started = jobs;
    app.notifications.queue = () => started;
    await app.schedules.reconcile(jobs);
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    log.info('capstan listening', { url, dataDir: config.dataDir });

    const running: RunningCapstan = {
      app,
      server,
      jobs,
      url,
      port,
      ...(admin?.generatedPassword ? { generatedAdmin: { username: admin.username, password: admin.generatedPassword } } : {}),
      stop: once(async () => {
        // Upgraded sockets are not the HTTP server's to close: the terminals close theirs (and end their processes).
        await Promise.all([closeServer(server!), terminal!.close()]);
        // Open throttle windows write their summary now, while the database is still open.
        await app.auth.throttled.flush();
        await jobs!.stop();
        app.stats.close();
        app.alerts.stop();
        app.engines.stop();
        app.events.stop();
        app.database.close();
        log.info('capstan stopped');
      }),
    };
    return running;
  } catch (err) {
    if (server?.listening) await Promise.all([closeServer(server), terminal?.close()]);
    if (jobs) await jobs.stop().catch(() => {});
    // Failed before the jobs owned it (startJobs stops it itself when it fails).
    else if (!startedJobs) await stopEmbedded();
    app.alerts.stop();
    app.engines.stop();
    app.database.close();
    throw err;
  }
}

/** DOCKER_HOST as it may be logged: a password in the URL is blanked. */
export function engineEndpoint(docker: Config['docker']): string {
  try {
    const url = new URL(docker.host);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return docker.host.replace(/:[^/@]*@/, ':***@');
  }
}

/**
 * Said once, at start: with no engine the server still runs (the dashboard
 * and /api/health show it as down, and it reconnects by itself), so the one
 * thing a person needs is which endpoint was tried.
 */
async function reportEngineAtStart(app: App, config: Config, log: Logger): Promise<void> {
  try {
    await app.engines.find('local')!.engine.version();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'SERVICE_UNAVAILABLE') return;
    log.warn('docker engine unreachable', {
      endpoint: engineEndpoint(config.docker),
      details: (err as { details?: string }).details,
      note: 'Capstan keeps running; the dashboard shows the engine as down until it answers, and reconnects by itself',
    });
  }
}

/** Stops accepting, lets in-flight requests finish (bounded), then drops idle and streaming connections. */
async function closeServer(server: Server, graceMs = 10_000): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`capstan: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger();
  installCrashGuards(log);
  // Handlers first: a signal during start still stops everything in order.
  let running: RunningCapstan | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    (running?.stop() ?? Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  running = await startCapstan(config, log);
  if (stopping) return void (await running.stop());
  if (running.generatedAdmin) {
    // Printed once, to the terminal only: it is never logged or stored in clear.
    process.stdout.write(
      `\nCapstan created the first admin.\n  username: ${running.generatedAdmin.username}\n  password: ${running.generatedAdmin.password}\nChange it with: npm run capstan -- user passwd ${running.generatedAdmin.username}\n\n`,
    );
  }
  process.stdout.write(`Capstan is running at ${running.url}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`capstan: failed to start: ${describeStartError(err)}\n`);
    process.exit(1);
  });
}
