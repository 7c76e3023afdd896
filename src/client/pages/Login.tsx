import { useNavigate, useSearchParams } from '@solidjs/router';
import { createSignal, Show } from 'solid-js';
import { api } from '../api.js';
import { createSubmit } from '../form-submit.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { Logo } from '../components/Logo.js';
import { safeNext, setUser } from '../session.js';
import { usePageTitle } from '../title.js';

export function Login() {
  usePageTitle(() => 'Sign in');
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = createSignal('');
  const [password, setPassword] = createSignal('');
  const { busy, error, submit } = createSubmit(async () => {
    const result = await api.auth.login.mutate({ username: username(), password: password() });
    setUser(result.user);
    const next = typeof params.next === 'string' ? params.next : undefined;
    navigate(safeNext(next), { replace: true });
  });

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div class="login-head">
          <h1 id="login-title">
            <Logo size={28} />
            Capstan
          </h1>
          <p class="muted">Sign in to manage your Docker services.</p>
        </div>
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
        <details class="first-run">
          <summary>First start: where is the password?</summary>
          <p class="small">
            On its first start Capstan creates the user <code>admin</code> with a generated password and prints it once in the server's
            output (unless <code>CAPSTAN_ADMIN_USERNAME</code> and <code>CAPSTAN_ADMIN_PASSWORD</code> were set). Lost it? On the server, run{' '}
            <code>npm run capstan -- user passwd admin</code>.
          </p>
        </details>
      </form>
    </main>
  );
}
