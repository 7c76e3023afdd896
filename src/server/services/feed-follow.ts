import { CapstanError } from '../errors.js';
import type { EventFeed, FeedEvent, FeedItem } from './event-feed.js';

/** What a follower receives: one event, or the state of everything (when what it missed is no longer kept). */
export type FeedMessage = { id: string; event: FeedEvent } | { id: string; snapshot: FeedEvent[] };

/**
 * Delivers the feed to `deliver` from a client's last event id on: what it
 * missed (or a snapshot), then every new event, in order, synchronously as
 * each is pushed, so a caller can bound what it buffers. Listens before it
 * reads the backlog, so nothing falls in between. Returns the unsubscribe.
 */
export async function subscribeFeed(feed: EventFeed, lastEventId: string | null | undefined, deliver: (m: FeedMessage) => void): Promise<() => void> {
  let early: FeedItem[] | undefined = [];
  let seen = -1;
  const onItem = (item: FeedItem) => {
    if (early) return void early.push(item);
    if (item.seq <= seen) return;
    seen = item.seq;
    deliver({ id: feed.idOf(item.seq), event: item.event });
  };
  feed.on('item', onItem);
  const stop = () => void feed.off('item', onItem);
  try {
    const backlog = await feed.backlog(lastEventId);
    if (backlog.kind === 'snapshot') {
      seen = backlog.seq;
      deliver({ id: feed.idOf(backlog.seq), snapshot: backlog.events });
    }
    const pending = [...(backlog.kind === 'missed' ? backlog.items : []), ...early];
    early = undefined;
    for (const item of pending) onItem(item);
  } catch (err) {
    stop();
    throw err;
  }
  return stop;
}

/**
 * The same as an async iterable, for tRPC subscriptions. The queue is
 * bounded: a consumer that falls this far behind ends with an error, and its
 * client reconnects from its last event id instead of growing our memory.
 */
export async function* feedMessages(feed: EventFeed, lastEventId: string | null | undefined, signal: AbortSignal | undefined, maxQueued = 10_000): AsyncGenerator<FeedMessage> {
  const queue: FeedMessage[] = [];
  let overflow = false;
  let wake: (() => void) | undefined;
  const stop = await subscribeFeed(feed, lastEventId, (m) => {
    if (queue.length >= maxQueued) overflow = true;
    else queue.push(m);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (overflow) throw new CapstanError('SERVICE_UNAVAILABLE', 'Events came faster than they were read', { details: 'reconnect with the last event id' });
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop();
  }
}
