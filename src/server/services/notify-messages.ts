import type { LastError } from '../../db/schema.js';
import type { ScheduleStatus, ScheduleSummary } from '../../shared/schedules.js';
import type { NotifyEvent } from '../../shared/notifications.js';
import type { Incident } from './container-incidents.js';
import type { NotifyMessage } from './notify-send.js';

/**
 * The words of each notification. Built only from names, ids, statuses and
 * the errors Capstan itself wrote (which never hold environment values,
 * passwords or tokens); nothing read from a container's environment or a
 * channel's URL ever goes in.
 */
export type Outgoing = NotifyMessage & { event: NotifyEvent };

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);
const errorText = (e: LastError | undefined) => (e ? `${e.error}${e.details ? `: ${e.details}` : ''}` : 'unknown error');

export interface FinishedDeployment {
  id: string;
  kind: string;
  status: 'succeeded' | 'failed';
  serviceId: string;
  serviceName: string;
  actor: string;
  error: LastError | undefined;
  /** For a scheduled or one-click update: its outcome. */
  update?: { status: ScheduleStatus; summary: ScheduleSummary };
}

export function deploymentMessage(d: FinishedDeployment, at: Date): Outgoing | undefined {
  const service = { id: d.serviceId, name: d.serviceName };
  const base = { at: at.toISOString(), service, deployment_id: d.id };
  // A scheduled restart is no update: it is said as any deployment is.
  if (d.update && d.update.status !== 'restarted') {
    const { status, summary } = d.update;
    const changed = summary.changed.map((c) => `${c.container}: ${short(c.from)} -> ${short(c.to)}`);
    const rolled = summary.rolled_back.map((r) => `${r.container}: ${r.reason}`);
    switch (status) {
      case 'updated':
        return { ...base, event: 'update.updated', severity: 'info', title: `${d.serviceName}: updated`, body: `New images: ${changed.join('; ')}` };
      case 'unchanged':
        return { ...base, event: 'update.unchanged', severity: 'info', title: `${d.serviceName}: up to date`, body: 'No image changed; no container was recreated.' };
      case 'rolled_back':
        return {
          ...base,
          event: 'update.rolled_back',
          severity: 'warning',
          title: `${d.serviceName}: update rolled back`,
          body: `Rolled back: ${rolled.join('; ')}${changed.length ? `\nUpdated before that: ${changed.join('; ')}` : ''}`,
        };
      case 'failed':
        return { ...base, event: 'update.failed', severity: 'error', title: `${d.serviceName}: update failed`, body: summary.error ?? errorText(d.error) };
    }
  }
  if (d.status === 'failed') {
    return { ...base, event: 'deployment.failed', severity: 'error', title: `${d.serviceName}: ${d.kind} failed`, body: `${errorText(d.error)}\n(deployment ${d.id}, by ${d.actor})` };
  }
  return { ...base, event: 'deployment.succeeded', severity: 'info', title: `${d.serviceName}: ${d.kind} succeeded`, body: `Deployment ${d.id}, by ${d.actor}.` };
}

export function incidentMessage(i: Incident, serviceName: string | undefined, at: Date): Outgoing {
  const service = i.serviceId ? { id: i.serviceId, name: serviceName ?? i.serviceId } : undefined;
  const where = serviceName ? ` (service ${serviceName})` : '';
  const base = { at: at.toISOString(), ...(service ? { service } : {}) };
  switch (i.kind) {
    case 'died':
      return { ...base, event: 'container.died', severity: 'error', title: `${i.name} died`, body: `Container ${i.name}${where} exited with code ${i.exitCode ?? 'unknown'}.` };
    case 'unhealthy':
      return { ...base, event: 'container.unhealthy', severity: 'warning', title: `${i.name} is unhealthy`, body: `Container ${i.name}${where} failed its health check.` };
    case 'restarting':
      return {
        ...base,
        event: 'container.restarting',
        severity: 'error',
        title: `${i.name} is restarting in a loop`,
        body: `Container ${i.name}${where} died ${i.deaths} times in a row (last exit code ${i.exitCode ?? 'unknown'}).`,
      };
  }
}

export function engineMessage(available: boolean, at: Date, engine = 'local'): Outgoing {
  return available
    ? { event: 'engine.back', severity: 'info', title: `Docker engine "${engine}" is back`, body: `Capstan is connected to the Docker engine "${engine}" again.`, at: at.toISOString() }
    : {
        event: 'engine.lost',
        severity: 'error',
        title: `Docker engine "${engine}" lost`,
        body: `Capstan lost its connection to the Docker engine "${engine}"; its services show as unknown until it answers again.`,
        at: at.toISOString(),
      };
}

/** The message a channel's test button sends. */
export function testMessage(channelName: string, at: Date): NotifyMessage {
  return { event: 'test', severity: 'info', title: 'Capstan test message', body: `This is a test of the channel "${channelName}".`, at: at.toISOString() };
}
