import { A, useNavigate } from '@solidjs/router';
import { ServiceNameField } from './ServiceNameField.js';
import { createSignal, For, Show } from 'solid-js';
import { LOCAL_ENGINE_ID } from '../engines.js';
import { EngineSelect } from './EngineSelect.js';
import { PROJECT_NAME_RE } from '../../shared/compose/names.js';
import type { TemplateSummary, TemplateVariable } from '../../shared/templates.js';
import { announce } from '../announce.js';
import { api, isLostAnswer, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from './ErrorBanner.js';

/**
 * "variables.DB_PASSWORD: required; name: a service named "x" exists" → the
 * message of each field the server named, so the form can mark them.
 */
export function fieldProblems(details: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (details ?? '').split('; ')) {
    const m = /^(name|variables\.[A-Za-z_][A-Za-z0-9_]*): (.+)$/.exec(part.trim());
    if (m && !out[m[1]!]) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The template's note with ${VAR} as the form says now; a secret is never echoed. */
export function renderNote(note: string, variables: TemplateVariable[], values: Record<string, string>): string {
  const byName = new Map(variables.map((v) => [v.name, v]));
  return note.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
    const v = byName.get(name);
    if (!v) return whole;
    if (v.secret) return values[name] ? '(the password you set)' : '(generated)';
    return values[name] || v.default || whole;
  });
}

const fieldId = (name: string) => `var-${name}`;

/** The variables of one template, its note, and Deploy: then the service page shows the deployment live. */
export function TemplateForm(props: { template: TemplateSummary }) {
  const navigate = useNavigate();
  const t = () => props.template;
  const [name, setName] = createSignal(props.template.id);
  const [engineId, setEngineId] = createSignal(LOCAL_ENGINE_ID);
  // Secrets start empty: the server generates them; a default is never shown for one.
  const [values, setValues] = createSignal<Record<string, string>>(
    Object.fromEntries(props.template.variables.map((v) => [v.name, v.secret ? '' : v.default])),
  );
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const [problems, setProblems] = createSignal<Record<string, string>>({});

  const nameProblem = () => {
    const n = name();
    if (!n) return 'A name is required';
    if (n.length > 63) return 'At most 63 characters';
    if (!PROJECT_NAME_RE.test(n)) return 'Lowercase letters, digits, "-" and "_"; starting with a letter or digit';
    return problems()['name'] ?? '';
  };
  const varProblem = (v: TemplateVariable) => problems()[`variables.${v.name}`] ?? '';
  const setValue = (key: string, value: string) => {
    setValues((vs) => ({ ...vs, [key]: value }));
    setProblems(({ [`variables.${key}`]: _gone, ...rest }) => rest);
  };

  /** The service this form created, when the deploy's answer was lost (see NewService: Chromium drops it when the engine adds a network). */
  const findLostDeploy = async (serviceName: string, sent: number) => {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 750));
      try {
        const found = (await api.services.list.query()).find((x) => x.name === serviceName && Date.parse(x.created_at) >= sent - 60_000);
        if (!found) return undefined;
        const [latest] = await api.deployments.listForService.query({ id: found.id });
        return { id: found.id, deploymentId: latest?.id };
      } catch (err) {
        if (!isLostAnswer(err)) return undefined;
      }
    }
    return undefined;
  };

  const focusFirstProblem = (found: Record<string, string>) => {
    const first = found['name'] ? 'template-service-name' : t().variables.find((v) => found[`variables.${v.name}`]);
    const id = typeof first === 'string' ? first : first ? fieldId(first.name) : undefined;
    if (id) queueMicrotask(() => document.getElementById(id)?.focus());
  };

  const submit = async (e?: SubmitEvent) => {
    e?.preventDefault();
    setProblems({});
    if (nameProblem()) return document.getElementById('template-service-name')?.focus();
    setBusy(true);
    setError(null);
    const serviceName = name();
    const sent = Date.now();
    try {
      const r = await api.appos.deploy.mutate({ name: serviceName, template: t().id, variables: values(), engine_id: engineId() });
      announce(`Created ${r.name}; deploying${r.generated.length ? `. Generated: ${r.generated.join(', ')}` : ''}`);
      navigate(`/services/${r.id}?deployment=${r.deployment_id}`, { state: { warnings: r.warnings } });
    } catch (err) {
      const found = isLostAnswer(err) ? await findLostDeploy(serviceName, sent) : undefined;
      if (found) {
        announce(`Created ${serviceName}; deploying`);
        navigate(`/services/${found.id}${found.deploymentId ? `?deployment=${found.deploymentId}` : ''}`, { state: { warnings: [] } });
        return;
      }
      const ui = toUiError(err);
      const named = fieldProblems(ui.details);
      setProblems(named);
      setError(ui);
      focusFirstProblem(named);
    } finally {
      setBusy(false);
    }
  };

  const help = (v: TemplateVariable) => {
    const parts = [v.description, v.secret ? 'generated when left empty' : ''].filter(Boolean);
    return parts.join(' · ');
  };

  return (
    <form class="stack template-form" onSubmit={submit} novalidate aria-label={`Deploy ${t().title}`}>
      <Show when={t().note}>
        {(note) => (
          <div class="notice template-note" data-testid="template-note">
            {renderNote(note(), t().variables, values())}
          </div>
        )}
      </Show>
      <ServiceNameField
        id="template-service-name"
        label="Service name"
        value={name()}
        problem={nameProblem() || undefined}
        help="Also the compose project name of its containers, network and volumes."
        onInput={(v) => {
          setName(v);
          setProblems(({ name: _gone, ...rest }) => rest);
        }}
      />
      <div class="field">
        <EngineSelect id="template-engine" label="Engine" value={engineId()} onChange={setEngineId} />
      </div>
      <Show when={t().variables.length > 0} fallback={<p class="muted">This template has no variables.</p>}>
        <fieldset class="template-vars">
          <legend>Variables</legend>
          <For each={t().variables}>
            {(v) => (
              <div class="field" data-variable={v.name}>
                <label for={fieldId(v.name)}>
                  {v.label} <span class="muted small mono">{v.name}</span>
                </label>
                <Show
                  when={v.options && v.options.length > 0}
                  fallback={
                    <input
                      id={fieldId(v.name)}
                      name={v.name}
                      type={v.secret ? 'password' : 'text'}
                      autocomplete={v.secret ? 'new-password' : 'off'}
                      value={values()[v.name] ?? ''}
                      // Left empty, a field takes the template's default (the server's rule), so it shows that.
                      placeholder={v.secret ? 'generated when left empty' : v.default || undefined}
                      aria-invalid={!!varProblem(v)}
                      aria-describedby={`${fieldId(v.name)}-help`}
                      onInput={(e) => setValue(v.name, e.currentTarget.value)}
                    />
                  }
                >
                  <select
                    id={fieldId(v.name)}
                    name={v.name}
                    value={values()[v.name] ?? ''}
                    aria-invalid={!!varProblem(v)}
                    aria-describedby={`${fieldId(v.name)}-help`}
                    onChange={(e) => setValue(v.name, e.currentTarget.value)}
                  >
                    <For each={v.options}>{(o) => <option value={o.value}>{o.label}</option>}</For>
                  </select>
                </Show>
                <p id={`${fieldId(v.name)}-help`} class={varProblem(v) ? 'field-error' : 'muted small'}>
                  {varProblem(v) || help(v)}
                </p>
              </div>
            )}
          </For>
        </fieldset>
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void submit()} />}</Show>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? 'Deploying…' : 'Deploy'}
        </button>
        <A href="/templates" class="button">Cancel</A>
      </div>
    </form>
  );
}
