import { createSignal, Show } from 'solid-js';

/**
 * A PEM text (a certificate, a key): pasted, or read from a file the person
 * picks (its text only; nothing is uploaded until the form is saved).
 */
export function PemField(props: {
  id: string;
  label: string;
  /** The file input's label: what to pick ("Read ca.pem file"). */
  fileLabel: string;
  value: string;
  onInput: (text: string) => void;
  help?: string;
  placeholder?: string;
  required?: boolean;
}) {
  const [fileError, setFileError] = createSignal('');
  const read = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    setFileError('');
    if (!file) return;
    if (file.size > 64 * 1024) {
      setFileError(`${file.name} is larger than 64 KiB: not a PEM file?`);
      input.value = '';
      return;
    }
    try {
      props.onInput((await file.text()).trim() + '\n');
    } catch {
      setFileError(`Could not read ${file.name}`);
    }
    // The same file picked again (after an edit) is read again.
    input.value = '';
  };
  return (
    <div class="field pem-field">
      <div class="field-head">
        <label for={props.id}>{props.label}</label>
        <label class="file-pick">
          <span class="sr-only">{props.fileLabel}</span>
          <span class="button small-button" aria-hidden="true">Load file…</span>
          <input type="file" class="sr-only" accept=".pem,.crt,.cer,.key,text/plain,application/x-pem-file" onChange={(e) => void read(e.currentTarget)} />
        </label>
      </div>
      <textarea
        id={props.id}
        class="mono pem-text"
        rows={4}
        spellcheck={false}
        autocomplete="off"
        required={props.required}
        placeholder={props.placeholder ?? '-----BEGIN ...-----'}
        value={props.value}
        aria-describedby={props.help ? `${props.id}-help` : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <Show when={props.help}>
        <p id={`${props.id}-help`} class="muted small">{props.help}</p>
      </Show>
      <Show when={fileError()}>
        <p class="field-error" role="alert">{fileError()}</p>
      </Show>
    </div>
  );
}
