// The Docker engines Capstan manages, for every page that names or picks one:
// one list for the whole app, read when the shell starts, again whenever the
// live feed says an engine went away or came back, and on demand (the engines
// page reads it every few seconds for its counts).
import { createEffect, createRoot, createSignal, on } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { LOCAL_ENGINE_ID, type EngineObject } from '../shared/engines.js';
import { api, toUiError, type UiError } from './api.js';
import { engineStates, epoch, forgetEngines, setEngineNamer } from './live.js';

export { LOCAL_ENGINE_ID };

// A store reconciled by id: a refresh every few seconds keeps the rows (and the focus in them) in place.
const [state, setState] = createStore<{ list?: EngineObject[] }>({});
const list = () => state.list;
const setList = (engines: EngineObject[] | undefined) => setState('list', engines ? reconcile(engines, { key: 'id' }) : undefined);
const [listError, setListError] = createSignal<UiError | null>(null);

export const engineList = list;
export const engineListError = listError;

let seq = 0;
/** Reads the list again; the last answer stays while it runs or fails. */
export async function refreshEngines(): Promise<void> {
  const mine = ++seq;
  try {
    const engines = await api.engines.list.query();
    if (mine !== seq) return;
    setList(engines);
    setListError(null);
    // A removed engine's last state (down, say) must not stay in the header.
    forgetEngines(engines.map((e) => e.id));
  } catch (err) {
    if (mine === seq) setListError(toUiError(err));
  }
}

/** What the live feed says about each engine, as one string: it changes when one goes away or comes back. */
const availabilityKey = () =>
  Object.entries(engineStates)
    .map(([id, s]) => `${id}:${s.available ? 1 : 0}`)
    .sort()
    .join(',');

/** Keeps the list fresh while someone is logged in (started by the shell); returns its stop function. */
export function startEngines(): () => void {
  setEngineNamer(engineName);
  const dispose = createRoot((done) => {
    createEffect(on([availabilityKey, epoch], () => void refreshEngines()));
    return done;
  });
  return () => {
    dispose();
    seq++;
    setList(undefined);
    setListError(null);
  };
}

/** An engine's name for display; its id while the list is not in (or for an engine removed since). */
export function engineName(id: string | undefined | null): string {
  const key = id ?? LOCAL_ENGINE_ID;
  return list()?.find((e) => e.id === key)?.name ?? key;
}

export function engineById(id: string | undefined | null): EngineObject | undefined {
  const key = id ?? LOCAL_ENGINE_ID;
  return list()?.find((e) => e.id === key);
}

/** Whether an engine answers, from the live feed first (it is the newest word), else from the list. */
export function engineAvailable(id: string): boolean | undefined {
  return engineStates[id]?.available ?? list()?.find((e) => e.id === id)?.available;
}

/** Several engines: only then do pages show engine columns and pickers prominently. */
export const severalEngines = () => (list()?.length ?? 0) > 1;
