import { describe, expect, it } from 'vitest';
import { pendingQueue } from '../../src/jobs/pending-queue.js';
import { CapstanError } from '../../src/server/errors.js';
import type { DeploymentRow } from '../../src/server/services/deployment-store.js';
import type { JobQueue } from '../../src/server/services/services.js';
import type { ScheduleQueue } from '../../src/server/services/schedules.js';
import type { NotifyQueue } from '../../src/server/services/notifications.js';

type Queue = JobQueue & ScheduleQueue & NotifyQueue;

/** A queue that records what it was asked, and a start that ends when the test says. */
function starting() {
  const calls: string[] = [];
  const queue: Queue = {
    enqueueDeployment: async (d) => void calls.push(`enqueue ${d.id}`),
    scheduleRun: async (s) => void calls.push(`schedule ${s.id}`),
    unscheduleRun: async (id) => void calls.push(`unschedule ${id}`),
    runNow: async (s, actor) => void calls.push(`run ${s.id} by ${actor}`),
    enqueueNotification: async (channel, m, key) => void calls.push(`notify ${channel} ${m.event} ${key}`),
  };
  let resolve!: (q: Queue) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<Queue>((res, rej) => ((resolve = res), (reject = rej)));
  return { calls, promise, up: () => resolve(queue), fail: (err: unknown) => reject(err) };
}

const deployment = { id: 'd1' } as DeploymentRow;

describe('the queue while it starts', () => {
  it('holds each call until the queue is up, then passes it on in order', async () => {
    const s = starting();
    const q = pendingQueue(s.promise);
    const done = Promise.all([q.enqueueDeployment(deployment), q.unscheduleRun('s1'), q.runNow({ id: 's2' } as never, 'admin')]);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.calls).toEqual([]);
    s.up();
    await done;
    expect(s.calls).toEqual(['enqueue d1', 'unschedule s1', 'run s2 by admin']);
  });

  it('answers 503 when the queue does not start, without its reason in the message', async () => {
    const s = starting();
    const q = pendingQueue(s.promise);
    s.fail(new Error('initdb: password=secret'));
    const err = await q.enqueueDeployment(deployment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CapstanError);
    expect((err as CapstanError).code).toBe('SERVICE_UNAVAILABLE');
    expect(`${(err as CapstanError).message} ${(err as CapstanError).details}`).not.toContain('secret');
  });
});
