import { useNavigate, useSearchParams } from '@solidjs/router';
import { createSignal, Show } from 'solid-js';
import { api, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { safeNext, setUser } from '../session.js';

export function Login() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.auth.login.mutate({ username: username(), password: password() });
      setUser(result.user);
      const next = typeof params.next === 'string' ? params.next : undefined;
      navigate(safeNext(next), { replace: true });
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Capstan</h1>
        <p class="muted">Sign in to manage your Docker services.</p>
        <Show when={params.expired}>
          <p class="notice">Your session has ended. Sign in again to continue.</p>
        </Show>
        <label>
          Username
          <input name="username" autocomplete="username" required value={username()} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password()} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
        <button type="submit" class="primary" disabled={busy()}>
          {busy() ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="muted small">
          First start? The admin password was printed once in the server's output (or set with CAPSTAN_ADMIN_PASSWORD).
        </p>
      </form>
    </main>
  );
}
