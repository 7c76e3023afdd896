import { createSignal, For, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { refreshUpdates, updatesOf, useUpdates } from '../updates.js';
import { describeUpdate } from './UpdateBadge.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import '../updates.css';

/**
 * The one-click update of a service, after a confirmation: the update a
 * schedule runs (images the registry changed are pulled, their containers
 * recreated). The deployment it starts is handed to the page to show.
 */
export function UpdateButton(props: { serviceId: string; serviceName: string; disabled?: boolean; onDeployment: (id: string) => void; onError: (e: UiError | null) => void }) {
  useUpdates();
  const [confirming, setConfirming] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const waiting = () => updatesOf(props.serviceId);

  const run = async () => {
    setBusy(true);
    props.onError(null);
    try {
      const result = await api.updates.updateService.mutate({ id: props.serviceId });
      props.onDeployment(result.deployment_id);
      announce(`${props.serviceName}: update requested`);
    } catch (err) {
      props.onError(toUiError(err));
    } finally {
      setBusy(false);
      setConfirming(false);
      void refreshUpdates();
    }
  };

  return (
    <>
      <button
        type="button"
        class={waiting().length > 0 ? 'primary' : undefined}
        disabled={busy() || props.disabled}
        onClick={() => setConfirming(true)}
        title="Pull the images the registry changed and recreate their containers, as a scheduled update does"
      >
        {busy() ? 'Updating…' : 'Update'}
      </button>
      <ConfirmDialog open={confirming()} title={`Update ${props.serviceName}?`} confirmLabel="Update" busy={busy()} onConfirm={() => void run()} onClose={() => setConfirming(false)}>
        <Show
          when={waiting().length > 0}
          fallback={<p>The last check found no newer image. Images the registry has not changed are not pulled; containers already on the newest image are left running.</p>}
        >
          <p>The registry has newer images for:</p>
          <ul class="update-list mono small">
            <For each={waiting()}>{(i) => <li>{describeUpdate(i)}</li>}</For>
          </ul>
          <p>Their containers are recreated one at a time; a container that does not come up goes back to its old image.</p>
        </Show>
      </ConfirmDialog>
    </>
  );
}
