import { createEffect, createSignal, on, onCleanup, untrack } from 'solid-js';
import { toUiError, type UiError } from './api.js';
import { epoch } from './live.js';

export interface Query<T> {
  /** The last value fetched; kept while a refetch runs or fails, so nothing jumps. */
  data: () => T | undefined;
  error: () => UiError | null;
  loading: () => boolean;
  refetch: () => Promise<void>;
  /** Replace the value locally (after a mutation answered with the new state). */
  mutate: (value: T) => void;
}

/**
 * A query that runs when its source changes (false: not yet) and again when
 * the live feed says data may have been missed (server or engine back).
 * Plain signals, not createResource: a refetch never suspends the page.
 */
export function createQuery<S, T>(source: () => S | false | undefined, fetcher: (s: S) => Promise<T>): Query<T> {
  const [data, setData] = createSignal<T>();
  const [error, setError] = createSignal<UiError | null>(null);
  const [loading, setLoading] = createSignal(false);
  let seq = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  onCleanup(() => clearTimeout(retry));

  const run = async (s: S | false | undefined) => {
    clearTimeout(retry);
    if (s === false || s === undefined) return;
    const mine = ++seq;
    setLoading(true);
    try {
      const value = await fetcher(s);
      if (mine !== seq) return;
      failures = 0;
      setData(() => value);
      setError(null);
    } catch (err) {
      if (mine !== seq) return;
      const e = toUiError(err);
      setError(e);
      // A request lost on the way (a network change, a server restart) is tried again by itself,
      // less and less often; an unavailable engine waits for the live feed to say it is back.
      if (!e.code) retry = setTimeout(() => void run(untrack(source)), Math.min(30_000, 1000 * 2 ** failures++));
    } finally {
      if (mine === seq) setLoading(false);
    }
  };

  createEffect(on([source, epoch], ([s]) => void run(s)));
  return {
    data,
    error,
    loading,
    refetch: () => run(untrack(source)),
    mutate: (value) => setData(() => value),
  };
}
