import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import type { RawData, WebSocket } from 'ws';
import type { EnginePool } from './engines.js';
import { endMarkedProcesses, inspectExec, resizeExec, startTtyExec, type ExecState, type TtyExec } from '../docker/exec.js';
import { CapstanError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AuditLog } from './audit.js';
import type { ServiceRow } from './service-store.js';
import { containersOf } from './service-view.js';

export const MAX_COMMAND_CHARS = 1024;
export const MAX_TERMINAL_SIZE = 1000;
export const DEFAULT_TERMINAL_IDLE_MS = 15 * 60_000;
/** Open terminals at once, in all and per actor: each holds a process and a connection to the engine. */
export const MAX_TERMINALS = 32;
export const MAX_TERMINALS_PER_ACTOR = 8;
/** Output waiting for a slow client beyond this pauses the engine's stream; it resumes below the low mark. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 256 << 10;
/** How long a signalled process is given to go before the next, harder way is tried. */
const END_WAIT_MS = 3000;

export interface TerminalDeps {
  /** The engines: a terminal runs on its service's. */
  engines: EnginePool;
  /** The service's row; 404 when unknown. */
  row: (id: string) => Promise<ServiceRow>;
  audit: AuditLog;
  log: Logger;
  idleMs: number;
}

/**
 * The command line as argv, split on whitespace as Portainer's console does:
 * no quoting, no shell expansion. Absent means `sh`; something that needs a
 * pipe or quotes is typed into a shell instead.
 */
export function parseCommand(cmd: string | undefined): string[] {
  if (cmd === undefined) return ['sh'];
  if (cmd.length > MAX_COMMAND_CHARS) {
    throw new CapstanError('BAD_REQUEST', 'Command too long', { details: `cmd: at most ${MAX_COMMAND_CHARS} characters` });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f\u007f]/.test(cmd)) {
    throw new CapstanError('BAD_REQUEST', 'Invalid command', { details: 'cmd: control characters are not allowed' });
  }
  const argv = cmd.split(/\s+/).filter(Boolean);
  if (argv.length === 0) throw new CapstanError('BAD_REQUEST', 'Empty command', { details: 'cmd: must not be empty' });
  return argv;
}

