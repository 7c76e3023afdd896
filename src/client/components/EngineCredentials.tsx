import { Show } from 'solid-js';
import { PemField } from './PemField.js';

/** What a form does with a stored credential: keep it, replace it with what is typed, or drop it. */
export type CredentialMode = 'keep' | 'set' | 'none';

export interface TlsInput {
  ca: string;
  cert: string;
  key: string;
}
export interface SshInput {
  private_key: string;
  passphrase: string;
  host_key: string;
}

/** Keep / replace / remove, for a credential that is stored (on edit). */
function StoredChoice(props: { idp: string; legend: string; keepLabel: string; removeLabel: string; mode: CredentialMode; onMode: (m: CredentialMode) => void }) {
  return (
    <fieldset class="field">
      <legend>{props.legend}</legend>
      <div class="segmented">
        <label>
          <input type="radio" name={`${props.idp}-mode`} value="keep" checked={props.mode === 'keep'} onChange={() => props.onMode('keep')} /> {props.keepLabel}
        </label>
        <label>
          <input type="radio" name={`${props.idp}-mode`} value="set" checked={props.mode === 'set'} onChange={() => props.onMode('set')} /> Replace
        </label>
        <label>
          <input type="radio" name={`${props.idp}-mode`} value="none" checked={props.mode === 'none'} onChange={() => props.onMode('none')} /> {props.removeLabel}
        </label>
      </div>
    </fieldset>
  );
}

/** For tcp://: TLS with a client certificate, as DOCKER_CERT_PATH holds it (ca.pem, cert.pem, key.pem). */
export function TlsFields(props: { idp: string; stored: boolean; mode: CredentialMode; onMode: (m: CredentialMode) => void; value: TlsInput; onInput: (v: TlsInput) => void }) {
  const set = (k: keyof TlsInput) => (text: string) => props.onInput({ ...props.value, [k]: text });
  return (
    <div class="credentials">
      <Show
        when={props.stored}
        fallback={
          <label class="checkbox">
            <input type="checkbox" id={`${props.idp}-tls`} checked={props.mode === 'set'} onChange={(e) => props.onMode(e.currentTarget.checked ? 'set' : 'none')} />
            Use TLS (client certificate)
          </label>
        }
      >
        <StoredChoice idp={`${props.idp}-tls`} legend="TLS credentials" keepLabel="Keep stored" removeLabel="Remove (plain HTTP)" mode={props.mode} onMode={props.onMode} />
      </Show>
      <Show when={props.mode === 'set'}>
        <p class="muted small">The three files the docker CLI reads from DOCKER_CERT_PATH. They are stored encrypted and never shown again.</p>
        <PemField id={`${props.idp}-ca`} label="CA certificate (ca.pem)" fileLabel="Read ca.pem file" value={props.value.ca} onInput={set('ca')} required placeholder="-----BEGIN CERTIFICATE-----" />
        <PemField id={`${props.idp}-cert`} label="Client certificate (cert.pem)" fileLabel="Read cert.pem file" value={props.value.cert} onInput={set('cert')} required placeholder="-----BEGIN CERTIFICATE-----" />
        <PemField id={`${props.idp}-key`} label="Client key (key.pem)" fileLabel="Read key.pem file" value={props.value.key} onInput={set('key')} required placeholder="-----BEGIN PRIVATE KEY-----" />
      </Show>
      <Show when={props.mode === 'none' && !props.stored}>
        <p class="muted small">Without TLS the engine is reached over plain HTTP: anyone on the network path can drive it. Use it only on a trusted network.</p>
      </Show>
    </div>
  );
}

/** For ssh://: key-based login (the docker CLI's ssh:// runs `docker system dial-stdio` on the host). */
export function SshFields(props: { idp: string; stored: boolean; mode: CredentialMode; onMode: (m: CredentialMode) => void; value: SshInput; onInput: (v: SshInput) => void; storedHostKey?: string | null }) {
  const set = (k: keyof SshInput) => (text: string) => props.onInput({ ...props.value, [k]: text });
  return (
    <div class="credentials">
      <Show when={props.stored}>
        <StoredChoice idp={`${props.idp}-ssh`} legend="SSH key" keepLabel="Keep stored" removeLabel="Remove" mode={props.mode} onMode={props.onMode} />
        <Show when={props.storedHostKey && props.mode === 'keep'}>
          <p class="muted small">
            Host key required: <span class="mono">{props.storedHostKey}</span>
          </p>
        </Show>
      </Show>
      <Show when={props.mode === 'set'}>
        <PemField
          id={`${props.idp}-ssh-key`}
          label="Private key"
          fileLabel="Read SSH key file"
          value={props.value.private_key}
          onInput={set('private_key')}
          required
          placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
          help="The key Capstan logs in with (its public half in the user's ~/.ssh/authorized_keys on the host). Stored encrypted, never shown again."
        />
        <div class="field-row">
          <div class="field grow">
            <label for={`${props.idp}-ssh-pass`}>Passphrase (optional)</label>
            <input id={`${props.idp}-ssh-pass`} type="password" autocomplete="new-password" value={props.value.passphrase} onInput={(e) => set('passphrase')(e.currentTarget.value)} />
          </div>
          <div class="field grow">
            <label for={`${props.idp}-ssh-host`}>Host key fingerprint (optional)</label>
            <input
              id={`${props.idp}-ssh-host`}
              class="mono"
              autocomplete="off"
              spellcheck={false}
              placeholder="SHA256:…"
              value={props.value.host_key}
              aria-describedby={`${props.idp}-ssh-host-help`}
              onInput={(e) => set('host_key')(e.currentTarget.value.trim())}
            />
          </div>
        </div>
        <p id={`${props.idp}-ssh-host-help`} class="muted small">
          As <code>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</code> prints it on the host. Without it, the key seen at the first connection is kept and required from then on.
        </p>
      </Show>
      <Show when={props.mode === 'none' && props.stored}>
        <p class="field-error">Without a key Capstan cannot log in: the engine will be down until a key is stored again.</p>
      </Show>
    </div>
  );
}
