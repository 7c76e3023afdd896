import type Docker from 'dockerode';
import { listAllContainers, type ContainerInfo } from '../docker/containers.js';
import type { ServicePlan } from '../docker/compose-plan.js';
import { LABEL_PROJECT } from '../docker/labels.js';
import { CapstanError } from '../errors.js';
import { belongsTo, type ServiceRef } from './apply.js';

const ANY_IP = new Set(['', '0.0.0.0', '::']);

function ipsOverlap(a: string, b: string): boolean {
  return ANY_IP.has(a) || ANY_IP.has(b) || a === b;
}

function owner(c: ContainerInfo): string {
  const project = c.labels[LABEL_PROJECT];
  return project ? `container "${c.name}" of project "${project}"` : `container "${c.name}", which Capstan does not manage`;
}

/**
 * Checks, before anything changes, what would make the apply fail half-way
 * because of someone else: a container name or a published port in use.
 */
export async function preflight(docker: Docker, ref: ServiceRef, plan: ServicePlan): Promise<void> {
  const others = (await listAllContainers(docker)).filter((c) => !belongsTo(c, ref));
  for (const desired of plan.containers) {
    const clash = others.find((c) => c.name === desired.name);
    if (clash) {
      throw new CapstanError('CONFLICT', 'Container name already in use', {
        details: `services.${desired.key}: the name "${desired.name}" is used by ${owner(clash)}`,
      });
    }
    const bindings = desired.create.HostConfig?.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[]> | undefined;
    for (const [port, list] of Object.entries(bindings ?? {})) {
      const proto = port.split('/')[1] ?? 'tcp';
      for (const b of list) {
        if (!b.HostPort) continue;
        const taken = others.find((c) =>
          c.ports.some((p) => p.publicPort === Number(b.HostPort) && p.type === proto && ipsOverlap(p.ip ?? '', b.HostIp ?? '')),
        );
        if (taken) {
          throw new CapstanError('CONFLICT', 'Port already allocated', {
            details: `services.${desired.key}.ports: ${b.HostIp ? `${b.HostIp}:` : ''}${b.HostPort}/${proto} is published by ${owner(taken)}`,
          });
        }
      }
    }
  }
}
