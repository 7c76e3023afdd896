import { createSignal, For, Show } from 'solid-js';
import type { ScheduleObject } from '../../shared/schedules.js';
import { api, toUiError, type UiError } from '../api.js';
import { browserTimeZone, isTimeZone } from '../format.js';
import { serviceList } from '../live.js';
import { ErrorBanner } from './ErrorBanner.js';

// Kept here rather than imported: src/shared/schedules.ts would bring zod into this chunk.
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
type Day = (typeof DAYS)[number];

let zones: string[] | undefined;
const timeZones = () => (zones ??= (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? ['UTC']);

/** Create a schedule (for a chosen or a fixed service), or edit one. */
export function ScheduleForm(props: { serviceId?: string; schedule?: ScheduleObject; onSaved: (s: ScheduleObject) => void; onCancel?: () => void }) {
  const initial = props.schedule;
  const uid = Math.random().toString(36).slice(2, 8);
  const [serviceId, setServiceId] = createSignal(props.serviceId ?? initial?.service_id ?? '');
  const [frequency, setFrequency] = createSignal<'daily' | 'weekly'>(initial?.frequency ?? 'weekly');
  const [day, setDay] = createSignal<Day>(initial?.day_of_week ?? 'Sunday');
  const [time, setTime] = createSignal(initial?.time_of_day ?? '03:00');
  const [timezone, setTimezone] = createSignal(initial?.timezone ?? browserTimeZone());
  const [action, setAction] = createSignal<'update' | 'restart'>(initial?.action ?? 'update');
  const [cleanup, setCleanup] = createSignal(initial?.cleanup ?? false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);

  const tzProblem = () => (isTimeZone(timezone()) ? '' : 'Not a time zone this browser knows; use an IANA name such as Europe/Berlin');
  const timeProblem = () => (/^([01]\d|2[0-3]):[0-5]\d$/.test(time()) ? '' : 'Use HH:MM, 24-hour');

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (tzProblem() || timeProblem() || !serviceId()) return;
    setBusy(true);
    setError(null);
    const spec = {
      frequency: frequency(),
      day_of_week: frequency() === 'weekly' ? day() : null,
      time_of_day: time(),
      timezone: timezone(),
      action: action(),
      cleanup: action() === 'update' && cleanup(),
    };
    try {
      const saved = initial ? await api.schedules.update.mutate({ id: initial.id, ...spec }) : await api.schedules.create.mutate({ service_id: serviceId(), ...spec });
      props.onSaved(saved);
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setBusy(false);
    }
  };

  const f = (name: string) => `sched-${uid}-${name}`;
  return (
    <form class="schedule-form" onSubmit={submit} aria-label={initial ? 'Edit schedule' : 'New schedule'}>
      <Show when={!props.serviceId && !initial}>
        <div class="field">
          <label for={f('service')}>Service</label>
          <select id={f('service')} required value={serviceId()} onChange={(e) => setServiceId(e.currentTarget.value)}>
            <option value="" disabled>Choose a service…</option>
            <For each={serviceList()}>{(s) => <option value={s.id}>{s.name}</option>}</For>
          </select>
        </div>
      </Show>
      <fieldset class="field">
        <legend>Repeat</legend>
        <div class="segmented">
          <label><input type="radio" name={f('freq')} checked={frequency() === 'daily'} onChange={() => setFrequency('daily')} /> Daily</label>
          <label><input type="radio" name={f('freq')} checked={frequency() === 'weekly'} onChange={() => setFrequency('weekly')} /> Weekly</label>
        </div>
      </fieldset>
      <div class="field-row">
        <Show when={frequency() === 'weekly'}>
          <div class="field">
            <label for={f('day')}>Day</label>
            <select id={f('day')} value={day()} onChange={(e) => setDay(e.currentTarget.value as Day)}>
              <For each={DAYS}>{(d) => <option value={d}>{d}</option>}</For>
            </select>
          </div>
        </Show>
        <div class="field">
          <label for={f('time')}>Time</label>
          <input id={f('time')} type="time" required value={time()} aria-invalid={!!timeProblem()} onInput={(e) => setTime(e.currentTarget.value)} />
        </div>
        <div class="field grow">
          <label for={f('tz')}>Time zone</label>
          <input id={f('tz')} list={f('zones')} required value={timezone()} aria-invalid={!!tzProblem()} aria-describedby={f('tz-help')} autocomplete="off" onInput={(e) => setTimezone(e.currentTarget.value.trim())} />
          <datalist id={f('zones')}>
            <For each={timeZones()}>{(z) => <option value={z} />}</For>
          </datalist>
        </div>
      </div>
      <p id={f('tz-help')} class={tzProblem() || timeProblem() ? 'field-error' : 'muted small'}>
        {tzProblem() || timeProblem() || `Runs at ${time()} in ${timezone()}${timezone() === browserTimeZone() ? ' (your time zone)' : ''}, daylight saving included.`}
      </p>
      <fieldset class="field">
        <legend>What to do</legend>
        <label class="radio">
          <input type="radio" name={f('action')} checked={action() === 'update'} onChange={() => setAction('update')} />
          <span><strong>Update</strong> <span class="muted small">Pull every image; recreate only containers whose image changed, rolling back one that does not come up.</span></span>
        </label>
        <label class="radio">
          <input type="radio" name={f('action')} checked={action() === 'restart'} onChange={() => setAction('restart')} />
          <span><strong>Restart</strong> <span class="muted small">Restart the containers in dependency order.</span></span>
        </label>
        <label class="checkbox" classList={{ disabled: action() !== 'update' }}>
          <input type="checkbox" checked={cleanup()} disabled={action() !== 'update'} onChange={(e) => setCleanup(e.currentTarget.checked)} />
          Remove the old image after a successful update
        </label>
      </fieldset>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy() || !serviceId()}>
          {busy() ? 'Saving…' : initial ? 'Save schedule' : 'Create schedule'}
        </button>
        <Show when={props.onCancel}>
          <button type="button" onClick={() => props.onCancel?.()}>Cancel</button>
        </Show>
      </div>
    </form>
  );
}
