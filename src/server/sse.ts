import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseOptions {
  /** A comment line at least this often, so proxies and clients see the stream alive. */
  heartbeatMs?: number;
  /** Bytes a client may leave unread (in our buffer, beyond the kernel's) before it is dropped. */
  maxBufferedBytes?: number;
  /** The reconnect delay EventSource clients are told to use. */
  retryMs?: number;
}

export const SSE_HEARTBEAT_MS = 15_000;
export const SSE_BUFFER_BYTES = 1 << 20;

/** How many clients were dropped for not reading, since start (read by tests and logs). */
export const sseStats = { open: 0, dropped: 0 };

/**
 * One text/event-stream response. Writes never wait: a client that stops
 * reading lets our buffer grow only up to maxBufferedBytes, then it is
 * disconnected (it can resume with Last-Event-ID), so no client can grow the
 * server's memory. `closed` resolves when the stream ends, for any reason.
 */
export class SseStream {
  readonly closed: Promise<void>;
  private open = true;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly max: number;
  private finish!: () => void;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    options: SseOptions = {},
    private readonly onDrop?: () => void,
  ) {
    this.max = options.maxBufferedBytes ?? SSE_BUFFER_BYTES;
    this.closed = new Promise((resolve) => (this.finish = resolve));
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Connection', 'keep-alive');
    // nginx and similar proxies buffer responses unless told not to.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    sseStats.open += 1;
    this.write(`retry: ${options.retryMs ?? 3000}\n\n`);
    this.heartbeat = setInterval(() => this.write(`: ping ${new Date().toISOString()}\n\n`), options.heartbeatMs ?? SSE_HEARTBEAT_MS);
    this.heartbeat.unref();
    const end = () => this.end();
    req.on('close', end);
    res.on('close', end);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** An event's name and data lines, without its id: made once when many clients get the same event. */
  static format(event: string | undefined, data: unknown): string {
    return `${event ? `event: ${oneLine(event)}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
  }

  /** One event; `data` is sent as JSON (one line: JSON never holds a raw newline). */
  send(event: string | undefined, data: unknown, id?: string): boolean {
    return this.sendFormatted(SseStream.format(event, data), id);
  }

  /** An event made by format(), with its id. */
  sendFormatted(text: string, id?: string): boolean {
    return this.write(id !== undefined ? `id: ${oneLine(id)}\n${text}` : text);
  }

  /** Resolves once what was written has gone to the kernel (or the stream ended): for producers that can wait. */
  drained(): Promise<void> {
    if (!this.open || !this.res.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        resolve();
      };
      this.res.on('drain', done);
      void this.closed.then(done);
    });
  }

  comment(text: string): boolean {
    return this.write(`: ${oneLine(text)}\n\n`);
  }

  close(): void {
    if (!this.open) return;
    this.res.end();
    this.end();
  }

  private write(chunk: string): boolean {
    if (!this.open) return false;
    // What the client left unread before this write: one large event alone never drops a client that keeps up.
    if (this.res.writableLength > this.max) {
      sseStats.dropped += 1;
      this.onDrop?.();
      this.res.destroy();
      this.end();
      return false;
    }
    this.res.write(chunk);
    return true;
  }

  private end(): void {
    if (!this.open) return;
    this.open = false;
    sseStats.open -= 1;
    clearInterval(this.heartbeat);
    this.finish();
  }
}

/** SSE fields end at a newline: an id or event name never carries one. */
const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ');
