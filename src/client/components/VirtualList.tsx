import { createMemo, createSignal, Index, onCleanup, onMount, type JSX } from 'solid-js';

const OVERSCAN = 10;

/**
 * A list that renders only the rows in sight (plus a few), each exactly
 * `rowHeight` pixels tall: a hundred thousand lines cost as much DOM as fifty.
 * Rows are reused by position (Index), so scrolling only changes their text.
 */
export function VirtualList(props: {
  count: number;
  rowHeight: number;
  renderRow: (index: () => number) => JSX.Element;
  ref?: (el: HTMLDivElement) => void;
  onScroll?: (el: HTMLDivElement) => void;
  class?: string;
  label: string;
}) {
  let el!: HTMLDivElement;
  const [scrollTop, setScrollTop] = createSignal(0);
  const [height, setHeight] = createSignal(600);

  onMount(() => {
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    onCleanup(() => ro.disconnect());
  });

  const range = createMemo(() => {
    const first = Math.max(0, Math.floor(scrollTop() / props.rowHeight) - OVERSCAN);
    const last = Math.min(props.count, Math.ceil((scrollTop() + height()) / props.rowHeight) + OVERSCAN);
    return Array.from({ length: Math.max(0, last - first) }, (_, i) => first + i);
  });

  return (
    <div
      ref={(node) => {
        el = node;
        props.ref?.(node);
      }}
      class={`vlist ${props.class ?? ''}`}
      tabindex="0"
      role="log"
      aria-live="off"
      aria-label={props.label}
      onScroll={() => {
        setScrollTop(el.scrollTop);
        props.onScroll?.(el);
      }}
    >
      <div class="vlist-space" style={{ height: `${props.count * props.rowHeight}px` }}>
        <Index each={range()}>
          {(index) => (
            <div class="vlist-row" style={{ transform: `translateY(${index() * props.rowHeight}px)`, height: `${props.rowHeight}px` }}>
              {props.renderRow(index)}
            </div>
          )}
        </Index>
      </div>
    </div>
  );
}
