import { A } from '@solidjs/router';
import { createMemo, createSignal, For, Show, type JSX } from 'solid-js';
import type { NetworkObject, VolumeObject } from '../../shared/volumes-networks.js';
import { api, toUiError, type UiError } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EngineField } from '../components/EngineSelect.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { useEngineParam } from '../engine-param.js';
import { engineName } from '../engines.js';
import { formatBytes } from '../format.js';
import { createListActions } from '../list-actions.js';
import { containerStates } from '../live.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';
import { NetworksSection } from './Networks.js';

type Item = VolumeObject | NetworkObject;

/** Volumes and networks on the engine, side by side: what uses each, whose it is, remove and prune. */
export function Volumes() {
  usePageTitle(() => 'Volumes and networks');
  const [engineId, setEngineId] = useEngineParam();
  return (
    <>
      <div class="page-head">
        <h1>Volumes and networks</h1>
        <EngineField id="volumes-engine" value={engineId()} onChange={setEngineId} />
      </div>
      <VolumesSection engineId={engineId()} />
      <NetworksSection engineId={engineId()} />
    </>
  );
}

/**
 * A refusal in plain words: the server's short message and what it says about
 * who uses the object ("Volume in use: volume x is used by service y …"), not
 * behind a details toggle, since that is the answer the user needs.
 */
export function plainError(err: unknown): UiError {
  const e = toUiError(err);
  if (!e.details || !(e.code === 'CONFLICT' || e.code === 'FORBIDDEN' || e.code === 'NOT_FOUND')) return e;
  return { message: `${e.message}: ${e.details}`, code: e.code, recoverable: false };
}

/** The services and other containers using a volume or network. */
export function UsedBy(props: { item: Item }) {
  const services = createMemo(() => {
    const seen = new Map<string, { id: string; name: string; containers: string[] }>();
    for (const c of props.item.containers) {
      if (!c.service_id) continue;
      const s = seen.get(c.service_id) ?? { id: c.service_id, name: c.service_name ?? c.service_id, containers: [] };
      s.containers.push(c.name);
      seen.set(c.service_id, s);
    }
    return [...seen.values()];
  });
  const foreign = () => props.item.containers.filter((c) => !c.service_id);
  return (
    <Show when={props.item.in_use} fallback={<span class="muted">Unused</span>}>
      <For each={services()}>
        {(s) => (
          <span class="block" data-service={s.id}>
            <A href={`/services/${s.id}`}>{s.name}</A> <span class="muted small mono">{s.containers.join(', ')}</span>
          </span>
        )}
      </For>
      <For each={foreign()}>
        {(c) => (
          <span class="block">
            <span class="mono">{c.name}</span> <span class="muted small">(no service here, {c.state})</span>
          </span>
        )}
      </For>
    </Show>
  );
}

/** Whose it is: a Capstan service (by its labels), another compose project, or nobody known. */
export function Owner(props: { item: Item }) {
  return (
    <Show
      when={props.item.managed}
      fallback={<span class="muted">{props.item.project ? `Foreign (compose project ${props.item.project})` : 'Foreign'}</span>}
    >
      <span class="badge subtle tone-info">Capstan</span> <span class="muted small mono">{props.item.project ?? ''}</span>
    </Show>
  );
}

/** The filter box, count and the table around a section's rows. */
export function SectionTable(props: { label: string; count: number | undefined; filter: string; onFilter: (v: string) => void; head: JSX.Element; children: JSX.Element; loading: boolean }) {
  return (
    <>
      <div class="toolbar">
        <label class="inline grow">
          <span class="sr-only">Filter {props.label}</span>
          <input type="search" placeholder={`Filter ${props.label} by name`} value={props.filter} onInput={(e) => props.onFilter(e.currentTarget.value)} />
        </label>
        <span class="muted small">{props.count === undefined ? '' : `${props.count} ${props.label}`}</span>
      </div>
      <Show when={!props.loading} fallback={<div class="table-wrap" aria-busy="true"><div class="skeleton-row" /><div class="skeleton-row" /></div>}>
        <div class="table-wrap">
          <table class="table" aria-label={props.label}>
            <thead>{props.head}</thead>
            <tbody>{props.children}</tbody>
          </table>
        </div>
      </Show>
    </>
  );
}

/**
 * A list read from one engine, again when a container is created, removed, started or stopped (who uses what
 * stays true without a reload); another engine's list is never shown as this one's, even while it loads.
 */
