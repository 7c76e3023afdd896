import { createSignal } from 'solid-js';
import { toUiError, type UiError } from './api.js';

/**
 * A refused input in plain words: "Invalid notification URL: url: an ntfy URL
 * needs a topic" is the answer the person needs, not a detail behind a toggle.
 */
export function inputError(err: unknown): UiError {
  const ui = toUiError(err);
  return ui.details && ui.code === 'BAD_REQUEST' ? { ...ui, message: `${ui.message}: ${ui.details}`, recoverable: false } : ui;
}

/**
 * A form's submit: one at a time (`busy`), the last error (cleared on each
 * try), and the page's default submit prevented.
 */
export function createSubmit(action: () => Promise<void>, toError: (err: unknown) => UiError = toUiError) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (err) {
      setError(toError(err));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}
