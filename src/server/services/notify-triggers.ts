import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import type { EngineWatcher } from '../docker/events.js';
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
  private lostTimer: NodeJS.Timeout | undefined;
  private lostSent = false;
  private readonly onContainer = (e: Parameters<IncidentDetector['handle']>[0]) => this.detector.handle(e);
  private readonly onAvailability = (available: boolean) => this.engineChanged(available);

  constructor(
    private readonly notifications: NotificationService,
    private readonly watcher: EngineWatcher,
    private readonly serviceName: (id: string) => string | undefined,
    private readonly log: Logger,
  ) {
    this.detector = new IncidentDetector((i) => this.send(incidentMessage(i, i.serviceId ? this.serviceName(i.serviceId) : undefined, new Date()), `incident:${i.key}`));
  }

  start(): void {
    this.watcher.on('container', this.onContainer);
    this.watcher.on('availability', this.onAvailability);
  }

  stop(): void {
    this.watcher.off('container', this.onContainer);
    this.watcher.off('availability', this.onAvailability);
    clearTimeout(this.lostTimer);
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

  private engineChanged(available: boolean): void {
    if (!available) {
      clearTimeout(this.lostTimer);
      this.lostTimer = setTimeout(() => {
        this.lostSent = true;
        this.send(engineMessage(false, new Date()), `engine:lost:${Math.floor(Date.now() / 60_000)}`);
      }, ENGINE_LOST_AFTER_MS);
      this.lostTimer.unref();
      return;
    }
    clearTimeout(this.lostTimer);
    if (this.lostSent) this.send(engineMessage(true, new Date()), `engine:back:${Math.floor(Date.now() / 60_000)}`);
    this.lostSent = false;
  }

  private send(message: Outgoing, key: string): void {
    this.notifications.dispatch(message, key).catch((err: unknown) => this.log.warn('notification not queued', { event: message.event, error: String(err) }));
  }
}
