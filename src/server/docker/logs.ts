import { StringDecoder } from 'node:string_decoder';
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

/**
 * Cuts one stream's bytes into lines as readline does (\n, \r\n, or a lone
 * \r), across chunk and frame boundaries; a UTF-8 character split between
 * two frames is decoded whole.
 */
class LineCutter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(private readonly emit: (line: string) => void) {}

  write(bytes: Buffer): void {
    this.cut(this.partial + this.decoder.write(bytes), false);
  }

  end(): void {
    this.cut(this.partial + this.decoder.end(), true);
  }

  private cut(text: string, final: boolean): void {
    const next = (ch: string, from: number) => {
      const at = text.indexOf(ch, from);
      return at < 0 ? Infinity : at;
    };
    // Each position found is kept until passed: a text without \r is scanned for one once, not once per line.
    let start = 0;
    let lf = next('\n', 0);
    let cr = next('\r', 0);
    while (lf !== Infinity || cr !== Infinity) {
      if (lf < cr) {
        this.emit(text.slice(start, lf));
        start = lf + 1;
      } else {
        // A \r last in the chunk may be the first half of a \r\n: wait for the next chunk.
        if (cr === text.length - 1 && !final) break;
        this.emit(text.slice(start, cr));
        start = cr + 1 === lf ? cr + 2 : cr + 1;
      }
      if (lf < start) lf = next('\n', start);
      if (cr < start) cr = next('\r', start);
    }
    this.partial = text.slice(start);
    if (final && this.partial) {
      this.emit(this.partial);
      this.partial = '';
    }
  }
}

/** Lines on stdout and stderr from the engine's log bytes, demultiplexed unless the container has a TTY. */
export interface LineSink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * The engine frames a non-TTY log as [stream, 0, 0, 0, size (4 bytes, big
 * endian), payload]. Parsed by offset: the frames of one chunk are never
 * copied. A first byte that is no stream type (0, 1, 2) means the log is not
 * multiplexed after all (a TTY container): the rest is taken as raw stdout.
 */
export function lineSink(source: LogSource, onLine: (l: LogLine) => void): LineSink {
  const cutter = (stream: LogLine['stream']) =>
    new LineCutter((line) => {
      const { timestamp, message } = splitTimestamp(line);
      onLine({ container: source.name, stream, timestamp, message });
    });
  const stdout = cutter('stdout');
  const stderr = cutter('stderr');
  let raw = source.tty;
  let pending: Buffer | undefined;
  return {
    write(chunk) {
      if (raw) return stdout.write(chunk);
      const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      let at = 0;
      while (buf.length - at >= 8) {
        const type = buf[at]!;
        if (type > 2) {
          raw = true;
          return stdout.write(buf.subarray(at));
        }
        const size = buf.readUInt32BE(at + 4);
        if (buf.length - at - 8 < size) break;
        // As docker-modem does: 1 is stdout, anything else (stderr, stdin) stderr.
        (type === 1 ? stdout : stderr).write(buf.subarray(at + 8, at + 8 + size));
        at += 8 + size;
      }
      if (at < buf.length) pending = buf.subarray(at);
    },
    end() {
      stdout.end();
      stderr.end();
    },
  };
}

/** Reads the engine's log stream into lines until it ends, closes or fails (which must never be an unhandled 'error'). */
function lineStreams(raw: NodeJS.ReadableStream, source: LogSource, onLine: (l: LogLine) => void): Promise<void> {
  const sink = lineSink(source, onLine);
  return new Promise<void>((resolve) => {
    let done = false;
    const onData = (chunk: Buffer | string) => sink.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const end = () => {
      if (done) return;
      done = true;
      // Nothing the engine sends past the end reaches the lines.
      raw.removeListener('data', onData);
      sink.end();
      resolve();
    };
    raw.on('data', onData);
    raw.on('end', end);
    raw.on('close', end);
    raw.on('error', end);
  });
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
    const sink = lineSink(source, (l) => lines.push(l));
    sink.write(typeof data === 'string' ? Buffer.from(data) : data);
    sink.end();
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
  const ended = lineStreams(raw, source, onLine);
  const close = () => {
    signal.removeEventListener('abort', close);
    raw.destroy?.();
  };
  // The signal may have fired while the answer was on its way: then nobody else would close it.
  if (signal.aborted) close();
  else signal.addEventListener('abort', close);
  return { ended, pause: () => raw.pause(), resume: () => raw.resume(), close };
}
