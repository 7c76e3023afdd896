import { createMemo, createSignal, Index, Show } from 'solid-js';
import { envKeys, maskEnvText } from '../env-text.js';

/**
 * A .env editor whose values stay hidden until "Reveal values": the textarea
 * keeps the real text (typing, pasting and undo work as usual) but draws it
 * transparent, and an overlay under it shows the keys with a dot per value
 * character. The values themselves are never in the page's markup while hidden.
 */
export function EnvEditor(props: {
  id: string;
  label: string;
  value: string;
  onInput: (text: string) => void;
  describedBy?: string;
  /** Shorter box, for a side column. */
  compact?: boolean;
}) {
  let textarea!: HTMLTextAreaElement;
  let overlay!: HTMLDivElement;
  const [revealed, setRevealed] = createSignal(false);
  const masked = createMemo(() => maskEnvText(props.value));
  const keys = createMemo(() => envKeys(props.value));

  const syncScroll = () => {
    if (revealed() || !overlay?.isConnected) return;
    overlay.style.transform = `translate(${-textarea.scrollLeft}px, ${-textarea.scrollTop}px)`;
  };

  const toggle = () => {
    setRevealed(!revealed());
    syncScroll();
  };

  const summary = () => {
    const k = keys();
    if (!k.length) return 'No variables yet.';
    const names = k.length > 8 ? `${k.slice(0, 8).join(', ')}, …` : k.join(', ');
    return `${k.length} variable${k.length > 1 ? 's' : ''}: ${names}${revealed() ? '' : '. Values are hidden.'}`;
  };
  const summaryId = () => `${props.id}-summary`;
  return (
    <div class="env-editor" classList={{ 'env-hidden': !revealed(), compact: !!props.compact }}>
      <div class="field-head">
        <label for={props.id}>{props.label}</label>
        <button type="button" class="link small" aria-pressed={revealed()} aria-controls={props.id} onClick={toggle}>
          {revealed() ? 'Hide values' : 'Reveal values'}
        </button>
      </div>
      <div class="env-box">
        <Show when={!revealed()}>
          <div class="env-overlay" ref={overlay} aria-hidden="true" data-testid="env-masked">
            <Index each={masked()}>
              {(line) => (
                <div class="env-line">
                  {line().shown}
                  <Show when={line().hidden > 0}>
                    <span class="env-dots">{'x'.repeat(line().hidden)}</span>
                  </Show>
                  {'\u200b'}
                </div>
              )}
            </Index>
          </div>
        </Show>
        <textarea
          id={props.id}
          ref={textarea}
          class="env-text"
          wrap="off"
          spellcheck={false}
          autocapitalize="off"
          autocomplete="off"
          placeholder={'KEY=value\n# one variable a line'}
          value={props.value}
          aria-describedby={[summaryId(), props.describedBy].filter(Boolean).join(' ')}
          onInput={(e) => {
            props.onInput(e.currentTarget.value);
            syncScroll();
          }}
          onScroll={syncScroll}
        />
      </div>
      <p id={summaryId()} class="muted small">
        {summary()}
      </p>
    </div>
  );
}
