import { createSignal, Show, type JSX } from 'solid-js';
import { announce } from '../announce.js';

/**
 * A secret the server shows this once (a token, a webhook URL): read-only,
 * selected on focus, with a copy button, and a plain note that it will not be
 * shown again, since the server keeps only a hash of it.
 */
export function SecretOnce(props: { label: string; value: string; testId?: string; onDone: () => void; children?: JSX.Element }) {
  const [copied, setCopied] = createSignal<'yes' | 'no' | ''>('');
  let input!: HTMLInputElement;
  const copy = async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('yes');
      announce('Copied to the clipboard');
    } catch {
      // No clipboard permission (an insecure origin, a locked-down browser): the text is selected for Ctrl+C.
      setCopied('no');
    }
  };
  return (
    <section class="card secret-once" aria-labelledby="secret-once-title">
      <h2 id="secret-once-title" class="card-title">{props.label}</h2>
      <p class="secret-warning">
        <strong>Copy it now: you will not see it again.</strong> Capstan keeps only a hash of it; if it is lost, make a new one.
      </p>
      <div class="secret-row">
        <label class="grow">
          <span class="sr-only">{props.label}</span>
          <input ref={input} class="mono" readonly value={props.value} data-testid={props.testId} onFocus={(e) => e.currentTarget.select()} spellcheck={false} autocomplete="off" />
        </label>
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p class="small muted" role="status">
        <Show when={copied() === 'yes'}>Copied to the clipboard.</Show>
        <Show when={copied() === 'no'}>The browser did not allow copying: the text is selected, press Ctrl+C (⌘C).</Show>
      </p>
      {props.children}
      <div class="form-actions">
        <button type="button" onClick={() => props.onDone()}>
          I have copied it
        </button>
      </div>
    </section>
  );
}