export function createEngineList<T>(engineId: () => string, fetch: (engine_id: string) => Promise<T[]>) {
  const fetched = createQuery(
    () => `${engineId()}|${containerStates()}`,
    async () => {
      const engine_id = engineId();
      return { engine_id, list: await fetch(engine_id) };
    },
  );
  return { ...fetched, data: () => (fetched.data()?.engine_id === engineId() ? fetched.data()!.list : undefined) };
}

function VolumesSection(props: { engineId: string }) {
  const volumes = createEngineList(() => props.engineId, (engine_id) => api.volumes.list.query({ engine_id }));
  const [filter, setFilter] = createSignal('');
  const [removing, setRemoving] = createSignal<VolumeObject | null>(null);
  const [pruning, setPruning] = createSignal(false);
  const [pruneNamed, setPruneNamed] = createSignal(false);

  const visible = createMemo(() => {
    const q = filter().trim().toLowerCase();
    const list = volumes.data() ?? [];
    return q ? list.filter((v) => v.name.toLowerCase().includes(q) || (v.project ?? '').toLowerCase().includes(q)) : list;
  });
  const total = createMemo(() => (volumes.data() ?? []).reduce((n, v) => n + (v.size_bytes ?? 0), 0));

  const { busy, error, notice, run } = createListActions(() => volumes.refetch(), plainError);

  const remove = () => {
    const v = removing();
    if (!v) return;
    void run(async () => {
      await api.volumes.remove.mutate({ name: v.name, engine_id: props.engineId });
      return `Removed volume ${v.name}.`;
    }, () => setRemoving(null));
  };

  const prune = () =>
    void run(async () => {
      const r = await api.volumes.prune.mutate({ all: pruneNamed(), engine_id: props.engineId });
      return `Pruned ${r.deleted.length} volume(s), reclaimed ${formatBytes(r.space_reclaimed)}.`;
    }, () => setPruning(false));

  return (
    <section aria-labelledby="volumes-title" class="section">
      <div class="section-head">
        <h2 id="volumes-title">Volumes</h2>
        <button type="button" onClick={() => setPruning(true)} disabled={busy()}>Prune unused volumes…</button>
      </div>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={volumes.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void volumes.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <SectionTable
        label="volumes"
        count={volumes.data()?.length}
        filter={filter()}
        onFilter={setFilter}
        loading={!volumes.data()}
        head={
          <tr>
            <th scope="col">Volume</th>
            <th scope="col">Driver</th>
            <th scope="col">Size</th>
            <th scope="col">Owner</th>
            <th scope="col">Used by</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        }
      >
        <For each={visible()} fallback={<tr><td colspan="6" class="muted">No volumes.</td></tr>}>
          {(v) => (
            <tr data-volume={v.name}>
              <td class="cell-name"><span class="mono wrap">{v.name}</span>{v.anonymous ? <span class="muted small"> (anonymous)</span> : ''}</td>
              <td data-label="Driver">{v.driver}</td>
              <td data-label="Size" class="num">{v.size_bytes === null ? <span class="muted">unknown</span> : formatBytes(v.size_bytes)}</td>
              <td data-label="Owner"><Owner item={v} /></td>
              <td data-label="Used by"><UsedBy item={v} /></td>
              <td class="cell-actions">
                <button type="button" disabled={busy()} aria-label={`Remove volume ${v.name}`} onClick={() => setRemoving(v)}>Remove</button>
              </td>
            </tr>
          )}
        </For>
      </SectionTable>
      <p class="muted small">{volumes.data() ? `${formatBytes(total())} in volumes` : ''}</p>
      <ConfirmDialog open={removing() !== null} title="Remove this volume?" confirmLabel="Remove volume" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          <span class="mono">{removing()?.name}</span> and all the data in it will be deleted from the engine <strong>{engineName(props.engineId)}</strong>. This cannot be undone.
        </p>
        <Show when={removing()?.in_use}>
          <p>It is in use right now, so it will be refused until the containers using it are removed.</p>
        </Show>
      </ConfirmDialog>
      <ConfirmDialog open={pruning()} title="Prune unused volumes?" confirmLabel="Prune" danger busy={busy()} onConfirm={prune} onClose={() => setPruning(false)}>
        <p>Removes the volumes on <strong>{engineName(props.engineId)}</strong> that no container uses, running or stopped. By default only anonymous volumes (created without a name) go.</p>
        <label class="inline">
          <input type="checkbox" checked={pruneNamed()} onChange={(e) => setPruneNamed(e.currentTarget.checked)} /> Also remove unused named volumes (their data is lost)
        </label>
      </ConfirmDialog>
    </section>
  );
}
