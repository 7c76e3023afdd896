import { createSignal, Show } from 'solid-js';
import type { EngineCreate, EngineObject, EngineTestResult, EngineUpdate } from '../../shared/engines.js';
import { announce } from '../announce.js';
import { api } from '../api.js';
import { createSubmit, inputError } from '../form-submit.js';
import { SshFields, TlsFields, type CredentialMode, type SshInput, type TlsInput } from './EngineCredentials.js';
import { ErrorBanner } from './ErrorBanner.js';

type Kind = EngineObject['kind'];

/** The kind the URL's scheme says; what the form asks for follows it. */
export function kindOf(url: string): Kind | null {
  const m = /^\s*(unix|tcp|ssh):\/\//i.exec(url);
  return m ? (m[1]!.toLowerCase() as Kind) : null;
}

const KIND_HELP: Record<Kind, string> = {
  unix: 'A socket on this machine, as Capstan sees it (mounted into its container if it runs in one).',
  tcp: 'The engine\'s TCP port: 2376 with TLS, 2375 without (plain HTTP, only on a trusted network).',
  ssh: 'Capstan logs in with a key and runs docker system dial-stdio there, as the docker CLI does: the user must be allowed to use Docker on that host.',
};

/**
 * Add an engine, or change one: its name, URL and credentials. On edit a stored
 * credential is kept unless the person chooses to replace or remove it (it is
 * never shown). "Test connection" tries what is typed, without saving.
 */
