import type { ComposeProject } from '../../shared/compose/model.js';
import { dependenciesOf, type PlannedService, type ServicePlan } from '../docker/compose-plan.js';
import { CapstanError } from '../errors.js';

/**
 * At most this many containers are being changed on the engine at once: enough
 * to overlap stop grace periods and the engine's per-call latency, few enough
 * that a large project does not queue hundreds of calls on one daemon.
 */
export const ENGINE_CONCURRENCY = 8;

/**
 * Groups services into depends_on levels, as compose v2 walks its graph: a
 * service with no dependency is level 0, any other is 1 + the highest level
 * of what it depends on. Dependencies that are not in the map are ignored (a
 * service disabled by its profiles). Keys are sorted within a level, so the
 * grouping is stable. A cycle is a 400, as serviceOrder says it.
 */
export function dependencyLevels(deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (key: string): number => {
    const known = level.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) {
      throw new CapstanError('BAD_REQUEST', 'Dependency cycle between services', { details: `services: ${[...visiting].sort().join(', ')}` });
    }
    visiting.add(key);
    let l = 0;
    for (const d of deps.get(key) ?? []) if (d !== key && deps.has(d)) l = Math.max(l, levelOf(d) + 1);
    visiting.delete(key);
    level.set(key, l);
    return l;
  };
  const out: string[][] = [];
  // Levels are contiguous (each is 1 + one below it), so `out` has no holes; keys arrive sorted.
  for (const key of [...deps.keys()].sort()) (out[levelOf(key)] ??= []).push(key);
  return out;
}

/** A project's services by level, dependencies (depends_on, links, volumes_from, shared namespaces) first. */
export function projectLevels(project: ComposeProject): string[][] {
  return dependencyLevels(new Map(Object.entries(project.services).map(([key, s]) => [key, dependenciesOf(s)])));
}

/** A plan's services by level: what its containers need (the implicit dependencies too) and its depends_on. */
export function planLevels(plan: ServicePlan): PlannedService[][] {
  const deps = new Map<string, string[]>();
  for (const svc of plan.services) {
    const all = new Set(Object.keys(svc.dependsOn));
    for (const c of plan.containers) if (c.key === svc.key) for (const d of c.dependsOn) all.add(d);
    deps.set(svc.key, [...all]);
  }
  const byKey = new Map(plan.services.map((s) => [s.key, s]));
  return dependencyLevels(deps).map((keys) => keys.map((k) => byKey.get(k)!));
}

/**
 * Containers grouped by their service's level (lowest first). A container of a
 * service the levels do not know (an orphan of an older definition) goes with
 * the highest level: nothing defined depends on it. Without levels (a project
 * that no longer loads) all of them are one group.
 */
export function containerLevels<T extends { key: string }>(containers: readonly T[], levels: string[][] | undefined): T[][] {
  if (!levels || levels.length === 0) return containers.length ? [[...containers]] : [];
  const levelOf = new Map(levels.flatMap((keys, i) => keys.map((k) => [k, i] as const)));
  const out: T[][] = levels.map(() => []);
  for (const c of containers) out[levelOf.get(c.key) ?? levels.length - 1]!.push(c);
  return out.filter((g) => g.length > 0);
}

/** Runs a function with a slot of a shared bound; queued calls refuse to begin once the signal has aborted. */
export type Gate = <T>(fn: () => Promise<T>) => Promise<T>;

export function createGate(limit = ENGINE_CONCURRENCY, signal?: AbortSignal): Gate {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    // The slot passes straight to the next caller, so `active` never overshoots the limit.
    if (next) next();
    else active--;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < limit) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      if (signal?.aborted) throw signal.reason;
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * Runs `fn` for every item concurrently and returns only when every one has
 * settled, so nothing is still changing the engine when a failure is reported
 * (a retry then starts from a quiet state). Throws the first failure;
 * `onFailure` hears it at once, to stop work that has not begun yet.
 */
export async function allSettledOrThrow<T>(items: readonly T[], fn: (item: T) => Promise<unknown>, onFailure?: (err: unknown) => void): Promise<void> {
  let first: { err: unknown } | undefined;
  await Promise.all(
    items.map(async (item) => {
      try {
        await fn(item);
      } catch (err) {
        if (!first) {
          first = { err };
          onFailure?.(err);
        }
      }
    }),
  );
  if (first) throw first.err;
}

/**
 * Stops mostly wait out a grace period while the engine does nothing: more of
 * them may be pending at once (compose 1.29's default parallel limit is 64),
 * so a level of containers that ignore SIGTERM waits about one grace period.
 */
export const STOP_CONCURRENCY = 32;

/**
 * One bounded, fail-fast scope for an operation: gates of ENGINE_CONCURRENCY
 * slots (and STOP_CONCURRENCY for stops) and a signal that aborts on the
 * operation's own signal or on the first failure of any call, so no new
 * container change begins after an error.
 */
export function concurrencyScope(outer?: AbortSignal, limits: { engine?: number; stops?: number } = {}) {
  const halt = new AbortController();
  const signal = outer ? AbortSignal.any([outer, halt.signal]) : halt.signal;
  const gate = createGate(limits.engine ?? ENGINE_CONCURRENCY, signal);
  const stopGate = createGate(limits.stops ?? STOP_CONCURRENCY, signal);
  const stop = (err: unknown) => {
    if (!halt.signal.aborted) halt.abort(err);
  };
  // The failure halts the scope inside the gate, before its slot passes to a queued item.
  const halting =
    <T>(fn: (item: T) => Promise<unknown>, item: T) =>
    async () => {
      try {
        return await fn(item);
      } catch (err) {
        stop(err);
        throw err;
      }
    };
  const gated =
    (g: Gate) =>
    <T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> =>
      allSettledOrThrow(items, (item) => g(halting(fn, item)), stop);
  return {
    signal,
    /** Every item at once, each inside the engine gate. */
    each: gated(gate),
    /** Every item at once, each inside the stop gate: for stops and restarts, which wait out grace periods. */
    eachStop: gated(stopGate),
    /** Every item at once, not gated (each gates its own engine work): for services that wait on dependencies. */
    all<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
      return allSettledOrThrow(items, fn, stop);
    },
  };
}

export type ConcurrencyScope = ReturnType<typeof concurrencyScope>;
