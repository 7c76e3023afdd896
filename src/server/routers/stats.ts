import { tracked } from '@trpc/server';
import { zIdInput } from '../../shared/schemas.js';
import { zServiceStats, zStatsFollowInput, zStatsOverviewInput } from '../../shared/stats.js';
import { followOverview, followServiceStats } from '../services/stats-follow.js';
import { authedProcedure, router, withDomainErrors } from '../trpc.js';

const tags = ['services'];

/** Event ids only count within one subscription: a reconnect gets the history again, which the client merges by time. */
async function* numbered<T>(events: AsyncIterable<T>) {
  let n = 0;
  for await (const e of withDomainErrors(events)) yield tracked(String(++n), e);
}

export const statsRouter = router({
  service: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api/services/{id}/stats',
        tags,
        summary: 'CPU, memory, network and block I/O and pids of each container, computed as `docker stats`; a container that is not running reads as zeros',
      },
    })
    .input(zIdInput)
    .output(zServiceStats)
    .query(({ ctx, input }) => ctx.app.stats.read(input.id)),

  /** One service's containers live (SSE): the container list, each running container's last minutes, then every new sample. */
  onService: authedProcedure
    .input(zStatsFollowInput)
    .subscription(({ ctx, input, signal }) => numbered(followServiceStats(ctx.app.stats, ctx.app.engines, input.id, signal))),

  /** Per service, the CPU % and memory totals of its running containers, every ~2 s (SSE): the services list's columns. */
  onOverview: authedProcedure
    .input(zStatsOverviewInput)
    .subscription(({ ctx, signal }) => numbered(followOverview(ctx.app.stats, ctx.app.engines, signal))),
});
