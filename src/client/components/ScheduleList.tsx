import { A } from '@solidjs/router';
import { createSignal, For, Show } from 'solid-js';
import type { ScheduleObject } from '../../shared/schedules.js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { browserTimeZone, formatDateTime, formatDayDateTime, formatInZone, formatRelative } from '../format.js';
import { services } from '../live.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { ErrorBanner } from './ErrorBanner.js';
import { ScheduleForm } from './ScheduleForm.js';
import { StatusBadge } from './StatusBadge.js';

const OUTCOME: Record<NonNullable<ScheduleObject['last_status']>, [string, string]> = {
  updated: ['running', 'updated'],
  unchanged: ['stopped', 'nothing to update'],
  rolled_back: ['partial', 'rolled back'],
  restarted: ['running', 'restarted'],
  failed: ['error', 'failed'],
};

export const describeWhen = (s: Pick<ScheduleObject, 'frequency' | 'day_of_week' | 'time_of_day' | 'timezone'>) =>
  `${s.frequency === 'weekly' ? `Every ${s.day_of_week}` : 'Every day'} at ${s.time_of_day} (${s.timezone})`;

/** Schedules with their next run (the person's time and the schedule's zone), last outcome and actions. */
export function ScheduleList(props: { schedules: ScheduleObject[]; showService?: boolean; onChanged: () => void }) {
  const [editing, setEditing] = createSignal<string | null>(null);
  const [deleting, setDeleting] = createSignal<ScheduleObject | null>(null);
  const [busy, setBusy] = createSignal<string | null>(null);
  const [error, setError] = createSignal<UiError | null>(null);
  /** Schedules run by hand, with the last run they had then: "queued" until a newer one shows. */
  const [queued, setQueued] = createSignal<Record<string, string | null>>({});

  const runNow = async (s: ScheduleObject) => {
    setBusy(s.id);
    setError(null);
    try {
      await api.schedules.runNow.mutate({ id: s.id });
      setQueued((q) => ({ ...q, [s.id]: s.last_run_at }));
      announce('Run queued');
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(null);
    }
  };

  const remove = async () => {
    const s = deleting();
    if (!s) return;
    setBusy(s.id);
    try {
      await api.schedules.delete.mutate({ id: s.id });
      announce('Schedule deleted');
      setDeleting(null);
      props.onChanged();
    } catch (err) {
      setDeleting(null);
      setError(toUiError(err));
    } finally {
      setBusy(null);
    }
  };

  const serviceName = (id: string) => services[id]?.name ?? id;
  const localZone = browserTimeZone();

  return (
    <>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <ul class="schedule-list">
        <For each={props.schedules}>
          {(s) => (
            <li class="card schedule" data-schedule={s.id}>
              <Show
                when={editing() !== s.id}
                fallback={
                  <ScheduleForm
                    schedule={s}
                    onSaved={() => {
                      setEditing(null);
                      announce('Schedule saved');
                      props.onChanged();
                    }}
                    onCancel={() => setEditing(null)}
                  />
                }
              >
                <div class="schedule-main">
                  <div class="schedule-what">
                    <Show when={props.showService}>
                      <A href={`/services/${s.service_id}/schedules`} class="strong">{serviceName(s.service_id)}</A>
                    </Show>
                    <span class="strong">{s.action === 'update' ? 'Update' : 'Restart'}</span>
                    <span>{describeWhen(s)}</span>
                    <Show when={s.cleanup}><span class="badge subtle tone-muted">removes old images</span></Show>
                  </div>
                  <dl class="schedule-facts">
                    <div>
                      <dt>Next run</dt>
                      <dd data-testid="next-run">
                        <Show when={s.next_run_at} fallback="—">
                          <span>{formatDayDateTime(s.next_run_at)} <span class="muted">({formatRelative(s.next_run_at)})</span></span>
                          <Show when={s.timezone !== localZone}>
                            <span class="muted small block">{formatInZone(s.next_run_at!, s.timezone)} in {s.timezone}</span>
                          </Show>
                          <Show when={s.timezone === localZone}>
                            <span class="muted small block">{formatInZone(s.next_run_at!, s.timezone)}, your time zone</span>
                          </Show>
                        </Show>
                      </dd>
                    </div>
                    <div>
                      <dt>Last run</dt>
                      <dd data-testid="last-run">
                        <Show when={queued()[s.id] === s.last_run_at}>
                          {/* The run's outcome has no live channel of its own; status changes usually bring it, this catches the rest. */}
                          <span class="muted small block">
                            Run queued…{' '}
                            <button type="button" class="link" onClick={() => props.onChanged()}>Refresh</button>
                          </span>
                        </Show>
                        <Show when={s.last_run_at && s.last_status} fallback={<Show when={queued()[s.id] === undefined}><span class="muted">Never</span></Show>}>
                          <StatusBadge status={OUTCOME[s.last_status!][0]} label={OUTCOME[s.last_status!][1]} />{' '}
                          <span class="muted small">{formatDateTime(s.last_run_at)}</span>
                          <Show when={s.last_summary}>
                            {(sum) => (
                              <ul class="summary-lines small">
                                <For each={sum().changed}>{(c) => <li>{c.container}: {c.from} → {c.to}</li>}</For>
                                <For each={sum().rolled_back}>{(c) => <li>{c.container} rolled back: {c.reason}</li>}</For>
                                <Show when={sum().restarted.length}><li>Restarted {sum().restarted.join(', ')}</li></Show>
                                <Show when={sum().error}><li class="bad-text">{sum().error}</li></Show>
                              </ul>
                            )}
                          </Show>
                        </Show>
                      </dd>
                    </div>
                  </dl>
                </div>
                <div class="btn-group" role="group" aria-label="Schedule actions">
                  <button type="button" disabled={busy() === s.id} onClick={() => runNow(s)}>Run now</button>
                  <button type="button" onClick={() => setEditing(s.id)}>Edit</button>
                  <button type="button" class="danger-outline" onClick={() => setDeleting(s)}>Delete</button>
                </div>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <ConfirmDialog open={deleting() !== null} title="Delete this schedule?" confirmLabel="Delete schedule" danger busy={busy() !== null} onConfirm={remove} onClose={() => setDeleting(null)}>
        <p>{deleting() ? `${deleting()!.action === 'update' ? 'Update' : 'Restart'} of ${serviceName(deleting()!.service_id)}, ${describeWhen(deleting()!)}` : ''}. Its pending run is removed too.</p>
      </ConfirmDialog>
    </>
  );
}
