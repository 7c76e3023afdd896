import { A } from '@solidjs/router';
import { usePageTitle } from '../title.js';

export function NotFound() {
  usePageTitle(() => 'Not found');
  return (
    <div class="empty-state">
      <h1>Page not found</h1>
      <p class="muted">There is nothing at this address.</p>
      <A href="/" class="button">Go to services</A>
    </div>
  );
}
