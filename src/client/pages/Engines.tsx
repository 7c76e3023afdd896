import { A } from '@solidjs/router';
import { createSignal, For, onCleanup, Show } from 'solid-js';
import type { EngineObject } from '../../shared/engines.js';
import { toUiError, type UiError, api } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EngineForm } from '../components/EngineForm.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { engineList, engineListError, refreshEngines } from '../engines.js';
import { createListActions } from '../list-actions.js';
import { engineStates } from '../live.js';
import { usePageTitle } from '../title.js';
import '../settings.css';

/** A refusal in plain words ("Engine in use: 2 services run on it …"), not behind a details toggle. */
function plainError(err: unknown): UiError {
  const e = toUiError(err);
  if (!e.details || !(e.code === 'CONFLICT' || e.code === 'BAD_REQUEST' || e.code === 'NOT_FOUND')) return e;
  return { message: `${e.message}: ${e.details}`, code: e.code, recoverable: false };
}

/** How often the counts (services, containers) are read again while the page is open. */
const REFRESH_MS = 5000;

/** The Docker engines Capstan manages: their state and counts; add, test, change and remove them. */
export function Engines() {
  usePageTitle(() => 'Engines');
  const [adding, setAdding] = createSignal(false);
  const [editing, setEditing] = createSignal<string | null>(null);
  const [removing, setRemoving] = createSignal<EngineObject | null>(null);
  const { busy, error, notice, run } = createListActions(() => refreshEngines(), plainError);

  // Availability comes with the live feed (the list is read again on each change); the counts are read every few seconds.
  void refreshEngines();
  const timer = setInterval(() => void refreshEngines(), REFRESH_MS);
  onCleanup(() => clearInterval(timer));

  const available = (e: EngineObject) => engineStates[e.id]?.available ?? e.available;

  const remove = () => {
    const e = removing();
    if (!e) return;
    void run(async () => {
      await api.engines.remove.mutate({ id: e.id });
      if (editing() === e.id) setEditing(null);
      return `Removed engine ${e.name}.`;
    }, () => setRemoving(null));
  };

  const saved = () => {
    setAdding(false);
    setEditing(null);
    void refreshEngines();
  };

  return (
    <>
      <div class="page-head">
        <h1>Engines</h1>
        <Show when={!adding()}>
          <button type="button" class="primary" onClick={() => { setEditing(null); setAdding(true); }}>Add engine</button>
        </Show>
      </div>
      <p class="muted lead">
        The Docker engines Capstan deploys to: the one it was started with (DOCKER_HOST), and others reached over TCP with TLS or over SSH. Each service runs on one engine.
      </p>
      <div class="stack">
        <Show when={adding()}>
          <section class="card" aria-labelledby="engine-new-title">
            <h2 id="engine-new-title" class="card-title">Add engine</h2>
            <EngineForm onSaved={saved} onCancel={() => setAdding(false)} />
          </section>
        </Show>
        <Show when={engineList()?.find((e) => e.id === editing())}>
          {(e) => (
            <section class="card" aria-labelledby="engine-edit-title">
              <h2 id="engine-edit-title" class="card-title">Edit engine {e().name}</h2>
              <EngineForm engine={e()} onSaved={saved} onCancel={() => setEditing(null)} />
            </section>
          )}
        </Show>
        <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
        <Show when={engineListError() && !engineList()}>{(_) => <ErrorBanner error={engineListError()!} onRetry={() => void refreshEngines()} />}</Show>
        <p class="notice-ok" role="status">{notice()}</p>
        <Show when={engineList()} fallback={<Show when={!engineListError()}><div class="table-wrap" aria-busy="true"><div class="skeleton-row" /></div></Show>}>
          <div class="table-wrap">
            <table class="table engines-table" aria-label="Engines">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Kind</th>
                  <th scope="col">State</th>
                  <th scope="col">Version</th>
                  <th scope="col" class="num">Services</th>
                  <th scope="col" class="num">Containers</th>
                  <th scope="col"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                <For each={engineList()}>
                  {(e) => (
                    <tr data-engine={e.id}>
                      <td class="cell-name">
                        <strong>{e.name}</strong>
                        <Show when={e.builtin}>
                          <span class="muted small">from DOCKER_HOST</span>
                        </Show>
                        <Show when={e.same_daemon_as.length > 0}>
                          <span class="block muted small" data-testid="engine-same-daemon">Same daemon as {e.same_daemon_as.join(', ')}</span>
                        </Show>
                      </td>
                      <td data-label="URL" class="mono wrap">{e.url}</td>
                      <td data-label="Kind">
                        {e.kind}
                        <Show when={e.tls}> · TLS</Show>
                        <Show when={e.ssh_host_key}>{(hk) => <span class="block muted small mono wrap" title="The host key Capstan requires">{hk()}</span>}</Show>
                      </td>
                      <td data-label="State" data-testid="engine-state-cell">
                        <Show
                          when={available(e)}
                          fallback={
                            <>
                              <span class="badge tone-bad" data-state="down"><span class="dot" aria-hidden="true" />down</span>
                              <Show when={e.error}>{(why) => <span class="block small engine-error">{why()}</span>}</Show>
                            </>
                          }
                        >
                          <span class="badge tone-ok" data-state="available"><span class="dot" aria-hidden="true" />available</span>
                        </Show>
                      </td>
                      <td data-label="Version">
                        <Show when={e.version} fallback={<span class="muted">—</span>}>
                          {e.version}
                          <Show when={e.api_version}> <span class="muted small">API {e.api_version}</span></Show>
                        </Show>
                      </td>
                      <td data-label="Services" class="num">
                        <Show when={e.services > 0} fallback={<span class="muted">0</span>}>
                          <A href={`/?engine=${encodeURIComponent(e.id)}`} aria-label={`${e.services} services on ${e.name}`}>{e.services}</A>
                        </Show>
                      </td>
                      <td data-label="Containers" class="num">
                        {e.running}/{e.containers} running
                      </td>
                      <td class="cell-actions">
                        <Show when={!e.builtin} fallback={<span class="muted small" title="Set by DOCKER_HOST when Capstan starts: changed in its configuration, not here">not editable</span>}>
                          <div class="btn-group" role="group" aria-label={`Actions for engine ${e.name}`}>
                            <button type="button" disabled={busy()} aria-label={`Edit engine ${e.name}`} onClick={() => { setAdding(false); setEditing(e.id); }}>
                              Edit
                            </button>
                            <button type="button" class="danger-outline" disabled={busy()} aria-label={`Remove engine ${e.name}`} onClick={() => setRemoving(e)}>
                              Remove
                            </button>
                          </div>
                        </Show>
                      </td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
        </Show>
      </div>
      <ConfirmDialog open={removing() !== null} title="Remove this engine?" confirmLabel="Remove engine" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          Capstan forgets <strong>{removing()?.name}</strong> and deletes its stored credentials. Nothing on the engine itself is changed: its containers, images and volumes stay.
        </p>
        <Show when={(removing()?.services ?? 0) > 0}>
          <p class="field-error">
            {removing()!.services} service{removing()!.services > 1 ? 's run' : ' runs'} on it: move or delete {removing()!.services > 1 ? 'them' : 'it'} first, or the removal is refused.
          </p>
        </Show>
      </ConfirmDialog>
    </>
  );
}
