import { A, useSearchParams } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import { api } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { formatCount, formatDateTime } from '../format.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';

const PAGE = 50;
const FILTERS = ['action', 'actor', 'target', 'outcome', 'since', 'until'] as const;
type FilterKey = (typeof FILTERS)[number];
type Filters = Partial<Record<FilterKey, string>>;
const ACTIONS = ['auth.login', 'auth.logout', 'user.create', 'service.create', 'service.adopt', 'service.update', 'service.delete', 'service.start', 'service.stop', 'service.restart', 'service.redeploy', 'service.env', 'deployment.start', 'deployment.finish', 'image.pull', 'image.remove', 'image.prune', 'volume.remove', 'volume.prune', 'network.remove', 'network.prune', 'registry.set', 'registry.remove', 'schedule.create', 'schedule.update', 'schedule.delete', 'schedule.run_now', 'schedule.run', 'template.import', 'template.delete', 'audit.prune', 'audit.retention'];

/** datetime-local inputs are in the person's zone and carry none: send them as UTC instants. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : '');
const toLocalInput = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** The audit log: filters in the URL, cursor pages, export with the same filters, and the chain check. */
export function Audit() {
  usePageTitle(() => 'Audit log');
  const [params, setParams] = useSearchParams<Filters>();
  const filters = createMemo<Filters>(() => Object.fromEntries(FILTERS.filter((k) => params[k]).map((k) => [k, params[k]!])));
  // Cursors of the pages before this one: Newer pops, Older pushes.
  const [cursors, setCursors] = createSignal<string[]>([]);
  const [cursor, setCursor] = createSignal<string | undefined>();
  const key = createMemo(() => JSON.stringify([filters(), cursor() ?? null]));
  const page = createQuery(key, () => {
    const f = filters();
    return api.audit.list.query({ ...f, outcome: f.outcome as 'success' | 'failure' | undefined, limit: PAGE, ...(cursor() ? { cursor: cursor()! } : {}) });
  });
  // On a phone the filters start folded: the entries are what the page is for.
  const narrow = matchMedia('(max-width: 760px)').matches;
  const verify = createQuery(() => true, () => api.audit.verify.query());

  const exportHref = (format: 'ndjson' | 'csv') => `/api/audit/export?${new URLSearchParams({ format, ...filters() }).toString()}`;

  const apply = (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const next: Record<string, string | undefined> = {};
    for (const k of FILTERS) {
      const v = String(form.get(k) ?? '').trim();
      next[k] = (k === 'since' || k === 'until' ? toIso(v) : v) || undefined;
    }
    setCursors([]);
    setCursor(undefined);
    setParams(next);
  };
  const reset = () => {
    setCursors([]);
    setCursor(undefined);
    setParams(Object.fromEntries(FILTERS.map((k) => [k, undefined])));
  };
  const older = () => {
    const next = page.data()?.next_cursor;
    if (!next) return;
    setCursors((c) => [...c, cursor() ?? '']);
    setCursor(next);
  };
  const newer = () => {
    const stack = cursors();
    setCursors(stack.slice(0, -1));
    setCursor(stack.at(-1) || undefined);
  };
  const targetLink = (target: string | null) => {
    const m = /^service:(.+)$/.exec(target ?? '');
    return m ? `/services/${m[1]}` : undefined;
  };

  return (
    <>
      <div class="page-head">
        <h1>Audit log</h1>
        <div class="btn-group">
          <a class="button" href={exportHref('csv')} download="">Export CSV</a>
          <a class="button" href={exportHref('ndjson')} download="">Export NDJSON</a>
        </div>
      </div>

      <section class="card verify" aria-live="polite" data-testid="audit-verify">
        <Show when={verify.data()} fallback={<Show when={verify.error()} fallback={<p class="muted">Checking the audit chain…</p>}>{(err) => <ErrorBanner error={err()} onRetry={() => void verify.refetch()} />}</Show>}>
          {(v) => (
            <div class="verify-line">
              <Show
                when={v().ok}
                fallback={<StatusBadge status="error" label={`Chain broken at entry #${v().first_broken?.id ?? '?'}`} />}
              >
                <StatusBadge status="running" label="Chain intact" />
              </Show>
              <span class="muted small">
                {formatCount(v().checked)} entries checked
                <Show when={v().checkpoint}>{(c) => <> · {formatCount(c().pruned_count)} older entries pruned by retention</>}</Show>
                <Show when={v().first_broken}>{(b) => <> · {b().reason}</>}</Show>
              </span>
              <button type="button" class="link" onClick={() => void verify.refetch()} disabled={verify.loading()}>
                {verify.loading() ? 'Verifying…' : 'Verify again'}
              </button>
            </div>
          )}
        </Show>
      </section>

      <details class="card filters-box" open={!narrow}>
        <summary>
          Filters
          <Show when={Object.keys(filters()).length > 0}>
            <span class="badge subtle tone-info">{Object.keys(filters()).length} active</span>
          </Show>
        </summary>
        <form class="filters" onSubmit={apply} aria-label="Filter audit entries">
          <div class="field"><label for="f-action">Action</label><input id="f-action" name="action" list="audit-actions" value={params.action ?? ''} placeholder="any" /></div>
          <datalist id="audit-actions"><For each={ACTIONS}>{(a) => <option value={a} />}</For></datalist>
          <div class="field"><label for="f-actor">Actor</label><input id="f-actor" name="actor" value={params.actor ?? ''} placeholder="any" /></div>
          <div class="field"><label for="f-target">Target</label><input id="f-target" name="target" value={params.target ?? ''} placeholder="e.g. service:k3v9q2" /></div>
          <div class="field">
            <label for="f-outcome">Outcome</label>
            <select id="f-outcome" name="outcome" value={params.outcome ?? ''}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="failure">failure</option>
            </select>
          </div>
          <div class="field"><label for="f-since">Since</label><input id="f-since" name="since" type="datetime-local" value={toLocalInput(params.since)} /></div>
          <div class="field"><label for="f-until">Until</label><input id="f-until" name="until" type="datetime-local" value={toLocalInput(params.until)} /></div>
          <div class="form-actions">
            <button type="submit" class="primary">Apply filters</button>
            <button type="button" onClick={reset}>Reset</button>
          </div>
        </form>
      </details>

      <Show when={page.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void page.refetch()} />}</Show>
      <Show when={page.data()} fallback={<Show when={!page.error()}><div class="table-wrap" aria-busy="true"><div class="skeleton-row" /><div class="skeleton-row" /></div></Show>}>
        {(p) => (
          <>
            <div class="table-wrap" aria-busy={page.loading()}>
              <table class="table audit-table">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={p().entries} fallback={<tr><td colspan="6" class="muted">No entries match.</td></tr>}>
                    {(e) => (
                      <tr data-action={e.action}>
                        <td><time datetime={e.at}>{formatDateTime(e.at)}</time><span class="muted small block">#{e.id}</span></td>
                        <td data-label="Actor">{e.actor}</td>
                        <td data-label="Action" class="mono">{e.action}</td>
                        <td data-label="Target" class="mono wrap">
                          <Show when={targetLink(e.target)} fallback={e.target ?? '—'}>{(href) => <A href={href()}>{e.target}</A>}</Show>
                        </td>
                        <td data-label="Outcome"><StatusBadge status={e.outcome === 'success' ? 'running' : 'error'} label={e.outcome} /></td>
                        <td data-label="Details">
                          <Show when={Object.keys(e.details).length > 0} fallback={<span class="muted">—</span>}>
                            <details class="details-json">
                              <summary>details</summary>
                              <pre>{JSON.stringify(e.details, null, 2)}</pre>
                            </details>
                          </Show>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <nav class="pager" aria-label="Audit pages">
              <button type="button" onClick={newer} disabled={cursors().length === 0 && !cursor()}>← Newer</button>
              <span class="muted small">Page {cursors().length + 1}</span>
              <button type="button" onClick={older} disabled={!p().next_cursor}>Older →</button>
            </nav>
          </>
        )}
      </Show>
    </>
  );
}
