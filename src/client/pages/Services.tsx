import { A, useSearchParams } from '@solidjs/router';
import { createMemo, createSignal, For, Index, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { UpdateBadge } from '../components/UpdateBadge.js';
import { countsByStatus, engine, serviceList, snapshotSeen, type LiveService, type ServiceStatus } from '../live.js';
import { formatBytes } from '../format.js';
import { formatPercent, useServiceUsage } from '../service-usage.js';
import { usePageTitle } from '../title.js';

const STATUSES: ServiceStatus[] = ['running', 'partial', 'deploying', 'stopped', 'error'];
const STATUS_LABEL: Record<ServiceStatus, string> = { running: 'Running', partial: 'Partly running', deploying: 'Deploying', stopped: 'Stopped', error: 'Failed' };

type Action = 'start' | 'stop' | 'restart';

/** Every service with its live status, the health summary, filters and quick actions. */
export function Services() {
  usePageTitle(() => 'Services');
  const [params, setParams] = useSearchParams<{ q?: string; status?: string }>();
  const [busy, setBusy] = createSignal<Record<string, Action | undefined>>({});
  const [actionError, setActionError] = createSignal<{ name: string; error: UiError } | null>(null);

  const query = () => (params.q ?? '').trim().toLowerCase();
  const status = () => (STATUSES.includes(params.status as ServiceStatus) ? (params.status as ServiceStatus) : '');
  const visible = createMemo(() =>
    serviceList().filter((s) => (!query() || s.name.toLowerCase().includes(query())) && (!status() || s.status === status())),
  );
  const counts = createMemo(countsByStatus);
  const usage = useServiceUsage();
  /** CPU and memory only where something runs; a service whose first sample has not come yet shows a dash. */
  const live = (s: LiveService) => (running(s) > 0 ? usage(s.id) : undefined);

  const act = async (s: LiveService, action: Action) => {
    setBusy((b) => ({ ...b, [s.id]: action }));
    setActionError(null);
    try {
      await api.services[action].mutate({ id: s.id });
      announce(`${action === 'stop' ? 'Stopped' : action === 'start' ? 'Started' : 'Restarted'} ${s.name}`);
    } catch (err) {
      setActionError({ name: s.name, error: toUiError(err) });
    } finally {
      setBusy((b) => ({ ...b, [s.id]: undefined }));
    }
  };

  const running = (s: LiveService) => s.containers.filter((c) => c.status === 'running').length;
  const health = (s: LiveService) => {
    const checked = s.containers.filter((c) => c.health !== 'none');
    if (checked.length === 0) return '—';
    const bad = checked.filter((c) => c.health === 'unhealthy').length;
    const starting = checked.filter((c) => c.health === 'starting').length;
    return bad ? `${bad} unhealthy` : starting ? `${starting} starting` : `${checked.length} healthy`;
  };

  return (
    <>
      <div class="page-head">
        <h1>Services</h1>
        <A href="/services/new" class="button primary">New service</A>
      </div>

      <section class="summary" aria-label="Health summary">
        <Index each={STATUSES}>
          {(st) => (
            <button
              type="button"
              class={`summary-card tone-${st()}`}
              aria-pressed={status() === st()}
              onClick={() => setParams({ status: status() === st() ? undefined : st() })}
            >
              <span class="summary-count" data-testid={`count-${st()}`}>{snapshotSeen() ? counts()[st()] : '–'}</span>
              <span class="summary-label">{STATUS_LABEL[st()]}</span>
            </button>
          )}
        </Index>
        <div class="summary-card engine" classList={{ bad: engine()?.available === false }} data-testid="engine-state">
          <span class="summary-count">{engine() === null ? '–' : engine()!.available ? 'Up' : 'Down'}</span>
          <span class="summary-label">Docker engine</span>
        </div>
      </section>

      <div class="toolbar" role="search">
        <label class="inline grow">
          <span class="sr-only">Filter by name</span>
          <input type="search" placeholder="Filter by name" value={params.q ?? ''} onInput={(e) => setParams({ q: e.currentTarget.value || undefined }, { replace: true })} />
        </label>
        <label class="inline">
          <span class="sr-only">Filter by status</span>
          <select value={status()} onChange={(e) => setParams({ status: e.currentTarget.value || undefined })}>
            <option value="">All statuses</option>
            <For each={STATUSES}>{(st) => <option value={st}>{STATUS_LABEL[st]}</option>}</For>
          </select>
        </label>
      </div>

      <Show when={actionError()}>
        {(e) => <ErrorBanner error={{ ...e().error, message: `${e().name}: ${e().error.message}` }} />}
      </Show>

      <Show
        when={snapshotSeen()}
        fallback={
          <div class="table-wrap" aria-busy="true">
            <div class="skeleton-row" />
            <div class="skeleton-row" />
            <div class="skeleton-row" />
          </div>
        }
      >
        <Show
          when={serviceList().length > 0}
          fallback={
            engine()?.available === false ? (
              <p class="empty">The services cannot be listed while the Docker engine is unavailable.</p>
            ) : (
            <div class="empty-state">
              <h2>No services yet.</h2>
              <p class="muted">A service is one or more containers defined like a compose file. Paste one, or start from the example.</p>
              <A href="/services/new" class="button primary">Create your first service</A>
            </div>
            )
          }
        >
          <Show when={visible().length > 0} fallback={<p class="empty">No services match these filters.</p>}>
            <Show when={engine()?.available === false}>
              <p class="muted small">Statuses as last seen: they update again when the engine is back.</p>
            </Show>
            <div class="table-wrap" classList={{ stale: engine()?.available === false }}>
              <table class="table services-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Containers</th>
                    <th scope="col">Health</th>
                    <th scope="col" class="num">CPU</th>
                    <th scope="col" class="num">Memory</th>
                    <th scope="col"><span class="sr-only">Actions</span></th>
                  </tr>
                </thead>
                <tbody>
                  <For each={visible()}>
                    {(s) => (
                      <tr data-service={s.name}>
                        <td class="cell-name">
                          <A href={`/services/${s.id}`}>{s.name}</A>
                          <UpdateBadge serviceId={s.id} />
                        </td>
                        <td data-label="Status">
                          <StatusBadge status={s.status} />
                        </td>
                        <td data-label="Containers" class="num">
                          {running(s)}/{s.containers.length} running
                        </td>
                        <td data-label="Health">{health(s)}</td>
                        <td data-label="CPU" class="num" data-testid="service-cpu">{live(s) ? formatPercent(live(s)!.cpu_percent) : '—'}</td>
                        <td data-label="Memory" class="num" data-testid="service-memory">{live(s) ? formatBytes(live(s)!.memory_bytes) : '—'}</td>
                        <td class="cell-actions">
                          <div class="btn-group" role="group" aria-label={`Actions for ${s.name}`}>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'running' || s.status === 'deploying'} onClick={() => act(s, 'start')} aria-label={`Start ${s.name}`}>
                              {busy()[s.id] === 'start' ? 'Starting…' : 'Start'}
                            </button>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'stopped' || s.status === 'deploying'} onClick={() => act(s, 'stop')} aria-label={`Stop ${s.name}`}>
                              {busy()[s.id] === 'stop' ? 'Stopping…' : 'Stop'}
                            </button>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'deploying'} onClick={() => act(s, 'restart')} aria-label={`Restart ${s.name}`}>
                              {busy()[s.id] === 'restart' ? 'Restarting…' : 'Restart'}
                            </button>
                          </div>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </Show>
        </Show>
      </Show>
    </>
  );
}
