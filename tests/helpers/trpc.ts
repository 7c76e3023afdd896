import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import type { AppRouter } from '../../src/server/routers/_app.js';

/**
 * The typed tRPC client as the dashboard uses it: SSE subscriptions
 * authenticated by the session cookie (Node 20 has no EventSource of its own).
 */
export function testClient(baseUrl: string, token: string) {
  const cookie = `capstan_session=${token}`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${baseUrl}/trpc`,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, cookie } }),
          },
        }),
        false: httpLink({ url: `${baseUrl}/trpc`, headers: { cookie } }),
      }),
    ],
  });
}

/** Collects a subscription's data until `until` says stop (or the time runs out); then unsubscribes. */
export function collect<T>(
  subscribe: (handlers: { onData: (d: T) => void; onError: (e: unknown) => void }) => { unsubscribe(): void },
  until: (items: T[]) => boolean,
  ms = 30_000,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    let sub: { unsubscribe(): void } | undefined;
    const timer = setTimeout(() => {
      sub?.unsubscribe();
      reject(new Error(`subscription: condition not met in ${ms} ms; got ${JSON.stringify(items).slice(0, 2000)}`));
    }, ms);
    sub = subscribe({
      onData: (d) => {
        items.push(d);
        if (until(items)) {
          clearTimeout(timer);
          sub?.unsubscribe();
          resolve(items);
        }
      },
      onError: (e) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    });
  });
}
