import { A, useParams, useSearchParams } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import type { SkippedTemplate, TemplateSummary } from '../../shared/templates.js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { TemplateForm } from '../components/TemplateForm.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';
import '../templates.css';

/**
 * The page's Content-Security-Policy allows images from Capstan itself and data:
 * URLs only, so a logo elsewhere would only be refused (and logged): it gets the
 * letter instead, as a logo that fails to load does.
 */
const loadable = (url: string) => {
  try {
    const u = new URL(url, location.href);
    return u.origin === location.origin || u.protocol === 'data:';
  } catch {
    return false;
  }
};

/** The template's logo, or its first letter when it has none or it does not load. Decorative: the title is beside it. */
function TemplateLogo(props: { template: TemplateSummary }) {
  const [broken, setBroken] = createSignal(false);
  const src = () => (props.template.logo && loadable(props.template.logo) && !broken() ? props.template.logo : null);
  return (
    <Show when={src()} fallback={<span class="template-logo letter" aria-hidden="true">{props.template.title.slice(0, 1).toUpperCase()}</span>}>
      {(s) => <img class="template-logo" src={s()} alt="" width="40" height="40" loading="lazy" onError={() => setBroken(true)} />}
    </Show>
  );
}

const SourceBadge = (props: { source: TemplateSummary['source'] }) => (
  <span class={`badge subtle ${props.source === 'builtin' ? 'tone-info' : 'tone-muted'}`} data-source={props.source}>
    {props.source === 'builtin' ? 'built-in' : 'imported'}
  </span>
);

