import type { IncomingMessage, ServerResponse } from 'node:http';
import { zAppLogsQuery } from '../shared/appos.js';
import type { App } from './app.js';
import { authenticatedInput, type createContextFactory } from './context.js';
import { plainQueryInput } from './plain-input.js';
import { followServiceLogs } from './services/logs.js';
import { SseStream } from './sse.js';

const APP_LOGS_PATH = /^\/api\/appos\/apps\/([^/]+)\/logs$/;
const FOLLOW = new Set(['1', 'true']);

/** GET /api/appos/apps/{id}/logs?follow=1: trpc-to-openapi answers JSON only, so the live stream is served here. */
export function wantsAppLogStream(req: IncomingMessage, url: URL): boolean {
  return req.method === 'GET' && APP_LOGS_PATH.test(url.pathname) && FOLLOW.has(url.searchParams.get('follow') ?? '');
}

/**
 * The app's log lines as server-sent events (`event: log`, data a log line),
 * the last `tail` first, then live. Each event's id is the position of every
 * stream, so a client reconnecting with Last-Event-ID resumes right after it.
 * A reader slower than the containers pauses the engine's streams (the
 * follower's bounded queue), never our memory.
 */
export async function serveAppLogStream(app: App, createContext: ReturnType<typeof createContextFactory>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const query = await authenticatedInput(createContext, req, res, zAppLogsQuery, plainQueryInput(url, APP_LOGS_PATH));
  // Fails (404, bad container) before the stream starts, so the client gets a real error answer.
  await app.serviceStore.get(query.id);
  const header = req.headers['last-event-id'];
  const stop = new AbortController();
  const stream = new SseStream(req, res, { heartbeatMs: app.config.limits?.sseHeartbeatMs, maxBufferedBytes: app.config.limits?.sseBufferBytes });
  void stream.closed.then(() => stop.abort());
  try {
    const items = followServiceLogs(app.logs, { id: query.id, container: query.container, tail: query.tail, after: typeof header === 'string' ? header : undefined }, stop.signal);
    for await (const { id, line } of items) {
      if (!stream.send('log', line, id)) break;
      await stream.drained();
    }
  } catch (err) {
    // Headers are out: the error can only be an event, then the end.
    stream.send('error', { message: err instanceof Error && 'code' in err ? err.message : 'The log stream failed' });
  } finally {
    stop.abort();
    stream.close();
  }
}
