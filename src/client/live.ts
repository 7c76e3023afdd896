// The live status of every service, from the services.onStatus subscription:
// one subscription for the whole app, started by the shell. Pages read it
// instead of polling, and re-fetch their own details when it says so.
import { batch, createSignal } from 'solid-js';
import { createStore, produce, reconcile } from 'solid-js/store';
import type { StatusEvent } from '../shared/schemas.js';
import { announce } from './announce.js';
import { api, isUnauthorized, toUiError, type UiError } from './api.js';

export type LiveService = Omit<Extract<StatusEvent, { kind: 'service' }>, 'kind'>;
export type ServiceStatus = LiveService['status'];

const [services, setServices] = createStore<Record<string, LiveService>>({});
const [engine, setEngine] = createSignal<{ available: boolean; details?: string } | null>(null);
const [connected, setConnected] = createSignal(false);
const [connectionError, setConnectionError] = createSignal<UiError | null>(null);
const [snapshotSeen, setSnapshotSeen] = createSignal(false);
/**
 * Bumped whenever data may have been missed: the connection to the server came
 * back, or the engine did. Queries depend on it, so pages recover by themselves.
 */
const [epoch, setEpoch] = createSignal(0);

export { connected, connectionError, engine, epoch, services, snapshotSeen };

/**
 * Every service's containers and their states, as one string: it changes
 * when a container is created, removed, started or stopped (a service's
 * containers are listed from its definition before they exist, so a name
 * alone says nothing). Pages listing what containers use re-read on it.
 */
export const containerStates = () =>
  Object.values(services)
    .flatMap((s) => s.containers.map((c) => `${c.name}:${c.status}`))
    .sort()
    .join(',');

export const serviceList = () =>
  Object.values(services).sort((a, b) => a.name.localeCompare(b.name));

function apply(event: StatusEvent): void {
  if (event.kind === 'engine') {
    const was = engine()?.available;
    setEngine(event.details ? { available: event.available, details: event.details } : { available: event.available });
    if (event.available && was === false) {
      announce('The Docker engine is available again');
      setEpoch((n) => n + 1);
    } else if (!event.available && was !== false) {
      announce('The Docker engine is unavailable');
    }
    return;
  }
  if (event.kind === 'service-removed') {
    setServices(produce((all) => void delete all[event.id]));
    return;
  }
  const { kind: _kind, ...service } = event;
  const before = services[event.id];
  if (before && before.status !== service.status) announce(`${service.name} is now ${service.status}`);
  setServices(event.id, reconcile(service));
}

/** Replaces the whole picture with the server's list: after a reconnect, removals may have been missed. */
async function resync(): Promise<void> {
  try {
    const list = await api.services.list.query();
    const next: Record<string, LiveService> = {};
    for (const s of list) {
      next[s.id] = { id: s.id, name: s.name, status: s.status, containers: s.containers.map((c) => ({ name: c.name, status: c.status, health: c.health })) };
    }
    setServices(reconcile(next));
  } catch {
    // The engine may be down: the feed's engine event says so; keep what we have.
  }
}

let current: { unsubscribe(): void } | undefined;
let retryTimer: ReturnType<typeof setTimeout> | undefined;
let failures = 0;
/** Set when the stream failed: the next start must refresh, as a reconnect does. */
let epochPending = false;

function subscribe(): void {
  let starts = 0;
  current = api.services.onStatus.subscribe(undefined, {
    onStarted: () => {
      starts += 1;
      failures = 0;
      batch(() => {
        setConnected(true);
        setConnectionError(null);
      });
      // The first start brings a snapshot; a later one may have missed removals.
      if (starts > 1 || epochPending) {
        epochPending = false;
        void resync();
        setEpoch((n) => n + 1);
      }
    },
    onData: (tracked) => {
      apply(tracked.data);
      // The snapshot is several events: show the list once they are in, not "no services" after the first.
      if (!snapshotSeen()) requestAnimationFrame(() => setSnapshotSeen(true));
    },
    onConnectionStateChange: (state) => {
      // The EventSource reconnects by itself; say so meanwhile.
      if (state.state === 'connecting' && state.error) {
        setConnected(false);
        setConnectionError(toUiError(state.error));
      }
    },
    onError: (err) => {
      // The stream gave up (an ended session is handled by the api's session link).
      setConnected(false);
      setConnectionError(toUiError(err));
      if (isUnauthorized(err)) return;
      current = undefined;
      epochPending = true;
      failures += 1;
      retryTimer = setTimeout(subscribe, Math.min(30_000, 1000 * 2 ** Math.min(failures, 5)));
    },
  });
}

/** Starts the one status subscription; returns its stop function. */
export function startLiveStatus(): () => void {
  subscribe();
  return () => {
    clearTimeout(retryTimer);
    current?.unsubscribe();
    current = undefined;
    failures = 0;
    epochPending = false;
    batch(() => {
      setServices(reconcile({}));
      setEngine(null);
      setConnected(false);
      setConnectionError(null);
      setSnapshotSeen(false);
    });
  };
}

/** Reconnects now instead of waiting for the next automatic attempt. */
export function reconnectLiveStatus(): void {
  clearTimeout(retryTimer);
  current?.unsubscribe();
  epochPending = true;
  subscribe();
}

/** The services with a status, counted for the health summary. */
export function countsByStatus(): Record<ServiceStatus, number> {
  const counts: Record<ServiceStatus, number> = { running: 0, partial: 0, deploying: 0, stopped: 0, error: 0 };
  for (const s of Object.values(services)) counts[s.status] += 1;
  return counts;
}
