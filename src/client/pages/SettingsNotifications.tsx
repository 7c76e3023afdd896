import { createSignal, For, Show } from 'solid-js';
import { NOTIFY_EVENT_LABELS, type ChannelObject } from '../../shared/notifications.js';
import { announce } from '../announce.js';
import { api, toUiError } from '../api.js';
import { ChannelForm } from '../components/ChannelForm.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { formatDateTime, formatRelative } from '../format.js';
import { createListActions } from '../list-actions.js';
import { createQuery } from '../query.js';
import { usePageTitle } from '../title.js';
import '../settings.css';

type TestResult = { ok: boolean; text: string };

/** Notification channels: where Capstan tells someone that a deploy failed or a container died; add, change, test, remove. */
export function SettingsNotifications() {
  usePageTitle(() => 'Notifications · Settings');
  const channels = createQuery(() => true, () => api.notifications.list.query());
  const [adding, setAdding] = createSignal(false);
  const [editing, setEditing] = createSignal<string | null>(null);
  const [removing, setRemoving] = createSignal<ChannelObject | null>(null);
  const [testing, setTesting] = createSignal<string | null>(null);
  const [results, setResults] = createSignal<Record<string, TestResult>>({});
  const { busy, error, notice, run } = createListActions(() => channels.refetch(), toUiError);

  const sendTest = async (c: ChannelObject) => {
    setTesting(c.id);
    setResults((r) => ({ ...r, [c.id]: { ok: true, text: 'Sending…' } }));
    let result: TestResult;
    try {
      const updated = await api.notifications.test.mutate({ id: c.id });
      // The answer carries the channel's new record (its failing mark cleared): show it now.
      channels.mutate((channels.data() ?? []).map((x) => (x.id === updated.id ? updated : x)));
      result = { ok: true, text: `Accepted: ${c.name} took the test message.` };
    } catch (err) {
      const e = toUiError(err);
      result = { ok: false, text: `Not delivered: ${e.message}${e.details ? ` (${e.details})` : ''}.` };
    } finally {
      setTesting(null);
    }
    setResults((r) => ({ ...r, [c.id]: result }));
    announce(result.text);
    void channels.refetch();
  };

  const remove = () => {
    const c = removing();
    if (!c) return;
    void run(async () => {
      await api.notifications.remove.mutate({ id: c.id });
      return `Removed channel ${c.name}.`;
    }, () => setRemoving(null));
  };

  const saved = (c: ChannelObject, verb: string) => {
    setAdding(false);
    setEditing(null);
    setResults((r) => ({ ...r, [c.id]: { ok: true, text: '' } }));
    announce(`${verb} channel ${c.name}`);
    void channels.refetch();
  };

  return (
    <div class="stack">
      <div class="section-head">
        <p class="muted">Channels are told about the events they choose: failed deployments, scheduled updates, containers that die, the engine going away.</p>
        <Show when={!adding()}>
          <button type="button" class="primary" onClick={() => setAdding(true)}>Add channel</button>
        </Show>
      </div>
      <Show when={adding()}>
        <section class="card" aria-labelledby="channel-new-title">
          <h2 id="channel-new-title" class="card-title">New channel</h2>
          <ChannelForm onSaved={(c) => saved(c, 'Added')} onCancel={() => setAdding(false)} />
        </section>
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={channels.error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void channels.refetch()} />}</Show>
      <p class="notice-ok" role="status">{notice()}</p>
      <Show when={channels.data()} fallback={<Show when={!channels.error()}><div class="skeleton-row" aria-busy="true" /></Show>}>
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="empty">No channels yet: nobody is told anything.</p>}>
            <ul class="channel-list">
              <For each={list()}>
                {(c) => (
                  <li class="card channel" data-channel={c.name}>
                    <Show
                      when={editing() === c.id}
                      fallback={
                        <>
                          <div class="channel-head">
                            <h2>{c.name}</h2>
                            <span class="badge subtle tone-info">{c.kind}</span>
                            <Show when={c.enabled} fallback={<span class="badge subtle tone-muted">disabled</span>}>
                              <span class="badge subtle tone-ok">enabled</span>
                            </Show>
                            <Show when={c.failing}>
                              <span class="badge tone-bad" data-testid="failing">failing</span>
                            </Show>
                            <div class="btn-group channel-actions">
                              <button type="button" disabled={testing() !== null} onClick={() => void sendTest(c)} aria-label={`Send test to ${c.name}`}>
                                {testing() === c.id ? 'Sending…' : 'Send test'}
                              </button>
                              <button type="button" onClick={() => setEditing(c.id)} aria-label={`Edit ${c.name}`}>Edit</button>
                              <button type="button" class="danger-outline" disabled={busy()} onClick={() => setRemoving(c)} aria-label={`Remove ${c.name}`}>Remove</button>
                            </div>
                          </div>
                          <p class="mono wrap channel-url" data-testid="channel-url">{c.url}</p>
                          <Show when={results()[c.id]?.text}>
                            <p class={results()[c.id]!.ok ? 'test-ok' : 'test-bad'} data-testid="test-result" role={results()[c.id]!.ok ? 'status' : 'alert'}>
                              {results()[c.id]!.text}
                            </p>
                          </Show>
                          <Show when={c.last_error}>
                            <p class="channel-error small">
                              <Show when={c.failing} fallback={<>The last delivery failed</>}>
                                {c.consecutive_failures} deliveries in a row failed
                              </Show>
                              : {c.last_error}
                            </p>
                          </Show>
                          <dl class="facts channel-facts">
                            <div>
                              <dt>Events</dt>
                              <dd>
                                <ul class="event-list">
                                  <For each={c.events}>{(ev) => <li>{NOTIFY_EVENT_LABELS[ev]}</li>}</For>
                                </ul>
                              </dd>
                            </div>
                            <div>
                              <dt>Last sent</dt>
                              <dd>
                                <Show when={c.last_sent_at} fallback={<span class="muted">never</span>}>
                                  {formatDateTime(c.last_sent_at)} <span class="muted small">({formatRelative(c.last_sent_at)})</span>
                                </Show>
                              </dd>
                            </div>
                          </dl>
                        </>
                      }
                    >
                      <h2 class="card-title">Edit {c.name}</h2>
                      <ChannelForm channel={c} onSaved={(saved_) => saved(saved_, 'Saved')} onCancel={() => setEditing(null)} />
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        )}
      </Show>
      <ConfirmDialog open={removing() !== null} title="Remove this channel?" confirmLabel="Remove channel" danger busy={busy()} onConfirm={remove} onClose={() => setRemoving(null)}>
        <p>
          <strong>{removing()?.name}</strong> will be told nothing more, and its URL is deleted.
        </p>
      </ConfirmDialog>
    </div>
  );
}
