import { createEffect, createSignal, For, on, onCleanup, Show } from 'solid-js';
import type { DeploymentObject } from '../../shared/schemas.js';
import { toUiError, api, type UiError } from '../api.js';
import { formatDateTime, formatLogTime } from '../format.js';
import { ErrorBanner } from './ErrorBanner.js';
import { StatusBadge } from './StatusBadge.js';

const STATUS_WORD: Record<DeploymentObject['status'], string> = { queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed' };
const badgeStatus: Record<DeploymentObject['status'], string> = { queued: 'deploying', running: 'deploying', succeeded: 'running', failed: 'error' };

/** A deployment's steps as they happen, from deployments.onUpdate (SSE, resumable by version). */
export function DeploymentProgress(props: { id: string; initial?: DeploymentObject; onFinished?: (d: DeploymentObject) => void; compact?: boolean; bare?: boolean }) {
  const [deployment, setDeployment] = createSignal<DeploymentObject | undefined>(props.initial);
  const [error, setError] = createSignal<UiError | null>(null);

  createEffect(
    on(
      () => props.id,
      (id) => {
        setError(null);
        if (props.initial?.id !== id) setDeployment(undefined);
        const done = props.initial?.id === id && (props.initial.status === 'succeeded' || props.initial.status === 'failed');
        if (done) return;
        const sub = api.deployments.onUpdate.subscribe(
          { id },
          {
            onData: ({ data }) => {
              setDeployment(data);
              if (data.status === 'succeeded' || data.status === 'failed') props.onFinished?.(data);
            },
            onError: (err) => setError(toUiError(err)),
          },
        );
        onCleanup(() => sub.unsubscribe());
      },
    ),
  );

  return (
    <div class="deployment" data-testid="deployment-progress">
      <Show when={deployment()} fallback={<Show when={!error()}><p class="muted small">Waiting for the deployment…</p></Show>}>
        {(d) => (
          <>
            <Show when={!props.bare}>
            <div class="deployment-head">
              <StatusBadge status={badgeStatus[d().status]} label={`${d().kind} ${STATUS_WORD[d().status]}`} />
              <span class="muted small">
                by {d().actor} · {formatDateTime(d().created_at)}
                <Show when={d().attempts > 1}> · attempt {d().attempts}</Show>
              </span>
            </div>
            </Show>
            <Show when={d().steps.length > 0} fallback={<p class="muted small">{d().status === 'queued' ? 'Queued: waiting for earlier operations on this service.' : 'No changes needed.'}</p>}>
              <ol class="steps" aria-live="polite">
                <For each={props.compact ? d().steps.slice(-8) : d().steps}>
                  {(step) => (
                    <li>
                      <time class="mono muted" datetime={step.at}>{formatLogTime(step.at)}</time>
                      <span class="step-action">{step.action}</span>
                      <span class="mono">{step.target}</span>
                    </li>
                  )}
                </For>
              </ol>
            </Show>
            <Show when={d().error}>{(e) => <ErrorBanner error={{ message: e().error, ...(e().details ? { details: e().details! } : {}), recoverable: false }} />}</Show>
          </>
        )}
      </Show>
      <Show when={error()}>{(e) => <ErrorBanner error={e()} />}</Show>
    </div>
  );
}
