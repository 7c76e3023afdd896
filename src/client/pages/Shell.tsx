import { A, useLocation, useNavigate } from '@solidjs/router';
import { createResource, For, Match, onMount, Show, Switch } from 'solid-js';
import { api, isUnauthorized, toUiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { setUser, user } from '../session.js';

/** The logged-in frame: header, navigation, and the overview of every service. */
export function Shell() {
  const navigate = useNavigate();
  const location = useLocation();
  const toLogin = (expired: boolean) =>
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}${expired ? '&expired=1' : ''}`, {
      replace: true,
    });

  onMount(async () => {
    try {
      setUser((await api.auth.me.query()).user);
    } catch (err) {
      if (isUnauthorized(err)) toLogin(user() !== null);
    }
  });

  const [health, { refetch }] = createResource(
    () => user()?.id,
    async () => {
      try {
        return await api.health.status.query();
      } catch (err) {
        if (isUnauthorized(err)) toLogin(true);
        throw err;
      }
    },
  );

  const logout = async () => {
    try {
      await api.auth.logout.mutate();
    } finally {
      setUser(null);
      navigate('/login', { replace: true });
    }
  };

  return (
    <Show when={user()} fallback={<main class="loading" aria-busy="true" />}>
      <header class="topbar">
        <A href="/" class="brand">Capstan</A>
        <nav aria-label="Main">
          <A href="/" end>Services</A>
        </nav>
        <div class="user">
          <span data-testid="current-user">{user()?.username}</span>
          <button type="button" onClick={logout}>Log out</button>
        </div>
      </header>
      <main class="content">
        <h1>Services</h1>
        <Switch>
          <Match when={health.error}>
            <ErrorBanner error={toUiError(health.error)} onRetry={() => void refetch()} />
          </Match>
          <Match when={health()?.services.length === 0}>
            <p class="empty">No services yet.</p>
          </Match>
          <Match when={health()}>
            <ul class="service-list">
              <For each={health()?.services}>
                {(s) => (
                  <li>
                    <span>{s.name}</span> <span class={`status status-${s.status}`}>{s.status}</span>
                  </li>
                )}
              </For>
            </ul>
          </Match>
        </Switch>
      </main>
    </Show>
  );
}
