import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

interface Row {
  key: string;
  value: string;
  /** Values are secrets more often than not: hidden until asked for. */
  revealed: boolean;
}

type Env = Record<string, Record<string, string>>;

const KEY_RE = /^[^=\s]+$/;

function toRows(env: Env): Record<string, Row[]> {
  return Object.fromEntries(Object.entries(env).map(([c, vars]) => [c, Object.entries(vars).map(([key, value]) => ({ key, value, revealed: false }))]));
}

function fromRows(rows: Row[]): Record<string, string> {
  return Object.fromEntries(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));
}

const same = (a: Record<string, string>, b: Record<string, string> = {}) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/** The environment of each container, values masked until revealed; saving recreates what changed. */
export function Environment() {
  const { id, service } = useService();
  const env = createQuery(id, (sid) => api.services.getEnv.query({ id: sid }));
  const [rows, setRows] = createStore<Record<string, Row[]>>({});
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [deployment, setDeployment] = createSignal<string | undefined>();

  const saved = () => env.data()?.environment ?? {};
  const changed = createMemo(() => Object.keys(rows).filter((c) => !same(fromRows(rows[c]!), saved()[c])));
  const problems = createMemo(() => {
    const out: string[] = [];
    for (const [c, list] of Object.entries(rows)) {
      const seen = new Set<string>();
      for (const r of list) {
        const k = r.key.trim();
        if (!k) continue;
        if (!KEY_RE.test(k)) out.push(`${c}: "${k}" is not a valid variable name (no spaces or "=")`);
        if (seen.has(k)) out.push(`${c}: ${k} is set twice`);
        seen.add(k);
      }
    }
    return out;
  });

  // Reload from the server when nothing is being edited (a reconnect, or after saving).
  createEffect(on(() => env.data(), (data) => {
    if (data && changed().length === 0) setRows(reconcile(toRows(data.environment)));
  }));

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    if (problems().length || changed().length === 0) return;
    setBusy(true);
    setError(null);
    try {
      const environment = Object.fromEntries(changed().map((c) => [c, fromRows(rows[c]!)]));
      const result = await api.services.setEnv.mutate({ id: id(), environment });
      setDeployment(result.deployment_id);
      announce('Environment saved; recreating the changed containers');
      const fresh = await api.services.getEnv.query({ id: id() });
      env.mutate(fresh);
      setRows(reconcile(toRows(fresh.environment)));
      void service.refetch();
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={save}>
      <Show when={env.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void env.refetch()} />}</Show>
      <Show when={deployment()}>
        {(d) => (
          <section class="card">
            <h2 class="card-title">Applying the new environment</h2>
            <DeploymentProgress id={d()} compact onFinished={() => void service.refetch()} />
          </section>
        )}
      </Show>
      <For each={Object.keys(rows)} fallback={<Show when={env.data()}><p class="empty">This service has no containers.</p></Show>}>
        {(container) => (
          <fieldset class="card env-card" data-container={container}>
            <legend class="card-title">
              {container}
              <Show when={changed().includes(container)}>
                <span class="badge subtle tone-warn">edited</span>
              </Show>
            </legend>
            <div class="env-tools">
              <button type="button" class="link" onClick={() => setRows(container, () => true, 'revealed', !rows[container]!.every((r) => r.revealed))}>
                {rows[container]!.length > 0 && rows[container]!.every((r) => r.revealed) ? 'Hide all values' : 'Reveal all values'}
              </button>
            </div>
            <div class="env-rows">
              <For each={rows[container]} fallback={<p class="muted small">No variables.</p>}>
                {(row, i) => (
                  <div class="env-row">
                    <input aria-label={`Name of variable ${i() + 1} of ${container}`} class="mono" value={row.key} placeholder="NAME" onInput={(e) => setRows(container, i(), 'key', e.currentTarget.value)} />
                    <Show
                      when={row.revealed}
                      fallback={
                        <span class="masked" aria-label={`Value of ${row.key || 'variable'} (hidden)`}>
                          ••••••••
                        </span>
                      }
                    >
                      <input aria-label={`Value of ${row.key || 'variable'}`} class="mono" value={row.value} onInput={(e) => setRows(container, i(), 'value', e.currentTarget.value)} />
                    </Show>
                    <button type="button" aria-pressed={row.revealed} aria-label={`${row.revealed ? 'Hide' : 'Reveal'} value of ${row.key || 'variable'}`} onClick={() => setRows(container, i(), 'revealed', !row.revealed)}>
                      {row.revealed ? 'Hide' : 'Reveal'}
                    </button>
                    <button type="button" class="icon-button" aria-label={`Remove ${row.key || 'variable'}`} onClick={() => setRows(container, (list) => list.filter((_, j) => j !== i()))}>
                      ×
                    </button>
                  </div>
                )}
              </For>
            </div>
            <button type="button" onClick={() => setRows(container, (list) => [...list, { key: '', value: '', revealed: true }])}>
              Add variable
            </button>
          </fieldset>
        )}
      </For>
      <Show when={problems().length > 0}>
        <ul class="field-error" role="alert">
          <For each={problems()}>{(p) => <li>{p}</li>}</For>
        </ul>
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy() || changed().length === 0 || problems().length > 0}>
          {busy() ? 'Saving…' : 'Save and recreate'}
        </button>
        <button type="button" disabled={changed().length === 0} onClick={() => setRows(reconcile(toRows(saved())))}>
          Discard changes
        </button>
        <span class="muted small">Only the containers whose environment changed are recreated.</span>
      </div>
    </form>
  );
}
