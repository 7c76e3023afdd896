import { batch, createEffect, createMemo, createSignal, For, on, onCleanup, Show } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import type { StatsEvent, StatsPoint } from '../../shared/stats.js';
import { api, toUiError, type UiError } from '../api.js';
import { ErrorBanner } from '../components/ErrorBanner.js';
import { Sparkline } from '../components/Sparkline.js';
import { formatBytes, formatCount } from '../format.js';
import { epoch } from '../live.js';
import { useService } from '../service-context.js';
import { formatPercent } from '../service-usage.js';
import '../stats.css';

/** What the charts show: the server keeps this much history too. */
const WINDOW_MS = 5 * 60_000;

type Watched = Extract<StatsEvent, { kind: 'containers' }>['containers'][number];
interface Series {
  samples: StatsPoint[];
  ended?: string;
}

/** New samples after the kept ones; a reconnect's history again is merged by time, never doubled. */
function merge(kept: StatsPoint[], incoming: StatsPoint[], now: number): StatsPoint[] {
  const last = kept.at(-1)?.at ?? -Infinity;
  let all: StatsPoint[];
  if (incoming.every((p) => p.at > last)) all = kept.concat(incoming);
  else {
    const byTime = new Map([...kept, ...incoming].map((p) => [p.at, p]));
    all = [...byTime.values()].sort((a, b) => a.at - b.at);
  }
  const from = now - WINDOW_MS;
  const first = all.findIndex((p) => p.at >= from);
  return first <= 0 ? all : all.slice(first);
}

/** Per second, from two consecutive byte counters; a counter that went back (a restart) reads as 0. */
function rates(samples: StatsPoint[], key: 'net_rx_bytes' | 'net_tx_bytes' | 'block_read_bytes' | 'block_write_bytes'): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    const seconds = (b.at - a.at) / 1000;
    if (seconds > 0) out.push([b.at, Math.max(0, (b[key] - a[key]) / seconds)]);
  }
  return out;
}

const perSecond = (points: [number, number][]) => `${formatBytes(points.at(-1)?.[1] ?? 0)}/s`;

/** Live resource use of the service's containers: current figures and the last minutes as sparklines. */
export function Stats() {
  const { id } = useService();
  const [containers, setContainers] = createSignal<Watched[] | null>(null);
  const [series, setSeries] = createStore<Record<string, Series>>({});
  const [error, setError] = createSignal<UiError | null>(null);
  // The charts move on between samples, and a stopped container's line leaves the window.
  const [now, setNow] = createSignal(Date.now());
  const clock = setInterval(() => setNow(Date.now()), 1000);
  let sub: { unsubscribe(): void } | undefined;

  const receive = (e: StatsEvent) => {
    const at = Date.now();
    if (e.kind === 'containers') return setContainers(e.containers);
    if (e.kind === 'ended') return setSeries(e.container, { samples: series[e.container]?.samples ?? [], ended: e.reason });
    // A store merges objects: the stream is back, so its stop is cleared explicitly.
    setSeries(e.container, { samples: merge(series[e.container]?.samples ?? [], e.samples, at), ended: undefined });
  };

  const start = () => {
    sub?.unsubscribe();
    batch(() => {
      setContainers(null);
      setSeries(reconcile({}));
      setError(null);
    });
    sub = api.stats.onService.subscribe(
      { id: id() },
      {
        onStarted: () => setError(null),
        onData: ({ data }) => receive(data),
        onError: (err) => {
          setError(toUiError(err));
          sub = undefined;
        },
      },
    );
  };

  createEffect(on(id, start));
  // The EventSource reconnects by itself; a subscription that gave up starts again when the app reconnects.
  createEffect(on(epoch, () => !sub && start(), { defer: true }));
  onCleanup(() => {
    clearInterval(clock);
    sub?.unsubscribe();
  });

  return (
    <section class="stats-page" aria-label="Resource use">
      <Show when={error()}>{(e) => <ErrorBanner error={e()} onRetry={start} />}</Show>
      <Show when={containers()} fallback={<Show when={!error()}><p class="muted" aria-busy="true">Loading resource use…</p></Show>}>
        {(list) => (
          <Show when={list().length > 0} fallback={<p class="empty">This service has no containers.</p>}>
            <For each={list()}>{(c) => <ContainerStats container={c} series={series[c.name]} now={now()} />}</For>
          </Show>
        )}
      </Show>
    </section>
  );
}

