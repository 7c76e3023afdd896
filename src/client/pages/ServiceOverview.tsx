import { A } from '@solidjs/router';
import { For, Show } from 'solid-js';
import { api } from '../api.js';
import { DeploymentProgress } from '../components/DeploymentProgress.js';
import { HealthBadge, StatusBadge } from '../components/StatusBadge.js';
import { engineById, engineName } from '../engines.js';
import { formatDateTime, shortId } from '../format.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

/** The containers of a service with state, health, image and ports; and the deployment under way. */
export function ServiceOverview() {
  const { id, service, deploymentId } = useService();
  // The frame shows a deployment this page started; otherwise show one that is under way (a schedule's, another tab's).
  const latest = createQuery(
    () => !deploymentId() && service.data()?.status === 'deploying' && id(),
    (sid) => api.deployments.listForService.query({ id: sid }),
  );
  const shownDeployment = () => (!deploymentId() && service.data()?.status === 'deploying' ? latest.data()?.[0]?.id : undefined);

  return (
    <Show when={service.data()}>
      {(s) => (
        <div class="stack">
          <Show when={shownDeployment()}>
            {(d) => (
              <section class="card" aria-labelledby="deploy-title">
                <div class="card-head">
                  <h2 id="deploy-title">Deployment</h2>
                  <A href={`/services/${id()}/deployments`} class="small">All deployments</A>
                </div>
                <DeploymentProgress id={d()} compact onFinished={() => void service.refetch()} />
              </section>
            )}
          </Show>

          <section class="card" aria-labelledby="containers-title">
            <div class="card-head">
              <h2 id="containers-title">Containers</h2>
              <A href={`/services/${id()}/logs`} class="small">View logs</A>
            </div>
            <div class="table-wrap">
              <table class="table containers-table">
                <thead>
                  <tr>
                    <th scope="col">Container</th>
                    <th scope="col">State</th>
                    <th scope="col">Health</th>
                    <th scope="col">Image</th>
                    <th scope="col">Ports</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={s().containers} fallback={<tr><td colspan="5" class="muted">No containers.</td></tr>}>
                    {(c) => (
                      <tr data-container={c.name}>
                        <td class="cell-name">
                          <span class="strong">{c.name}</span>
                          <span class="muted small mono">{c.service}{c.container_id ? ` · ${shortId(c.container_id)}` : ''}</span>
                        </td>
                        <td data-label="State"><StatusBadge status={c.status} /></td>
                        <td data-label="Health"><HealthBadge health={c.health} /></td>
                        <td data-label="Image" class="mono wrap">{c.image}</td>
                        <td data-label="Ports" class="mono">
                          <For each={c.ports} fallback={<span class="muted">—</span>}>{(p) => <div>{p}</div>}</For>
                        </td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
          </section>

          <dl class="facts">
            <div><dt>Service id</dt><dd class="mono">{s().id}</dd></div>
            <div><dt>Created</dt><dd>{formatDateTime(s().created_at)}</dd></div>
            <div><dt>Updated</dt><dd>{formatDateTime(s().updated_at)}</dd></div>
            <div><dt>Compose project</dt><dd class="mono">{s().name}</dd></div>
            <div>
              <dt>Engine</dt>
              <dd>
                <A href="/engines">{engineName(s().engine_id)}</A>
                <Show when={engineById(s().engine_id)}>{(e) => <span class="muted small mono block">{e().url}</span>}</Show>
              </dd>
            </div>
          </dl>
        </div>
      )}
    </Show>
  );
}
