import { authRouter } from './auth.js';
import { deploymentsRouter } from './deployments.js';
import { healthRouter } from './health.js';
import { servicesRouter } from './services.js';
import { router } from '../trpc.js';

export const appRouter = router({
  auth: authRouter,
  health: healthRouter,
  services: servicesRouter,
  deployments: deploymentsRouter,
});

export type AppRouter = typeof appRouter;
