import type Docker from 'dockerode';
import type { StatsPoint } from '../../shared/stats.js';
import { engineCall, toEngineError } from './errors.js';

type Raw = Record<string, unknown>;

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0);

/** A stream:false read waits for a second sample (the engine fills precpu_stats): longer than a short request. */
const ONE_READ_DEADLINE_MS = 10_000;
/** The engine sends a sample about every second; this long without one, the stream counts as dead. */
const SILENCE_MS = 10_000;
/** A sample is a few KB; a line this long without an end is no sample. */
const MAX_LINE = 1 << 20;

/**
 * CPU % as `docker stats` computes it: the container's usage delta over the
 * host's between the two readings, times the online CPUs (the per-CPU list's
 * length on engines that do not report them), so one busy core reads 100.
 */
export function cpuPercent(raw: unknown): number {
  const cur = obj(obj(raw).cpu_stats);
  const pre = obj(obj(raw).precpu_stats);
  const cpuDelta = num(obj(cur.cpu_usage).total_usage) - num(obj(pre.cpu_usage).total_usage);
  const systemDelta = num(cur.system_cpu_usage) - num(pre.system_cpu_usage);
  const perCpu = obj(cur.cpu_usage).percpu_usage;
  const online = num(cur.online_cpus) || (Array.isArray(perCpu) ? perCpu.length : 0);
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Usage without the page cache a container could give back: cgroup v1 `total_inactive_file`, v2 `inactive_file` (docker/cli since 19.03). */
export function memoryUsage(raw: unknown): number {
  const mem = obj(obj(raw).memory_stats);
  const usage = num(mem.usage);
  const stats = obj(mem.stats);
  if ('total_inactive_file' in stats && num(stats.total_inactive_file) < usage) return usage - num(stats.total_inactive_file);
  const inactive = num(stats.inactive_file);
  return inactive < usage ? usage - inactive : usage;
}

/** Bytes read and written, summed from io_service_bytes_recursive by op ("Read"/"read", "Write"/"write"); other ops are not I/O. */
export function blockIo(raw: unknown): { read: number; write: number } {
  const entries = obj(obj(raw).blkio_stats).io_service_bytes_recursive;
  let read = 0;
  let write = 0;
  for (const e of Array.isArray(entries) ? entries : []) {
    const op = typeof obj(e).op === 'string' ? (obj(e).op as string).toLowerCase() : '';
    if (op === 'read') read += num(obj(e).value);
    else if (op === 'write') write += num(obj(e).value);
  }
  return { read, write };
}

export function networkTotals(raw: unknown): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(obj(obj(raw).networks))) {
    rx += num(obj(n).rx_bytes);
    tx += num(obj(n).tx_bytes);
  }
  return { rx, tx };
}

/** The engine answers a container that is not running with samples read at the zero time and no figures. */
export function hasReading(raw: unknown): boolean {
  const read = obj(raw).read;
  return typeof read === 'string' && !read.startsWith('0001-01-01') && !Number.isNaN(Date.parse(read));
}

/** One engine stats object as Capstan's sample; figures the engine leaves out read as 0. */
export function parseStats(raw: unknown, now = Date.now()): StatsPoint {
  const read = obj(raw).read;
  const net = networkTotals(raw);
  const block = blockIo(raw);
  return {
    at: hasReading(raw) ? Date.parse(read as string) : now,
    cpu_percent: cpuPercent(raw),
    memory_bytes: memoryUsage(raw),
    memory_limit_bytes: num(obj(obj(raw).memory_stats).limit),
    net_rx_bytes: net.rx,
    net_tx_bytes: net.tx,
    block_read_bytes: block.read,
    block_write_bytes: block.write,
    pids: Math.round(num(obj(obj(raw).pids_stats).current)),
  };
}

/** One sample (the engine waits about a second so CPU has a delta); undefined for a container that is not running. */
export async function readStatsOnce(docker: Docker, id: string, name: string): Promise<StatsPoint | undefined> {
  const raw = await engineCall(
    (abortSignal) => docker.getContainer(id).stats({ stream: false, abortSignal } as { stream: false }),
    `Could not read the resource use of ${name}`,
    ONE_READ_DEADLINE_MS,
  );
  return hasReading(raw) ? parseStats(raw) : undefined;
}

export interface StatsStreamHandlers {
  /** A sample with a reading (a stopped container's empty ones are not passed on). */
  sample(point: StatsPoint): void;
  /** The stream stopped without close(): the engine ended it, it failed, or it went silent. Called at most once. */
  end(reason: string): void;
}

export interface StatsStream {
  close(): void;
}

/**
 * The engine's stats stream of one container: newline-separated JSON
 * objects, about one a second. Whatever way it stops is told to `end`
 * (never an unhandled 'error'); close() stops it silently. `signal`
 * aborts the request while it is being made.
 */
export async function openStatsStream(docker: Docker, id: string, name: string, handlers: StatsStreamHandlers, signal: AbortSignal): Promise<StatsStream> {
  let raw: NodeJS.ReadableStream & { destroy?: () => void };
  try {
    raw = (await docker.getContainer(id).stats({ stream: true, abortSignal: signal } as { stream: true })) as typeof raw;
  } catch (err) {
    throw toEngineError(err, `Could not follow the resource use of ${name}`);
  }
  let done = false;
  let partial = '';
  let silence: NodeJS.Timeout | undefined;
  const stop = (reason: string | undefined) => {
    if (done) return;
    done = true;
    clearTimeout(silence);
    signal.removeEventListener('abort', close);
    raw.removeListener('data', onData);
    raw.destroy?.();
    if (reason !== undefined) handlers.end(reason);
  };
  const close = () => stop(undefined);
  const watchdog = () => {
    clearTimeout(silence);
    silence = setTimeout(() => stop(`no sample from the engine for ${SILENCE_MS / 1000} s`), SILENCE_MS);
  };
  const onData = (chunk: Buffer | string) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > MAX_LINE) return stop('the engine sent a sample too large to read');
    for (const line of lines) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // one unreadable sample is skipped, as the docker CLI does
      }
      watchdog();
      if (hasReading(parsed)) handlers.sample(parseStats(parsed));
      if (done) return;
    }
  };
  raw.on('data', onData);
  raw.on('end', () => stop('the engine ended the stream'));
  raw.on('close', () => stop('the engine closed the stream'));
  raw.on('error', (err: Error) => stop(toEngineError(err, 'stats stream failed').details ?? err.message));
  watchdog();
  // The signal may have fired while the answer was on its way: then nobody else would close it.
  if (signal.aborted) close();
  else signal.addEventListener('abort', close);
  return { close };
}
