import { Navigate, useLocation, type RouteSectionProps } from '@solidjs/router';
import { For } from 'solid-js';
import '../settings.css';

const SECTIONS = [
  ['/settings/tokens', 'API tokens'],
  ['/settings/notifications', 'Notifications'],
] as const;

/** The settings frame: what belongs to the whole Capstan rather than to one service, one section per tab. */
export function Settings(props: RouteSectionProps) {
  const location = useLocation();
  const active = (href: string) => location.pathname.replace(/\/$/, '') === href;
  return (
    <>
      <div class="page-head">
        <h1>Settings</h1>
      </div>
      <nav class="tabs" aria-label="Settings sections">
        <For each={SECTIONS}>
          {([href, label]) => (
            <a href={href} classList={{ active: active(href) }} aria-current={active(href) ? 'page' : undefined}>
              {label}
            </a>
          )}
        </For>
      </nav>
      <div class="tab-panel">{props.children}</div>
    </>
  );
}

/** /settings itself opens the first section. */
export function SettingsIndex() {
  return <Navigate href="/settings/tokens" />;
}
