import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EnginePool } from '../../src/server/services/engines.js';
import { silentLogger } from '../../src/server/log.js';
import type { NotificationService } from '../../src/server/services/notifications.js';
import { NotificationTriggers } from '../../src/server/services/notify-triggers.js';

describe('engine lost and back', () => {
  let sent: [string, string, string][];
  let watcher: EventEmitter & { find(id: string): { name: string } | undefined };
  let triggers: NotificationTriggers;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    const names: Record<string, string> = { local: 'local', e2: 'edge box' };
    watcher = Object.assign(new EventEmitter(), { find: (id: string) => (names[id] ? { name: names[id] } : undefined) });
    const notifications = { dispatch: async (m: { event: string; title: string }, key: string) => void sent.push([m.event, key, m.title]) } as unknown as NotificationService;
    triggers = new NotificationTriggers(notifications, watcher as unknown as EnginePool, () => undefined, silentLogger);
    triggers.start();
  });
  afterEach(() => {
    triggers.stop();
    vi.useRealTimers();
  });

  it('says "lost" once the engine has been away 15 s, and "back" when it returns', () => {
    watcher.emit('availability', 'local', false);
    vi.advanceTimersByTime(14_000);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(sent.map(([e]) => e)).toEqual(['engine.lost']);
    watcher.emit('availability', 'local', true);
    expect(sent.map(([e]) => e)).toEqual(['engine.lost', 'engine.back']);
    expect(sent[0]![1]).toMatch(/^engine:lost:local:\d+$/);
  });

  it('a blip shorter than that says nothing, neither lost nor back', () => {
    watcher.emit('availability', 'local', false);
    vi.advanceTimersByTime(5_000);
    watcher.emit('availability', 'local', true);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });

  it('stops listening when stopped', () => {
    triggers.stop();
    watcher.emit('availability', 'local', false);
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
  });

  it('tells each engine apart: only the one that went away is lost, by its name', () => {
    watcher.emit('availability', 'e2', false);
    vi.advanceTimersByTime(5_000);
    watcher.emit('availability', 'local', false);
    watcher.emit('availability', 'local', true);
    vi.advanceTimersByTime(15_000);
    expect(sent.map(([e, k, t]) => [e, k.replace(/:\d+$/, ''), t])).toEqual([['engine.lost', 'engine:lost:e2', 'Docker engine "edge box" lost']]);
    watcher.emit('availability', 'e2', true);
    expect(sent.map(([e]) => e)).toEqual(['engine.lost', 'engine.back']);
  });
});
