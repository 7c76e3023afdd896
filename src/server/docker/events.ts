import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import { containerHasTty, listComposeContainers, type ContainerInfo } from './containers.js';
import { ENGINE_DEADLINE_MS, toEngineError } from './errors.js';
import { LABEL_PROJECT, LABEL_SERVICE_ID } from './labels.js';

interface DockerEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** A managed container's event as the engine told it (for incidents: died, unhealthy, restarting). */
export interface ContainerEvent {
  /** The engine it happened on. */
  engineId: string;
  /** The engine's action: `die`, `start`, `kill`, `stop`, `destroy`, `health_status: unhealthy`, … */
  action: string;
  containerId: string;
  /** Its name without the leading slash. */
  name: string;
  serviceId: string | undefined;
  exitCode: number | undefined;
  /** The engine's own time of the event (ms): the same in every process that sees it. */
  at: number;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5000;
const RESYNC_DEBOUNCE_MS = 150;
/** Inspects in flight at once while learning the TTY of containers seen for the first time. */
const TTY_LEARNERS = 4;

/**
 * The live view of every compose container, kept from the engine's event
 * stream rather than by polling. It subscribes first and lists second, so no
 * change falls between the two; when the stream breaks it reconnects with
 * backoff and lists again. Requests read this view without calling Docker.
 */
export class EngineWatcher extends EventEmitter<{ change: []; availability: [boolean]; container: [ContainerEvent] }> {
  private view = new Map<string, ContainerInfo>();
  private available = false;
  private lastError: CapstanError | undefined;
  private stopped = false;
  private abort: AbortController | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private firstAttempt: Promise<void>;
  private settleFirst: () => void = () => {};
  /** Config.Tty by container id: the list call does not report it, and it never changes for an id. */
  private ttys = new Map<string, boolean>();
  private ttyLearning = new Map<string, Promise<boolean>>();

  constructor(
    readonly engineId: string,
    private readonly docker: Docker,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    this.firstAttempt = new Promise((resolve) => (this.settleFirst = resolve));
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    this.abort?.abort();
    this.settleFirst();
  }

  isAvailable(): boolean {
    return this.available;
  }

  /** Why the engine does not answer; null while it does. */
  problem(): string | null {
    if (this.available) return null;
    return this.lastError?.details ?? this.lastError?.message ?? 'not connected to the engine yet';
  }

