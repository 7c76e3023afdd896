import { A, useLocation, useNavigate, useParams, useSearchParams, type RouteSectionProps } from '@solidjs/router';
import { createMemo, createSignal, For, Show } from 'solid-js';
import type { ServiceObject } from '../../shared/schemas.js';
import { announce } from '../announce.js';
import { api, isLostAnswer, toUiError, type UiError } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { MoveService } from '../components/MoveService.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { UpdateBadge } from '../components/UpdateBadge.js';
import { UpdateButton } from '../components/UpdateButton.js';
import { engineName, severalEngines } from '../engines.js';
import { engineStates, services } from '../live.js';
import { createQuery } from '../query.js';
import { ServiceContext } from '../service-context.js';
import { usePageTitle } from '../title.js';

type Action = 'start' | 'stop' | 'restart' | 'redeploy';

const TABS = [
  ['', 'Overview'],
  ['/logs', 'Logs'],
  ['/stats', 'Stats'],
  ['/terminal', 'Terminal'],
  ['/definition', 'Definition'],
  ['/environment', 'Environment'],
  ['/files', 'Files'],
  ['/deployments', 'Deployments'],
  ['/schedules', 'Schedules'],
  ['/webhooks', 'Webhooks'],
] as const;

type DefinitionShape = {
  volumes?: Record<string, { name?: string; external?: boolean }>;
  services?: Record<string, { volumes?: (string | { type?: string; source?: string })[] }>;
};

/** The engine's names of the service's named volumes (compose prefixes the project): what a hard delete destroys. */
function namedVolumes(service: ServiceObject): string[] {
  const def = service.definition as DefinitionShape;
  const names = new Set<string>();
  // The normalized model names each top-level volume as the engine knows it; external ones are not ours to delete.
  for (const [key, v] of Object.entries(def.volumes ?? {})) if (!v?.external) names.add(v?.name ?? `${service.name}_${key}`);
  if (names.size) return [...names];
  for (const c of Object.values(def.services ?? {}))
    for (const v of c.volumes ?? []) if (typeof v === 'string' && !v.startsWith('/') && !v.startsWith('.')) names.add(`${service.name}_${v.split(':')[0]!}`);
  return [...names];
}

/** The frame of one service: name, live status, actions, and its tabs. */
/** After a lost answer: the delete went through when the service is gone or a delete of it is queued or running. */
async function deleteAccepted(id: string): Promise<boolean> {
  try {
    const [latest] = await api.deployments.listForService.query({ id });
    return latest?.kind === 'delete' && latest.status !== 'failed';
  } catch (err) {
    return toUiError(err).code === 'NOT_FOUND';
  }
}

