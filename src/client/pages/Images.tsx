import { A } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import type { ImageObject } from '../../shared/images.js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EngineField } from '../components/EngineSelect.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { useEngineParam } from '../engine-param.js';
import { engineName } from '../engines.js';
import { PullPanel } from '../components/PullPanel.js';
import { UpdateCheck } from '../components/UpdateCheck.js';
import { formatBytes, formatDateTime, shortId } from '../format.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';

/** Images on the engine with what uses them; pull, remove, prune. */
export function Images() {
  usePageTitle(() => 'Images');
  const [engineId, setEngineId] = useEngineParam();
  const fetched = createQuery(engineId, async (engine_id) => ({ engine_id, list: await api.images.list.query({ engine_id }) }));
  // Another engine's list is never shown as this one's, even while the new one loads.
  const images = { ...fetched, data: () => (fetched.data()?.engine_id === engineId() ? fetched.data()!.list : undefined) };
  const [filter, setFilter] = createSignal('');
  const [removing, setRemoving] = createSignal<ImageObject | null>(null);
  const [pruning, setPruning] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [notice, setNotice] = createSignal('');

  const visible = createMemo(() => {
    const q = filter().trim().toLowerCase();
    const list = [...(images.data() ?? [])].sort((a, b) => b.created.localeCompare(a.created));
    return q ? list.filter((i) => i.repo_tags.some((t) => t.toLowerCase().includes(q)) || i.id.includes(q)) : list;
  });
  const totalSize = createMemo(() => (images.data() ?? []).reduce((n, i) => n + i.size, 0));

  const remove = async () => {
    const img = removing();
    if (!img) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api.images.remove.mutate({ id: img.id, engine_id: engineId() });
      setNotice(`Removed ${img.repo_tags[0] ?? shortId(img.id)}: ${r.untagged.length} tag(s) untagged, ${r.deleted.length} layer(s) deleted.`);
      announce('Image removed');
      void images.refetch();
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
      setRemoving(null);
    }
  };

  const prune = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.images.prune.mutate({ engine_id: engineId() });
      setNotice(`Pruned ${r.deleted.length} image layer(s), reclaimed ${formatBytes(r.space_reclaimed)}.`);
      announce('Unused images pruned');
      void images.refetch();
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
      setPruning(false);
    }
  };

  return (
    <>
      <div class="page-head">
        <h1>Images</h1>
        <div class="head-actions">
          <EngineField id="images-engine" value={engineId()} onChange={(id) => { setNotice(''); setError(null); setEngineId(id); }} />
          <button type="button" onClick={() => setPruning(true)} disabled={busy()}>Prune dangling images…</button>
        </div>
      </div>
      <UpdateCheck />
      <PullPanel engineId={engineId()} onPulled={() => void images.refetch()} />
      <Show when={error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void images.refetch()} />}</Show>
      <Show when={images.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void images.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <div class="toolbar">
        <label class="inline grow">
          <span class="sr-only">Filter images</span>
          <input type="search" placeholder="Filter by name or id" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
        <span class="muted small">
          {images.data() ? `${images.data()!.length} images · ${formatBytes(totalSize())}` : ''}
        </span>
      </div>
      <Show when={images.data()} fallback={<Show when={!images.error()}><div class="table-wrap" aria-busy="true"><div class="skeleton-row" /><div class="skeleton-row" /></div></Show>}>
        <div class="table-wrap">
          <table class="table images-table">
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
                <th scope="col">Used by</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={visible()} fallback={<tr><td colspan="5" class="muted">No images.</td></tr>}>
                {(img) => (
                  <tr data-image={img.repo_tags[0] ?? img.id}>
                    <td class="cell-name">
                      <For each={img.repo_tags} fallback={<span class="muted">&lt;none&gt; (dangling)</span>}>{(t) => <span class="mono block wrap">{t}</span>}</For>
                      <span class="muted small mono">{shortId(img.id)}</span>
                    </td>
                    <td data-label="Size" class="num">{formatBytes(img.size)}</td>
                    <td data-label="Created">{formatDateTime(img.created)}</td>
                    <td data-label="Used by">
                      <For each={img.used_by} fallback={<span class="muted">Unused</span>}>
                        {(u) => (
                          <span class="block">
                            <Show when={u.service_id} fallback={<span class="mono">{u.container_name}</span>}>
                              <A href={`/services/${u.service_id}`}>{u.service_name}</A> <span class="muted small mono">{u.container_name}</span>
                            </Show>{' '}
                            <span class="muted small">({u.state})</span>
                          </span>
                        )}
                      </For>
                    </td>
                    <td class="cell-actions">
                      <button
                        type="button"
                        disabled={img.used_by.length > 0 || busy()}
                        title={img.used_by.length > 0 ? 'In use: remove the containers first' : undefined}
                        aria-label={`Remove ${img.repo_tags[0] ?? shortId(img.id)}`}
                        onClick={() => setRemoving(img)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <ConfirmDialog open={removing() !== null} title="Remove this image?" confirmLabel="Remove image" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          <span class="mono">{removing()?.repo_tags.join(', ') || shortId(removing()?.id ?? '')}</span> will be removed from the engine <strong>{engineName(engineId())}</strong>. Pulling it again downloads it again.
        </p>
      </ConfirmDialog>
      <ConfirmDialog open={pruning()} title="Prune dangling images?" confirmLabel="Prune" danger busy={busy()} onConfirm={prune} onClose={() => setPruning(false)}>
        <p>Removes the images on <strong>{engineName(engineId())}</strong> that have no tag and no container (usually left behind by updates). Tagged images are kept.</p>
      </ConfirmDialog>
    </>
  );
}
