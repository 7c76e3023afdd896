import { batch, createEffect, createMemo, createSignal, For, on, onCleanup, Show } from 'solid-js';
import type { LogLine } from '../../shared/logs.js';
import { api, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { VirtualList } from '../components/VirtualList.js';
import { formatCount, formatLogTime } from '../format.js';
import { LogBuffer, type LogEntry } from '../log-buffer.js';
import { epoch } from '../live.js';
import { useService } from '../service-context.js';

/** Kept lines: beyond this the oldest go, so memory stays bounded however long the page stays open. */
export const MAX_LINES = 100_000;
const ROW_PX = 20;
const TAILS = [100, 500, 1000, 5000, 10000];

/** A stable colour per container name, so interleaved lines are told apart at a glance. */
const hue = (name: string) => [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 360, 7);

/** Logs of a service: tail, then follow live; pause, filter, per-container toggles; virtualized. */
export function Logs() {
  const { id, service } = useService();
  const buffer = new LogBuffer(MAX_LINES);
  const [version, setVersion] = createSignal(0);
  const [tail, setTail] = createSignal(500);
  const [paused, setPaused] = createSignal(false);
  const [text, setText] = createSignal('');
  const [hidden, setHidden] = createSignal<Record<string, boolean>>({});
  // On a phone the message needs the width more than the time does.
  const [timestamps, setTimestamps] = createSignal(!matchMedia('(max-width: 600px)').matches);
  const [following, setFollowing] = createSignal(true);
  const [error, setError] = createSignal<UiError | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [streaming, setStreaming] = createSignal(false);
  let list: HTMLDivElement | undefined;
  let sub: { unsubscribe(): void } | undefined;
  let pending: LogLine[] = [];
  let frame = 0;

  const containers = createMemo(() => (service.data()?.containers ?? []).map((c) => c.name).sort());
  // The header already names the service: rows show the short compose key ("web"), the full name on hover.
  const shortName = createMemo(() => {
    const map = new Map((service.data()?.containers ?? []).map((c) => [c.name, c.service]));
    return (name: string) => map.get(name) ?? name;
  });

  const scrollToEnd = () => {
    if (list) list.scrollTop = list.scrollHeight;
  };

  // Lines arrive one SSE event at a time: gather them and render once per frame.
  const flush = () => {
    frame = 0;
    const lines = pending;
    pending = [];
    const gone = buffer.push(lines);
    setVersion((v) => v + 1);
    if (following()) queueMicrotask(scrollToEnd);
    else if (gone && list) list.scrollTop -= gone * ROW_PX; // keep a reader who scrolled up on the same lines
  };
  const receive = (line: LogLine) => {
    pending.push(line);
    // A hidden tab gets no animation frames: bound what waits for one, too.
    if (pending.length > MAX_LINES) buffer.dropped += pending.splice(0, pending.length - MAX_LINES).length;
    frame ||= requestAnimationFrame(flush);
  };

  const stopStream = () => {
    sub?.unsubscribe();
    sub = undefined;
    setStreaming(false);
  };

  const follow = () => {
    stopStream();
    const after = buffer.lastTimestamp;
    sub = api.services.followLogs.subscribe(after ? { id: id(), lastEventId: after } : { id: id() }, {
      onStarted: () => setStreaming(true),
      onData: ({ data }) => receive(data),
      onError: (err) => {
        setError(toUiError(err));
        stopStream();
      },
      onConnectionStateChange: (s) => {
        if (s.state === 'connecting') setStreaming(false);
        if (s.state === 'pending') setError(null);
      },
    });
  };

  const load = async () => {
    stopStream();
    cancelAnimationFrame(frame);
    frame = 0;
    pending = [];
    buffer.clear();
    setVersion((v) => v + 1);
    setLoading(true);
    setError(null);
    try {
      const { lines } = await api.services.logs.query({ id: id(), tail: tail() });
      buffer.push(lines);
      setVersion((v) => v + 1);
      setFollowing(true);
      queueMicrotask(scrollToEnd);
    } catch (err) {
      setError(toUiError(err));
    } finally {
      setLoading(false);
    }
    if (!paused()) follow();
  };

  createEffect(on([id, tail], () => void load()));
  // The stream resumes by itself after a reconnect; only a stream that gave up needs a reload.
  createEffect(on(epoch, () => !sub && !paused() && void load(), { defer: true }));
  onCleanup(() => {
    stopStream();
    cancelAnimationFrame(frame);
  });

  // A new filter is one pass over the kept lines; typing is debounced so it is one pass per pause.
  let filterTimer: ReturnType<typeof setTimeout> | undefined;
  createEffect(
    on([text, hidden], ([t, h]) => {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(() => {
        const needle = t.toLowerCase();
        const anyHidden = Object.values(h).some(Boolean);
        buffer.setFilter(!needle && !anyHidden ? () => true : (e: LogEntry) => !h[e.container] && (!needle || e.message.toLowerCase().includes(needle)));
        setVersion((v) => v + 1);
        if (following()) queueMicrotask(scrollToEnd);
      }, 120);
    }, { defer: true }),
  );

  const togglePause = () => {
    if (paused()) {
      setPaused(false);
      follow();
    } else {
      setPaused(true);
      stopStream();
    }
  };

  const count = () => (version(), buffer.view.length);
  const total = () => (version(), buffer.entries.length);
  const entry = (i: number) => (version(), buffer.view[i]);

  return (
    <div class="logs">
      <div class="logs-toolbar">
        <div class="logs-controls">
          <button type="button" class={paused() ? 'primary' : ''} aria-pressed={paused()} onClick={togglePause} title={paused() ? 'Resume: fetches what was written meanwhile' : 'Pause the live stream'}>
            {paused() ? 'Resume' : 'Pause'}
          </button>
          <label class="inline">
            <span>Last</span>
            <select value={tail()} onChange={(e) => setTail(Number(e.currentTarget.value))} aria-label="Lines of history to load">
              <For each={TAILS}>{(n) => <option value={n}>{formatCount(n)}</option>}</For>
            </select>
          </label>
          <label class="inline grow">
            <span class="sr-only">Filter lines</span>
            <input type="search" placeholder="Filter lines" value={text()} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <label class="checkbox">
            <input type="checkbox" checked={timestamps()} onChange={(e) => setTimestamps(e.currentTarget.checked)} /> Timestamps
          </label>
          <a class="button" href={`/api/services/${id()}/logs?format=text&tail=10000`} download={`${service.data()?.name ?? 'service'}.log`}>Download</a>
        </div>
        <div class="logs-containers" role="group" aria-label="Containers shown">
          <For each={containers()}>
            {(name) => (
              <label class="chip" style={{ '--chip-hue': String(hue(name)) }} title={name}>
                <input type="checkbox" checked={!hidden()[name]} onChange={(e) => setHidden((h) => ({ ...h, [name]: !e.currentTarget.checked }))} />
                {shortName()(name)}
              </label>
            )}
          </For>
          <span class="logs-state small" aria-live="polite" data-testid="log-state">
            <span classList={{ 'live-dot': true, on: streaming() }} aria-hidden="true" />
            {paused() ? 'Paused' : streaming() ? 'Live' : loading() ? 'Loading…' : 'Connecting…'}
          </span>
          <span class="muted small" data-testid="log-count">
            {count() === total() ? `${formatCount(total())} lines` : `${formatCount(count())} of ${formatCount(total())} lines`}
            {(version(), buffer.dropped) ? ` · oldest ${formatCount(buffer.dropped)} dropped` : ''}
          </span>
        </div>
      </div>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} onRetry={() => void load()} />}</Show>
      <div class="logs-view" classList={{ 'no-ts': !timestamps() }} style={{ '--ctr-width': `${Math.min(24, Math.max(4, ...containers().map((c) => shortName()(c).length)))}ch` }}>
        <VirtualList
          label="Log lines"
          count={count()}
          rowHeight={ROW_PX}
          ref={(el) => (list = el)}
          onScroll={(el) => setFollowing(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW_PX)}
          renderRow={(i) => {
            const e = () => entry(i());
            return (
              <div class="log-line" classList={{ stderr: e()?.stderr }}>
                <span class="log-ts">{timestamps() ? formatLogTime(e()?.timestamp ?? '') : ''}</span>
                <span class="log-ctr" style={{ '--chip-hue': String(hue(e()?.container ?? '')) }} title={e()?.container}>{shortName()(e()?.container ?? '')}</span>
                <span class="log-msg">{e()?.message}</span>
              </div>
            );
          }}
        />
        <Show when={!loading() && count() === 0}>
          <p class="logs-empty muted">{total() === 0 ? 'No log lines yet.' : 'No lines match the filter.'}</p>
        </Show>
        <Show when={!following() && count() > 0}>
          <button type="button" class="jump primary" onClick={() => { batch(() => setFollowing(true)); scrollToEnd(); }}>
            Jump to latest
          </button>
        </Show>
      </div>
    </div>
  );
}
