import { authRouter } from './auth.js';
import { healthRouter } from './health.js';
import { router } from '../trpc.js';

export const appRouter = router({
  auth: authRouter,
  health: healthRouter,
});

export type AppRouter = typeof appRouter;
