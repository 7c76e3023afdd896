import { A, useNavigate } from '@solidjs/router';
import { ServiceNameField } from '../components/ServiceNameField.js';
import { createSignal, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, isLostAnswer, toUiError, type UiError } from '../api.js';
import { DefinitionEditor, type Validation } from '../components/DefinitionEditor.js';
import { EnvEditor } from '../components/EnvEditor.js';
import { EngineSelect } from '../components/EngineSelect.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { LOCAL_ENGINE_ID } from '../engines.js';
import { PROJECT_NAME_RE } from '../../shared/compose/names.js';
import { usePageTitle } from '../title.js';

const EXAMPLE = `# A service is a compose file: one or more containers.
services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
    environment:
      TZ: UTC
    restart: unless-stopped
`;


/** Create a service from compose YAML, checked as you type. */
export function NewService() {
  usePageTitle(() => 'New service');
  const navigate = useNavigate();
  const [name, setName] = createSignal('');
  const [nameTouched, setNameTouched] = createSignal(false);
  const [yaml, setYaml] = createSignal(EXAMPLE);
  const [env, setEnv] = createSignal('');
  const [engineId, setEngineId] = createSignal(LOCAL_ENGINE_ID);
  const [validation, setValidation] = createSignal<Validation | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);

  const nameProblem = () => {
    const n = name();
    if (!n) return nameTouched() ? 'A name is required' : '';
    if (n.length > 63) return 'At most 63 characters';
    if (!PROJECT_NAME_RE.test(n)) return 'Lowercase letters, digits, "-" and "_"; starting with a letter or digit';
    return validation()?.nameIssues[0] ?? '';
  };

  const onYaml = (text: string) => {
    setYaml(text);
    // A pasted compose file that names itself fills an empty name field.
    const named = /^name:\s*["']?([a-z0-9][a-z0-9_-]*)["']?\s*$/m.exec(text);
    if (named && !nameTouched()) setName(named[1]!);
  };

  /** The service this form created, when the create's answer was lost on the way back. */
  const createdSince = async (serviceName: string, sent: number) => {
    const found = (await api.services.list.query()).find((x) => x.name === serviceName && Date.parse(x.created_at) >= sent - 60_000);
    if (!found) return undefined;
    const [latest] = await api.deployments.listForService.query({ id: found.id });
    return { id: found.id, deploymentId: latest?.id };
  };

  /**
   * The answer to a create can be lost when the browser runs on the Docker host: Chromium cancels
   * requests in flight whenever the engine adds a network (ERR_NETWORK_CHANGED), which the deploy
   * itself does. The check for the service can be cancelled the same way, so it is tried a few times.
   */
  const findLostCreate = async (serviceName: string, sent: number) => {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 750));
      try {
        return await createdSince(serviceName, sent);
      } catch (err) {
        if (!isLostAnswer(err)) return undefined;
      }
    }
    return undefined;
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setNameTouched(true);
    if (nameProblem() || !name()) return;
    setBusy(true);
    setError(null);
    const sent = Date.now();
    try {
      const created = await api.services.create.mutate({ name: name(), yaml: yaml(), engine_id: engineId(), ...(env() ? { env: env() } : {}) });
      announce(`Created ${created.name}; deploying`);
      // The service page shows what the server warned about (an unset variable) above its tabs.
      navigate(`/services/${created.id}?deployment=${created.deployment_id}`, { state: { warnings: created.warnings ?? [] } });
    } catch (err) {
      const found = isLostAnswer(err) ? await findLostCreate(name(), sent) : undefined;
      if (found) {
        announce(`Created ${name()}; deploying`);
        // The server's warnings were in the lost answer: the same pipeline's check in this page says the same.
        navigate(`/services/${found.id}${found.deploymentId ? `?deployment=${found.deploymentId}` : ''}`, { state: { warnings: validation()?.warnings.map((w) => w.message) ?? [] } });
      } else {
        setError(toUiError(err));
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <A href="/">Services</A> <span aria-hidden="true">/</span> <span aria-current="page">New service</span>
      </nav>
      <div class="page-head">
        <h1>New service</h1>
      </div>
      <form class="stack" onSubmit={submit} novalidate>
        <ServiceNameField
          id="service-name"
          label="Name"
          placeholder="e.g. blog"
          value={name()}
          problem={nameProblem() || undefined}
          help="Also the compose project name: containers, network and volumes are labelled with it."
          onInput={(v) => {
            setName(v);
            setNameTouched(true);
          }}
        />
        <div class="field engine-field">
          <EngineSelect id="service-engine" label="Engine" value={engineId()} onChange={setEngineId} describedBy="service-engine-help" />
          <p id="service-engine-help" class="muted small">The Docker engine the containers run on. Moving the service later leaves its volumes' data behind.</p>
        </div>
        <div class="compose-grid">
          <div class="field">
            <label for="definition">Definition (compose YAML)</label>
            <DefinitionEditor id="definition" value={yaml()} name={name()} env={env()} onInput={onYaml} onValidate={setValidation} describedBy="definition-help" />
            <p id="definition-help" class="muted small">
              A compose file as <code>docker compose up -d</code> reads it; images come from a registry (no <code>build:</code>). Kept exactly as written, comments included.
            </p>
          </div>
          <div class="env-column">
            <EnvEditor id="env" label="Variables (.env)" value={env()} onInput={setEnv} describedBy="env-help" compact />
            <p id="env-help" class="muted small">
              <code>{'${VAR}'}</code> in the file takes its value from here. Saved as <code>.env</code> beside <code>compose.yaml</code> in the service's project folder, never in the database.
            </p>
          </div>
        </div>
        <Show when={error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void submit(new SubmitEvent('submit'))} />}</Show>
        <div class="form-actions">
          <button type="submit" class="primary" disabled={busy() || validation()?.ok === false}>
            {busy() ? 'Creating…' : 'Create and deploy'}
          </button>
          <A href="/" class="button">Cancel</A>
        </div>
      </form>
    </>
  );
}
