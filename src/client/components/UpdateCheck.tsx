import { Show } from 'solid-js';
import { formatDateTime, formatRelative } from '../format.js';
import { checkForUpdates, checking, lastChecked, updateImages, updatesError, useUpdates } from '../updates.js';
import { ErrorBanner } from './ErrorBanner.js';
import '../updates.css';

/** "Check for updates" (every image in use, against its registry, without pulling) and when that last ran. */
export function UpdateCheck() {
  useUpdates();
  const available = () => (updateImages() ?? []).filter((i) => i.update_available).length;
  const failed = () => (updateImages() ?? []).filter((i) => i.error).length;
  return (
    <div class="update-check">
      <button type="button" disabled={checking()} onClick={() => void checkForUpdates()}>
        {checking() ? 'Checking…' : 'Check for updates'}
      </button>
      <span class="muted small" role="status" data-testid="update-check-status">
        <Show when={lastChecked()} fallback={updateImages() ? 'Not checked yet' : ''}>
          {(at) => (
            <>
              Last checked <time datetime={at()} title={formatDateTime(at())}>{formatRelative(at())}</time> ·{' '}
              {available() === 0 ? 'all images up to date' : `${available()} image${available() > 1 ? 's' : ''} with an update`}
              <Show when={failed() > 0}> · {failed()} could not be checked</Show>
            </>
          )}
        </Show>
      </span>
      <Show when={updatesError()}>{(e) => <ErrorBanner error={e()} />}</Show>
    </div>
  );
}
