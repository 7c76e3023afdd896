import { EventEmitter } from 'node:events';
import type { SessionStore } from '../server/auth/sessions.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger as GraphileLogger, makeWorkerUtils, parseCrontab, run, type Runner, type Task, type TaskList, type WorkerEvents, type WorkerUtils } from 'graphile-worker';
import pg from 'pg';
import type { Logger } from '../server/log.js';
import type { DeploymentRow } from '../server/services/deployment-store.js';
import type { RunnerDeps } from '../server/services/deploy-runner.js';
import type { JobQueue } from '../server/services/services.js';
import { Notifications, shareChanges } from './notify.js';
import { pgSafeTask } from './pg-safe.js';
import { recoverDeployments } from './recovery.js';
import { startEmbeddedPostgres, type EmbeddedJobsDatabase } from './postgres.js';
import { auditPruneTask, AUDIT_PRUNE_CRONTAB, AUDIT_PRUNE_TASK } from './tasks/audit-prune.js';
import { deployTask, DEPLOY_TASK, LEGACY_DELETE_TASK } from './tasks/deploy.js';
import { scheduledRunTask, SCHEDULED_RUN_TASK } from './tasks/scheduled-run.js';
import { nextUpdateCheck, updateCheckTask, UPDATE_CHECK_JOB_KEY, UPDATE_CHECK_TASK } from './tasks/update-check.js';
import { notifyTask, NOTIFY_MAX_ATTEMPTS, NOTIFY_TASK } from './tasks/notify.js';
import type { NotificationService, NotifyQueue } from '../server/services/notifications.js';
import type { ScheduledRunDeps } from '../server/services/scheduled-run.js';
import type { ScheduleQueue } from '../server/services/schedules.js';

export interface Jobs extends JobQueue, ScheduleQueue, NotifyQueue {
  utils: WorkerUtils;
  connectionString: string;
  /** Change notices between the Capstan processes on this queue (LISTEN/NOTIFY). */
  notifications: Notifications;
  stop(): Promise<void>;
}

export interface JobsOptions {
  dataDir: string;
  /** An external PostgreSQL; without it an embedded one runs under dataDir/pg. */
  databaseUrl: string | undefined;
  log: Logger;
  deps: RunnerDeps;
  scheduleDeps: Omit<ScheduledRunDeps, 'queue'>;
  /** The session cache, told when another process ends sessions. */
  sessions?: SessionStore;
  /** The embedded PostgreSQL, already being started by the caller (so it starts while the rest does); owned by the jobs from here on. */
  embedded?: Promise<EmbeddedJobsDatabase>;
  /** Hours between update checks of the images in use (CAPSTAN_UPDATE_CHECK_HOURS); 0 or unset: only on demand. */
  updateCheckHours?: number;
  /** The notification channels: their deliveries run as jobs, retried with backoff. */
  channels?: NotificationService;
}

const MAX_ATTEMPTS = 5;

function graphileLogger(log: Logger): GraphileLogger {
  return new GraphileLogger(() => (level, message) => {
    if (level === 'error') log.error('worker', { message });
    else if (level === 'warning') log.warn('worker', { message });
    else log.debug('worker', { message });
  });
}

/**
 * Jobs of a Capstan that was killed stay locked by its dead workers (for hours,
 * by graphile-worker's rules). Each Capstan notes its pool and worker ids in its
 * data dir, and the next start unlocks exactly those: never another live instance's.
 */
class WorkerIdFile {
  constructor(private readonly file: string) {}

  previous(): string[] {
    if (!existsSync(this.file)) return [];
    try {
      return (JSON.parse(readFileSync(this.file, 'utf8')) as string[]).filter((s) => typeof s === 'string');
    } catch {
      return [];
    }
  }

  record(ids: string[]): void {
    writeFileSync(this.file, JSON.stringify(ids), { mode: 0o600 });
  }
}

/** Each schedule's one pending job, by job key; runs of one service share its queue with deployments. */
function scheduleQueueOn(utils: WorkerUtils): ScheduleQueue {
  const key = (id: string) => `schedule:${id}`;
  return {
    async scheduleRun(s, runAt, keepRunAt = false) {
      await utils.addJob(SCHEDULED_RUN_TASK, { scheduleId: s.id }, {
        queueName: `service:${s.serviceId}`,
        jobKey: key(s.id),
        jobKeyMode: keepRunAt ? 'preserve_run_at' : 'replace',
        runAt,
        maxAttempts: MAX_ATTEMPTS,
      });
    },
    async unscheduleRun(scheduleId) {
      await utils.withPgClient((client) => client.query('SELECT graphile_worker.remove_job($1)', [key(scheduleId)]));
    },
    async runNow(s, actor) {
      // Retried like any job: the trigger is idempotent (one deployment per job), so a crash loses no run.
      await utils.addJob(SCHEDULED_RUN_TASK, { scheduleId: s.id, manual: true, actor }, { queueName: `service:${s.serviceId}`, maxAttempts: MAX_ATTEMPTS });
    },
  };
}

