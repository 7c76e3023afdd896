// The services list's CPU and memory columns: one stats.onOverview subscription
// while the list is shown, pushed by the server every ~2 s from the engine
// streams it shares; nothing is polled.
import { createSignal, onCleanup, onMount } from 'solid-js';
import type { ServiceUsage } from '../shared/stats.js';
import { api } from './api.js';

/** Subscribes for the calling component's lifetime; answers a service's totals, or undefined before its first sample. */
export function useServiceUsage(): (id: string) => ServiceUsage | undefined {
  const [usage, setUsage] = createSignal<Map<string, ServiceUsage>>(new Map());
  let sub: { unsubscribe(): void } | undefined;
  onMount(() => {
    sub = api.stats.onOverview.subscribe(undefined, {
      onData: ({ data }) => setUsage(new Map(data.services.map((u) => [u.id, u]))),
      // The columns are extras: without them the list is still whole, so a failure only empties them.
      onError: () => setUsage(new Map()),
    });
  });
  onCleanup(() => sub?.unsubscribe());
  return (id) => usage().get(id);
}

export const formatPercent = (n: number) => `${n >= 10 ? n.toFixed(0) : n.toFixed(1)}%`;
