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
export interface EngineState {
  available: boolean;
  details?: string;
}
/** What the live feed last said about each engine, by engine id. */
const [engineStates, setEngineStates] = createStore<Record<string, EngineState>>({});
/** The engine from DOCKER_HOST ('local'): the one the header's state and the first-run pages speak of. */
const engine = (): EngineState | null => engineStates['local'] ?? null;
/** The engines the live feed says are down, by id. */
export const downEngines = () => Object.keys(engineStates).filter((id) => engineStates[id]!.available === false).sort();
/** Drops what the feed said about engines that no longer exist (removed since). */
export function forgetEngines(existing: string[]): void {
  const gone = Object.keys(engineStates).filter((id) => !existing.includes(id));
  if (gone.length) setEngineStates(produce((all) => gone.forEach((id) => delete all[id])));
}
let nameOf: (id: string) => string = (id) => id;
/** The engines list registers how to name an engine in announcements (its name, not its id). */
export function setEngineNamer(namer: (id: string) => string): void {
  nameOf = namer;
}
const [connected, setConnected] = createSignal(false);
const [connectionError, setConnectionError] = createSignal<UiError | null>(null);
const [snapshotSeen, setSnapshotSeen] = createSignal(false);
/**
 * Bumped whenever data may have been missed: the connection to the server came
 * back, or the engine did. Queries depend on it, so pages recover by themselves.
 */
const [epoch, setEpoch] = createSignal(0);

export { connected, connectionError, engine, engineStates, epoch, services, snapshotSeen };

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
    const id = event.engine_id;
    const was = engineStates[id]?.available;
    const next: EngineState = event.details ? { available: event.available, details: event.details } : { available: event.available };
    setEngineStates(produce((all) => void (all[id] = next)));
    const which = id === 'local' && Object.keys(engineStates).length <= 1 ? 'The Docker engine' : `The Docker engine “${nameOf(id)}”`;
    if (event.available && was === false) {
      announce(`${which} is available again`);
      setEpoch((n) => n + 1);
    } else if (!event.available && was !== false) {
      announce(`${which} is unavailable`);
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
      next[s.id] = { id: s.id, name: s.name, engine_id: s.engine_id, status: s.status, containers: s.containers.map((c) => ({ name: c.name, status: c.status, health: c.health })) };
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
      setEngineStates(reconcile({}));
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
  const counts: Record<ServiceStatus, number> = { running: 0, partial: 0, deploying: 0, stopped: 0, error: 0, unknown: 0 };
  for (const s of Object.values(services)) counts[s.status] += 1;
  return counts;
}
