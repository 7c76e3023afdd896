import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { App } from './app.js';
import { authenticatedInput, type createContextFactory } from './context.js';
import type { EventFeed, FeedEvent } from './services/event-feed.js';
import { subscribeFeed, type FeedMessage } from './services/feed-follow.js';
import { SseStream } from './sse.js';

export const EVENTS_PATH = '/api/events';

const zEventsQuery = z.object({
  last_event_id: z.string().max(64).optional().meta({ description: 'Instead of the Last-Event-ID header (for clients that cannot set it)' }),
});

export function wantsEvents(req: IncomingMessage, url: URL): boolean {
  return url.pathname === EVENTS_PATH && (req.method === 'GET' || req.method === 'HEAD');
}

/**
 * GET /api/events: every change as plain server-sent events, for any client
 * (EventSource, curl -N). Fed by the same feed as the tRPC subscriptions.
 */
export async function serveEvents(app: App, createContext: ReturnType<typeof createContextFactory>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const query = await authenticatedInput(createContext, req, res, zEventsQuery, Object.fromEntries(url.searchParams.entries()));
  const header = req.headers['last-event-id'];
  const lastEventId = (typeof header === 'string' && header.length <= 64 ? header : undefined) ?? query.last_event_id;
  const limits = app.config.limits;
  const stream = new SseStream(req, res, { heartbeatMs: limits?.sseHeartbeatMs, maxBufferedBytes: limits?.sseBufferBytes }, () =>
    app.log.info('event stream client dropped: it stopped reading', { address: req.socket.remoteAddress }),
  );
  if (req.method === 'HEAD') return stream.close();
  const stop = await subscribeFeed(app.events, lastEventId, (m) => sendMessage(stream, app.events, m)).catch((err: unknown) => {
    stream.close();
    throw err;
  });
  void stream.closed.then(stop);
  if (!stream.isOpen) stop();
}

/** Each event's wire text, made once for every client that receives it. */
const wireText = new WeakMap<FeedEvent, string>();

function sendMessage(stream: SseStream, feed: EventFeed, m: FeedMessage): void {
  if (!('snapshot' in m)) {
    let text = wireText.get(m.event);
    if (text === undefined) {
      const [name, data] = wireEvent(feed, m.event);
      text = SseStream.format(name, data);
      wireText.set(m.event, text);
    }
    stream.sendFormatted(text, m.id);
    return;
  }
  const engines = m.snapshot.flatMap((e) => (e.kind === 'engine' ? [{ engine_id: e.engine_id, available: e.available }] : []));
  stream.send(
    'snapshot',
    {
      // `engine`: whether any engine answers (what a client of one engine reads); `engines`: each one.
      engine: { available: engines.some((e) => e.available) },
      engines,
      services: m.snapshot.flatMap((e) => (e.kind === 'service' ? [wireEvent(feed, e)[1]] : [])),
      deployments: m.snapshot.flatMap((e) => (e.kind === 'deployment' ? [e.deployment] : [])),
    },
    m.id,
  );
}

/** The event name and data a client sees (CONTRACT.md, "Realtime"). */
function wireEvent(feed: EventFeed, e: FeedEvent): [string, unknown] {
  switch (e.kind) {
    case 'service':
      return ['status', { id: e.id, name: e.name, engine_id: e.engine_id, status: e.status, containers: e.containers }];
    case 'service-removed':
      return ['status', { id: e.id, name: feed.nameOf(e.id) ?? null, status: 'removed', containers: [] }];
    case 'engine':
      return ['engine', { engine_id: e.engine_id, available: e.available, ...(e.details ? { details: e.details } : {}) }];
    case 'deployment':
      return ['deployment', e.deployment];
  }
}
