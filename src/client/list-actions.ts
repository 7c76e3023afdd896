import { createSignal } from 'solid-js';
import { announce } from './announce.js';
import type { UiError } from './api.js';

/**
 * The state of a list's remove and prune actions: one at a time (`busy`), the
 * last error or the last result's sentence (announced too), and the list read
 * again after each action whatever its outcome.
 */
export function createListActions(refetch: () => unknown, toError: (err: unknown) => UiError) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [notice, setNotice] = createSignal('');
  /** Runs `action` (which answers the sentence to show), then `done` (closing its dialog). */
  const run = async (action: () => Promise<string>, done: () => void) => {
    setBusy(true);
    setError(null);
    setNotice('');
    try {
      const message = await action();
      setNotice(message);
      announce(message);
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
      done();
      void refetch();
    }
  };
  return { busy, error, notice, run };
}