export async function startJobs(opts: JobsOptions): Promise<Jobs> {
  const { log, deps } = opts;
  const embedded = opts.databaseUrl ? undefined : await (opts.embedded ?? startEmbeddedPostgres(opts.dataDir, log));
  const connectionString = opts.databaseUrl ?? embedded!.connectionString;
  let utils: WorkerUtils | undefined;
  let runner: Runner | undefined;
  // One pool for the queue, with an error listener: an idle connection cut by the
  // server (a restart, a shutdown) must be logged, not crash the process.
  const pgPool = new pg.Pool({ connectionString, max: 10 });
  pgPool.on('error', (err) => log.warn('jobs database idle connection error', { error: err.message }));
  pgPool.on('connect', (client) => {
    client.on('error', (err) => log.warn('jobs database connection error', { error: err.message }));
  });
  const notifications = new Notifications(connectionString, pgPool, log);
  try {
    await notifications.start();
    // Before the runner: the first job's changes already reach the other processes.
    shareChanges(notifications, { deployments: deps.deployments, services: deps.services, engines: deps.engines, ...(opts.sessions ? { sessions: opts.sessions } : {}) }, log);
    const logger = graphileLogger(log);
    utils = await makeWorkerUtils({ pgPool, logger });
    await utils.migrate();

    const idFile = new WorkerIdFile(path.join(opts.dataDir, 'worker-ids.json'));
    const previous = idFile.previous();
    if (previous.length) await utils.forceUnlockWorkers(previous);

    const scheduleQueue = scheduleQueueOn(utils);
    const jobUtils = utils;
    // One job per deployment, whatever its kind: the key makes a second enqueue (recovery, a retried trigger) a no-op.
    const enqueueDeployment = async (d: DeploymentRow) => {
      await jobUtils.addJob(DEPLOY_TASK, { deploymentId: d.id }, {
        queueName: `service:${d.serviceId}`,
        jobKey: `deployment:${d.id}`,
        // A job that already exists (queued, or running elsewhere) is left alone.
        jobKeyMode: 'unsafe_dedupe',
        maxAttempts: MAX_ATTEMPTS,
      });
    };
    const tasks: Record<string, Task> = {
      [DEPLOY_TASK]: deployTask(deps),
      [LEGACY_DELETE_TASK]: deployTask(deps),
      [AUDIT_PRUNE_TASK]: auditPruneTask(deps.audit),
      [SCHEDULED_RUN_TASK]: scheduledRunTask({ ...opts.scheduleDeps, queue: () => ({ ...scheduleQueue, enqueueDeployment }) }),
    };
    if (opts.channels) tasks[NOTIFY_TASK] = notifyTask(opts.channels);
    // One job per channel and event: a second process queueing the same event (it heard the same engine) adds none.
    const enqueueNotification: NotifyQueue['enqueueNotification'] = async (channelId, message, key) => {
      await jobUtils.addJob(NOTIFY_TASK, { channel_id: channelId, message }, { jobKey: `notify:${channelId}:${key}`, jobKeyMode: 'unsafe_dedupe', maxAttempts: NOTIFY_MAX_ATTEMPTS });
    };
    const updateHours = opts.updateCheckHours ?? 0;
    // The check's one pending job: its run replaces it with the next (a running job's key moves to the new one).
    const queueUpdateCheck = async (runAt: Date, mode: 'replace' | 'preserve_run_at' = 'replace') => {
      await jobUtils.addJob(UPDATE_CHECK_TASK, {}, { jobKey: UPDATE_CHECK_JOB_KEY, jobKeyMode: mode, runAt, maxAttempts: 1 });
    };
    if (deps.updates) tasks[UPDATE_CHECK_TASK] = updateCheckTask(deps.updates, updateHours, queueUpdateCheck);
    // Every failure message is written to PostgreSQL: only text it accepts.
    const taskList: TaskList = Object.fromEntries(Object.entries(tasks).map(([name, task]) => [name, pgSafeTask(task)]));
    const ids: string[] = [];
    // Passed in, not read from the runner: workers are created inside run(), before it returns.
    const events: WorkerEvents = new EventEmitter();
    // Jobs are locked by the pool's id (or a worker's, depending on how they were fetched): note both.
    events.on('pool:create', ({ workerPool }) => {
      ids.push(workerPool.id);
      idFile.record(ids);
    });
    events.on('worker:create', ({ worker }) => {
      ids.push(worker.workerId);
      idFile.record(ids);
    });
    runner = await run({
      events,
      pgPool,
      taskList,
      concurrency: 2,
      noHandleSignals: true,
      pollInterval: 1000,
      parsedCronItems: parseCrontab(AUDIT_PRUNE_CRONTAB),
      logger,
    });
    // A restart keeps the pending check's time (no check at every start); 0 hours removes it.
    if (deps.updates && updateHours > 0) await queueUpdateCheck(nextUpdateCheck(updateHours), 'preserve_run_at');
    else await utils.withPgClient((client) => client.query('SELECT graphile_worker.remove_job($1)', [UPDATE_CHECK_JOB_KEY]));
    // Deployments whose job was lost, or spent by a kill on its last attempt, get one that ends them (recovery.ts).
    await recoverDeployments(utils, await deps.deployments.listActive(), enqueueDeployment);

    const activeRunner = runner;
    return {
      utils,
      connectionString,
      notifications,
      enqueueDeployment,
      enqueueNotification,
      ...scheduleQueue,
      async stop() {
        await activeRunner.stop();
        await notifications.stop();
        await jobUtils.release();
        await pgPool.end();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await runner?.stop().catch(() => {});
    await notifications.stop();
    await Promise.resolve(utils?.release()).catch(() => {});
    await pgPool.end().catch(() => {});
    await embedded?.stop().catch(() => {});
    throw err;
  }
}