/** The app templates: search them, deploy one from a form, import a Portainer templates file, remove imported ones. */
export function Templates() {
  const params = useParams<{ id?: string }>();
  const [search, setSearch] = useSearchParams<{ q?: string; category?: string }>();
  const templates = createQuery(() => true, () => api.appos.templates.query());
  const [importing, setImporting] = createSignal(false);
  const [importError, setImportError] = createSignal<UiError | null>(null);
  const [imported, setImported] = createSignal<{ imported: number; skipped: SkippedTemplate[] } | null>(null);
  const [removing, setRemoving] = createSignal<TemplateSummary | null>(null);
  const [removeError, setRemoveError] = createSignal<UiError | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [notice, setNotice] = createSignal('');

  const all = () => templates.data()?.items ?? [];
  // By id: a refetch (the live feed reconnecting) must not rebuild the form under the person's typing.
  const selected = createMemo(() => (params.id ? all().find((t) => t.id === params.id) : undefined), undefined, { equals: (a, b) => a?.id === b?.id });
  usePageTitle(() => (params.id ? `Deploy ${selected()?.title ?? params.id}` : 'Templates'));

  const categories = createMemo(() => [...new Set(all().flatMap((t) => t.categories))].sort());
  const query = () => (search.q ?? '').trim().toLowerCase();
  const visible = createMemo(() =>
    all().filter(
      (t) =>
        (!search.category || t.categories.includes(search.category)) &&
        (!query() || [t.title, t.description, ...t.categories].some((s) => s.toLowerCase().includes(query()))),
    ),
  );

  const importFile = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    if (!file) return;
    setImportError(null);
    setImported(null);
    let doc: unknown;
    try {
      doc = JSON.parse(await file.text());
    } catch (err) {
      setImportError({ message: `${file.name} is not valid JSON: nothing was imported`, details: String(err), recoverable: false });
      input.value = '';
      return;
    }
    setImporting(true);
    try {
      const r = await api.appos.importTemplates.mutate(doc as Parameters<typeof api.appos.importTemplates.mutate>[0]);
      setImported(r);
      announce(`Imported ${r.imported} template${r.imported === 1 ? '' : 's'}${r.skipped.length ? `, skipped ${r.skipped.length}` : ''}`);
      void templates.refetch();
    } catch (err) {
      setImportError(toUiError(err));
    } finally {
      setImporting(false);
      // The same file can be chosen again (after fixing it).
      input.value = '';
    }
  };

  const remove = async () => {
    const t = removing();
    if (!t) return;
    setBusy(true);
    setRemoveError(null);
    try {
      await api.appos.deleteTemplate.mutate({ id: t.id });
      setNotice(`Removed the template ${t.title}.`);
      announce('Template removed');
      void templates.refetch();
    } catch (err) {
      setRemoveError(toUiError(err));
    } finally {
      setBusy(false);
      setRemoving(null);
    }
  };

  const LoadingOrError = () => (
    <Show when={templates.error()} fallback={<div aria-busy="true"><div class="skeleton-row" /><div class="skeleton-row" /></div>}>
      {(err) => <ErrorBanner error={err()} onRetry={() => void templates.refetch()} />}
    </Show>
  );

  return (
    <Show
      when={!params.id}
      fallback={
        <>
          <nav class="crumbs" aria-label="Breadcrumb">
            <A href="/templates">Templates</A> <span aria-hidden="true">/</span> <span aria-current="page">{selected()?.title ?? params.id}</span>
          </nav>
          <Show when={templates.data()} fallback={<LoadingOrError />}>
            <Show when={selected()} keyed fallback={<p class="empty">There is no template “{params.id}”. <A href="/templates">All templates</A></p>}>
              {(t) => (
                <>
                  <div class="page-head">
                    <div class="title-line">
                      <TemplateLogo template={t} />
                      <h1>Deploy {t.title}</h1>
                      <SourceBadge source={t.source} />
                    </div>
                  </div>
                  <p class="lead muted">{t.description}</p>
                  <TemplateForm template={t} />
                </>
              )}
            </Show>
          </Show>
        </>
      }
    >
      <div class="page-head">
        <h1>Templates</h1>
        <label class="button file-button">
          {importing() ? 'Importing…' : 'Import Portainer templates'}
          <input type="file" accept=".json,application/json" class="sr-only" disabled={importing()} onChange={(e) => void importFile(e.currentTarget)} />
        </label>
      </div>
      <p class="lead muted">Compose files with a few questions: choose one, answer them, and it is deployed as a new service.</p>
      <Show when={importError()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={imported()}>
        {(r) => (
          <section class="card import-result" role="status" data-testid="import-result">
            <p class="strong">Imported {r().imported} template{r().imported === 1 ? '' : 's'}{r().skipped.length ? `; skipped ${r().skipped.length}` : ''}.</p>
            <Show when={r().skipped.length > 0}>
              <ul class="skipped" aria-label="Skipped templates">
                <For each={r().skipped}>{(s) => <li><span class="strong">{s.title}</span>: {s.reason}</li>}</For>
              </ul>
            </Show>
          </section>
        )}
      </Show>
      <Show when={removeError()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <div class="toolbar" role="search">
        <label class="inline grow">
          <span class="sr-only">Search templates</span>
          <input type="search" placeholder="Search by name, description or category" value={search.q ?? ''} onInput={(e) => setSearch({ q: e.currentTarget.value || undefined }, { replace: true })} />
        </label>
        <label class="inline">
          <span class="sr-only">Category</span>
          <select value={search.category ?? ''} onChange={(e) => setSearch({ category: e.currentTarget.value || undefined }, { replace: true })}>
            <option value="">All categories</option>
            <For each={categories()}>{(c) => <option value={c}>{c}</option>}</For>
          </select>
        </label>
        <span class="muted small" data-testid="template-count">{templates.data() ? `${visible().length} of ${all().length}` : ''}</span>
      </div>
      <Show when={templates.data()} fallback={<LoadingOrError />}>
        <Show when={visible().length > 0} fallback={<p class="empty">No templates match.</p>}>
          <ul class="template-grid" aria-label="Templates">
            <For each={visible()}>
              {(t) => (
                <li class="card template-card" data-template={t.id}>
                  <div class="template-head">
                    <TemplateLogo template={t} />
                    <h2>
                      <A href={`/templates/${t.id}`}>{t.title}</A>
                    </h2>
                    <SourceBadge source={t.source} />
                  </div>
                  <p class="template-desc">{t.description}</p>
                  <div class="template-foot">
                    <span class="template-cats">
                      <For each={t.categories}>{(c) => <span class="badge subtle">{c}</span>}</For>
                    </span>
                    <span class="btn-group">
                      <Show when={t.source === 'imported'}>
                        <button type="button" class="danger-outline" disabled={busy()} aria-label={`Remove ${t.title}`} onClick={() => setRemoving(t)}>Remove</button>
                      </Show>
                      <A href={`/templates/${t.id}`} class="button primary" aria-label={`Deploy ${t.title}`}>Deploy…</A>
                    </span>
                  </div>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </Show>
      <ConfirmDialog open={removing() !== null} title="Remove this template?" confirmLabel="Remove template" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          The imported template <span class="strong">{removing()?.title}</span> leaves the catalogue. Services deployed from it are not touched; importing the file again brings it back.
        </p>
      </ConfirmDialog>
    </Show>
  );
}
