// The update badges' one store: the server's last update check of every image
// in use (GET /api/updates). Fetched when a page first shows a badge, again
// after a check, when a deployment ends (an update changes what the engine
// has; the server checks the service's images again before it marks the
// deployment finished) and when the live feed says data may have been missed.
import { createEffect, createRoot, createSignal, on } from 'solid-js';
import type { ImageUpdate } from '../shared/updates.js';
import { api, toUiError, type UiError } from './api.js';
import { epoch, services } from './live.js';

const [images, setImages] = createSignal<ImageUpdate[] | undefined>(undefined);
const [error, setError] = createSignal<UiError | null>(null);
const [checking, setChecking] = createSignal(false);

export { checking, error as updatesError, images as updateImages };

let seq = 0;

/** Reads the list again; a late answer never overwrites a newer one. */
export async function refreshUpdates(): Promise<void> {
  const mine = ++seq;
  try {
    const { images: list } = await api.updates.list.query();
    if (mine !== seq) return;
    setImages(list);
    setError(null);
  } catch (err) {
    if (mine === seq) setError(toUiError(err));
  }
}

/** Asks the server to check every image now (nothing is pulled); the answer is the new list. */
export async function checkForUpdates(): Promise<void> {
  setChecking(true);
  const mine = ++seq;
  try {
    const { images: list } = await api.updates.check.mutate();
    if (mine === seq) setImages(list);
    setError(null);
  } catch (err) {
    setError(toUiError(err));
  } finally {
    setChecking(false);
  }
}

let started = false;

/** Starts the store once, for the whole app: the first badge or page that needs it. */
export function useUpdates(): void {
  if (started) return;
  started = true;
  createRoot(() => {
    // A service leaving "deploying" is a deployment that ended (an image-update or scheduled one among them).
    const before = new Map<string, string>();
    createEffect(() => {
      let ended = false;
      for (const s of Object.values(services)) {
        if (before.get(s.id) === 'deploying' && s.status !== 'deploying') ended = true;
        before.set(s.id, s.status);
      }
      if (ended) void refreshUpdates();
    });
    createEffect(on(epoch, () => void refreshUpdates()));
  });
}

/** The images of one service that have an update waiting. */
export function updatesOf(serviceId: string): ImageUpdate[] {
  return (images() ?? []).filter((i) => i.update_available && i.service_ids.includes(serviceId));
}

/** When the last check of any image in use ran, as ISO text; undefined before the first. */
export function lastChecked(): string | undefined {
  const list = images() ?? [];
  return list.reduce<string | undefined>((latest, i) => (!latest || i.checked_at > latest ? i.checked_at : latest), undefined);
}
