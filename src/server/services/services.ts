import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import { zServiceDefinition, type ServiceDefinition } from '../../shared/definition.js';
import type { ServiceObject } from '../../shared/schemas.js';
import { restartContainer, startContainer, stopContainer } from '../docker/containers.js';
import type { EngineWatcher } from '../docker/events.js';
import { planService } from '../docker/compose-plan.js';
import { CapstanError } from '../errors.js';
import { formatIssues } from '../http-errors.js';
import { applyPlan } from './apply.js';
import type { DeploymentKind, DeploymentRow, DeploymentStore } from './deployment-store.js';
import { OperationLocks } from './locks.js';
import { preflight } from './preflight.js';
import { nameTaken, type ServiceRow, type ServiceStore } from './service-store.js';
import { containersOf, toServiceObject } from './service-view.js';

export type DeleteMode = 'soft' | 'hard';

/** The job queue as services see it; src/jobs provides it once the worker runs. */
export interface JobQueue {
  enqueueDeployment(d: DeploymentRow): Promise<void>;
}

export interface Queued {
  service: ServiceObject;
  deployment: DeploymentRow;
}

/** How long DELETE waits for its job before answering anyway (the job goes on). */
const DELETE_WAIT_MS = 30_000;

/**
 * The service lifecycle. Long operations (create, update, env, redeploy,
 * delete) are recorded as deployments and run as jobs, in order per service;
 * start, stop and restart are quick and run in the request.
 */
export class ServiceManager extends EventEmitter<{ change: [string] }> {
  private readonly locks = new OperationLocks();
  queue: JobQueue | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly store: ServiceStore,
    private readonly deployments: DeploymentStore,
    private readonly watcher: EngineWatcher,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async list(): Promise<ServiceObject[]> {
    const [containers, rows, active] = await Promise.all([this.watcher.containers(), this.store.list(), this.activeServiceIds()]);
    return rows.map((row) => toServiceObject(row, containers, active.has(row.id)));
  }

  async get(id: string): Promise<ServiceObject> {
    const containers = await this.watcher.containers();
    const row = await this.store.get(id);
    return toServiceObject(row, containers, await this.deployments.hasActive(id));
  }

  async create(definition: ServiceDefinition, actor: string): Promise<Queued> {
    if (await this.store.findByName(definition.name)) throw nameTaken(definition.name);
    // Labels need the id before the row exists; preflight with an id that matches nothing.
    await preflight(this.docker, { id: '', name: definition.name, adopted: false }, planService('', definition));
    const row = await this.store.insert(definition);
    return this.enqueue(row, 'create', actor);
  }

  async update(id: string, definition: ServiceDefinition, actor: string, kind: DeploymentKind = 'update'): Promise<Queued> {
    const row = await this.writable(id);
    if (definition.name !== row.name) {
      throw new CapstanError('BAD_REQUEST', 'A service cannot be renamed', {
        details: `name: "${definition.name}" differs from "${row.name}"; the name is the compose project of its containers and volumes`,
      });
    }
    await preflight(this.docker, row, planService(row.id, definition));
    return this.enqueue(await this.store.updateDefinition(id, definition), kind, actor);
  }

  async redeploy(id: string, actor: string): Promise<Queued> {
    return this.enqueue(await this.writable(id), 'redeploy', actor);
  }

  /** Queues the delete and waits for it (bounded): the caller usually sees the service gone. */
  async remove(id: string, mode: DeleteMode, actor: string): Promise<DeploymentRow> {
    await this.writable(id);
    const row = await this.store.markDeleting(id);
    const { deployment } = await this.enqueue(row, 'delete', actor, { mode });
    return this.waitForDeployment(deployment.id, DELETE_WAIT_MS);
  }

  start(id: string): Promise<ServiceObject> {
    return this.eachContainer(id, 'start', 'forward', (c) => (c.state === 'running' ? undefined : startContainer(this.docker, c.id, c.name)));
  }

