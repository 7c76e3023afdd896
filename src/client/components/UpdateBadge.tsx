import { Show } from 'solid-js';
import type { ImageUpdate } from '../../shared/updates.js';
import { formatDateTime, shortId } from '../format.js';
import { updatesOf, useUpdates } from '../updates.js';
import '../updates.css';

/** One image's digests as a person reads them: local → registry, and when that was seen. */
export const describeUpdate = (i: ImageUpdate) =>
  `${i.image}: local ${i.local_digest ? shortId(i.local_digest) : 'none'} → registry ${i.remote_digest ? shortId(i.remote_digest) : 'unknown'} (checked ${formatDateTime(i.checked_at)})`;

/** "Update available" when the registry has another image for one of the service's tags; nothing when up to date. */
export function UpdateBadge(props: { serviceId: string }) {
  useUpdates();
  const waiting = () => updatesOf(props.serviceId);
  return (
    <Show when={waiting().length > 0}>
      <span class="badge subtle tone-warn update-badge" data-testid="update-badge" title={waiting().map(describeUpdate).join('\n')}>
        Update available
      </span>
    </Show>
  );
}
