import { describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import {
  allSettledOrThrow,
  concurrencyScope,
  containerLevels,
  createGate,
  dependencyLevels,
  planLevels,
  projectLevels,
} from '../../src/server/services/levels.js';
import { composeProject, planOf } from '../helpers/compose-project.js';

const started = (condition: 'service_started' | 'service_healthy' = 'service_started') => ({ condition, required: true, restart: false });

/** A promise with its resolve/reject outside, to decide by hand when a task finishes. */
function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask and callback run. */
const settle = () => new Promise((r) => setImmediate(r));

describe('depends_on levels', () => {
  it('puts a service one level above the highest of its dependencies', () => {
    const levels = dependencyLevels(
      new Map([
        ['web', ['api', 'cache']],
        ['api', ['db']],
        ['db', []],
        ['cache', []],
        ['worker', ['db']],
        ['lone', []],
      ]),
    );
    expect(levels).toEqual([['cache', 'db', 'lone'], ['api', 'worker'], ['web']]);
  });

  it('ignores dependencies that are not services (disabled ones) and self references', () => {
    expect(dependencyLevels(new Map([['a', ['gone', 'a']], ['b', ['a']]]))).toEqual([['a'], ['b']]);
  });

  it('refuses a cycle with a 400 naming the services', () => {
    const run = () => dependencyLevels(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', []]]));
    expect(run).toThrow(CapstanError);
    expect(run).toThrow(/cycle/);
  });

  it('counts the dependencies compose adds (links, volumes_from, shared namespaces) for a project', () => {
    const p = composeProject('app', {
      vpn: {},
      db: {},
      app: { network_mode: 'service:vpn', links: ['db'] },
      backup: { volumes_from: ['app'] },
      a0: {},
      a1: { depends_on: { a0: started() } },
    });
    expect(projectLevels(p)).toEqual([['a0', 'db', 'vpn'], ['a1', 'app'], ['backup']]);
  });

  it('groups a plan by the same levels, dependencies first, with their planned services', () => {
    const p = composeProject('app', {
      a0: {},
      a1: { depends_on: { a0: started('service_healthy') } },
      a2: { depends_on: { a1: started() } },
      b0: { scale: 2 },
      b1: { depends_on: { b0: started() } },
      ns: { ipc: 'service:b1' },
    });
    const levels = planLevels(planOf(p));
    expect(levels.map((l) => l.map((s) => s.key))).toEqual([['a0', 'b0'], ['a1', 'b1'], ['a2', 'ns']]);
    expect(levels[0]![1]!.containers).toEqual(['app-b0-1', 'app-b0-2']);
  });

  it('groups containers by their service level; orphans go with the highest, no levels is one group', () => {
    const cs = [{ key: 'web', n: 1 }, { key: 'db', n: 1 }, { key: 'old', n: 1 }, { key: 'web', n: 2 }];
    const levels = [['db'], ['web']];
    expect(containerLevels(cs, levels)).toEqual([[cs[1]], [cs[0], cs[2], cs[3]]]);
    expect(containerLevels(cs, undefined)).toEqual([cs]);
    expect(containerLevels([], levels)).toEqual([]);
    // A level with no container is left out: nothing waits on an empty step.
    expect(containerLevels([cs[0]!], [['db'], ['web']])).toEqual([[cs[0]]]);
  });
});

describe('bounded concurrency', () => {
  it('never runs more than the limit at once, and runs everything', async () => {
    const gate = createGate(3);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    const gates = Array.from({ length: 10 }, () => deferred());
    const all = Promise.all(
      gates.map((d, i) =>
        gate(async () => {
          active++;
          peak = Math.max(peak, active);
          await d.promise;
          active--;
          done.push(i);
        }),
      ),
    );
    await settle();
    expect(active).toBe(3);
    // Finishing tasks one by one lets exactly one more in each time.
    for (const d of gates) {
      d.resolve();
      await settle();
      expect(active).toBeLessThanOrEqual(3);
    }
    await all;
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('frees the slot of a task that throws', async () => {
    const gate = createGate(1);
    await expect(gate(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate(async () => 42)).toBe(42);
  });

  it('waits for every task before it reports the first failure', async () => {
    const slow = deferred();
    let slowFinished = false;
    const run = allSettledOrThrow([1, 2, 3], async (i) => {
      if (i === 1) throw new Error('first');
      if (i === 2) {
        await slow.promise;
        slowFinished = true;
        throw new Error('second');
      }
    });
    let settled = false;
    void run.catch(() => {}).finally(() => (settled = true));
    await settle();
    expect(settled).toBe(false); // the failure of 1 does not answer while 2 still runs
    slow.resolve();
    await expect(run).rejects.toThrow('first');
    expect(slowFinished).toBe(true);
  });

  it('begins nothing more in a scope after a failure, and finishes what had begun', async () => {
    const scope = concurrencyScope(undefined, { engine: 2 });
    const begun: number[] = [];
    const release = deferred();
    const run = scope.each([1, 2, 3, 4], async (i) => {
      begun.push(i);
      if (i === 1) throw new Error('broken');
      await release.promise;
    });
    await settle();
    release.resolve();
    await expect(run).rejects.toThrow('broken');
    // 1 failed and 2 was in flight; 3 and 4 were queued behind the bound and never began.
    expect(begun).toEqual([1, 2]);
    expect(scope.signal.aborted).toBe(true);
    await expect(scope.each([5], async () => {})).rejects.toThrow('broken');
  });

  it('stops when the outer signal aborts, with its reason', async () => {
    const outer = new AbortController();
    const scope = concurrencyScope(outer.signal);
    outer.abort(new Error('deadline'));
    const ran: number[] = [];
    await expect(scope.each([1, 2], async (i) => void ran.push(i))).rejects.toThrow('deadline');
    expect(ran).toEqual([]);
  });
});
