import { For, Show } from 'solid-js';
import { api } from '../api.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatDateTime } from '../format.js';
import { services } from '../live.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

const badge = { queued: 'deploying', running: 'deploying', succeeded: 'running', failed: 'error' } as const;

/** Every deployment of the service, newest first; unfinished ones follow live. */
export function Deployments() {
  const { id, service } = useService();
  // A status change is when a new deployment may have started (a schedule, another tab): look again then.
  const list = createQuery(
    () => `${id()}|${services[id()]?.status ?? ''}`,
    () => api.deployments.listForService.query({ id: id() }),
  );
  const durationOf = (d: { started_at: string | null; finished_at: string | null }) => {
    if (!d.started_at || !d.finished_at) return '';
    const s = (new Date(d.finished_at).getTime() - new Date(d.started_at).getTime()) / 1000;
    return s < 60 ? `${s.toFixed(1)} s` : `${Math.round(s / 60)} min`;
  };

  return (
    <div class="stack">
      <Show when={list.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void list.refetch()} />}</Show>
      <Show when={list.data()} fallback={<Show when={!list.error()}><div class="skeleton-row" aria-busy="true" /></Show>}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p class="empty">No deployments yet.</p>}>
            <ol class="deployments">
              <For each={items()}>
                {(d, i) => (
                  <li class="card">
                    <details open={i() === 0 || d.status === 'running' || d.status === 'queued'}>
                      <summary>
                        <StatusBadge status={badge[d.status]} label={d.status} />
                        <span class="strong">{d.kind}</span>
                        <span class="muted small">
                          {formatDateTime(d.created_at)} · by {d.actor}
                          <Show when={durationOf(d)}> · took {durationOf(d)}</Show>
                        </span>
                      </summary>
                      <DeploymentProgress id={d.id} initial={d} bare onFinished={() => { void list.refetch(); void service.refetch(); }} />
                    </details>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        )}
      </Show>
    </div>
  );
}
