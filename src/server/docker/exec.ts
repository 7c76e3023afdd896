import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { ENGINE_DEADLINE_MS, engineCall, toEngineError } from './errors.js';

/**
 * Every terminal's process carries this variable with its session's marker.
 * The Engine cannot signal an exec's process, and closing the hijacked
 * connection does not hang up its pty (the shim keeps the master open, so
 * a shell waits on it forever); the marker is how a second exec finds the
 * process, and the children it started, to end them (endMarkedProcesses).
 */
export const TERMINAL_MARKER_ENV = 'CAPSTAN_TERMINAL_SESSION';
const MARKER = /^[0-9a-f]{16,64}$/;

export interface TtyExec {
  id: string;
  /** The terminal's bytes both ways (a TTY exec is one raw stream, not multiplexed). */
  stream: Duplex;
}

export interface ExecState {
  running: boolean;
  exitCode: number | null;
}

/**
 * Creates an exec with a TTY and stdin in a running container and starts it
 * hijacked. The stream is returned paused (nothing reads it yet): output
 * waits in the socket until the caller is ready for it.
 */
export async function startTtyExec(docker: Docker, containerId: string, cmd: string[], marker: string): Promise<TtyExec> {
  if (!MARKER.test(marker)) throw new Error('startTtyExec: the marker must be lowercase hex');
  const exec = await engineCall(
    (abortSignal) =>
      docker.getContainer(containerId).exec({
        Cmd: cmd,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
        // xterm.js speaks xterm with 256 colours; the engine would set plain "xterm".
        Env: ['TERM=xterm-256color', `${TERMINAL_MARKER_ENV}=${marker}`],
        abortSignal,
      } as Docker.ExecCreateOptions),
    'Could not start the terminal',
  );
  // No abort signal here: it would stay attached to the upgraded socket and cut it when it fires.
  const started = exec.start({ hijack: true, stdin: true, Detach: false, Tty: true }) as Promise<Duplex>;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('exec start timed out'), { name: 'TimeoutError' })), ENGINE_DEADLINE_MS);
  });
  try {
    const stream = await Promise.race([started, deadline]);
    stream.on('error', () => {}); // the session adds its own; an error before that must not be uncaught
    stream.pause();
    return { id: exec.id, stream };
  } catch (err) {
    // A start that answers after the deadline leaves a connection nobody reads.
    started.then((s) => s.destroy(), () => {});
    throw toEngineError(err, 'Could not start the terminal');
  } finally {
    clearTimeout(timer);
  }
}

export function resizeExec(docker: Docker, execId: string, cols: number, rows: number): Promise<void> {
  return engineCall(async (abortSignal) => {
    await docker.getExec(execId).resize({ h: rows, w: cols, abortSignal } as object);
  }, 'Could not resize the terminal');
}

export function inspectExec(docker: Docker, execId: string): Promise<ExecState> {
  return engineCall(async (abortSignal) => {
    const info = await (docker.getExec(execId).inspect as (o: object) => Promise<Docker.ExecInspectInfo>)({ abortSignal });
    return { running: info.Running, exitCode: typeof info.ExitCode === 'number' ? info.ExitCode : null };
  }, 'Could not read the terminal process');
}

/**
 * Sends `signal` to every process in the container whose environment holds
 * the marker, from a second exec (POSIX sh, grep and kill, as in busybox,
 * Debian or Alpine images). Answers false when that exec could not run
 * (an image without a shell): the caller then has no way left but the pty.
 */
export async function endMarkedProcesses(docker: Docker, containerId: string, marker: string, signal: 'HUP' | 'KILL'): Promise<boolean> {
  if (!MARKER.test(marker)) throw new Error('endMarkedProcesses: the marker must be lowercase hex');
  // The pattern is found in environ files only; this script's own argv is no match, its environment lacks the marker.
  const script = `for f in $(grep -l '${TERMINAL_MARKER_ENV}=${marker}' /proc/[0-9]*/environ 2>/dev/null); do p=\${f#/proc/}; kill -${signal} "\${p%/environ}" 2>/dev/null; done; exit 0`;
  const exec = await engineCall(
    (abortSignal) =>
      docker.getContainer(containerId).exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true, abortSignal } as Docker.ExecCreateOptions),
    'Could not end the terminal process',
  );
  await engineCall(async () => {
    const out = (await exec.start({ Detach: false })) as Duplex;
    // The script takes milliseconds; one that hangs (a frozen container) must not hold the session's end forever.
    const timer = setTimeout(() => out.destroy(), ENGINE_DEADLINE_MS);
    await new Promise<void>((resolve) => {
      out.on('error', () => resolve());
      out.on('end', () => resolve());
      out.on('close', () => resolve());
      out.resume();
    });
    clearTimeout(timer);
  }, 'Could not end the terminal process');
  const state = await inspectExec(docker, exec.id);
  return state.exitCode === 0;
}
