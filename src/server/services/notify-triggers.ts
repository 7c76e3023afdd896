import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import type { EnginePool } from './engines.js';
import type { Logger } from '../log.js';
import { IncidentDetector } from './container-incidents.js';
import type { FinishedOutcome } from './deploy-runner.js';
import type { DeploymentRow } from './deployment-store.js';
import { deploymentMessage, engineMessage, incidentMessage, type Outgoing } from './notify-messages.js';
import type { NotificationService } from './notifications.js';

/** The engine must stay away this long before "engine lost" is sent: a blip is no incident. */
const ENGINE_LOST_AFTER_MS = 15_000;

/**
 * What turns into notifications: a deployment's end (from the runner, once
 * per deployment), container incidents and the engine's availability (from
 * the engine's event stream, which every process hears alike: dispatch keeps
 * one message per event across them).
 */
export class NotificationTriggers {
  private readonly detector: IncidentDetector;
  /** Per engine: the pending "lost" message, and whether one was sent (so "back" follows only a "lost"). */
  private readonly lost = new Map<string, { timer: NodeJS.Timeout | undefined; sent: boolean }>();
  private readonly onContainer = (e: Parameters<IncidentDetector['handle']>[0]) => this.detector.handle(e);
  private readonly onAvailability = (engineId: string, available: boolean) => this.engineChanged(engineId, available);

  constructor(
    private readonly notifications: NotificationService,
    private readonly engines: EnginePool,
    private readonly serviceName: (id: string) => string | undefined,
    private readonly log: Logger,
  ) {
    this.detector = new IncidentDetector((i) => this.send(incidentMessage(i, i.serviceId ? this.serviceName(i.serviceId) : undefined, new Date()), `incident:${i.key}`));
  }

  start(): void {
    this.engines.on('container', this.onContainer);
    this.engines.on('availability', this.onAvailability);
  }

  stop(): void {
    this.engines.off('container', this.onContainer);
    this.engines.off('availability', this.onAvailability);
    for (const l of this.lost.values()) clearTimeout(l.timer);
    this.detector.dispose();
  }

  /** The runner's word that a deployment ended for good. */
  deploymentFinished(d: DeploymentRow, outcome: FinishedOutcome): void {
    const status = outcome.details.status as ScheduleStatus | undefined;
    const summary = outcome.details.summary as ScheduleSummary | undefined;
    const isUpdate = (d.kind === 'scheduled' || d.kind === 'image-update') && status && summary && status !== 'restarted';
    const message = deploymentMessage(
      {
        id: d.id,
        kind: d.kind,
        status: outcome.error ? 'failed' : 'succeeded',
        serviceId: d.serviceId,
        serviceName: d.serviceName,
        actor: d.actor,
        error: outcome.error,
        ...(isUpdate ? { update: { status, summary } } : {}),
      },
      new Date(),
    );
    if (message) this.send(message, `deployment:${d.id}`);
  }

  private engineChanged(engineId: string, available: boolean): void {
    const state = this.lost.get(engineId) ?? { timer: undefined, sent: false };
    this.lost.set(engineId, state);
    clearTimeout(state.timer);
    const name = () => this.engines.find(engineId)?.name ?? engineId;
    if (!available) {
      state.timer = setTimeout(() => {
        // Removed meanwhile: an engine that is no longer managed is not lost.
        if (!this.engines.find(engineId)) return void this.lost.delete(engineId);
        state.sent = true;
        this.send(engineMessage(false, new Date(), name()), `engine:lost:${engineId}:${Math.floor(Date.now() / 60_000)}`);
      }, ENGINE_LOST_AFTER_MS);
      state.timer.unref();
      return;
    }
    if (state.sent) this.send(engineMessage(true, new Date(), name()), `engine:back:${engineId}:${Math.floor(Date.now() / 60_000)}`);
    state.sent = false;
  }

  private send(message: Outgoing, key: string): void {
    this.notifications.dispatch(message, key).catch((err: unknown) => this.log.warn('notification not queued', { event: message.event, error: String(err) }));
  }
}
