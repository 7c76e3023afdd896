// A server-sent events reader for tests: fetch, then the text/event-stream
// framing of the HTML standard (fields, comments, blank-line dispatch), so a
// test sees every event, id and heartbeat exactly as a client receives them.

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
  json: any;
}

export interface SseConnection {
  status: number;
  contentType: string | null;
  /** Every event so far, in order. */
  events: SseEvent[];
  /** Comment lines (heartbeats) so far. */
  comments: string[];
  /** The body of a non-2xx answer. */
  errorBody: any;
  /** Resolves once an event matches (or the stream ends: then rejects). */
  waitFor(pred: (e: SseEvent, all: SseEvent[]) => boolean, ms?: number): Promise<SseEvent>;
  waitForComment(ms?: number): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  let done = false;
  let errorBody: unknown;
  let ended: Promise<void>;
  if (!res.ok || !res.body) {
    const text = await res.text();
    try {
      errorBody = JSON.parse(text);
    } catch {
      errorBody = text;
    }
    done = true;
    ended = Promise.resolve();
  } else {
    ended = (async () => {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let cur = { id: undefined as string | undefined, event: '', data: [] as string[] };
      try {
        for (;;) {
          const { value, done: eof } = await reader.read();
          if (eof) break;
          buffer += value;
          let nl: number;
          while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
            if (line === '') {
              if (cur.data.length) {
                const data = cur.data.join('\n');
                let json: unknown;
                try {
                  json = JSON.parse(data);
                } catch {
                  json = undefined;
                }
                events.push({ id: cur.id, event: cur.event || 'message', data, json });
              }
              cur = { id: cur.id, event: '', data: [] };
              poke();
              continue;
            }
            if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              poke();
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') cur.data.push(val);
            else if (field === 'event') cur.event = val;
            else if (field === 'id') cur.id = val;
          }
        }
      } catch {
        // aborted by close(), or the connection was cut
      } finally {
        done = true;
        poke();
      }
    })();
  }
  const wait = <T>(check: () => T | undefined, what: string, ms: number) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}; got ${events.map((e) => e.event).join(',')}`)), ms);
      const finish = (err?: Error, v?: T) => {
        clearTimeout(timer);
        waiters.delete(test);
        if (err) reject(err);
        else resolve(v!);
      };
      const test = () => {
        const v = check();
        if (v !== undefined) finish(undefined, v);
        else if (done) finish(new Error(`stream ended waiting for ${what}; got ${events.map((e) => e.event).join(',')}`));
      };
      waiters.add(test);
      test();
    });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    errorBody,
    ended,
    waitFor: (pred, ms = 30_000) => wait(() => events.find((e) => pred(e, events)), 'an event', ms),
    waitForComment: (ms = 30_000) => {
      const seen = comments.length;
      return wait(() => comments[seen], 'a comment', ms);
    },
    close: () => abort.abort(),
  };
}
