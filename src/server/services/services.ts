import { EventEmitter } from 'node:events';
import type { ServiceObject } from '../../shared/schemas.js';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import type { EngineLink, EnginePool } from './engines.js';
import { CapstanError } from '../errors.js';
import type { Submission } from './definitions.js';
import type { DeploymentKind, DeploymentRow, DeploymentStore } from './deployment-store.js';
import { editEnvironment, environmentOf } from './env-edit.js';
import { ENV_FILE } from './project-files.js';
import { invalidProject, type ProjectLoader } from './project-loader.js';
import { checkSubmission, renameRefused, validateSubmission, writeChecked, type ValidateResult } from './service-edits.js';
import { nameTaken, type ServiceRow, type ServiceStore } from './service-store.js';
import { ServiceReadView } from './read-view.js';
import { toServiceObject } from './service-view.js';

export type DeleteMode = 'soft' | 'hard';

/** The job queue as services see it; src/jobs provides it once the worker runs. */
export interface JobQueue {
  enqueueDeployment(d: DeploymentRow): Promise<void>;
}

export interface Queued {
  service: ServiceObject;
  deployment: DeploymentRow;
  /** What loading the compose text warned about (an unset variable, say). */
  warnings: string[];
}

/** How long start, stop, restart and delete wait for their deployment before answering 202 (the work goes on). */
export const ANSWER_WAIT_MS = 30_000;

/**
 * The service lifecycle, as requests see it: every change is a deployment
 * row, queued for the one runner (deploy-runner.ts) on the service's queue;
 * no request changes anything on the engine itself. Start, stop, restart and
 * delete wait (bounded) for their deployment, so they can answer with its outcome.
 */
export class ServiceManager extends EventEmitter<{ change: [string] }> {
  /** Names being created right now: two creates of one name must not write the same folder. */
  private readonly creating = new Set<string>();
  queue: JobQueue | undefined;
  /** Set once the cross-process notifications run: tells the other processes' status feeds. */
  publish: ((id: string) => void) | undefined;

  /** The list and health, from memory (read-view.ts). */
  readonly view: ServiceReadView;

  constructor(
    private readonly engines: EnginePool,
    private readonly store: ServiceStore,
    private readonly deployments: DeploymentStore,
  ) {
    super();
    this.setMaxListeners(0);
    this.view = new ServiceReadView(store, engines, deployments, this);
  }

  /** The project folders, as the store reads them. */
  private get projects(): ProjectLoader {
    return this.store.projects;
  }

  async list(): Promise<ServiceObject[]> {
    return (await this.view.current()).list;
  }

  async get(id: string): Promise<ServiceObject> {
    const containers = await this.engines.containers();
    const row = await this.store.get(id);
    return toServiceObject(row, containers, await this.deployments.hasActive(id), this.engines.isAvailable(row.engineId));
  }

  async create(s: Submission & { name: string }, actor: string): Promise<Queued> {
    const name = s.name;
    if (this.creating.has(name) || (await this.store.findByName(name))) throw nameTaken(name);
    this.creating.add(name);
    try {
      const engine = await this.engineFor(s.engineId ?? LOCAL_ENGINE_ID);
      const existed = this.projects.folders.exists(name);
      const checked = await checkSubmission(engine.docker, this.projects, { id: '', name, adopted: false, engineId: engine.id }, s, existed);
      writeChecked(this.projects, name, checked);
      let row: ServiceRow;
      try {
        row = await this.store.insert(name, false, engine.id);
      } catch (err) {
        if (!existed) this.projects.folders.removeFolder(name);
        throw err;
      }
      return { ...(await this.enqueue(row, 'create', actor)), warnings: checked.loaded.warnings };
    } finally {
      this.creating.delete(name);
    }
  }

  async update(id: string, s: Submission, actor: string, kind: DeploymentKind = 'update'): Promise<Queued> {
    const row = await this.writable(id);
    if (s.name !== undefined && s.name !== row.name) throw renameRefused(s.name, row.name);
    if (s.engineId !== undefined && s.engineId !== row.engineId) {
      throw new CapstanError('BAD_REQUEST', 'A service changes engines only by a move', {
        details: `engine_id: the service is on "${row.engineId}"; POST /api/services/${row.id}/move moves it`,
      });
    }
    const checked = await checkSubmission((await this.engineFor(row.engineId)).docker, this.projects, row, s, true);
    writeChecked(this.projects, row.name, checked);
    return { ...(await this.enqueue(await this.store.touch(id), kind, actor)), warnings: checked.loaded.warnings };
  }

  /** A dry run of a create (no id) or an update (id): changes nothing. */
  async validate(s: Submission, id?: string): Promise<ValidateResult> {
    return validateSubmission(this.projects, s, id ? await this.store.get(id) : undefined);
  }

  async redeploy(id: string, actor: string): Promise<Queued> {
    const row = await this.writable(id);
    return { ...(await this.enqueue(row, 'redeploy', actor)), warnings: row.project.warnings };
  }

  /**
   * Queues the delete and waits for it (bounded): the caller usually sees the
   * service gone. The mark keeps new operations out while it is queued; a
   * delete that fails clears it (the runner), so a second DELETE retries.
   */
  async remove(id: string, mode: DeleteMode, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    await this.writable(id);
    const row = await this.store.markDeleting(id);
    const { deployment } = await this.enqueue(row, 'delete', actor, { mode });
    return this.waitForDeployment(deployment.id, waitMs);
  }

  /** Containers in depends_on order (missing ones created first); the deployment as it is after the bounded wait. */
  start(id: string, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    return this.operate(id, 'start', actor, waitMs);
  }

