import { authRouter } from './auth.js';
import { deploymentsRouter } from './deployments.js';
import { healthRouter } from './health.js';
import { imagesRouter } from './images.js';
import { registriesRouter } from './registries.js';
import { servicesRouter } from './services.js';
import { router } from '../trpc.js';

export const appRouter = router({
  auth: authRouter,
  health: healthRouter,
  services: servicesRouter,
  deployments: deploymentsRouter,
  images: imagesRouter,
  registries: registriesRouter,
});

export type AppRouter = typeof appRouter;
