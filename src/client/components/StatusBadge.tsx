import type { ContainerObject, ServiceObject } from '../../shared/schemas.js';

type Status = ServiceObject['status'] | ContainerObject['status'];

const tone: Record<string, string> = {
  running: 'ok',
  partial: 'warn',
  deploying: 'info',
  restarting: 'warn',
  created: 'muted',
  paused: 'warn',
  stopped: 'muted',
  exited: 'muted',
  missing: 'muted',
  removing: 'info',
  error: 'bad',
  dead: 'bad',
  unknown: 'unknown',
};

/** Words a bare status would not say: "unknown" alone reads like a bug. */
const defaultLabel: Record<string, string> = { unknown: 'unknown — engine down' };

/** A status as a word with a coloured dot: colour alone never carries the meaning. */
export function StatusBadge(props: { status: Status | string; label?: string }) {
  return (
    <span class={`badge tone-${tone[props.status] ?? 'muted'}`} data-status={props.status} title={props.status === 'unknown' ? 'Its Docker engine does not answer: the last state seen is not known to be true' : undefined}>
      <span class="dot" aria-hidden="true" />
      {props.label ?? defaultLabel[props.status] ?? props.status}
    </span>
  );
}

const healthTone: Record<string, string> = { healthy: 'ok', unhealthy: 'bad', starting: 'info' };

/** Health only when the container has a healthcheck ("none" says nothing worth a badge). */
export function HealthBadge(props: { health: ContainerObject['health'] }) {
  return props.health === 'none' ? (
    <span class="muted small">no healthcheck</span>
  ) : (
    <span class={`badge subtle tone-${healthTone[props.health] ?? 'muted'}`}>
      <span class="dot" aria-hidden="true" />
      {props.health}
    </span>
  );
}