  stop(id: string, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    return this.operate(id, 'stop', actor, waitMs);
  }

  restart(id: string, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    return this.operate(id, 'restart', actor, waitMs);
  }

  /** The one-click update: the update a schedule runs (image-update.ts), pulling only images the registry changed. */
  imageUpdate(id: string, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    return this.operate(id, 'image-update', actor, waitMs);
  }

  /**
   * Moves the service to another engine (operation-move.ts): taken down on
   * its engine, deployed on the other; named volumes stay behind with their data.
   */
  async move(id: string, engineId: string, actor: string, waitMs = ANSWER_WAIT_MS): Promise<DeploymentRow> {
    const row = await this.writable(id);
    const target = await this.engineFor(engineId);
    if (target.id === row.engineId) {
      throw new CapstanError('BAD_REQUEST', 'The service is on that engine already', { details: `engine_id: service ${id} runs on "${engineId}"` });
    }
    // Both ends must answer now: a move half done (taken down, not deployed) is not left waiting for an engine.
    this.engines.requireAvailable(row.engineId);
    this.engines.requireAvailable(target.id);
    const { deployment } = await this.enqueue(row, 'move', actor, { from: row.engineId, to: target.id });
    return this.waitForDeployment(deployment.id, waitMs);
  }

  async getEnvironment(id: string): Promise<Record<string, Record<string, string>>> {
    return environmentOf(loadedOf(await this.store.get(id)));
  }

  /**
   * Replaces the environment of the named containers (by service key or
   * container name); the others keep theirs. The compose text is edited in
   * place (only the changed keys; a key that only references a .env
   * variable is set in the .env), then deployed: only containers whose
   * environment really changed are recreated.
   */
  async setEnvironment(id: string, environment: Record<string, Record<string, string>>, actor: string): Promise<Queued & { changedKeys: Record<string, string[]> }> {
    const row = await this.writable(id);
    const project = loadedOf(row);
    const env = this.projects.folders.read(row.dir, ENV_FILE) ?? '';
    const edit = editEnvironment(row.project.yaml!, project, environment, {
      env,
      load: (yaml, envText) => {
        const r = this.projects.check(row.name, { yaml, env: envText });
        return r.ok ? r.project : undefined;
      },
    });
    const after = this.projects.check(row.name, { yaml: edit.yaml, ...(edit.env !== undefined ? { env: edit.env } : {}) });
    if (!after.ok) throw invalidProject(after.issues, 'Invalid environment');
    // The file's other sources (env_file, extends, anchors) could still win over the edit: check what it gives.
    const got = environmentOf(after.project);
    for (const [key, keys] of Object.entries(edit.changedKeys)) {
      if (keys.some((k) => got[key]?.[k] !== edit.wanted[key]?.[k])) {
        throw new CapstanError('BAD_REQUEST', 'Invalid environment', {
          details: `services.${key}.environment: the compose file cannot express this change here; edit the file itself`,
        });
      }
    }
    // A variable that only feeds the changed key gets its value in the .env, so compose.yaml holds no secret.
    return { ...(await this.update(id, { name: undefined, yaml: edit.yaml, env: edit.env, files: undefined }, actor, 'env')), changedKeys: edit.changedKeys };
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

  /** Tells the status feed (of this process and the others) that a service changed. */
  notify(id: string): void {
    this.emit('change', id);
    this.publish?.(id);
  }

  /** Another process changed a service (undefined: maybe any, after a lost connection): only the local feed hears it. */
  changedElsewhere(id: string | undefined): void {
    this.emit('change', id ?? '');
  }

  /** The engine a body names: an unknown id is bad input (400), not a missing resource. */
  private async engineFor(id: string): Promise<EngineLink> {
    return this.engines.link(id).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'NOT_FOUND') throw err;
      throw new CapstanError('BAD_REQUEST', 'Unknown engine', { details: `engine_id: no engine with id "${id}"` });
    });
  }

  private async writable(id: string): Promise<ServiceRow> {
    const row = await this.store.get(id);
    if (row.deleting) throw new CapstanError('CONFLICT', 'The service is being deleted', { details: `service ${id} has a delete queued` });
    return row;
  }

  private async enqueue(row: ServiceRow, kind: DeploymentKind, actor: string, params?: Record<string, unknown>): Promise<Omit<Queued, 'warnings'>> {
    if (!this.queue) throw new CapstanError('SERVICE_UNAVAILABLE', 'The job queue is not running');
    // What is submitted now; the job records again what it really applies (the folder may change before it runs).
    const source = kind === 'delete' || kind === 'start' || kind === 'stop' || kind === 'restart' ? {} : { composeYaml: row.project.yaml ?? null, envHash: row.project.envHash };
    const deployment = await this.deployments.create({ serviceId: row.id, serviceName: row.name, kind, actor, ...source, ...(params ? { params } : {}) });
    await this.queue.enqueueDeployment(deployment);
    this.notify(row.id);
    return { service: await this.get(row.id), deployment };
  }

  private async operate(id: string, kind: 'start' | 'stop' | 'restart' | 'image-update', actor: string, waitMs: number): Promise<DeploymentRow> {
    const { deployment } = await this.enqueue(await this.writable(id), kind, actor);
    return this.waitForDeployment(deployment.id, waitMs);
  }
}

/** The service's project, or the 400 that says why its folder does not load. */
function loadedOf(row: ServiceRow) {
  if (!row.project.ok) throw invalidProject(row.project.issues, 'The project folder does not load');
  return row.project.project;
}