/** A text frame must be exactly {"resize":[cols,rows]}: two whole numbers from 1 to 1000. */
export function parseControlFrame(text: string): { cols: number; rows: number } | { error: string } {
  const expected = `resize: expected {"resize":[cols,rows]} with two whole numbers from 1 to ${MAX_TERMINAL_SIZE}`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: `frame: not JSON; ${expected}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).join(',') !== 'resize') return { error: expected };
  const size = (value as { resize: unknown }).resize;
  const ok = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_TERMINAL_SIZE;
  if (!Array.isArray(size) || size.length !== 2 || !ok(size[0]) || !ok(size[1])) return { error: expected };
  return { cols: size[0], rows: size[1] };
}

/** A terminal whose process runs on the engine, not yet joined to a client. */
export interface PreparedTerminal {
  serviceId: string;
  /** The client of the engine the process runs on. */
  docker: Docker;
  container: { id: string; name: string };
  command: string[];
  /** In the process's environment (docker/exec.ts): how its processes are found to end them. */
  marker: string;
  exec: TtyExec;
}

export interface TerminalInput {
  id: string;
  container?: string | undefined;
  cmd?: string | undefined;
}

/**
 * What a terminal would run, and where, without starting it: the checks an
 * upgrade makes first, also answered to a plain GET (so a browser, which
 * cannot read a refused upgrade's answer, can learn why).
 */
export async function resolveTerminal(
  deps: Pick<TerminalDeps, 'row' | 'engines'>,
  input: TerminalInput,
): Promise<{ serviceId: string; docker: Docker; container: { id: string; name: string }; command: string[] }> {
  const command = parseCommand(input.cmd);
  const row = await deps.row(input.id);
  deps.engines.requireAvailable(row.engineId);
  const { objects, infos } = containersOf(row, await deps.engines.containers());
  let at: number;
  if (input.container !== undefined) {
    at = objects.findIndex((o) => o.name === input.container || o.service === input.container);
    if (at < 0) throw new CapstanError('NOT_FOUND', 'Unknown container', { details: `container: the service has no container "${input.container}"` });
    if (infos[at]?.state !== 'running') {
      throw new CapstanError('CONFLICT', 'Container not running', { details: `container: "${objects[at]!.name}" is ${infos[at]?.state ?? 'missing'}` });
    }
  } else {
    at = infos.findIndex((i) => i?.state === 'running');
    if (at < 0) throw new CapstanError('CONFLICT', 'No running container', { details: "container: none of the service's containers is running" });
  }
  return { serviceId: input.id, docker: await deps.engines.docker(row.engineId), container: { id: infos[at]!.id, name: objects[at]!.name }, command };
}

export type EndedBy = 'process' | 'client' | 'idle' | 'invalid frame' | 'frame too large' | 'shutdown' | 'upgrade failed';

export class TerminalSessions {
  private readonly live = new Set<TerminalSession>();

  constructor(private readonly deps: TerminalDeps) {}

  /** Picks the container (by name or compose key; default the first running one) and starts the command there. */
  async prepare(input: TerminalInput, actor: string): Promise<PreparedTerminal> {
    const mine = [...this.live].filter((s) => s.actor === actor).length;
    if (this.live.size >= MAX_TERMINALS || mine >= MAX_TERMINALS_PER_ACTOR) {
      const [limit, whose] = mine >= MAX_TERMINALS_PER_ACTOR ? [MAX_TERMINALS_PER_ACTOR, 'of yours are'] : [MAX_TERMINALS, 'are'];
      throw new CapstanError('TOO_MANY_REQUESTS', 'Too many terminals open', { details: `${limit} terminals ${whose} open; close one first`, retryAfter: 5 });
    }
    const { serviceId, docker, container, command } = await resolveTerminal(this.deps, input);
    const marker = randomBytes(16).toString('hex');
    const exec = await startTtyExec(docker, container.id, command, marker);
    return { serviceId, docker, container, command, marker, exec };
  }

  /** The client went away before the upgrade finished: the process must not outlive it. */
  async abandon(prepared: PreparedTerminal): Promise<void> {
    await endTerminalProcess(this.deps, prepared);
  }

  attach(prepared: PreparedTerminal, ws: WebSocket, actor: string): void {
    const session = new TerminalSession(this.deps, prepared, ws, actor);
    this.live.add(session);
    void session.done.then(() => this.live.delete(session));
    session.start();
  }

  /** Server stop: every session closes (1001) and its process is ended. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.stop()));
  }
}

/**
 * Ends the terminal's processes: a hangup first (what closing a real
 * terminal does), a kill if they ignore it. An image without a shell gets
 * what a person would type to leave (Ctrl-C, Ctrl-D). Answers the exit code
 * when the engine knows it.
 */
async function endTerminalProcess(deps: TerminalDeps, p: PreparedTerminal): Promise<number | null> {
  const read = () => inspectExec(p.docker, p.exec.id).catch((): ExecState | null => null);
  let state = await read();
  for (const signal of ['HUP', 'KILL'] as const) {
    if (!state?.running) break;
    const ran = await endMarkedProcesses(p.docker, p.container.id, p.marker, signal).catch(() => false);
    if (!ran && p.exec.stream.writable) p.exec.stream.write('\x03\x04');
    state = await waitUntilEnded(read, END_WAIT_MS);
  }
  p.exec.stream.destroy();
  if (state?.running) deps.log.warn('terminal process still running after its session ended', { service: p.serviceId, container: p.container.name });
  return state && !state.running ? state.exitCode : null;
}

async function waitUntilEnded(read: () => Promise<ExecState | null>, ms: number): Promise<ExecState | null> {
  const end = Date.now() + ms;
  for (;;) {
    const state = await read();
    if (!state?.running || Date.now() > end) return state;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const asBuffer = (data: RawData): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));

class TerminalSession {
  private readonly startedAt = Date.now();
  private ended = false;
  private paused = false;
  private idle: NodeJS.Timeout | undefined;
  private wantedSize: { cols: number; rows: number } | undefined;
  private resizing = false;
  private tooLarge = false;
  private started: Promise<unknown> = Promise.resolve();
  private resolveDone!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly deps: TerminalDeps,
    private readonly p: PreparedTerminal,
    private readonly ws: WebSocket,
    readonly actor: string,
  ) {}

  private get details() {
    return { container: this.p.container.name, command: this.p.command.join(' ') };
  }

  start(): void {
    const { stream } = this.p.exec;
    const { ws } = this;
    this.started = this.deps.audit
      .record({ actor: this.actor, action: 'terminal.start', target: `service:${this.p.serviceId}`, outcome: 'success', details: this.details })
      .catch(() => undefined); // AuditLog logs its own failures
    stream.on('data', (chunk: Buffer) => this.output(chunk));
    stream.on('end', () => void this.finish('process'));
    stream.on('close', () => void this.finish('process'));
    stream.on('error', () => void this.finish('process'));
    ws.on('message', (data, isBinary) => this.input(data, isBinary));
    ws.on('close', () => void this.finish(this.tooLarge ? 'frame too large' : 'client'));
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the socket itself after an error ('close' follows); 1009 for a frame over maxPayload.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.tooLarge = true;
    });
    this.idle = setTimeout(() => this.close(1000, 'idle', 'idle'), this.deps.idleMs);
    stream.resume();
  }

  private output(chunk: Buffer): void {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (this.paused && ws.bufferedAmount < LOW_WATER) {
        this.paused = false;
        this.p.exec.stream.resume();
      }
    });
    if (!this.paused && ws.bufferedAmount > HIGH_WATER) {
      this.paused = true;
      this.p.exec.stream.pause();
    }
  }

  private input(data: RawData, isBinary: boolean): void {
    if (this.ended) return;
    const { stream } = this.p.exec;
    if (isBinary) {
      // Only typing counts as activity: a page left open resizes now and then, and is still idle.
      this.idle?.refresh();
      if (!stream.write(asBuffer(data))) {
        this.ws.pause();
        stream.once('drain', () => this.ws.resume());
      }
      return;
    }
    const frame = parseControlFrame(asBuffer(data).toString('utf8'));
    if ('error' in frame) {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify({ error: 'Invalid control frame', details: frame.error, code: 'BAD_REQUEST' }));
      return this.close(1008, 'invalid control frame', 'invalid frame');
    }
    this.wantedSize = frame;
    if (!this.resizing) void this.applySize();
  }

  /** One resize call at a time; a burst of frames (a window being dragged) ends with the last size. */
  private async applySize(): Promise<void> {
    this.resizing = true;
    while (this.wantedSize && !this.ended) {
      const { cols, rows } = this.wantedSize;
      this.wantedSize = undefined;
      await resizeExec(this.p.docker, this.p.exec.id, cols, rows).catch((err: unknown) =>
        this.deps.log.info('terminal resize failed', { service: this.p.serviceId, error: (err as Error).message }),
      );
    }
    this.resizing = false;
  }

  private close(code: number, reason: string, by: EndedBy): void {
    if (this.ended) return;
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
    void this.finish(by);
  }

  stop(): Promise<void> {
    this.close(1001, 'server shutting down', 'shutdown');
    return this.done;
  }

  private async finish(by: EndedBy): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idle);
    let exitCode: number | null;
    if (by === 'process') {
      const state = await waitUntilEnded(() => inspectExec(this.p.docker, this.p.exec.id).catch(() => null), 1000);
      exitCode = state && !state.running ? state.exitCode : null;
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000, exitCode === null ? 'process ended' : `exit code ${exitCode}`);
      this.p.exec.stream.destroy();
    } else {
      exitCode = await endTerminalProcess(this.deps, this.p);
    }
    // A client that never answers the close frame must not hold the socket.
    setTimeout(() => this.ws.terminate(), 5000).unref();
    const details = { ...this.details, duration_ms: Date.now() - this.startedAt, ended_by: by, ...(exitCode === null ? {} : { exit_code: exitCode }) };
    await this.started;
    await this.deps.audit
      .record({ actor: this.actor, action: 'terminal.end', target: `service:${this.p.serviceId}`, outcome: 'success', details })
      .catch(() => undefined);
    this.resolveDone();
  }
}
