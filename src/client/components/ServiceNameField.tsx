/** The service (compose project) name input, with its help line or its problem, as every form that creates a service shows it. */
export function ServiceNameField(props: {
  id: string;
  label: string;
  value: string;
  problem: string | undefined;
  help: string;
  placeholder?: string;
  onInput: (value: string) => void;
}) {
  const helpId = () => `${props.id}-help`;
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name="name"
        autocomplete="off"
        maxlength="63"
        placeholder={props.placeholder}
        value={props.value}
        aria-invalid={!!props.problem}
        aria-describedby={helpId()}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <p id={helpId()} class={props.problem ? 'field-error' : 'muted small'}>
        {props.problem || props.help}
      </p>
    </div>
  );
}
