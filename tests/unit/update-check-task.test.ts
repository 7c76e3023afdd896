import type { JobHelpers } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { updateCheckTask } from '../../src/jobs/tasks/update-check.js';
import type { UpdateChecker } from '../../src/server/services/updates.js';

const logs: string[] = [];
const helpers = { logger: { info: (m: string) => logs.push(m), error: (m: string) => logs.push(`error: ${m}`) } } as unknown as JobHelpers;

const checker = (check: () => Promise<unknown[]>) => ({ check }) as unknown as UpdateChecker;

describe('the update-check task', () => {
  it('checks, then queues its next run the configured hours later', async () => {
    const queued: Date[] = [];
    const t0 = Date.now();
    await updateCheckTask(checker(async () => [{ update_available: true }, { update_available: false }]), 6, async (at) => void queued.push(at))({}, helpers);
    expect(queued).toHaveLength(1);
    expect(queued[0]!.getTime() - t0).toBeGreaterThanOrEqual(6 * 3_600_000);
    expect(queued[0]!.getTime() - Date.now()).toBeLessThanOrEqual(6 * 3_600_000);
    expect(logs.at(-1)).toBe('update check: 2 images, 1 with an update');
  });

  it('a check that fails is logged, not thrown, and the next run is still queued', async () => {
    const queued: Date[] = [];
    await expect(updateCheckTask(checker(async () => { throw new Error('database gone'); }), 1, async (at) => void queued.push(at))({}, helpers)).resolves.toBeUndefined();
    expect(queued).toHaveLength(1);
    expect(logs.at(-1)).toBe('error: update check failed: database gone');
  });

  it('with 0 hours it checks once and queues nothing', async () => {
    const queued: Date[] = [];
    let checks = 0;
    await updateCheckTask(checker(async () => (checks++, [])), 0, async (at) => void queued.push(at))({}, helpers);
    expect(checks).toBe(1);
    expect(queued).toEqual([]);
  });
});
