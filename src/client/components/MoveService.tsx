import { createEffect, createSignal, on, Show } from 'solid-js';
import { announce } from '../announce.js';
import { api, toUiError, type UiError } from '../api.js';
import { engineAvailable, engineList, engineName } from '../engines.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { EngineSelect } from './EngineSelect.js';
import { ErrorBanner } from './ErrorBanner.js';

/**
 * Moving a service to another engine: says what happens before asking (the
 * containers go from the old engine, the volumes' data stays there), then
 * services.move. The dialog stays open on a refusal, with the reason.
 */
export function MoveService(props: {
  open: boolean;
  service: { id: string; name: string; engine_id: string };
  /** The engine's names of the service's named volumes: what is left behind. */
  volumes: string[];
  onClose: () => void;
  onMoved: (deploymentId: string | undefined) => void;
}) {
  const [target, setTarget] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<UiError | null>(null);
  const targets = () => (engineList() ?? []).filter((e) => e.id !== props.service.engine_id);

  // Each opening starts over, on the first engine that answers.
  createEffect(
    on(
      () => props.open,
      (open) => {
        if (!open) return;
        setError(null);
        setTarget((targets().find((e) => e.available) ?? targets()[0])?.id ?? '');
      },
    ),
  );

  const from = () => engineName(props.service.engine_id);
  const move = async () => {
    const to = target();
    if (!to || busy()) return;
    setBusy(true);
    setError(null);
    try {
      const result = await api.services.move.mutate({ id: props.service.id, engine_id: to });
      announce(`Moving ${props.service.name} to ${engineName(to)}`);
      props.onMoved('deployment_id' in result ? (result.deployment_id as string | undefined) : undefined);
      props.onClose();
    } catch (err) {
      // Why the move was refused (the target engine does not answer, a port is taken there) is the answer itself.
      const { details, ...e } = toUiError(err);
      setError(details && e.code && e.code !== 'INTERNAL_SERVER_ERROR' ? { ...e, message: `${e.message}: ${details}` } : { ...e, ...(details ? { details } : {}) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open={props.open}
      title={`Move ${props.service.name} to another engine?`}
      confirmLabel={busy() ? 'Moving…' : 'Move service'}
      danger
      busy={busy() || !target()}
      onConfirm={() => void move()}
      onClose={props.onClose}
    >
      <Show when={targets().length > 0} fallback={<p>There is no other engine to move it to: add one on the Engines page first.</p>}>
        <div class="field">
          <EngineSelect id="move-target" label="Target engine" value={target()} onChange={setTarget} exclude={props.service.engine_id} />
        </div>
        <Show when={target() && engineAvailable(target()) === false}>
          <p class="field-error">This engine does not answer right now: the move would fail.</p>
        </Show>
      </Show>
      <p data-testid="move-explanation">
        The service's containers are stopped and removed on <strong>{from()}</strong>, then deployed on{' '}
        <strong>{target() ? engineName(target()) : 'the new engine'}</strong> from its definition (images are pulled there).
      </p>
      <div class="danger-note" data-testid="move-volumes-warning">
        <p>
          Volumes and their data are not carried over: named volumes, and the anonymous ones an image keeps its data in, stay on{' '}
          <strong>{from()}</strong>, and the service starts with new, empty volumes on the new engine.
          <Show when={props.volumes.length > 0}>
            {' '}Left behind: <strong>{props.volumes.join(', ')}</strong>.
          </Show>
        </p>
      </div>
      <Show when={error()}>{(err) => <ErrorBanner error={err()} />}</Show>
    </ConfirmDialog>
  );
}
