import { createMemo, createSignal, For, Show } from 'solid-js';
import type { NetworkObject } from '../../shared/volumes-networks.js';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { createListActions } from '../list-actions.js';
import { engineName } from '../engines.js';
import { createEngineList, Owner, plainError, SectionTable, UsedBy } from './Volumes.js';

/** The networks table of the volumes and networks page; the engine's own networks are shown, never removable. */
export function NetworksSection(props: { engineId: string }) {
  const networks = createEngineList(() => props.engineId, (engine_id) => api.networks.list.query({ engine_id }));
  const [filter, setFilter] = createSignal('');
  const [removing, setRemoving] = createSignal<NetworkObject | null>(null);
  const [pruning, setPruning] = createSignal(false);

  const visible = createMemo(() => {
    const q = filter().trim().toLowerCase();
    const list = networks.data() ?? [];
    return q ? list.filter((n) => n.name.toLowerCase().includes(q) || (n.project ?? '').toLowerCase().includes(q)) : list;
  });

  const { busy, error, notice, run } = createListActions(() => networks.refetch(), plainError);

  const remove = () => {
    const n = removing();
    if (!n) return;
    void run(async () => {
      await api.networks.remove.mutate({ name: n.name, engine_id: props.engineId });
      return `Removed network ${n.name}.`;
    }, () => setRemoving(null));
  };

  const prune = () =>
    void run(async () => {
      const r = await api.networks.prune.mutate({ engine_id: props.engineId });
      return `Pruned ${r.deleted.length} network(s).`;
    }, () => setPruning(false));

  return (
    <section aria-labelledby="networks-title" class="section">
      <div class="section-head">
        <h2 id="networks-title">Networks</h2>
        <button type="button" onClick={() => setPruning(true)} disabled={busy()}>Prune unused networks…</button>
      </div>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={networks.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void networks.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <SectionTable
        label="networks"
        count={networks.data()?.length}
        filter={filter()}
        onFilter={setFilter}
        loading={!networks.data()}
        head={
          <tr>
            <th scope="col">Network</th>
            <th scope="col">Driver</th>
            <th scope="col">Owner</th>
            <th scope="col">Used by</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        }
      >
        <For each={visible()} fallback={<tr><td colspan="5" class="muted">No networks.</td></tr>}>
          {(n) => (
            <tr data-network={n.name}>
              <td class="cell-name">
                <span class="mono wrap">{n.name}</span>
                {n.internal ? <span class="muted small"> (internal)</span> : ''}
              </td>
              <td data-label="Driver">{n.driver}</td>
              <td data-label="Owner">
                <Show when={n.predefined} fallback={<Owner item={n} />}>
                  <span class="muted">The engine's own</span>
                </Show>
              </td>
              <td data-label="Used by"><UsedBy item={n} /></td>
              <td class="cell-actions">
                <Show when={!n.predefined}>
                  <button type="button" disabled={busy()} aria-label={`Remove network ${n.name}`} onClick={() => setRemoving(n)}>Remove</button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </SectionTable>
      <ConfirmDialog open={removing() !== null} title="Remove this network?" confirmLabel="Remove network" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          <span class="mono">{removing()?.name}</span> will be removed from the engine <strong>{engineName(props.engineId)}</strong>. A service that needs it creates it again when it is deployed.
        </p>
        <Show when={removing()?.in_use}>
          <p>Containers are attached to it right now, so it will be refused until they are removed.</p>
        </Show>
      </ConfirmDialog>
      <ConfirmDialog open={pruning()} title="Prune unused networks?" confirmLabel="Prune" danger busy={busy()} onConfirm={prune} onClose={() => setPruning(false)}>
        <p>Removes the networks on <strong>{engineName(props.engineId)}</strong> that no container is attached to, running or stopped. The engine's own networks (bridge, host, none) are kept.</p>
      </ConfirmDialog>
    </section>
  );
}
