import { createMemo, For } from 'solid-js';

export interface SparkSeries {
  /** Shown in the legend and read by screen readers. */
  label: string;
  /** [time in ms, value], oldest first. */
  points: [number, number][];
  /** A CSS class giving the line its colour. */
  tone: string;
}

const W = 240;
const H = 48;
/** Samples further apart than this are a gap (the stream was closed): the line breaks instead of bridging it. */
const GAP_MS = 5000;
const MIN_SPAN_MS = 60_000;

/** One series as SVG path data in a W×H box: x is time over the window, y the value over max. */
function pathOf(points: [number, number][], from: number, span: number, max: number): string {
  let d = '';
  let prev: number | undefined;
  for (const [t, v] of points) {
    if (t < from) continue;
    const x = ((t - from) / span) * W;
    const y = H - (Math.min(v, max) / max) * (H - 2) - 1;
    d += `${prev === undefined || t - prev > GAP_MS ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    prev = t;
  }
  return d;
}

/**
 * A small line chart of the last minutes, one line per series, scaled to
 * `max` (a memory limit, say) or to the highest value shown. Drawn as plain
 * SVG paths: no chart library for a few hundred points.
 */
export function Sparkline(props: { series: SparkSeries[]; windowMs: number; now: number; max?: number; title: string }) {
  const scale = createMemo(() => {
    const highest = Math.max(0, ...props.series.flatMap((s) => s.points.map((p) => p[1])));
    return props.max && props.max > 0 ? props.max : highest > 0 ? highest * 1.1 : 1;
  });
  // Until the window has filled, the chart spans from the first sample (at least MIN_SPAN_MS): a young line is not a dot at the edge.
  const span = createMemo(() => {
    const first = Math.min(...props.series.map((s) => s.points[0]?.[0] ?? Infinity));
    const from = Math.max(props.now - props.windowMs, Number.isFinite(first) ? first : props.now);
    return { from, ms: Math.max(props.now - from, MIN_SPAN_MS) };
  });
  const paths = createMemo(() => props.series.map((s) => ({ ...s, d: pathOf(s.points, span().from, span().ms, scale()) })));
  return (
    <svg class="sparkline" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={props.title} data-testid="sparkline">
      <line class="sparkline-base" x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} />
      <For each={paths()}>{(p) => <path class={`sparkline-line ${p.tone}`} d={p.d} vector-effect="non-scaling-stroke" data-label={p.label} />}</For>
    </svg>
  );
}
