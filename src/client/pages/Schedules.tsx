import { createMemo, createSignal, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { ScheduleForm } from '../components/ScheduleForm.js';
import { ScheduleList } from '../components/ScheduleList.js';
import { serviceList } from '../live.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';

/** Every schedule, and a form to add one. */
export function Schedules() {
  usePageTitle(() => 'Schedules');
  const [adding, setAdding] = createSignal(false);
  // Runs show up as status changes (deploying, then back): look again when any status changes.
  const statuses = createMemo(() => serviceList().map((s) => `${s.id}:${s.status}`).join(','));
  const list = createQuery(statuses, () => api.schedules.list.query({}));

  return (
    <>
      <div class="page-head">
        <h1>Schedules</h1>
        <Show when={!adding()}>
          <button type="button" class="primary" onClick={() => setAdding(true)}>New schedule</button>
        </Show>
      </div>
      <p class="muted lead">Keep services up to date without watching them: a scheduled update pulls every image and recreates only the containers whose image changed, rolling back any that does not come up.</p>
      <Show when={adding()}>
        <section class="card">
          <h2 class="card-title">New schedule</h2>
          <Show when={serviceList().length > 0} fallback={<p class="muted">Create a service first; schedules belong to a service.</p>}>
            <ScheduleForm
              onSaved={() => {
                setAdding(false);
                announce('Schedule created');
                void list.refetch();
              }}
              onCancel={() => setAdding(false)}
            />
          </Show>
        </section>
      </Show>
      <Show when={list.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void list.refetch()} />}</Show>
      <Show when={list.data()} fallback={<Show when={!list.error()}><div class="skeleton-row" aria-busy="true" /></Show>}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p class="empty">No schedules yet.</p>}>
            <ScheduleList schedules={items()} showService onChanged={() => void list.refetch()} />
          </Show>
        )}
      </Show>
    </>
  );
}
