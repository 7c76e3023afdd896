import type { ContainerEvent } from '../docker/events.js';

/**
 * Container incidents from the engine's event stream: a container that died
 * on its own, became unhealthy, or is restarting in a loop. One message per
 * incident: events are gathered for a short debounce before the first
 * message, and an incident stays open (silent) until the container has been
 * quiet for a while. A die that follows a kill or a stop (someone stopped
 * it: the CLI, Capstan, a recreate) is no incident.
 */
export type IncidentKind = 'died' | 'unhealthy' | 'restarting';

export interface Incident {
  kind: IncidentKind;
  containerId: string;
  name: string;
  serviceId: string | undefined;
  exitCode: number | undefined;
  /** How many times it died during the incident so far. */
  deaths: number;
  /** A key every process computes alike for this incident: the container and the engine's time of its first event. */
  key: string;
}

export interface IncidentOptions {
  /** Events gathered before the first message (a restart loop shows itself within it). */
  debounceMs: number;
  /** Deaths within one incident that make it a restart loop. */
  loopDeaths: number;
  /** Quiet time after which an incident is over and a new event opens a new one. */
  quietMs: number;
  /** A die this soon after a kill or stop of the same container was asked for. */
  stoppedWithinMs: number;
}

export const DEFAULT_INCIDENT_OPTIONS: IncidentOptions = { debounceMs: 10_000, loopDeaths: 3, quietMs: 5 * 60_000, stoppedWithinMs: 30_000 };

interface Open {
  kind: 'died' | 'unhealthy';
  first: ContainerEvent;
  last: number;
  deaths: number;
  exitCode: number | undefined;
  sent: IncidentKind[];
  timer: NodeJS.Timeout | undefined;
}

export class IncidentDetector {
  private readonly open = new Map<string, Open>();
  private readonly stopped = new Map<string, number>();

  constructor(
    private readonly emit: (incident: Incident) => void,
    private readonly opts: IncidentOptions = DEFAULT_INCIDENT_OPTIONS,
  ) {}

  handle(e: ContainerEvent): void {
    const action = e.action;
    if (action === 'kill' || action === 'stop') return void this.stopped.set(e.containerId, e.at);
    if (action === 'destroy') return this.forget(e.containerId);
    if (action === 'die') return this.died(e);
    if (action === 'health_status: unhealthy') return this.unhealthy(e);
    if (action === 'health_status: healthy') {
      const o = this.open.get(e.containerId);
      if (o?.kind === 'unhealthy') this.close(e.containerId);
    }
  }

  /** Pending messages are dropped (the process is stopping). */
  dispose(): void {
    for (const o of this.open.values()) clearTimeout(o.timer);
    this.open.clear();
    this.stopped.clear();
  }

  private died(e: ContainerEvent): void {
    const stoppedAt = this.stopped.get(e.containerId);
    this.stopped.delete(e.containerId);
    if (stoppedAt !== undefined && e.at - stoppedAt <= this.opts.stoppedWithinMs) return;
    if (e.exitCode === 0) return; // it finished its work
    let o = this.current(e);
    if (!o || o.kind !== 'died') {
      if (o) this.close(e.containerId);
      o = { kind: 'died', first: e, last: e.at, deaths: 0, exitCode: e.exitCode, sent: [], timer: undefined };
      this.open.set(e.containerId, o);
      const opened = o;
      o.timer = setTimeout(() => this.report(opened), this.opts.debounceMs);
      o.timer.unref?.();
    }
    o.deaths++;
    o.last = e.at;
    o.exitCode = e.exitCode;
    // Past the debounce, a loop that shows itself later is said once more.
    if (o.sent.length && !o.sent.includes('restarting') && o.deaths >= this.opts.loopDeaths) this.send(o, 'restarting');
  }

  private unhealthy(e: ContainerEvent): void {
    const o = this.current(e);
    if (o) {
      o.last = e.at;
      return;
    }
    const opened: Open = { kind: 'unhealthy', first: e, last: e.at, deaths: 0, exitCode: undefined, sent: [], timer: undefined };
    this.open.set(e.containerId, opened);
    this.send(opened, 'unhealthy');
  }

  /** The open incident of this container, unless it has been quiet long enough to be over. */
  private current(e: ContainerEvent): Open | undefined {
    const o = this.open.get(e.containerId);
    if (o && e.at - o.last > this.opts.quietMs) {
      this.close(e.containerId);
      return undefined;
    }
    return o;
  }

  private report(o: Open): void {
    o.timer = undefined;
    if (this.open.get(o.first.containerId) !== o) return;
    this.send(o, o.deaths >= this.opts.loopDeaths ? 'restarting' : 'died');
  }

  private send(o: Open, kind: IncidentKind): void {
    o.sent.push(kind);
    this.emit({
      kind,
      containerId: o.first.containerId,
      name: o.first.name,
      serviceId: o.first.serviceId,
      exitCode: o.exitCode,
      deaths: o.deaths,
      key: `${o.first.containerId.slice(0, 12)}:${o.first.at}:${kind}`,
    });
  }

  private close(id: string): void {
    clearTimeout(this.open.get(id)?.timer);
    this.open.delete(id);
  }

  private forget(id: string): void {
    this.close(id);
    this.stopped.delete(id);
  }
}
