import { A, useNavigate } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import { api } from '../api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { EngineField } from '../components/EngineSelect.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { useEngineParam } from '../engine-param.js';
import { engineName } from '../engines.js';
import { createListActions } from '../list-actions.js';
import { usePageTitle } from '../title.js';
import { createEngineList, plainError, SectionTable } from './Volumes.js';

type Project = Awaited<ReturnType<typeof api.services.discover.query>>[number];

/**
 * Compose projects running on an engine that no Capstan service owns (started
 * with `docker compose up`, or by another manager), each with an Adopt button:
 * the project becomes a service without its containers being restarted.
 */
export function Adopt() {
  usePageTitle(() => 'Adopt a running project');
  const navigate = useNavigate();
  const [engineId, setEngineId] = useEngineParam();
  const projects = createEngineList(engineId, (engine_id) => api.services.discover.query({ engine_id }));
  const [filter, setFilter] = createSignal('');
  const [adopting, setAdopting] = createSignal<Project | null>(null);
  const { busy, error, run } = createListActions(() => projects.refetch(), plainError);

  const visible = () => {
    const q = filter().trim().toLowerCase();
    const list = projects.data() ?? [];
    return q ? list.filter((p) => p.project.toLowerCase().includes(q)) : list;
  };

  const adopt = () => {
    const p = adopting();
    if (!p) return;
    void run(async () => {
      const service = await api.services.adopt.mutate({ project: p.project, engine_id: engineId() });
      navigate(`/services/${service.id}`, { state: { warnings: service.warnings, adopted: true } });
      return `Adopted ${p.project}.`;
    }, () => setAdopting(null));
  };

  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb">
        <A href="/">Services</A> <span aria-hidden="true">/</span> <span>Adopt</span>
      </nav>
      <div class="page-head">
        <h1>Adopt a running project</h1>
        <EngineField id="adopt-engine" value={engineId()} onChange={setEngineId} />
      </div>
      <p class="muted">
        Compose projects on <strong>{engineName(engineId())}</strong> that Capstan does not manage yet: started with <code>docker compose up</code>, or by another tool.
        Adopting one makes it a service here without restarting its containers.
      </p>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={projects.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void projects.refetch()} />}</Show>
      <SectionTable
        label="projects"
        count={projects.data()?.length}
        filter={filter()}
        onFilter={setFilter}
        loading={!projects.data() && !projects.error()}
        head={
          <tr>
            <th scope="col">Project</th>
            <th scope="col">Containers</th>
            <th scope="col"><span class="sr-only">Actions</span></th>
          </tr>
        }
      >
        <For each={visible()} fallback={<tr><td colspan="3" class="muted">No compose project outside Capstan on this engine.</td></tr>}>
          {(p) => (
            <tr data-project={p.project}>
              <td class="cell-name"><span class="mono wrap">{p.project}</span></td>
              <td data-label="Containers">
                <For each={p.containers}>
                  {(c) => (
                    <span class="block">
                      <strong>{c.service || '(no service label)'}</strong> <span class="mono small">{c.name}</span>{' '}
                      <span class="muted small">{c.image} · {c.status}</span>
                    </span>
                  )}
                </For>
              </td>
              <td class="cell-actions">
                <button type="button" disabled={busy()} aria-label={`Adopt ${p.project}`} onClick={() => setAdopting(p)}>Adopt…</button>
              </td>
            </tr>
          )}
        </For>
      </SectionTable>
      <ConfirmDialog open={adopting() !== null} title={`Adopt ${adopting()?.project ?? ''}?`} confirmLabel="Adopt" busy={busy()} onConfirm={adopt} onClose={() => setAdopting(null)}>
        <p>
          Capstan reads the definition from the {adopting()?.containers.length} container(s) of this project on <strong>{engineName(engineId())}</strong> and manages them from now on.
          Nothing is restarted now.
        </p>
        <p>
          The definition holds the values the containers run with; the original compose file's variables, <code>.env</code> and build sections are not known here.
          The first deploy from Capstan recreates the containers, under Capstan's labels.
        </p>
      </ConfirmDialog>
    </>
  );
}

