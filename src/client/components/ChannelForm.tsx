import { createSignal, For, Show } from 'solid-js';
import { NOTIFY_EVENT_LABELS, NOTIFY_EVENTS, type ChannelObject, type NotifyEvent } from '../../shared/notifications.js';
import { api } from '../api.js';
import { createSubmit, inputError } from '../form-submit.js';
import { ErrorBanner } from './ErrorBanner.js';

const EXAMPLES: [string, string][] = [
  ['generic+https://hooks.example.com/capstan?secret=KEY', 'a JSON POST to any URL; secret= signs the body, @Name=value adds a header'],
  ['ntfy://:TOKEN@ntfy.example.com/capstan', 'an ntfy topic (user:password@ also works; ?scheme=http for plain HTTP)'],
  ['gotify://gotify.example.com/APP_TOKEN', 'a Gotify application (?disabletls=yes for plain HTTP)'],
  ['discord://TOKEN@WEBHOOK_ID', "a Discord webhook's two parts"],
  ['slack://T000/B000/XXXX', "a Slack incoming webhook's three parts"],
  ['smtp://user:password@mail.example.com:587/?from=capstan@example.com&to=ops@example.com', 'e-mail through your mail server'],
];

/**
 * Add or change a notification channel. On edit the URL starts as the masked
 * one the list shows: sent back unchanged, the server keeps the stored URL
 * (and its secrets), so nobody has to type a password again to rename.
 */
export function ChannelForm(props: { channel?: ChannelObject; onSaved: (c: ChannelObject) => void; onCancel?: () => void }) {
  const editing = props.channel;
  const [name, setName] = createSignal(editing?.name ?? '');
  const [url, setUrl] = createSignal(editing?.url ?? '');
  const [events, setEvents] = createSignal<NotifyEvent[]>(editing?.events ?? ['deployment.failed', 'update.rolled_back', 'update.failed', 'container.died', 'container.unhealthy', 'container.restarting', 'engine.lost', 'engine.back']);
  const [enabled, setEnabled] = createSignal(editing?.enabled ?? true);
  const idp = editing ? `channel-${editing.id}` : 'channel-new';

  const toggle = (ev: NotifyEvent, on: boolean) => setEvents((list) => (on ? NOTIFY_EVENTS.filter((e) => e === ev || list.includes(e)) : list.filter((e) => e !== ev)));

  const { busy, error, submit } = createSubmit(async () => {
    const saved = editing
      ? await api.notifications.update.mutate({ id: editing.id, name: name().trim(), events: events(), enabled: enabled(), ...(url().trim() !== editing.url ? { url: url().trim() } : {}) })
      : await api.notifications.create.mutate({ name: name().trim(), url: url().trim(), events: events(), enabled: enabled() });
    props.onSaved(saved);
  }, inputError);

  return (
    <form class="settings-form channel-form" onSubmit={submit}>
      <div class="field">
        <label for={`${idp}-name`}>Name</label>
        <input id={`${idp}-name`} required maxLength={100} value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. ops on ntfy" autocomplete="off" />
      </div>
      <div class="field">
        <label for={`${idp}-url`}>URL</label>
        <input
          id={`${idp}-url`}
          class="mono"
          required
          maxLength={2048}
          value={url()}
          onInput={(e) => setUrl(e.currentTarget.value)}
          aria-describedby={`${idp}-url-help`}
          autocomplete="off"
          spellcheck={false}
          placeholder="ntfy://ntfy.example.com/capstan"
        />
        <div id={`${idp}-url-help`} class="small muted url-help">
          <Show when={editing}>
            <p>Secrets in the URL are shown as ••••. Leave it as it is to keep the stored URL; type a whole new one to replace it.</p>
          </Show>
          <p>The URL holds the credentials: it is stored encrypted and never shown again in full. Examples:</p>
          <ul class="url-examples">
            <For each={EXAMPLES}>
              {([example, what]) => (
                <li>
                  <code class="wrap">{example}</code> <span>{what}</span>
                </li>
              )}
            </For>
          </ul>
        </div>
      </div>
      <fieldset class="field">
        <legend>Tell it when</legend>
        <div class="event-grid">
          <For each={NOTIFY_EVENTS}>
            {(ev) => (
              <label class="checkbox">
                <input type="checkbox" value={ev} checked={events().includes(ev)} onChange={(e) => toggle(ev, e.currentTarget.checked)} /> {NOTIFY_EVENT_LABELS[ev]}
              </label>
            )}
          </For>
        </div>
        <Show when={events().length === 0}>
          <p class="field-error">Choose at least one event.</p>
        </Show>
      </fieldset>
      <label class="checkbox">
        <input type="checkbox" checked={enabled()} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enabled (a disabled channel is told nothing, but can still be tested)
      </label>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy() || events().length === 0 || !name().trim() || !url().trim()}>
          {busy() ? 'Saving…' : editing ? 'Save channel' : 'Add channel'}
        </button>
        <Show when={props.onCancel}>
          <button type="button" onClick={() => props.onCancel?.()}>
            Cancel
          </button>
        </Show>
      </div>
    </form>
  );
}