export function EngineForm(props: { engine?: EngineObject; onSaved: (e: EngineObject) => void; onCancel: () => void }) {
  const editing = props.engine;
  const idp = editing ? `engine-${editing.id}` : 'engine-new';
  const [name, setName] = createSignal(editing?.name ?? '');
  const [url, setUrl] = createSignal(editing?.url ?? '');
  const tlsStored = !!editing?.tls;
  const sshStored = editing?.kind === 'ssh';
  const [tlsMode, setTlsMode] = createSignal<CredentialMode>(tlsStored ? 'keep' : 'none');
  const [sshMode, setSshMode] = createSignal<CredentialMode>(sshStored ? 'keep' : 'set');
  const [tls, setTls] = createSignal<TlsInput>({ ca: '', cert: '', key: '' });
  const [ssh, setSsh] = createSignal<SshInput>({ private_key: '', passphrase: '', host_key: '' });
  const [testing, setTesting] = createSignal(false);
  const [test, setTest] = createSignal<EngineTestResult | null>(null);
  const kind = () => kindOf(url());

  const sshBody = () => {
    const s = ssh();
    return { private_key: s.private_key, ...(s.passphrase ? { passphrase: s.passphrase } : {}), ...(s.host_key ? { host_key: s.host_key } : {}) };
  };
  /** What would be saved, in full (what a test needs): the typed credentials of the URL's kind. */
  const createBody = (): EngineCreate => ({
    name: name().trim(),
    url: url().trim(),
    ...(kind() === 'tcp' && tlsMode() === 'set' ? { tls: tls() } : {}),
    ...(kind() === 'ssh' && sshMode() === 'set' ? { ssh: sshBody() } : {}),
  });
  /** On edit: only what changed; a credential of another kind than the URL's is dropped. */
  const updateBody = (e: EngineObject): EngineUpdate => {
    const body: EngineUpdate = { id: e.id };
    if (name().trim() !== e.name) body.name = name().trim();
    if (url().trim() !== e.url) body.url = url().trim();
    if (kind() === 'tcp' && tlsMode() === 'set') body.tls = tls();
    else if (tlsStored && (kind() !== 'tcp' || tlsMode() === 'none')) body.tls = null;
    if (kind() === 'ssh' && sshMode() === 'set') body.ssh = sshBody();
    else if (sshStored && (kind() !== 'ssh' || sshMode() === 'none')) body.ssh = null;
    return body;
  };
  /** A test sends everything: with a stored credential kept, the form has nothing to test it with. */
  const testable = () => !!kind() && !(kind() === 'tcp' && tlsMode() === 'keep') && !(kind() === 'ssh' && sshMode() !== 'set');

  const { busy, error, submit } = createSubmit(async () => {
    const saved = editing ? await api.engines.update.mutate(updateBody(editing)) : await api.engines.create.mutate(createBody());
    announce(`${editing ? 'Saved' : 'Added'} engine ${saved.name}`);
    props.onSaved(saved);
  }, inputError);

  const runTest = async () => {
    setTesting(true);
    setTest(null);
    try {
      // A test needs no name yet: the name is only checked when saving.
      const result = await api.engines.test.mutate({ ...createBody(), name: name().trim() || 'connection test' });
      setTest(result);
      announce(result.ok ? `Connected: Docker ${result.version ?? ''}` : `Connection failed: ${result.error ?? ''}`);
    } catch (err) {
      const e = inputError(err);
      setTest({ ok: false, version: null, api_version: null, ssh_host_key: null, same_daemon_as: [], error: e.message, details: e.code === 'BAD_REQUEST' ? null : (e.details ?? null) });
    } finally {
      setTesting(false);
    }
  };

  return (
    <form class="settings-form engine-form" onSubmit={submit} novalidate>
      <div class="field-row">
        <div class="field grow">
          <label for={`${idp}-name`}>Name</label>
          <input id={`${idp}-name`} required maxLength={64} value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="e.g. build box" autocomplete="off" />
        </div>
        <div class="field grow url-field">
          <label for={`${idp}-url`}>URL</label>
          <input
            id={`${idp}-url`}
            class="mono"
            required
            maxLength={2048}
            value={url()}
            onInput={(e) => {
              setUrl(e.currentTarget.value);
              setTest(null);
            }}
            placeholder="tcp://10.0.0.5:2376"
            aria-describedby={`${idp}-url-help`}
            autocomplete="off"
            spellcheck={false}
          />
        </div>
      </div>
      <p id={`${idp}-url-help`} class="muted small">
        <Show when={kind()} fallback={<>unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host[:port]</>}>
          {(k) => (
            <>
              <strong>{k()}</strong>: {KIND_HELP[k()]}
            </>
          )}
        </Show>
      </p>
      <Show when={kind() === 'tcp'}>
        <TlsFields idp={idp} stored={tlsStored} mode={tlsMode()} onMode={(m) => { setTlsMode(m); setTest(null); }} value={tls()} onInput={setTls} />
      </Show>
      <Show when={kind() === 'ssh'}>
        <SshFields idp={idp} stored={sshStored} mode={sshMode()} onMode={(m) => { setSshMode(m); setTest(null); }} value={ssh()} onInput={setSsh} storedHostKey={editing?.ssh_host_key} />
      </Show>
      <Show when={editing && kind() !== editing.kind && (tlsStored || sshStored)}>
        <p class="muted small">The URL is no longer {editing!.kind}://: the stored {tlsStored ? 'TLS credentials are' : 'SSH key is'} removed on save.</p>
      </Show>

      <Show when={test()}>
        {(t) => (
          <div class={t().ok ? 'test-ok' : 'test-bad'} role={t().ok ? 'status' : 'alert'} data-testid="engine-test-result">
            <Show
              when={t().ok}
              fallback={
                <>
                  Connection failed: {t().error ?? 'no answer'}
                  <Show when={t().details}><span class="block small">{t().details}</span></Show>
                </>
              }
            >
              Connected: Docker {t().version ?? '?'}
              <Show when={t().api_version}> (API {t().api_version})</Show>
              <Show when={t().same_daemon_as.filter((n) => n !== editing?.name)}>
                {(same) => (
                  <Show when={same().length > 0}>
                    <span class="block small" data-testid="engine-same-daemon">
                      This is the same Docker daemon as {same().join(', ')}: its containers show under both.
                    </span>
                  </Show>
                )}
              </Show>
              <Show when={t().ssh_host_key}>
                {(hk) => (
                  <span class="block small">
                    Host key <span class="mono">{hk()}</span>
                    <Show when={ssh().host_key !== hk()}>
                      {' '}
                      <button type="button" class="link small" onClick={() => setSsh({ ...ssh(), host_key: hk() })}>
                        Require this host key
                      </button>
                    </Show>
                  </span>
                )}
              </Show>
            </Show>
          </div>
        )}
      </Show>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy() || !name().trim() || !url().trim()}>
          {busy() ? 'Connecting…' : editing ? 'Save changes' : 'Save engine'}
        </button>
        <button type="button" disabled={testing() || busy() || !testable() || !url().trim()} onClick={() => void runTest()} aria-describedby={`${idp}-test-help`}>
          {testing() ? 'Testing…' : 'Test connection'}
        </button>
        <button type="button" onClick={() => props.onCancel()}>Cancel</button>
      </div>
      <p id={`${idp}-test-help`} class="muted small">
        {testable() || !kind()
          ? 'Saving tests the connection first: nothing is saved if the engine cannot be reached.'
          : 'The test uses what is typed here: to test with the stored credentials, choose Replace, or save and see the engine\'s state.'}
      </p>
    </form>
  );
}