export function Service(props: RouteSectionProps) {
  const params = useParams<{ id: string }>();
  const location = useLocation();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams<{ deployment?: string }>();
  const [busy, setBusy] = createSignal<Action | 'delete' | null>(null);
  const [actionError, setActionError] = createSignal<UiError | null>(null);
  const [confirming, setConfirming] = createSignal(false);
  const [moving, setMoving] = createSignal(false);
  const [mode, setMode] = createSignal<'soft' | 'hard'>('soft');
  const [typedName, setTypedName] = createSignal('');

  // Refetch the details whenever the live feed reports a change of this service.
  const liveKey = createMemo(() => {
    const live = services[params.id];
    return live ? `${live.status}|${live.containers.map((c) => `${c.name}:${c.status}:${c.health}`).join(',')}` : 'none';
  });
  // Once the live feed has shown this service, its disappearance means it was deleted: say so, do not ask.
  let seenLive = '';
  const removed = createMemo(() => {
    if (services[params.id]) seenLive = params.id;
    return seenLive === params.id && !services[params.id];
  });
  // While a delete is under way the service is already gone for the API: stop asking for it.
  const [deleting, setDeleting] = createSignal(false);
  const service = createQuery(() => !removed() && !deleting() && `${params.id}#${liveKey()}`, () => api.services.get.query({ id: params.id }));
  const svc = () => service.data()?.id === params.id ? service.data() : undefined;

  const act = async (action: Action) => {
    const s = svc();
    if (!s) return;
    setBusy(action);
    setActionError(null);
    try {
      const result = await api.services[action].mutate({ id: s.id });
      if ('deployment_id' in result) setSearch({ deployment: result.deployment_id });
      announce(`${s.name}: ${action} requested`);
      void service.refetch();
    } catch (err) {
      setActionError(toUiError(err));
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    const s = svc();
    if (!s || (mode() === 'hard' && typedName() !== s.name)) return;
    setBusy('delete');
    setActionError(null);
    setDeleting(true);
    try {
      await api.services.delete.mutate({ id: s.id, mode: mode() });
      announce(`Deleting ${s.name}`);
      setConfirming(false);
      navigate('/');
    } catch (err) {
      if (isLostAnswer(err) && (await deleteAccepted(s.id).catch(() => false))) {
        announce(`Deleting ${s.name}`);
        setConfirming(false);
        navigate('/');
        return;
      }
      setDeleting(false);
      setConfirming(false);
      setActionError(toUiError(err));
    } finally {
      setBusy(null);
    }
  };

  const base = () => `/services/${params.id}`;
  usePageTitle(() => {
    const tab = TABS.find(([suffix]) => suffix && location.pathname.endsWith(suffix));
    return `${tab ? `${tab[1]} · ` : ''}${svc()?.name ?? 'Service'}`;
  });
  const tabActive = (suffix: string) => location.pathname.replace(/\/$/, '') === `${base()}${suffix}`;
  const status = () => services[params.id]?.status ?? svc()?.status;
  // What the server warned about when this service was created (sent along by the new-service page).
  // Read from the location reactively: the page may first render (a lazy chunk, inside the navigation's
  // transition) before the location carries the state the create navigated with.
  const [warningsDismissed, setWarningsDismissed] = createSignal(false);
  const arrival = () => (location.state ?? {}) as { warnings?: string[]; adopted?: boolean };
  const createWarnings = () => (warningsDismissed() ? [] : (arrival().warnings ?? []));

  return (
    <ServiceContext.Provider
      value={{ id: () => params.id, service, deploymentId: () => search.deployment }}
    >
      <nav class="crumbs" aria-label="Breadcrumb">
        <A href="/">Services</A> <span aria-hidden="true">/</span> <span aria-current="page">{svc()?.name ?? '…'}</span>
      </nav>
      <Show when={removed()}>
        <div class="empty-state">
          <h1>This service has been deleted</h1>
          <A href="/" class="button">Back to services</A>
        </div>
      </Show>
      <Show when={service.error() && !svc() && !removed()}>
        {(() => {
          const err = service.error()!;
          return err.code === 'NOT_FOUND' ? (
            <div class="empty-state">
              <h1>Service not found</h1>
              <p class="muted">It may have been deleted. </p>
              <A href="/" class="button">Back to services</A>
            </div>
          ) : (
            <ErrorBanner error={err} onRetry={() => void service.refetch()} />
          );
        })()}
      </Show>
      <Show when={!removed() && svc()} fallback={<Show when={!service.error() && !removed()}><div class="page-head"><h1 class="skeleton-text">Loading service…</h1></div></Show>}>
        {(s) => (
          <>
            <div class="page-head">
              <div class="title-line">
                <h1>{s().name}</h1>
                <span data-testid="service-status">
                  <StatusBadge status={status() ?? s().status} />
                </span>
                <a href="/engines" class="badge subtle engine-badge" classList={{ 'tone-muted': engineStates[s().engine_id]?.available !== false, 'tone-unknown': engineStates[s().engine_id]?.available === false }} data-testid="service-engine">
                  Engine: {engineName(s().engine_id)}
                </a>
                <Show when={s().adopted}>
                  <span class="badge subtle tone-muted">adopted</span>
                </Show>
                <UpdateBadge serviceId={s().id} />
              </div>
              <div class="btn-group" role="group" aria-label="Service actions">
                <button type="button" disabled={!!busy() || status() === 'running' || status() === 'deploying' || status() === 'unknown'} onClick={() => act('start')}>Start</button>
                <button type="button" disabled={!!busy() || status() === 'stopped' || status() === 'deploying' || status() === 'unknown'} onClick={() => act('stop')}>Stop</button>
                <button type="button" disabled={!!busy() || status() === 'deploying' || status() === 'unknown'} onClick={() => act('restart')}>Restart</button>
                <button type="button" disabled={!!busy() || status() === 'deploying' || status() === 'unknown'} onClick={() => act('redeploy')} title="Apply the definition again: pulls missing images, recreates what drifted">Redeploy</button>
                <UpdateButton serviceId={s().id} serviceName={s().name} disabled={!!busy() || status() === 'deploying'} onDeployment={(id) => setSearch({ deployment: id })} onError={setActionError} />
                <button type="button" disabled={!!busy() || status() === 'deploying' || !severalEngines()} title={severalEngines() ? undefined : 'Add another engine first (Engines page)'} onClick={() => setMoving(true)}>Move to another engine…</button>
                <button type="button" class="danger-outline" disabled={!!busy()} onClick={() => { setMode('soft'); setTypedName(''); setConfirming(true); }}>Delete…</button>
              </div>
            </div>
            <Show when={s().last_error && status() === 'error'}>
              <ErrorBanner error={{ message: `The last deployment failed: ${s().last_error!.error}`, ...(s().last_error!.details ? { details: s().last_error!.details! } : {}), recoverable: false }} />
            </Show>
            <Show when={actionError()}>{(err) => <ErrorBanner error={err()} />}</Show>
            <Show when={createWarnings().length > 0}>
              <div class="notice" role="status" data-testid="create-warnings">
                <div class="card-head">
                  <strong>{arrival().adopted ? 'Adopted' : 'Created'} with {createWarnings().length} warning{createWarnings().length > 1 ? 's' : ''}</strong>
                  <button type="button" class="link small" onClick={() => setWarningsDismissed(true)}>
                    Dismiss
                  </button>
                </div>
                <ul class="server-warnings">
                  <For each={createWarnings()}>{(w) => <li>{w}</li>}</For>
                </ul>
              </div>
            </Show>
            <Show when={search.deployment}>
              {(d) => (
                <section class="card deploy-card" aria-labelledby="deploy-title">
                  <div class="card-head">
                    <h2 id="deploy-title">Deployment</h2>
                    <button type="button" class="link small" onClick={() => setSearch({ deployment: undefined })}>
                      Dismiss
                    </button>
                  </div>
                  <DeploymentProgress id={d()} compact onFinished={() => void service.refetch()} />
                </section>
              )}
            </Show>
            <nav class="tabs" aria-label="Service sections">
              <For each={TABS}>
                {([suffix, label]) => (
                  <a href={`${base()}${suffix}`} classList={{ active: tabActive(suffix) }} aria-current={tabActive(suffix) ? 'page' : undefined}>
                    {label}
                  </a>
                )}
              </For>
            </nav>
            <div class="tab-panel">{props.children}</div>

            <MoveService
              open={moving()}
              service={s()}
              volumes={namedVolumes(s())}
              onClose={() => setMoving(false)}
              onMoved={(id) => {
                if (id) setSearch({ deployment: id });
                void service.refetch();
              }}
            />
            <ConfirmDialog
              open={confirming()}
              title={`Delete ${s().name}?`}
              confirmLabel={mode() === 'hard' ? 'Delete service and data' : 'Delete service'}
              danger
              busy={busy() === 'delete' || (mode() === 'hard' && typedName() !== s().name)}
              onConfirm={remove}
              onClose={() => setConfirming(false)}
            >
              <fieldset class="choice">
                <legend class="sr-only">How to delete</legend>
                <label class="radio">
                  <input type="radio" name="mode" value="soft" checked={mode() === 'soft'} onChange={() => setMode('soft')} />
                  <span>
                    <strong>Keep data (soft)</strong>
                    <span class="muted small">Removes the containers and the network. Named volumes stay, so re-creating the service finds its data.</span>
                  </span>
                </label>
                <label class="radio">
                  <input type="radio" name="mode" value="hard" checked={mode() === 'hard'} onChange={() => setMode('hard')} />
                  <span>
                    <strong>Delete everything (hard)</strong>
                    <span class="muted small">Also removes the named volumes: the data in them is gone for good.</span>
                  </span>
                </label>
              </fieldset>
              <Show when={mode() === 'hard'}>
                <div class="danger-note" data-testid="hard-delete-warning">
                  <p>
                    <Show when={namedVolumes(s()).length > 0} fallback={<>This service has no named volumes; its containers and network are removed.</>}>
                      These named volumes and all data in them will be deleted: <strong>{namedVolumes(s()).join(', ')}</strong>.
                    </Show>{' '}
                    This cannot be undone.
                  </p>
                  <label>
                    <span>
                      Type <code>{s().name}</code> to confirm
                    </span>
                    <input value={typedName()} onInput={(e) => setTypedName(e.currentTarget.value)} autocomplete="off" />
                  </label>
                </div>
              </Show>
            </ConfirmDialog>
          </>
        )}
      </Show>
    </ServiceContext.Provider>
  );
}
