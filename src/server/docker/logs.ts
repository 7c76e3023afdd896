import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogLine } from '../../shared/logs.js';
import { engineCall, toEngineError } from './errors.js';

export interface LogSource {
  id: string;
  name: string;
  /** A TTY container's log is one raw stream; otherwise it is multiplexed with 8-byte frame headers. */
  tty: boolean;
}

export interface LogWindow {
  tail?: number;
  /** Unix seconds (may carry nanoseconds as a fraction). */
  since?: string;
  until?: string;
}

/** Docker writes "2026-01-02T03:04:05.123456789Z message"; the fraction is padded so timestamps sort as strings. */
export function splitTimestamp(line: string): { timestamp: string; message: string } {
  const space = line.indexOf(' ');
  const raw = space > 0 ? line.slice(0, space) : '';
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(raw);
  if (!m) return { timestamp: '', message: line };
  return { timestamp: `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`, message: line.slice(space + 1) };
}

/** RFC 3339 (with nanoseconds) to the Unix-seconds form Docker's `since` takes without losing precision; undefined if it is no time. */
export function toDockerSince(timestamp: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(timestamp);
  const seconds = m ? Math.floor(Date.parse(`${m[1]}Z`) / 1000) : Number.NaN;
  // A NaN here would reach the engine as `since=NaN`.
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return `${seconds}.${(m?.[2] ?? '').padEnd(9, '0')}`;
}

/** Splits the engine's log stream into lines on stdout and stderr, demultiplexed unless the container has a TTY. */
function lineStreams(raw: NodeJS.ReadableStream, source: LogSource, docker: Docker, onLine: (l: LogLine) => void): Promise<void> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  // A write after end() (the engine sending past a cut) must end the lines, not throw an unhandled 'error'.
  stdout.on('error', () => stdout.end());
  stderr.on('error', () => stderr.end());
  if (source.tty) raw.pipe(stdout);
  else docker.modem.demuxStream(raw, stdout, stderr);
  const end = () => {
    stdout.end();
    stderr.end();
  };
  raw.on('end', end);
  raw.on('close', end);
  // An aborted or cut connection ends the lines; it must never be an unhandled 'error'.
  raw.on('error', end);
  const read = (stream: PassThrough, name: LogLine['stream']) =>
    new Promise<void>((resolve) => {
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      rl.on('line', (line) => {
        const { timestamp, message } = splitTimestamp(line);
        onLine({ container: source.name, stream: name, timestamp, message });
      });
      rl.on('close', resolve);
    });
  return Promise.all([read(stdout, 'stdout'), read(stderr, 'stderr')]).then(() => undefined);
}

function logOptions(window: LogWindow, follow: boolean, abortSignal: AbortSignal) {
  return {
    follow,
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(window.tail !== undefined ? { tail: window.tail } : {}),
    ...(window.since ? { since: window.since } : {}),
    ...(window.until ? { until: window.until } : {}),
    abortSignal,
  };
}

/** The last lines of one container (no follow). */
export function readLogs(docker: Docker, source: LogSource, window: LogWindow): Promise<LogLine[]> {
  return engineCall(async (abortSignal) => {
    const options = logOptions(window, false, abortSignal) as Docker.ContainerLogsOptions & { follow: false };
    const data = (await docker.getContainer(source.id).logs(options)) as Buffer | string;
    const lines: LogLine[] = [];
    const buffer = typeof data === 'string' ? Buffer.from(data) : data;
    await lineStreams(Readable.from([buffer]), source, docker, (l) => lines.push(l));
    // stdout and stderr were read side by side; put them back in time order.
    return lines.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  }, `Could not read the logs of ${source.name}`, 30_000);
}

export interface LogFollower {
  /** Resolves when the engine ends the stream (the container stopped) or it was closed. */
  ended: Promise<void>;
  pause(): void;
  resume(): void;
  close(): void;
}

/**
 * Follows one container's log from `since` (or its last `tail` lines).
 * `signal` aborts the engine request itself, also while it is being made;
 * close() ends the engine connection.
 */
export async function followLogs(
  docker: Docker,
  source: LogSource,
  window: LogWindow,
  onLine: (l: LogLine) => void,
  signal: AbortSignal,
): Promise<LogFollower> {
  let raw: NodeJS.ReadableStream & { destroy?: () => void };
  try {
    const options = logOptions(window, true, signal) as Docker.ContainerLogsOptions & { follow: true };
    raw = (await docker.getContainer(source.id).logs(options)) as typeof raw;
  } catch (err) {
    throw toEngineError(err, `Could not follow the logs of ${source.name}`);
  }
  const ended = lineStreams(raw, source, docker, onLine);
  const close = () => {
    signal.removeEventListener('abort', close);
    raw.destroy?.();
  };
  // The signal may have fired while the answer was on its way: then nobody else would close it.
  if (signal.aborted) close();
  else signal.addEventListener('abort', close);
  return { ended, pause: () => raw.pause(), resume: () => raw.resume(), close };
}
