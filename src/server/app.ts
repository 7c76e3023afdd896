import { readFileSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, type Database, type Db } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { SessionStore } from './auth/sessions.js';
import { DatabaseFailures, defaultLimits, LoginThrottle } from './auth/throttle.js';
import { endpointFromConfig } from './docker/client.js';
import { useCredentials } from './docker/images.js';
import type { Config } from './env.js';
import type { Logger } from './log.js';
import { AuditLog } from './services/audit.js';
import { AuthService } from './services/auth.js';
import { DeploymentStore } from './services/deployment-store.js';
import { ImageService } from './services/images.js';
import { VolumeNetworkService } from './services/volumes-networks.js';
import { ProjectFolders } from './services/project-files.js';
import { ProjectLoader } from './services/project-loader.js';
import { migrateLegacyDefinitions } from './services/project-migrate.js';
import { RegistryStore } from './services/registries.js';
import { SecretBox } from './services/secret-box.js';
import { ServiceManager } from './services/services.js';
import { ServiceStore } from './services/service-store.js';
import { StatsHub } from './services/stats.js';
import { ScheduleStore } from './services/schedule-store.js';
import { ScheduleService } from './services/schedules.js';
import { EventFeed } from './services/event-feed.js';
import { EngineAdmin } from './services/engine-admin.js';
import { EngineStore } from './services/engine-store.js';
import { EnginePool } from './services/engines.js';
import { UserService } from './services/users.js';
import { TemplateCatalog } from './services/templates.js';
import { TokenService } from './services/tokens.js';
import { WebhookService } from './services/webhooks.js';
import { NotificationService } from './services/notifications.js';
import { NotificationTriggers } from './services/notify-triggers.js';
import { UpdateChecker } from './services/updates.js';
import type { LogDeps } from './services/logs.js';

/** Everything a request or a job may use, built once at start. */
export interface App {
  version: string;
  config: Config;
  log: Logger;
  database: Database;
  db: Db;
  sessions: SessionStore;
  audit: AuditLog;
  users: UserService;
  auth: AuthService;
  /** Every Docker engine: its client and live view (`local` from DOCKER_HOST, the others from the engine table). */
  engines: EnginePool;
  /** Adding, editing, testing and removing engines. */
  engineAdmin: EngineAdmin;
  serviceStore: ServiceStore;
  /** The project folders (CAPSTAN_PROJECTS_DIR) and their loads. */
  projects: ProjectLoader;
  deployments: DeploymentStore;
  services: ServiceManager;
  /** The one source of live state: /api/events and the tRPC subscriptions. */
  events: EventFeed;
  scheduleStore: ScheduleStore;
  schedules: ScheduleService;
  registries: RegistryStore;
  images: ImageService;
  volumesNetworks: VolumeNetworkService;
  templates: TemplateCatalog;
  /** API tokens (their validation is the session store's). */
  tokens: TokenService;
  /** Deploy webhooks: POST /api/hooks/{secret}. */
  webhooks: WebhookService;
  /** Notification channels and what is sent to them. */
  notifications: NotificationService;
  /** What is notified: deployment ends, container incidents, the engine's availability. */
  alerts: NotificationTriggers;
  /** The update badges: local against registry digests of the images services use. */
  updates: UpdateChecker;
  /** What log reads and follows use: the engine, the live view and the read view's rows. */
  logs: LogDeps;
  /** The engine's stats streams, shared by every watcher; closed at stop. */
  stats: StatsHub;
}

export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export async function createApp(config: Config, log: Logger): Promise<App> {
  const database = await openDatabase(config.databaseUrl, config.databaseAuthToken);
  try {
    await migrateDatabase(database.db);
  } catch (err) {
    database.close();
    throw err;
  }
  const db = database.db;
  const sessions = new SessionStore(db);
  const audit = new AuditLog(db, log);
  const users = new UserService(db, sessions);
  // Counted in the product database: every process of one system refuses the same attempts.
  const auth = new AuthService(users, sessions, new LoginThrottle(defaultLimits, Date.now, new DatabaseFailures(database.client)), audit, log);
  const secretFile = path.join(config.dataDir, 'secret.key');
  const registries = new RegistryStore(db, new SecretBox(secretFile, 'registry credentials'));
  const engineStore = new EngineStore(db, new SecretBox(secretFile, 'engine credentials'));
  // Deploys pull through ensureImage on each engine's client: they use the stored credentials too.
  const engines = new EnginePool(engineStore, { name: 'local', endpoint: endpointFromConfig(config.docker) }, log, (docker) => useCredentials(docker, registries.lookup));
  const projects = new ProjectLoader(new ProjectFolders(config.projectsDir));
  const serviceStore = new ServiceStore(db, projects);
  try {
    // Services created before project folders get theirs before anything reads them.
    await migrateLegacyDefinitions(serviceStore, log);
  } catch (err) {
    database.close();
    throw err;
  }
  const deployments = new DeploymentStore(db);
  const services = new ServiceManager(engines, serviceStore, deployments);
  const events = new EventFeed(services, engines, deployments, log);
  const scheduleStore = new ScheduleStore(db);
  const schedules = new ScheduleService(scheduleStore, serviceStore);
  const notifications = new NotificationService(db, new SecretBox(secretFile, 'notification channels'), log, config.limits?.notifyEndpoints);
  const images = new ImageService(engines, serviceStore, registries.lookup, audit);
  return {
    version: packageVersion,
    config,
    log,
    database,
    db,
    sessions,
    audit,
    users,
    auth,
    engines,
    engineAdmin: new EngineAdmin(engineStore, engines, serviceStore),
    serviceStore,
    projects,
    deployments,
    services,
    events,
    scheduleStore,
    schedules,
    registries,
    images,
    volumesNetworks: new VolumeNetworkService(engines, serviceStore),
    templates: new TemplateCatalog(db),
    tokens: new TokenService(sessions.apiTokens, users),
    webhooks: new WebhookService(db, new SecretBox(secretFile, 'webhook signing secrets'), serviceStore, services, audit),
    notifications,
    alerts: new NotificationTriggers(notifications, engines, (id) => events.nameOf(id), log),
    updates: new UpdateChecker(engines, serviceStore, db, log),
    logs: { engines, row: (id) => services.view.row(id) },
    stats: new StatsHub(engines, {
      // The read view's snapshot; a service it does not hold yet (or an unknown id: 404) from the manager.
      service: async (id) => (await services.view.current()).byId.get(id) ?? services.get(id),
      list: () => services.list(),
    }),
  };
}
