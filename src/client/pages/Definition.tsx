import { createEffect, createSignal, For, on, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { DefinitionEditor, type Validation } from '../components/DefinitionEditor.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { EnvEditor } from '../components/EnvEditor.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

/** The project's .env: no file is an empty one (looked up in the listing first: a missing file is no error). */
async function readEnv(id: string): Promise<{ content: string }> {
  const { files } = await api.services.listFiles.query({ id });
  if (!files.some((f) => f.path === '.env')) return { content: '' };
  try {
    return await api.services.readFile.query({ id, path: '.env' });
  } catch (err) {
    if (toUiError(err).code === 'NOT_FOUND') return { content: '' };
    throw err;
  }
}

/** The compose text exactly as saved, and the .env beside it (masked): edit and apply, or download it. */
export function Definition() {
  const { id, service } = useService();
  const exported = createQuery(id, (sid) => api.services.exportYaml.query({ id: sid }));
  const envFile = createQuery(id, readEnv);
  const [text, setText] = createSignal<string | undefined>();
  const [env, setEnv] = createSignal<string | undefined>();
  const [warnings, setWarnings] = createSignal<string[]>([]);
  const [validation, setValidation] = createSignal<Validation | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [applied, setApplied] = createSignal<string | undefined>();

  // The editor starts from the stored YAML, and follows it while nothing was edited here.
  createEffect(on(() => exported.data()?.yaml, (yaml) => {
    if (yaml !== undefined && (text() === undefined || !yamlDirty())) setText(yaml);
  }));
  createEffect(on(() => envFile.data()?.content, (content) => {
    if (content !== undefined && (env() === undefined || !envDirty())) setEnv(content);
  }));
  const yamlDirty = () => text() !== undefined && text() !== exported.data()?.yaml;
  const envDirty = () => env() !== undefined && env() !== envFile.data()?.content;
  const dirty = () => yamlDirty() || envDirty();

  const apply = async (e: SubmitEvent) => {
    e.preventDefault();
    const s = service.data();
    if (!s || text() === undefined) return;
    setBusy(true);
    setError(null);
    try {
      // The .env goes along only when it was edited here: without it the server keeps the folder's own.
      const result = await api.services.update.mutate({ id: s.id, name: s.name, yaml: text()!, ...(envDirty() ? { env: env()! } : {}) });
      setApplied(result.deployment_id);
      setWarnings(result.warnings ?? []);
      announce('Definition saved; applying it');
      await Promise.all([exported.refetch(), envFile.refetch()]);
      setText(exported.data()?.yaml ?? text());
      setEnv(envFile.data()?.content ?? env());
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
      <Show when={envFile.error()}>{(err) => <ErrorBanner error={{ ...err(), message: `The .env file could not be read: ${err().message}` }} onRetry={() => void envFile.refetch()} />}</Show>
      <Show when={warnings().length > 0}>
        <div class="notice" role="status" data-testid="apply-warnings">
          <strong>Saved with {warnings().length} warning{warnings().length > 1 ? 's' : ''}</strong>
          <ul class="server-warnings">
            <For each={warnings()}>{(w) => <li>{w}</li>}</For>
          </ul>
        </div>
      </Show>
      <Show when={applied()}>
        {(d) => (
          <section class="card">
            <h2 class="card-title">Applying the new definition</h2>
            <DeploymentProgress id={d()} compact onFinished={() => void service.refetch()} />
          </section>
        )}
      </Show>
      <form class="stack" onSubmit={apply}>
        <div class="compose-grid">
          <div class="field">
            <div class="field-head">
              <label for="definition-edit">Definition (compose YAML)</label>
              <span class="muted small" aria-live="polite">{dirty() ? 'Unsaved changes' : ''}</span>
            </div>
            <Show when={text() !== undefined} fallback={<div class="editor-placeholder" aria-busy="true" />}>
              <DefinitionEditor id="definition-edit" value={text()!} name={service.data()?.name ?? ''} env={env() ?? ''} onInput={setText} onValidate={setValidation} />
            </Show>
          </div>
          <div class="env-column">
            <Show when={env() !== undefined} fallback={<div class="editor-placeholder" aria-busy="true" />}>
              <EnvEditor id="env-edit" label="Variables (.env)" value={env()!} onInput={setEnv} compact />
            </Show>
            <p class="muted small">
              The <code>.env</code> in the project folder: <code>{'${VAR}'}</code> in the file takes its value from here.
            </p>
          </div>
        </div>
        <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy() || !dirty() || validation()?.ok === false}>
            {busy() ? 'Applying…' : 'Apply changes'}
          </button>
          <button type="button" disabled={!dirty()} onClick={() => { setText(exported.data()?.yaml); setEnv(envFile.data()?.content); }}>
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
