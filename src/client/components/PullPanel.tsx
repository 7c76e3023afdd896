import { createSignal, For, onCleanup, Show } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import type { PullProgressEvent } from '../../shared/images.js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { formatBytes, shortId } from '../format.js';
import { ErrorBanner } from './ErrorBanner.js';

type Done = Extract<PullProgressEvent, { done: true }>;
interface Layer {
  id: string;
  status: string;
  current: number | null;
  total: number | null;
}

const FINISHED = /^(Pull complete|Already exists|Download complete)$/;

function percent(l: Layer): number | null {
  if (FINISHED.test(l.status)) return 100;
  if (l.total && l.current !== null) return Math.min(100, Math.round((l.current / l.total) * 100));
  return null;
}

/** "nginx:1.27" typed in one field is split into name and tag, as the docker CLI reads it. */
function splitRef(image: string, tag: string): { image: string; tag: string } {
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  if (colon > slash) return { image: image.slice(0, colon), tag: image.slice(colon + 1) || tag };
  return { image, tag };
}

/** Pull an image with a progress bar per layer (images.pull over SSE). */
export function PullPanel(props: { onPulled: () => void; engineId: string }) {
  const [image, setImage] = createSignal('');
  const [tag, setTag] = createSignal('latest');
  const [layers, setLayers] = createStore<{ order: string[]; byId: Record<string, Layer> }>({ order: [], byId: {} });
  const [pulling, setPulling] = createSignal<string | null>(null);
  const [result, setResult] = createSignal<Done | null>(null);
  const [error, setError] = createSignal<UiError | null>(null);
  let sub: { unsubscribe(): void } | undefined;

  const stop = () => {
    sub?.unsubscribe();
    sub = undefined;
    setPulling(null);
  };
  onCleanup(() => sub?.unsubscribe());

  const start = (e: SubmitEvent) => {
    e.preventDefault();
    const ref = splitRef(image().trim(), tag().trim() || 'latest');
    if (!ref.image) return;
    setLayers({ order: [], byId: {} });
    setResult(null);
    setError(null);
    setPulling(`${ref.image}:${ref.tag}`);
    sub = api.images.pull.subscribe({ ...ref, engine_id: props.engineId }, {
      onData: (event) => {
        if (event.done) {
          setResult(event);
          announce(`Pulled ${event.image}:${event.tag}`);
          stop();
          props.onPulled();
          return;
        }
        setLayers(
          produce((s) => {
            if (!s.byId[event.layer]) s.order.push(event.layer);
            const before = s.byId[event.layer];
            // "Downloading" without numbers would wipe the bar: keep the last ones.
            s.byId[event.layer] = { id: event.layer, status: event.status, current: event.current ?? before?.current ?? null, total: event.total ?? before?.total ?? null };
          }),
        );
      },
      onError: (err) => {
        setError(toUiError(err));
        stop();
      },
      // A retryable failure would make the EventSource reconnect, and so pull again from the start: stop instead.
      onConnectionStateChange: (state) => {
        if (state.state === 'connecting' && state.error) {
          setError(toUiError(state.error));
          stop();
        }
      },
    });
  };

  return (
    <section class="card" aria-labelledby="pull-title">
      <h2 id="pull-title" class="card-title">Pull an image</h2>
      <form class="pull-form" onSubmit={start}>
        <div class="field grow">
          <label for="pull-image">Image</label>
          <input id="pull-image" required placeholder="e.g. nginx or registry.example.com/team/app" value={image()} onInput={(e) => setImage(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </div>
        <div class="field tag-field">
          <label for="pull-tag">Tag</label>
          <input id="pull-tag" value={tag()} onInput={(e) => setTag(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </div>
        <div class="field-actions">
          <Show when={pulling()} fallback={<button type="submit" class="primary">Pull</button>}>
            <button type="button" onClick={stop}>Cancel</button>
          </Show>
        </div>
      </form>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <Show when={pulling() || layers.order.length > 0 || result()}>
        <div class="pull-progress" data-testid="pull-progress">
          <Show when={pulling()}>
            <p class="muted small" aria-live="polite">Pulling {pulling()}…</p>
          </Show>
          <ul class="layers">
            <For each={layers.order}>
              {(id) => {
                const layer = () => layers.byId[id]!;
                return (
                  <li class="layer" data-layer={id}>
                    <span class="mono small">{shortId(id)}</span>
                    <div class="bar" role="progressbar" aria-label={`Layer ${shortId(id)}`} aria-valuemin="0" aria-valuemax="100" aria-valuenow={percent(layer()) ?? undefined} aria-valuetext={layer().status}>
                      <div class="bar-fill" classList={{ indeterminate: percent(layer()) === null }} style={{ width: `${percent(layer()) ?? 100}%` }} />
                    </div>
                    <span class="small layer-status">
                      {layer().status}
                      <Show when={layer().total && !FINISHED.test(layer().status)}> {formatBytes(layer().current ?? 0)} / {formatBytes(layer().total!)}</Show>
                    </span>
                  </li>
                );
              }}
            </For>
          </ul>
          <Show when={result()}>
            {(r) => (
              <p class="ok-text" role="status" data-testid="pull-done">
                ✓ {r().image}:{r().tag} — {r().status}
                <Show when={r().digest}><span class="mono small block muted">{r().digest}</span></Show>
              </p>
            )}
          </Show>
        </div>
      </Show>
    </section>
  );
}
