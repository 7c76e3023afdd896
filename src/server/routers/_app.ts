import { apposRouter } from './appos.js';
import { auditRouter } from './audit.js';
import { authRouter } from './auth.js';
import { deploymentsRouter } from './deployments.js';
import { healthRouter } from './health.js';
import { imagesRouter } from './images.js';
import { registriesRouter } from './registries.js';
import { schedulesRouter } from './schedules.js';
import { servicesRouter } from './services.js';
import { statsRouter } from './stats.js';
import { tokensRouter } from './tokens.js';
import { webhooksRouter } from './webhooks.js';
import { notificationsRouter } from './notifications.js';
import { volumesRouter } from './volumes.js';
import { networksRouter } from './networks.js';
import { updatesRouter } from './updates.js';
import { enginesRouter } from './engines.js';
import { router } from '../trpc.js';

export const appRouter = router({
  auth: authRouter,
  health: healthRouter,
  services: servicesRouter,
  stats: statsRouter,
  deployments: deploymentsRouter,
  schedules: schedulesRouter,
  images: imagesRouter,
  volumes: volumesRouter,
  networks: networksRouter,
  updates: updatesRouter,
  engines: enginesRouter,
  registries: registriesRouter,
  tokens: tokensRouter,
  webhooks: webhooksRouter,
  notifications: notificationsRouter,
  audit: auditRouter,
  appos: apposRouter,
});

export type AppRouter = typeof appRouter;
