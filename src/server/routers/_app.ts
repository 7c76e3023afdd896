import { authRouter } from './auth.js';
import { healthRouter } from './health.js';
import { servicesRouter } from './services.js';
import { router } from '../trpc.js';

export const appRouter = router({
  auth: authRouter,
  health: healthRouter,
  services: servicesRouter,
});

export type AppRouter = typeof appRouter;
