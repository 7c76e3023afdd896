import { For, Show } from 'solid-js';
import { engineAvailable, engineList, LOCAL_ENGINE_ID } from '../engines.js';

/**
 * A labelled picker of the Docker engines (default: the local one). An engine
 * that does not answer says so in its option; `all` adds "All engines" (value "").
 */
export function EngineSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (id: string) => void;
  all?: boolean;
  /** Hidden label (in a toolbar whose placeholder-like first option already says it). */
  hideLabel?: boolean;
  exclude?: string;
  disabled?: boolean;
  describedBy?: string;
}) {
  const options = () => {
    const list = (engineList() ?? []).filter((e) => e.id !== props.exclude);
    // Until the list is in, the chosen engine is still an option: the select never shows a blank.
    if (!props.all && props.value && !list.some((e) => e.id === props.value)) return [{ id: props.value, name: props.value === LOCAL_ENGINE_ID ? 'local' : props.value }, ...list];
    return list;
  };
  return (
    <>
      <label for={props.id} classList={{ 'sr-only': !!props.hideLabel }}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        disabled={props.disabled}
        aria-describedby={props.describedBy}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        <Show when={props.all}>
          <option value="">All engines</option>
        </Show>
        <For each={options()}>
          {(e) => (
            <option value={e.id} selected={e.id === props.value}>
              {e.name}
              {engineAvailable(e.id) === false ? ' (down)' : ''}
            </option>
          )}
        </For>
      </select>
    </>
  );
}

/** The engine picker of a list page (images, volumes, networks): a small labelled field in the page head. */
export function EngineField(props: { id: string; value: string; onChange: (id: string) => void }) {
  return (
    <div class="field engine-field">
      <EngineSelect id={props.id} label="Engine" value={props.value} onChange={props.onChange} />
    </div>
  );
}
