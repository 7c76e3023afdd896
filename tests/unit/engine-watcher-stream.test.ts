// The engine watcher's event stream may fail while the first listing is still
// on its way (issue 12: every stream has an 'error' handler). A stand-in engine
// here, because the point is that exact moment, which a real one cannot be
// made to hit on demand.
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { EngineWatcher } from '../../src/server/docker/events.js';
import { silentLogger } from '../../src/server/log.js';

function standIn() {
  const streams: PassThrough[] = [];
  let listed = (): void => {};
  let listing = Promise.resolve();
  const docker = {
    getEvents: async () => {
      const s = new PassThrough();
      streams.push(s);
      return s;
    },
    listContainers: async () => {
      await listing;
      return [];
    },
  } as unknown as Docker;
  return {
    docker,
    streams,
    holdListing: () => (listing = new Promise<void>((r) => (listed = r))),
    releaseListing: () => listed(),
  };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('EngineWatcher', () => {
  it('survives its event stream failing during the first listing, and reconnects', async () => {
    const engine = standIn();
    engine.holdListing();
    const watcher = new EngineWatcher('local', engine.docker, silentLogger);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      watcher.start();
      await until(() => engine.streams.length === 1);
      engine.streams[0]!.destroy(new Error('connection cut'));
      await new Promise((r) => setTimeout(r, 20));
      engine.releaseListing();
      // The end is seen although it came before the wait: a new subscription follows.
      await until(() => engine.streams.length >= 2);
      expect(uncaught).toEqual([]);
    } finally {
      watcher.stop();
      process.off('uncaughtException', onUncaught);
    }
  });
});
