import { createEffect, createSignal, on, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { DefinitionEditor, type Validation } from '../components/DefinitionEditor.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

/** The definition as compose YAML: edit and apply, or download it. */
export function Definition() {
  const { id, service } = useService();
  const exported = createQuery(id, (sid) => api.services.exportYaml.query({ id: sid }));
  const [text, setText] = createSignal<string | undefined>();
  const [validation, setValidation] = createSignal<Validation | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [applied, setApplied] = createSignal<string | undefined>();

  // The editor starts from the stored YAML, and follows it while nothing was edited here.
  createEffect(on(() => exported.data()?.yaml, (yaml) => {
    if (yaml !== undefined && (text() === undefined || !dirty())) setText(yaml);
  }));
  const dirty = () => text() !== undefined && text() !== exported.data()?.yaml;

  const apply = async (e: SubmitEvent) => {
    e.preventDefault();
    const s = service.data();
    if (!s || text() === undefined) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api.services.update.mutate({ id: s.id, name: s.name, yaml: text()! });
      setApplied(result.deployment_id);
      announce('Definition saved; applying it');
      await exported.refetch();
      setText(exported.data()?.yaml ?? text());
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
    }
  };

  const download = () => {
    const s = service.data();
    const yaml = exported.data()?.yaml;
    if (!s || yaml === undefined) return;
    const url = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${s.name}.compose.yaml`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <div class="stack">
      <Show when={exported.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void exported.refetch()} />}</Show>
      <Show when={applied()}>
        {(d) => (
          <section class="card">
            <h2 class="card-title">Applying the new definition</h2>
            <DeploymentProgress id={d()} compact onFinished={() => void service.refetch()} />
          </section>
        )}
      </Show>
      <form class="stack" onSubmit={apply}>
        <div class="field">
          <div class="field-head">
            <label for="definition-edit">Definition (compose YAML)</label>
            <span class="muted small" aria-live="polite">{dirty() ? 'Unsaved changes' : ''}</span>
          </div>
          <Show when={text() !== undefined} fallback={<div class="editor-placeholder" aria-busy="true" />}>
            <DefinitionEditor id="definition-edit" value={text()!} name={service.data()?.name ?? ''} onInput={setText} onValidate={setValidation} />
          </Show>
        </div>
        <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy() || !dirty() || validation()?.ok === false}>
            {busy() ? 'Applying…' : 'Apply changes'}
          </button>
          <button type="button" disabled={!dirty()} onClick={() => setText(exported.data()?.yaml)}>
            Discard changes
          </button>
          <button type="button" onClick={download} disabled={exported.data() === undefined}>
            Download YAML
          </button>
        </div>
        <p class="muted small">Applying recreates only the containers whose definition changed, in depends_on order.</p>
      </form>
    </div>
  );
}
