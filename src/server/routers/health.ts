import { z } from 'zod';
import { zHealthStatus } from '../../shared/schemas.js';
import { getHealthStatus } from '../services/health.js';
import { authedProcedure, router } from '../trpc.js';

export const healthRouter = router({
  status: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/api/health/status', tags: ['health'], summary: 'Status of every service' } })
    .input(z.void())
    .output(zHealthStatus)
    .query(({ ctx }) => getHealthStatus(ctx.app.services)),
});