function ContainerStats(props: { container: Watched; series: Series | undefined; now: number }) {
  const samples = createMemo(() => props.series?.samples ?? []);
  const latest = createMemo(() => samples().at(-1));
  const active = () => props.container.status === 'running' || props.container.status === 'paused';
  const line = (key: 'cpu_percent' | 'memory_bytes' | 'pids') => samples().map((p): [number, number] => [p.at, p[key]]);
  const net = createMemo(() => ({ rx: rates(samples(), 'net_rx_bytes'), tx: rates(samples(), 'net_tx_bytes') }));
  const block = createMemo(() => ({ read: rates(samples(), 'block_read_bytes'), write: rates(samples(), 'block_write_bytes') }));

  return (
    <article class="stats-card" data-container={props.container.name}>
      <header class="stats-head">
        <h2>{props.container.name}</h2>
        <span class="muted small">{props.container.status}</span>
        <Show when={active() && latest() && props.series?.ended}>
          {(reason) => <span class="muted small" role="status">Live figures stopped ({reason()}); trying again…</span>}
        </Show>
      </header>
      <Show
        when={active() && latest()}
        fallback={
          <p class="muted small">
            {!active() ? 'Not running: no figures.' : props.series?.ended ? `No figures: ${props.series.ended}` : 'Waiting for the first sample…'}
          </p>
        }
      >
        {(p) => (
          <div class="stats-grid">
            <div class="stats-tile">
              <span class="stats-label">CPU</span>
              <span class="stats-value" data-testid="stat-cpu">{formatPercent(p().cpu_percent)}</span>
              <Sparkline windowMs={WINDOW_MS} now={props.now} title={`CPU of ${props.container.name}`} series={[{ label: 'CPU %', tone: 'tone-cpu', points: line('cpu_percent') }]} />
            </div>
            <div class="stats-tile">
              <span class="stats-label">Memory</span>
              <span class="stats-value" data-testid="stat-memory">{formatBytes(p().memory_bytes)}</span>
              <span class="muted small" data-testid="stat-memory-limit">
                of {formatBytes(p().memory_limit_bytes)}
                {p().memory_limit_bytes > 0 ? ` (${formatPercent((p().memory_bytes / p().memory_limit_bytes) * 100)})` : ''}
              </span>
              <Sparkline windowMs={WINDOW_MS} now={props.now} title={`Memory of ${props.container.name}`} series={[{ label: 'Memory', tone: 'tone-memory', points: line('memory_bytes') }]} />
            </div>
            <div class="stats-tile">
              <span class="stats-label">Network</span>
              <span class="stats-value" data-testid="stat-net">↓ {perSecond(net().rx)} ↑ {perSecond(net().tx)}</span>
              <span class="muted small">{formatBytes(p().net_rx_bytes)} in, {formatBytes(p().net_tx_bytes)} out in all</span>
              <Sparkline windowMs={WINDOW_MS} now={props.now} title={`Network of ${props.container.name}`} series={[{ label: 'Received', tone: 'tone-in', points: net().rx }, { label: 'Sent', tone: 'tone-out', points: net().tx }]} />
            </div>
            <div class="stats-tile">
              <span class="stats-label">Block I/O</span>
              <span class="stats-value" data-testid="stat-block">R {perSecond(block().read)} W {perSecond(block().write)}</span>
              <span class="muted small">{formatBytes(p().block_read_bytes)} read, {formatBytes(p().block_write_bytes)} written in all</span>
              <Sparkline windowMs={WINDOW_MS} now={props.now} title={`Block I/O of ${props.container.name}`} series={[{ label: 'Read', tone: 'tone-in', points: block().read }, { label: 'Written', tone: 'tone-out', points: block().write }]} />
            </div>
            <div class="stats-tile">
              <span class="stats-label">Processes</span>
              <span class="stats-value" data-testid="stat-pids">{formatCount(p().pids)}</span>
              <Sparkline windowMs={WINDOW_MS} now={props.now} title={`Processes of ${props.container.name}`} series={[{ label: 'PIDs', tone: 'tone-pids', points: line('pids') }]} />
            </div>
          </div>
        )}
      </Show>
    </article>
  );
}
