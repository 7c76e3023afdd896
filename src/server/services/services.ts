import type Docker from 'dockerode';
import { zServiceDefinition, type ServiceDefinition } from '../../shared/definition.js';
import type { ServiceObject } from '../../shared/schemas.js';
import { listComposeContainers, removeContainer, restartContainer, startContainer, stopContainer } from '../docker/containers.js';
import { networkName, planService } from '../docker/compose-plan.js';
import { LABEL_PROJECT } from '../docker/labels.js';
import { listVolumesByLabel, removeNetwork, removeVolume } from '../docker/resources.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatIssues } from '../http-errors.js';
import { applyPlan, belongsTo, type Step } from './apply.js';
import { OperationLocks } from './locks.js';
import { preflight } from './preflight.js';
import { nameTaken, type ServiceRow, type ServiceStore } from './service-store.js';
import { containersOf, toServiceObject } from './service-view.js';

export type DeleteMode = 'soft' | 'hard';

export interface OperationResult {
  service: ServiceObject;
  steps: Step[];
}

/** The service lifecycle: definitions in the store, containers in the engine, one operation per service at a time. */
export class ServiceManager {
  readonly locks = new OperationLocks();

  constructor(
    private readonly docker: Docker,
    private readonly store: ServiceStore,
    private readonly log: Logger,
  ) {}

  async list(): Promise<ServiceObject[]> {
    const [rows, containers] = await Promise.all([this.store.list(), listComposeContainers(this.docker)]);
    return rows.map((row) => toServiceObject(row, containers, this.locks.isBusy(row.id)));
  }

  async get(id: string): Promise<ServiceObject> {
    const row = await this.store.get(id);
    return this.view(row);
  }

  async create(definition: ServiceDefinition): Promise<OperationResult> {
    if (await this.store.findByName(definition.name)) throw nameTaken(definition.name);
    // The id is needed for labels before the row exists; preflight with a placeholder that matches nothing.
    await preflight(this.docker, { id: '', name: definition.name, adopted: false }, planService('', definition));
    const row = await this.store.insert(definition);
    return this.result(row.id, await this.locks.run(row.id, 'deploy', () => this.deploy(row)));
  }

  async update(id: string, definition: ServiceDefinition): Promise<OperationResult> {
    const row = await this.store.get(id);
    if (definition.name !== row.name) {
      throw new CapstanError('BAD_REQUEST', 'A service cannot be renamed', {
        details: `name: "${definition.name}" differs from "${row.name}"; the name is the compose project of its containers and volumes`,
      });
    }
    const steps = await this.locks.run(id, 'deploy', async () => {
      await preflight(this.docker, row, planService(row.id, definition));
      return this.deploy(await this.store.updateDefinition(id, definition));
    });
    return this.result(id, steps);
  }

  async redeploy(id: string): Promise<OperationResult> {
    const row = await this.store.get(id);
    return this.result(id, await this.locks.run(id, 'deploy', () => this.deploy(row)));
  }

  async remove(id: string, mode: DeleteMode): Promise<{ removed: string[] }> {
    const row = await this.store.get(id);
    return this.locks.run(id, 'delete', async () => {
      const removed: string[] = [];
      const mine = (await listComposeContainers(this.docker)).filter((c) => belongsTo(c, row));
      for (const c of mine.reverse()) {
        await stopContainer(this.docker, c.id, c.name);
        await removeContainer(this.docker, c.id, c.name);
        removed.push(`container:${c.name}`);
      }
      await removeNetwork(this.docker, networkName(row.name));
      removed.push(`network:${networkName(row.name)}`);
      if (mode === 'hard') {
        for (const v of await listVolumesByLabel(this.docker, `${LABEL_PROJECT}=${row.name}`)) {
          await removeVolume(this.docker, v);
          removed.push(`volume:${v}`);
        }
      }
      await this.store.delete(id);
      return { removed };
    });
  }

  start(id: string): Promise<ServiceObject> {
    return this.eachContainer(id, 'start', 'forward', (c) => (c.state === 'running' ? undefined : startContainer(this.docker, c.id, c.name)));
  }

