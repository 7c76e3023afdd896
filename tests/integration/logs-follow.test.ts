import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLine } from '../../src/shared/logs.js';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { uniqueName } from '../helpers/engine.js';
import { deployAndWait, startTestServer, type TestServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';

type T = { id?: string; data: LogLine };

let proxy: DockerProxy;
let s: TestServer;
let token: string;
let pairId: string;

const image = () => inject('testEnv').image;
// A service definition is a compose file: the shell's own `$` is written `$$`.
const sh = (script: string) => ({ image: image(), command: ['sh', '-c', script.replace(/\$/g, '$$$$')] });
// Each stream of each container numbers its own lines, so a gap or a repeat shows.
const counter = 'i=0; while true; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.1; done';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** mulberry32: the delays are random but the same on every run. */
function seeded(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits until the proxy's open connection count holds still, and answers it. */
async function settledConnections() {
  for (let n = -1; n !== proxy.openConnections(); ) {
    n = proxy.openConnections();
    await sleep(400);
  }
  return proxy.openConnections();
}

const streamKey = (l: LogLine) => `${l.container}/${l.stream}`;
const numberOf = (l: LogLine) => Number(/^(?:out|err) (\d+)$/.exec(l.message)?.[1]);

beforeAll(async () => {
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost });
  token = await s.login();
  const created = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('follow'), services: { a: sh(counter), b: sh(counter) } });
  pairId = created.service.id;
  // Both containers have written something: tail history exists for every stream.
  await sleep(1000);
});
afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
});

describe('services.followLogs: clients that leave during setup', () => {
  it('100 clients aborting at random moments of the setup leave no engine stream open', async () => {
    const base = await settledConnections();
    const client = testClient(s.url, token);
    const random = seeded(12);
    for (let batch = 0; batch < 5; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const sub = client.services.followLogs.subscribe({ id: pairId, tail: 1 }, { onData: () => {}, onError: () => {} });
          await sleep(Math.floor(random() * 60));
          sub.unsubscribe();
        }),
      );
    }
    await expect.poll(() => proxy.openConnections(), { timeout: 20_000, interval: 250 }).toBeLessThanOrEqual(base);
    // The server still follows after all that.
    const after = await collect<T>((h) => client.services.followLogs.subscribe({ id: pairId }, h as never), (l) => l.length >= 2, 15_000);
    expect(after.every((i) => i.data.timestamp !== '')).toBe(true);
  });
});

describe('services.followLogs: resume', () => {
  it('an id that is not a position (a synthetic time, garbage) starts from now: no NaN reaches the engine, real lines arrive', async () => {
    const client = testClient(s.url, token);
    for (const lastEventId of [`t${Date.now()}`, 'garbage;;=/x', '2026-13-45T99:99:99Z', ';a/o=nope']) {
      const before = proxy.urls().length;
      const started = new Date().toISOString();
      const items = await collect<T>(
        (h) => client.services.followLogs.subscribe({ id: pairId, lastEventId }, h as never),
        (l) => l.filter((i) => i.data.timestamp > started).length >= 3,
        15_000,
      );
      expect(items.length, lastEventId).toBeGreaterThanOrEqual(3);
      const sent = proxy.urls().slice(before).filter((u) => u.includes('/logs?'));
      expect(sent.length, lastEventId).toBeGreaterThan(0);
      for (const url of sent) {
        const since = new URL(url, 'http://engine').searchParams.get('since');
        expect(url, lastEventId).not.toMatch(/NaN/);
        if (since !== null) expect(since, url).toMatch(/^\d+(\.\d+)?$/);
      }
    }
  });

  it('a resume by a real id gets exactly the lines after it on every stream, none repeated', async () => {
    const client = testClient(s.url, token);
    // History of both containers arrives container by container, not in time order: one time cannot be the position.
    const first = await collect<T>(
      (h) => client.services.followLogs.subscribe({ id: pairId, tail: 4 }, h as never),
      (l) => new Set(l.map((i) => streamKey(i.data))).size === 4 && l.length >= 12,
      20_000,
    );
    // Resume from an item where time order broke if there is one, else from where every stream has been seen.
    let k = first.findIndex((item, i) => i > 0 && first.slice(0, i).some((p) => p.data.timestamp > item.data.timestamp));
    const allSeen = first.findIndex((_, i) => new Set(first.slice(0, i + 1).map((p) => streamKey(p.data))).size === 4);
    if (k < 0) k = allSeen;
    const id = first[k]!.id;
    expect(id).toBeTruthy();
    const lastSeen = new Map<string, number>();
    for (const item of first.slice(0, k + 1)) lastSeen.set(streamKey(item.data), numberOf(item.data));

    const resumed = await collect<T>(
      (h) => client.services.followLogs.subscribe({ id: pairId, tail: 4, lastEventId: id }, h as never),
      (l) => [...lastSeen.keys()].every((key) => l.filter((i) => streamKey(i.data) === key).length >= 3),
      20_000,
    );
    const seen = new Set<string>();
    for (const item of resumed) {
      const key = `${streamKey(item.data)} ${item.data.message}`;
      expect(seen.has(key), `repeated: ${key}`).toBe(false);
      seen.add(key);
    }
    for (const [key, n] of lastSeen) {
      const numbers = resumed.filter((i) => streamKey(i.data) === key).map((i) => numberOf(i.data));
      expect(numbers.slice(0, 3), key).toEqual([n + 1, n + 2, n + 3]);
    }
  });
});
