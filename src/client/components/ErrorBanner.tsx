import { createSignal, Show } from 'solid-js';
import type { UiError } from '../api.js';

/** The error in plain words; the technical details behind a toggle; a retry when it may help. */
export function ErrorBanner(props: { error: UiError; onRetry?: () => void }) {
  const [open, setOpen] = createSignal(false);
  return (
    <div class="error-banner" role="alert">
      <p>{props.error.message}</p>
      <div class="error-actions">
        <Show when={props.error.details}>
          <button type="button" class="link" aria-expanded={open()} onClick={() => setOpen(!open())}>
            {open() ? 'Hide details' : 'Details'}
          </button>
        </Show>
        <Show when={props.error.recoverable && props.onRetry}>
          <button type="button" onClick={() => props.onRetry?.()}>
            Retry
          </button>
        </Show>
      </div>
      <Show when={open()}>
        <pre class="error-details">{props.error.details}</pre>
      </Show>
    </div>
  );
}
