import { A, useSearchParams } from '@solidjs/router';
import { createMemo, createSignal, For, Index, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { UpdateBadge } from '../components/UpdateBadge.js';
import { EngineSelect } from '../components/EngineSelect.js';
import { engineList, engineName } from '../engines.js';
import { countsByStatus, downEngines, engine, engineStates, serviceList, snapshotSeen, type LiveService, type ServiceStatus } from '../live.js';
import { formatBytes } from '../format.js';
import { formatPercent, useServiceUsage } from '../service-usage.js';
import { usePageTitle } from '../title.js';

const STATUSES: ServiceStatus[] = ['running', 'partial', 'deploying', 'stopped', 'error'];
/** Not a summary card of its own unless some service has it: its engine does not answer. */
const FILTER_STATUSES: ServiceStatus[] = [...STATUSES, 'unknown'];
const STATUS_LABEL: Record<ServiceStatus, string> = { running: 'Running', partial: 'Partly running', deploying: 'Deploying', stopped: 'Stopped', error: 'Failed', unknown: 'Unknown (engine down)' };

type Action = 'start' | 'stop' | 'restart';

/** Every service with its live status, the health summary, filters and quick actions. */
export function Services() {
  usePageTitle(() => 'Services');
  const [params, setParams] = useSearchParams<{ q?: string; status?: string; engine?: string }>();
  const [busy, setBusy] = createSignal<Record<string, Action | undefined>>({});
  const [actionError, setActionError] = createSignal<{ name: string; error: UiError } | null>(null);

  const query = () => (params.q ?? '').trim().toLowerCase();
  const status = () => (FILTER_STATUSES.includes(params.status as ServiceStatus) ? (params.status as ServiceStatus) : '');
  const engineFilter = () => params.engine ?? '';
  const visible = createMemo(() =>
    serviceList().filter(
      (s) => (!query() || s.name.toLowerCase().includes(query())) && (!status() || s.status === status()) && (!engineFilter() || s.engine_id === engineFilter()),
    ),
  );
  const counts = createMemo(countsByStatus);
  const cards = createMemo(() => (counts().unknown > 0 || status() === 'unknown' ? FILTER_STATUSES : STATUSES));
  const engineTotal = () => Math.max(Object.keys(engineStates).length, engineList()?.length ?? 0);
  /** Every engine is down: nothing can be listed or told apart. */
  const allDown = () => downEngines().length > 0 && downEngines().length >= engineTotal();
  /** The engines card: the local engine's Up/Down (as before there were several); with several, how many answer. */
  const engineCount = () => (engine() === null ? '–' : engine()!.available ? 'Up' : 'Down');
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
        <div class="btn-group">
          <A href="/services/adopt" class="button">Adopt running project</A>
          <A href="/services/new" class="button primary">New service</A>
        </div>
      </div>

      <section class="summary" classList={{ 'with-unknown': cards().length > STATUSES.length }} aria-label="Health summary">
        <Index each={cards()}>
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
        <A href="/engines" class="summary-card engine" classList={{ bad: engine()?.available === false, warn: engine()?.available !== false && downEngines().length > 0 }} data-testid="engine-state">
          <span class="summary-count">{engineCount()}</span>
          <span class="summary-label">
            {engineTotal() > 1 ? `Local engine · ${engineTotal() - downEngines().length}/${engineTotal()} engines up` : 'Docker engine'}
          </span>
        </A>
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
            <For each={FILTER_STATUSES}>{(st) => <option value={st}>{STATUS_LABEL[st]}</option>}</For>
          </select>
        </label>
        <div class="inline-field">
          <EngineSelect id="engine-filter" label="Filter by engine" hideLabel all value={engineFilter()} onChange={(id) => setParams({ engine: id || undefined })} />
        </div>
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
            allDown() ? (
              <p class="empty">The services cannot be listed while the Docker engine is unavailable.</p>
            ) : (
            <div class="empty-state">
              <h2>No services yet.</h2>
              <p class="muted">A service is one or more containers defined like a compose file. Paste one, or start from the example.</p>
              <A href="/services/new" class="button primary">Create your first service</A>
              <p class="muted small">
                Projects already started with <code>docker compose up</code> can be <A href="/services/adopt">adopted</A> as they run.
              </p>
            </div>
            )
          }
        >
          <Show when={visible().length > 0} fallback={<p class="empty">No services match these filters.</p>}>
            <Show when={downEngines().length > 0}>
              <p class="muted small">
                {allDown() ? 'Statuses as last seen: they update again when the engine is back.' : 'Services on an engine that does not answer show as unknown: they update again when it is back.'}
              </p>
            </Show>
            <div class="table-wrap" classList={{ stale: allDown() }}>
              <table class="table services-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Status</th>
                    <th scope="col">Engine</th>
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
                        <td data-label="Engine" data-testid="service-engine">
                          <A href="/engines" class="engine-link" classList={{ down: engineStates[s.engine_id]?.available === false }}>{engineName(s.engine_id)}</A>
                        </td>
                        <td data-label="Containers" class="num">
                          {running(s)}/{s.containers.length} running
                        </td>
                        <td data-label="Health">{health(s)}</td>
                        <td data-label="CPU" class="num" data-testid="service-cpu">{live(s) ? formatPercent(live(s)!.cpu_percent) : '—'}</td>
                        <td data-label="Memory" class="num" data-testid="service-memory">{live(s) ? formatBytes(live(s)!.memory_bytes) : '—'}</td>
                        <td class="cell-actions">
                          <div class="btn-group" role="group" aria-label={`Actions for ${s.name}`}>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'running' || s.status === 'deploying' || s.status === 'unknown'} onClick={() => act(s, 'start')} aria-label={`Start ${s.name}`}>
                              {busy()[s.id] === 'start' ? 'Starting…' : 'Start'}
                            </button>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'stopped' || s.status === 'deploying' || s.status === 'unknown'} onClick={() => act(s, 'stop')} aria-label={`Stop ${s.name}`}>
                              {busy()[s.id] === 'stop' ? 'Stopping…' : 'Stop'}
                            </button>
                            <button type="button" disabled={!!busy()[s.id] || s.status === 'deploying' || s.status === 'unknown'} onClick={() => act(s, 'restart')} aria-label={`Restart ${s.name}`}>
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
