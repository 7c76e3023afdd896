import { createSignal, For, Show } from 'solid-js';
import type { TokenCreated, TokenObject } from '../../shared/tokens.js';
import { api, toUiError } from '../api.js';
import { createSubmit } from '../form-submit.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { SecretOnce } from '../components/SecretOnce.js';
import { formatDateTime, formatRelative } from '../format.js';
import { createListActions } from '../list-actions.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';
import '../settings.css';

/** The date input's day, as the end of that day in the person's own zone: "expires on the 5th" includes the 5th. */
const endOfDay = (day: string) => new Date(`${day}T23:59:59`).toISOString();
const today = () => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/** API tokens: for scripts and CI, sent as `Authorization: Bearer <token>`; created here, shown once, revoked at once. */
export function SettingsTokens() {
  usePageTitle(() => 'API tokens · Settings');
  const tokens = createQuery(() => true, () => api.tokens.list.query());
  const [created, setCreated] = createSignal<TokenCreated | null>(null);
  const [revoking, setRevoking] = createSignal<TokenObject | null>(null);
  const { busy, error, notice, run } = createListActions(() => tokens.refetch(), toUiError);

  const revoke = () => {
    const t = revoking();
    if (!t) return;
    void run(async () => {
      await api.tokens.revoke.mutate({ id: t.id });
      if (created()?.id === t.id) setCreated(null);
      return `Revoked token ${t.name}: it no longer works.`;
    }, () => setRevoking(null));
  };

  return (
    <div class="stack">
      <p class="muted lead">
        A token lets a script or a CI job use the API as you do: send it as <code>Authorization: Bearer &lt;token&gt;</code>. It works until it expires or is revoked.
      </p>
      <TokenForm onCreated={(t) => { setCreated(t); void tokens.refetch(); }} />
      <Show when={created()}>
        {(t) => (
          <SecretOnce label={`New token “${t().name}”`} value={t().token} testId="new-token" onDone={() => setCreated(null)}>
            <p class="small">
              Try it: <code class="wrap">curl -H "Authorization: Bearer {t().token}" {window.location.origin}/api/services</code>
            </p>
          </SecretOnce>
        )}
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={tokens.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void tokens.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <Show when={tokens.data()} fallback={<Show when={!tokens.error()}><div class="table-wrap" aria-busy="true"><div class="skeleton-row" /></div></Show>}>
        <div class="table-wrap">
          <table class="table" aria-label="API tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Ends in</th>
                <th scope="col">User</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={tokens.data()} fallback={<tr><td colspan="7" class="muted">No tokens yet.</td></tr>}>
                {(t) => (
                  <tr data-token={t.name}>
                    <td class="cell-name"><strong>{t.name}</strong></td>
                    <td data-label="Ends in" class="mono" title="The last characters of the secret, to tell tokens apart">{t.hint}</td>
                    <td data-label="User">{t.user?.username ?? <span class="muted">removed user</span>}</td>
                    <td data-label="Created">{formatDateTime(t.created_at)}</td>
                    <td data-label="Expires">
                      <Show when={t.expires_at} fallback={<span class="muted">never</span>}>
                        <Show when={t.expired} fallback={<span title={formatRelative(t.expires_at)}>{formatDateTime(t.expires_at)}</span>}>
                          <span class="badge tone-bad">expired</span> <span class="muted small">{formatDateTime(t.expires_at)}</span>
                        </Show>
                      </Show>
                    </td>
                    <td data-label="Last used">
                      <Show when={t.last_used_at} fallback={<span class="muted">never</span>}>
                        <span title={formatDateTime(t.last_used_at)}>{formatRelative(t.last_used_at)}</span>
                      </Show>
                    </td>
                    <td class="cell-actions">
                      <button type="button" class="danger-outline" disabled={busy()} aria-label={`Revoke token ${t.name}`} onClick={() => setRevoking(t)}>
                        Revoke
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <ConfirmDialog open={revoking() !== null} title="Revoke this token?" confirmLabel="Revoke token" danger busy={busy()} onConfirm={revoke} onClose={() => setRevoking(null)}>
        <p>
          <strong>{revoking()?.name}</strong> stops working at once: every script or job that uses it will be refused (401).
        </p>
      </ConfirmDialog>
    </div>
  );
}

function TokenForm(props: { onCreated: (t: TokenCreated) => void }) {
  const [name, setName] = createSignal('');
  const [expires, setExpires] = createSignal('');
  const { busy, error, submit } = createSubmit(async () => {
    const t = await api.tokens.create.mutate({ name: name().trim(), ...(expires() ? { expires_at: endOfDay(expires()) } : {}) });
    setName('');
    setExpires('');
    props.onCreated(t);
  });

  return (
    <form class="card settings-form" onSubmit={submit} aria-labelledby="token-form-title">
      <h2 id="token-form-title" class="card-title">New token</h2>
      <div class="field-row">
        <div class="field grow">
          <label for="token-name">Name</label>
          <input id="token-name" required maxLength={100} value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. ci deploy" autocomplete="off" />
        </div>
        <div class="field">
          <label for="token-expires">Expires on (optional)</label>
          <input id="token-expires" type="date" min={today()} value={expires()} onInput={(e) => setExpires(e.currentTarget.value)} aria-describedby="token-expires-help" />
        </div>
        <div class="field field-submit">
          <button type="submit" class="primary" disabled={busy() || !name().trim()}>
            {busy() ? 'Creating…' : 'Create token'}
          </button>
        </div>
      </div>
      <p id="token-expires-help" class="small muted">Without a date the token works until it is revoked. With one, it stops at the end of that day.</p>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
    </form>
  );
}
