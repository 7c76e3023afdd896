import { createSignal, Show } from 'solid-js';
import { api } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { ScheduleForm } from '../components/ScheduleForm.js';
import { ScheduleList } from '../components/ScheduleList.js';
import { announce } from '../announce.js';
import { services } from '../live.js';
import { createQuery } from '../query.js';
import { useService } from '../service-context.js';

/** The schedules of one service. */
export function ServiceSchedules() {
  const { id } = useService();
  const [adding, setAdding] = createSignal(false);
  // A run changes the service's status while it works: that is when the outcome may have changed.
  const list = createQuery(() => `${id()}|${services[id()]?.status ?? ''}`, () => api.schedules.list.query({ service_id: id() }));

  return (
    <div class="stack">
      <div class="section-head">
        <p class="muted">Scheduled updates pull new images and recreate only what changed; restarts restart.</p>
        <Show when={!adding()}>
          <button type="button" class="primary" onClick={() => setAdding(true)}>New schedule</button>
        </Show>
      </div>
      <Show when={adding()}>
        <section class="card">
          <h2 class="card-title">New schedule</h2>
          <ScheduleForm
            serviceId={id()}
            onSaved={() => {
              setAdding(false);
              announce('Schedule created');
              void list.refetch();
            }}
            onCancel={() => setAdding(false)}
          />
        </section>
      </Show>
      <Show when={list.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void list.refetch()} />}</Show>
      <Show when={list.data()} fallback={<Show when={!list.error()}><div class="skeleton-row" aria-busy="true" /></Show>}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p class="empty">No schedules for this service.</p>}>
            <ScheduleList schedules={items()} onChanged={() => void list.refetch()} />
          </Show>
        )}
      </Show>
    </div>
  );
}
