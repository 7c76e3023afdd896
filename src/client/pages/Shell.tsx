import { A, useLocation, useNavigate, type RouteSectionProps } from '@solidjs/router';
import { createEffect, createSignal, For, Match, on, onCleanup, Show, Suspense, Switch } from 'solid-js';
import { announcement } from '../announce.js';
import { api, isUnauthorized, onSessionEnded, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { Logo } from '../components/Logo.js';
import { engineName, startEngines } from '../engines.js';
import { connected, connectionError, downEngines, engineStates, reconnectLiveStatus, startLiveStatus } from '../live.js';
import { setUser, user } from '../session.js';

/** The logged-in frame: session check, header and navigation, live-connection banners, and the page. */
export function Shell(props: RouteSectionProps) {
  const navigate = useNavigate();
  const location = useLocation();
  const [checkError, setCheckError] = createSignal<UiError | null>(null);

  const toLogin = (expired: boolean) =>
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}${expired ? '&expired=1' : ''}`, {
      replace: true,
    });

  onSessionEnded(() => {
    const wasIn = user() !== null;
    setUser(null);
    toLogin(wasIn);
  });
  onCleanup(() => onSessionEnded(undefined));

  const check = async () => {
    setCheckError(null);
    try {
      setUser((await api.auth.me.query()).user);
    } catch (err) {
      if (!isUnauthorized(err)) setCheckError(toUiError(err));
    }
  };
  void check();

  // Live status runs while someone is logged in, and stops with the session.
  createEffect(
    on(
      () => user()?.id,
      (id) => {
        if (id) {
          onCleanup(startLiveStatus());
          onCleanup(startEngines());
        }
      },
    ),
  );

  const section = (href: string) => (href === '/' ? location.pathname === '/' || location.pathname.startsWith('/services') : location.pathname.startsWith(href));
  const NavLink = (p: { href: string; children: string }) => (
    <a href={p.href} classList={{ active: section(p.href) }} aria-current={section(p.href) ? 'page' : undefined}>
      {p.children}
    </a>
  );

  // After a navigation, focus goes to the page (as a full page load would), so keyboard and
  // screen-reader users start at its content; switching a service's (or the settings') tabs keeps focus on the tabs.
  const pageOf = (path: string) => /^\/(services\/[^/]+|settings)/.exec(path)?.[0] ?? path;
  createEffect(
    on(
      () => pageOf(location.pathname),
      () => document.getElementById('main')?.focus({ preventScroll: true }),
      { defer: true },
    ),
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
    <Show
      when={user()}
      fallback={
        <main class="loading" aria-busy={!checkError()}>
          <Show when={checkError()}>{(err) => <div class="loading-error"><ErrorBanner error={err()} onRetry={check} /></div>}</Show>
        </main>
      }
    >
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="topbar">
        <A href="/" class="brand" end activeClass="" inactiveClass="">
          <Logo />
          Capstan
        </A>
        <nav aria-label="Main" class="mainnav">
          <NavLink href="/">Services</NavLink>
          <NavLink href="/templates">Templates</NavLink>
          <NavLink href="/images">Images</NavLink>
          <NavLink href="/volumes">Volumes &amp; networks</NavLink>
          <NavLink href="/engines">Engines</NavLink>
          <NavLink href="/schedules">Schedules</NavLink>
          <NavLink href="/audit">Audit log</NavLink>
          <NavLink href="/settings">Settings</NavLink>
        </nav>
        <div class="topbar-end">
          <span class="conn" classList={{ ok: connected() && downEngines().length === 0, bad: !connected() || downEngines().length > 0 }} title={connected() ? 'Live updates connected' : 'Live updates disconnected'}>
            <span class="dot" aria-hidden="true" />
            <span class="conn-label">{!connected() ? 'Reconnecting' : downEngines().length > 1 ? `${downEngines().length} engines down` : downEngines().length ? 'Engine down' : 'Live'}</span>
          </span>
          <span class="user-name" data-testid="current-user">{user()?.username}</span>
          <button type="button" onClick={logout} title={`Signed in as ${user()?.username ?? ""}`}>Log out</button>
        </div>
      </header>
      <div class="banners">
        <Switch>
          <Match when={!connected() && connectionError()}>
            {(err) => (
              <ErrorBanner
                error={{ ...err(), message: 'Lost the live connection to the Capstan server. Reconnecting…' , details: err().details ?? err().message, recoverable: true }}
                onRetry={reconnectLiveStatus}
              />
            )}
          </Match>
          <Match when={downEngines().length > 0}>
            <For each={downEngines()}>
              {(id) => (
                <ErrorBanner
                  error={{
                    message:
                      id !== 'local'
                        ? `The Docker engine “${engineName(id)}” is unavailable: its services show as unknown. Capstan keeps trying and will refresh this page when it is back.`
                        : Object.keys(engineStates).length <= 1
                          ? 'The Docker engine is unavailable. Capstan keeps trying and will refresh this page when it is back.'
                          : 'The Docker engine is unavailable (local, from DOCKER_HOST): its services show as unknown. Capstan keeps trying and will refresh this page when it is back.',
                    ...(engineStates[id]?.details ? { details: engineStates[id]!.details! } : {}),
                    code: 'SERVICE_UNAVAILABLE',
                    recoverable: true,
                  }}
                  onRetry={reconnectLiveStatus}
                />
              )}
            </For>
          </Match>
        </Switch>
      </div>
      <main class="content" id="main" tabindex="-1">
        <Suspense fallback={<p class="muted" aria-busy="true">Loading…</p>}>{props.children}</Suspense>
      </main>
      <div class="sr-only" role="status" aria-live="polite">{announcement()}</div>
    </Show>
  );
}
