import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineWatcher } from '../../src/server/docker/events.js';
import { silentLogger } from '../../src/server/log.js';
import type { NotificationService } from '../../src/server/services/notifications.js';
import { NotificationTriggers } from '../../src/server/services/notify-triggers.js';

describe('engine lost and back', () => {
  let sent: [string, string][];
  let watcher: EventEmitter;
  let triggers: NotificationTriggers;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    watcher = new EventEmitter();
    const notifications = { dispatch: async (m: { event: string }, key: string) => void sent.push([m.event, key]) } as unknown as NotificationService;
    triggers = new NotificationTriggers(notifications, watcher as unknown as EngineWatcher, () => undefined, silentLogger);
    triggers.start();
  });
  afterEach(() => {
    triggers.stop();
    vi.useRealTimers();
  });

  it('says "lost" once the engine has been away 15 s, and "back" when it returns', () => {
    watcher.emit('availability', false);
    vi.advanceTimersByTime(14_000);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(sent.map(([e]) => e)).toEqual(['engine.lost']);
    watcher.emit('availability', true);
    expect(sent.map(([e]) => e)).toEqual(['engine.lost', 'engine.back']);
    expect(sent[0]![1]).toMatch(/^engine:lost:\d+$/);
  });

  it('a blip shorter than that says nothing, neither lost nor back', () => {
    watcher.emit('availability', false);
    vi.advanceTimersByTime(5_000);
    watcher.emit('availability', true);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });

  it('stops listening when stopped', () => {
    triggers.stop();
    watcher.emit('availability', false);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });
});
