import { A } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import type { WebhookCreated, WebhookObject } from '../../shared/webhooks.js';
import { api, toUiError } from '../api.js';
import { createSubmit, inputError } from '../form-submit.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { SecretOnce } from '../components/SecretOnce.js';
import { formatDateTime, formatRelative } from '../format.js';
import { createListActions } from '../list-actions.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';
import '../settings.css';

const ACTIONS = {
  redeploy: 'Redeploy: apply the definition again',
  update: 'Update: pull new images, recreate what changed',
} as const;

/** A service's deploy webhooks: secret URLs a CI job or a registry calls to redeploy or update it. */
export function ServiceWebhooks() {
  const { id } = useService();
  const hooks = createQuery(() => id(), (serviceId) => api.webhooks.list.query({ id: serviceId }));
  const [shown, setShown] = createSignal<{ hook: WebhookCreated; rotated: boolean } | null>(null);
  const [rotating, setRotating] = createSignal<WebhookObject | null>(null);
  const [removing, setRemoving] = createSignal<WebhookObject | null>(null);
  const { busy, error, notice, run } = createListActions(() => hooks.refetch(), toUiError);

  const rotate = () => {
    const h = rotating();
    if (!h) return;
    void run(async () => {
      const fresh = await api.webhooks.rotate.mutate({ id: id(), hook_id: h.id });
      setShown({ hook: fresh, rotated: true });
      return `Rotated webhook ${h.name}: the old URL no longer works.`;
    }, () => setRotating(null));
  };

  const remove = () => {
    const h = removing();
    if (!h) return;
    void run(async () => {
      await api.webhooks.remove.mutate({ id: id(), hook_id: h.id });
      if (shown()?.hook.id === h.id) setShown(null);
      return `Deleted webhook ${h.name}.`;
    }, () => setRemoving(null));
  };

  return (
    <div class="stack">
      <p class="muted">
        A webhook is a secret URL: a <code>POST</code> to it queues a redeploy or an update of this service, with no login. Use it from CI, a registry or a git host.
      </p>
      <WebhookForm serviceId={id()} onCreated={(h) => { setShown({ hook: h, rotated: false }); void hooks.refetch(); }} />
      <Show when={shown()}>
        {(s) => (
          <SecretOnce label={s().rotated ? `New URL for “${s().hook.name}”` : `Webhook “${s().hook.name}”`} value={s().hook.url} testId="new-webhook-url" onDone={() => setShown(null)}>
            <HookUsage hook={s().hook} />
          </SecretOnce>
        )}
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={hooks.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void hooks.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <Show when={hooks.data()} fallback={<Show when={!hooks.error()}><div class="table-wrap" aria-busy="true"><div class="skeleton-row" /></div></Show>}>
        <div class="table-wrap">
          <table class="table" aria-label="Webhooks">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Action</th>
                <th scope="col">Signed</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={hooks.data()} fallback={<tr><td colspan="6" class="muted">No webhooks for this service.</td></tr>}>
                {(h) => (
                  <tr data-webhook={h.name}>
                    <td class="cell-name"><strong>{h.name}</strong></td>
                    <td data-label="Action">{h.action === 'update' ? 'Update' : 'Redeploy'}</td>
                    <td data-label="Signed">{h.signed ? <span class="badge subtle tone-ok">signature required</span> : <span class="muted">no</span>}</td>
                    <td data-label="Created">{formatDateTime(h.created_at)}</td>
                    <td data-label="Last used">
                      <Show when={h.last_used_at} fallback={<span class="muted">never</span>}>
                        <span title={formatDateTime(h.last_used_at)}>{formatRelative(h.last_used_at)}</span>
                        <Show when={h.last_deployment_id}>
                          {(d) => (
                            <A class="block small" href={`/services/${id()}/deployments?deployment=${d()}`}>
                              its deployment
                            </A>
                          )}
                        </Show>
                      </Show>
                    </td>
                    <td class="cell-actions">
                      <div class="btn-group">
                        <button type="button" disabled={busy()} aria-label={`Rotate webhook ${h.name}`} onClick={() => setRotating(h)}>Rotate URL</button>
                        <button type="button" class="danger-outline" disabled={busy()} aria-label={`Delete webhook ${h.name}`} onClick={() => setRemoving(h)}>Delete</button>
                      </div>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <ConfirmDialog open={rotating() !== null} title="Rotate this webhook's URL?" confirmLabel="Rotate URL" danger busy={busy()} onConfirm={rotate} onClose={() => setRotating(null)}>
        <p>
          <strong>{rotating()?.name}</strong> gets a new URL, shown once. The old URL stops working at once: update every place that calls it.
        </p>
      </ConfirmDialog>
      <ConfirmDialog open={removing() !== null} title="Delete this webhook?" confirmLabel="Delete webhook" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          <strong>{removing()?.name}</strong> is deleted and its URL stops working at once.
        </p>
      </ConfirmDialog>
    </div>
  );
}

/** How to call it: curl, and what a signed call carries (as GitHub and Gitea send it). */
function HookUsage(props: { hook: WebhookCreated }) {
  return (
    <div class="hook-usage small">
      <Show
        when={props.hook.signed}
        fallback={
          <>
            <p>Call it with:</p>
            <pre class="code-block">curl -X POST {props.hook.url}</pre>
          </>
        }
      >
        <p>
          This hook requires a signature: the header <code>X-Hub-Signature-256: sha256=&lt;hex&gt;</code>, the HMAC-SHA256 of the exact request body with the signing secret. GitHub and Gitea send it by themselves when
          you paste the URL as the payload URL and the signing secret as the secret. By hand:
        </p>
        <pre class="code-block">{`body='{"ref":"refs/heads/main"}'
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$SIGNING_SECRET" | sed 's/^.* //')
curl -X POST -H "X-Hub-Signature-256: sha256=$sig" -H 'Content-Type: application/json' --data "$body" ${props.hook.url}`}</pre>
      </Show>
      <p>It answers <code>202</code> with the queued deployment's id.</p>
    </div>
  );
}

function WebhookForm(props: { serviceId: string; onCreated: (h: WebhookCreated) => void }) {
  const [action, setAction] = createSignal<'redeploy' | 'update'>('redeploy');
  const [name, setName] = createSignal('');
  const [secret, setSecret] = createSignal('');
  const { busy, error, submit } = createSubmit(async () => {
    const hook = await api.webhooks.create.mutate({ id: props.serviceId, action: action(), ...(name().trim() ? { name: name().trim() } : {}), ...(secret() ? { signing_secret: secret() } : {}) });
    setName('');
    setSecret('');
    props.onCreated(hook);
  }, inputError);

  return (
    <form class="card settings-form" onSubmit={submit} aria-labelledby="hook-form-title">
      <h2 id="hook-form-title" class="card-title">New webhook</h2>
      <div class="field-row">
        <div class="field grow">
          <label for="hook-action">When called</label>
          <select id="hook-action" value={action()} onChange={(e) => setAction(e.currentTarget.value as 'redeploy' | 'update')}>
            <For each={Object.entries(ACTIONS)}>{([value, label]) => <option value={value}>{label}</option>}</For>
          </select>
        </div>
        <div class="field grow">
          <label for="hook-name">Name (optional)</label>
          <input id="hook-name" maxLength={100} value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. github push" autocomplete="off" />
        </div>
        <div class="field grow">
          <label for="hook-secret">Signing secret (optional)</label>
          <input id="hook-secret" type="password" minLength={8} maxLength={256} value={secret()} onInput={(e) => setSecret(e.currentTarget.value)} autocomplete="new-password" aria-describedby="hook-secret-help" />
        </div>
        <div class="field field-submit">
          <button type="submit" class="primary" disabled={busy()}>
            {busy() ? 'Creating…' : 'Create webhook'}
          </button>
        </div>
      </div>
      <p id="hook-secret-help" class="small muted">With a signing secret (at least 8 characters), a call must carry the body's signature in X-Hub-Signature-256, as GitHub and Gitea send it.</p>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
    </form>
  );
}