  stop(id: string): Promise<ServiceObject> {
    return this.eachContainer(id, 'stop', 'reverse', (c) => (c.state === 'running' || c.state === 'restarting' ? stopContainer(this.docker, c.id, c.name) : undefined));
  }

  restart(id: string): Promise<ServiceObject> {
    return this.eachContainer(id, 'restart', 'forward', (c) => restartContainer(this.docker, c.id, c.name));
  }

  async getEnvironment(id: string): Promise<Record<string, Record<string, string>>> {
    const row = await this.store.get(id);
    return Object.fromEntries(Object.entries(row.definition.services).map(([key, c]) => [key, { ...c.environment }]));
  }

  /**
   * Replaces the environment of the named containers (by service key or
   * container_name); the others keep theirs. Only containers whose
   * environment really changed are recreated.
   */
  async setEnvironment(id: string, environment: Record<string, Record<string, string>>): Promise<OperationResult & { changedKeys: Record<string, string[]> }> {
    const row = await this.store.get(id);
    const services = structuredClone(row.definition.services);
    const changedKeys: Record<string, string[]> = {};
    for (const [target, env] of Object.entries(environment)) {
      const key = Object.keys(services).find((k) => k === target) ?? Object.keys(services).find((k) => services[k]!.container_name === target);
      if (!key) {
        throw new CapstanError('BAD_REQUEST', 'Unknown container', { details: `environment.${target}: the service has no container "${target}"` });
      }
      const before = services[key]!.environment ?? {};
      const changed = [...new Set([...Object.keys(before), ...Object.keys(env)])].filter((k) => before[k] !== env[k]).sort();
      if (changed.length) changedKeys[key] = changed;
      services[key] = { ...services[key]!, environment: env };
      if (Object.keys(env).length === 0) delete services[key]!.environment;
    }
    const parsed = zServiceDefinition.safeParse({ ...row.definition, services });
    if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid environment', { details: formatIssues(parsed.error.issues) });
    const result = await this.update(id, parsed.data);
    return { ...result, changedKeys };
  }

  private async view(row: ServiceRow): Promise<ServiceObject> {
    return toServiceObject(row, await listComposeContainers(this.docker), this.locks.isBusy(row.id));
  }

  /** The service as it is once the operation has released its lock. */
  private async result(id: string, steps: Step[]): Promise<OperationResult> {
    return { service: await this.get(id), steps };
  }

  /** Applies the row's definition; a failure is kept on the row (status error), not thrown. */
  private async deploy(row: ServiceRow): Promise<Step[]> {
    let steps: Step[] = [];
    try {
      steps = await applyPlan(this.docker, row, planService(row.id, row.definition));
      await this.store.setLastError(row.id, null);
    } catch (err) {
      if (!(err instanceof CapstanError)) this.log.error('deploy failed unexpectedly', { service: row.id, error: String(err) });
      const e = err instanceof CapstanError ? err : new CapstanError('INTERNAL_SERVER_ERROR', 'Deploy failed');
      if (e.code === 'SERVICE_UNAVAILABLE') throw e;
      await this.store.setLastError(row.id, {
        error: e.message,
        ...(e.details ? { details: e.details } : {}),
        code: e.code,
        at: new Date().toISOString(),
      });
    }
    return steps;
  }

  /** Runs an action on each existing container in depends_on order (or its reverse); creates missing ones first. */
  private async eachContainer(
    id: string,
    operation: string,
    direction: 'forward' | 'reverse',
    action: (c: { id: string; name: string; state: string }) => Promise<void> | undefined,
  ): Promise<ServiceObject> {
    const row = await this.store.get(id);
    await this.locks.run(id, operation, async () => {
      let { infos } = containersOf(row, await listComposeContainers(this.docker));
      if (operation !== 'stop' && infos.some((c) => !c)) {
        await applyPlan(this.docker, row, planService(row.id, row.definition));
        infos = containersOf(row, await listComposeContainers(this.docker)).infos;
      }
      const ordered = direction === 'forward' ? infos : [...infos].reverse();
      for (const c of ordered) if (c) await action(c);
    });
    return this.get(id);
  }
}