  /** Right after start, the first connection gets a moment before the engine counts as unavailable. */
  async settled(): Promise<void> {
    if (this.available) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.firstAttempt, new Promise((r) => (timer = setTimeout(r, ENGINE_DEADLINE_MS + 500)))]);
    clearTimeout(timer);
  }

  /** The containers as last seen, without waiting; undefined while the engine is out of reach. */
  current(): ContainerInfo[] | undefined {
    return this.available ? [...this.view.values()] : undefined;
  }

  /** The containers as last seen; 503 when the engine is out of reach. */
  async containers(): Promise<ContainerInfo[]> {
    await this.settled();
    if (!this.available) {
      throw this.lastError ?? new CapstanError('SERVICE_UNAVAILABLE', 'Docker engine unavailable', { details: 'not connected to the engine yet' });
    }
    return [...this.view.values()];
  }

  /** Lists again now, for callers that just changed containers and want the view to show it. */
  async resync(): Promise<void> {
    const list = await listComposeContainers(this.docker);
    this.view = new Map(list.map((c) => [c.id, this.withTty({ ...c, engineId: this.engineId })]));
    this.learnTtys();
    this.emit('change');
  }

  /**
   * Whether the container has a TTY (how its log is framed): from the view,
   * or, for one not learnt yet, one inspect whose answer the view keeps.
   */
  ttyOf(id: string): Promise<boolean> {
    const known = this.ttys.get(id);
    if (known !== undefined) return Promise.resolve(known);
    let learning = this.ttyLearning.get(id);
    if (!learning) {
      learning = containerHasTty(this.docker, id)
        .then((tty) => {
          this.ttys.set(id, tty);
          const c = this.view.get(id);
          if (c) this.view.set(id, { ...c, tty });
          return tty;
        })
        .finally(() => this.ttyLearning.delete(id));
      this.ttyLearning.set(id, learning);
    }
    return learning;
  }

  private withTty(c: ContainerInfo): ContainerInfo {
    const tty = this.ttys.get(c.id);
    if (tty !== undefined) c.tty = tty;
    return c;
  }

  /** One inspect per container the view shows for the first time (a few at once), so log reads need none. */
  private learnTtys(): void {
    for (const id of this.ttys.keys()) if (!this.view.has(id)) this.ttys.delete(id);
    const unknown = [...this.view.values()].filter((c) => c.tty === undefined && !this.ttyLearning.has(c.id)).map((c) => c.id);
    let next = 0;
    const learner = async () => {
      while (next < unknown.length && !this.stopped) {
        // Gone meanwhile, or not reachable: a log read asks again.
        await this.ttyOf(unknown[next++]!).catch(() => undefined);
      }
    };
    for (let i = 0; i < Math.min(TTY_LEARNERS, unknown.length); i++) void learner();
  }

  private async loop(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (!this.stopped) {
      try {
        const stream = await this.subscribe();
        // Ended before the listing below is done: the wait further down must still see it.
        const ended = new Promise<void>((resolve) => {
          stream.once('close', resolve);
          stream.once('end', resolve);
          stream.once('error', resolve);
        });
        try {
          await this.resync();
        } catch (err) {
          (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
          throw err;
        }
        this.setAvailable(true);
        this.settleFirst();
        backoff = BACKOFF_MIN_MS;
        await ended;
        if (!this.stopped) this.lastError = new CapstanError('SERVICE_UNAVAILABLE', 'Docker engine unavailable', { details: 'the engine closed the event stream' });
      } catch (err) {
        this.lastError = toEngineError(err, 'Docker engine unavailable');
        if (this.lastError.code !== 'SERVICE_UNAVAILABLE') this.log.warn('engine watcher error', { engine: this.engineId, error: this.lastError.message, details: this.lastError.details });
      }
      this.settleFirst();
      if (this.stopped) break;
      this.setAvailable(false);
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
    }
  }

  private async subscribe(): Promise<NodeJS.ReadableStream> {
    this.abort = new AbortController();
    const deadline = setTimeout(() => this.abort?.abort(), ENGINE_DEADLINE_MS);
    try {
      const stream = (await this.docker.getEvents({
        filters: { type: ['container'], label: [LABEL_PROJECT] },
        abortSignal: this.abort.signal,
      } as object)) as NodeJS.ReadableStream;
      // From the first moment: a stream that fails before the loop waits on it must not be an unhandled 'error'.
      stream.on('error', () => {});
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          if (line) this.onEvent(line);
        }
      });
      return stream;
    } finally {
      clearTimeout(deadline);
    }
  }

  private onEvent(line: string): void {
    let e: DockerEvent;
    try {
      e = JSON.parse(line) as DockerEvent;
    } catch {
      return;
    }
    const action = e.Action ?? '';
    // Health checks run as execs: their events say nothing about the container's state.
    if (action.startsWith('exec_')) return;
    const id = e.Actor?.ID ?? e.id;
    if (!id) return;
    const attrs = e.Actor?.Attributes ?? {};
    const exitCode = attrs.exitCode === undefined ? undefined : Number(attrs.exitCode);
    this.emit('container', {
      engineId: this.engineId,
      action,
      containerId: id,
      name: attrs.name ?? id.slice(0, 12),
      serviceId: attrs[LABEL_SERVICE_ID],
      exitCode: Number.isFinite(exitCode) ? exitCode : undefined,
      at: e.timeNano ? Math.floor(e.timeNano / 1e6) : (e.time ?? 0) * 1000 || Date.now(),
    });
    const current = this.view.get(id);
    if (current) {
      const patched = patch(current, action);
      if (patched === null) this.view.delete(id);
      else this.view.set(id, patched);
      this.emit('change');
    }
    // Every event also schedules one list call (debounced) to correct ports, names and new containers.
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(() => {
      this.resync().catch(() => {});
    }, RESYNC_DEBOUNCE_MS);
  }

  private setAvailable(available: boolean): void {
    if (this.available === available) return;
    this.available = available;
    this.log.info(available ? 'engine connected' : 'engine unavailable', { engine: this.engineId, ...(available ? {} : { details: this.lastError?.details }) });
    this.emit('availability', available);
    this.emit('change');
  }
}

/** What an event tells at once; null when the container is gone. */
function patch(c: ContainerInfo, action: string): ContainerInfo | null {
  if (action === 'destroy') return null;
  if (action === 'start' || action === 'unpause' || action === 'restart') return { ...c, state: 'running' };
  if (action === 'die' || action === 'stop') return { ...c, state: 'exited', health: c.health === 'none' ? 'none' : 'starting' };
  if (action === 'pause') return { ...c, state: 'paused' };
  if (action === 'health_status: healthy') return { ...c, health: 'healthy' };
  if (action === 'health_status: unhealthy') return { ...c, health: 'unhealthy' };
  return c;
}