  stop(id: string): Promise<ServiceObject> {
    return this.eachContainer(id, 'stop', 'reverse', (c) =>
      c.state === 'running' || c.state === 'restarting' ? stopContainer(this.docker, c.id, c.name) : undefined,
    );
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
   * environment really changed are recreated by the deployment.
   */
  async setEnvironment(id: string, environment: Record<string, Record<string, string>>, actor: string): Promise<Queued & { changedKeys: Record<string, string[]> }> {
    const row = await this.store.get(id);
    const services = structuredClone(row.definition.services);
    const changedKeys: Record<string, string[]> = {};
    for (const [target, env] of Object.entries(environment)) {
      const key = Object.keys(services).find((k) => k === target) ?? Object.keys(services).find((k) => services[k]!.container_name === target);
      if (!key) throw new CapstanError('BAD_REQUEST', 'Unknown container', { details: `environment.${target}: the service has no container "${target}"` });
      const before = services[key]!.environment ?? {};
      const changed = [...new Set([...Object.keys(before), ...Object.keys(env)])].filter((k) => before[k] !== env[k]).sort();
      if (changed.length) changedKeys[key] = changed;
      services[key] = { ...services[key]!, environment: env };
      if (Object.keys(env).length === 0) delete services[key]!.environment;
    }
    const parsed = zServiceDefinition.safeParse({ ...row.definition, services });
    if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid environment', { details: formatIssues(parsed.error.issues) });
    return { ...(await this.update(id, parsed.data, actor, 'env')), changedKeys };
  }

  /** Resolves when the deployment has finished, or after `ms` with its state then. */
  async waitForDeployment(id: string, ms: number): Promise<DeploymentRow> {
    return new Promise<DeploymentRow>((resolve, reject) => {
      const done = (d: DeploymentRow) => d.status === 'succeeded' || d.status === 'failed';
      const onChange = (d: DeploymentRow) => {
        if (d.id === id && done(d)) finish(d);
      };
      const timer = setTimeout(() => this.deployments.get(id).then(finish, reject), ms);
      const finish = (d: DeploymentRow) => {
        clearTimeout(timer);
        this.deployments.off('change', onChange);
        resolve(d);
      };
      // Listen first, then read, so a finish in between is not missed.
      this.deployments.on('change', onChange);
      this.deployments.get(id).then((d) => done(d) && finish(d), reject);
    });
  }

  /** Tells the status feed that a service row changed. */
  notify(id: string): void {
    this.emit('change', id);
  }

  private async activeServiceIds(): Promise<Set<string>> {
    return new Set((await this.deployments.listActive()).map((d) => d.serviceId));
  }

  private async writable(id: string): Promise<ServiceRow> {
    const row = await this.store.get(id);
    if (row.deleting) throw new CapstanError('CONFLICT', 'The service is being deleted', { details: `service ${id} has a delete queued` });
    return row;
  }

  private async enqueue(row: ServiceRow, kind: DeploymentKind, actor: string, params?: Record<string, unknown>): Promise<Queued> {
    if (!this.queue) throw new CapstanError('SERVICE_UNAVAILABLE', 'The job queue is not running');
    const deployment = await this.deployments.create({ serviceId: row.id, serviceName: row.name, kind, actor, ...(params ? { params } : {}) });
    await this.queue.enqueueDeployment(deployment);
    this.notify(row.id);
    return { service: await this.get(row.id), deployment };
  }

  /** Runs an action on each container in depends_on order (or reverse); creates missing ones first. */
  private async eachContainer(
    id: string,
    operation: string,
    direction: 'forward' | 'reverse',
    action: (c: { id: string; name: string; state: string }) => Promise<void> | undefined,
  ): Promise<ServiceObject> {
    const row = await this.writable(id);
    if (await this.deployments.hasActive(id)) {
      throw new CapstanError('CONFLICT', 'A deployment is in progress on this service', { details: `${operation} refused until it finishes` });
    }
    await this.locks.run(id, operation, async () => {
      let { infos } = containersOf(row, await this.watcher.containers());
      if (operation !== 'stop' && infos.some((c) => !c)) {
        await applyPlan(this.docker, row, planService(row.id, row.definition));
        await this.watcher.resync();
        infos = containersOf(row, await this.watcher.containers()).infos;
      }
      const ordered = direction === 'forward' ? infos : [...infos].reverse();
      for (const c of ordered) if (c) await action(c);
      await this.watcher.resync();
    });
    return this.get(id);
  }
}
