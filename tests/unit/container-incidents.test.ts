import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ContainerEvent } from '../../src/server/docker/events.js';
import { IncidentDetector, type Incident } from '../../src/server/services/container-incidents.js';

const opts = { debounceMs: 1000, loopDeaths: 3, quietMs: 60_000, stoppedWithinMs: 5000 };

describe('container incidents', () => {
  let got: Incident[];
  let detector: IncidentDetector;
  let clock: number;
  const ev = (action: string, extra: Partial<ContainerEvent> = {}): ContainerEvent => ({
    engineId: 'local',
    action,
    containerId: 'c0ffee0000000000',
    name: 'blog-web-1',
    serviceId: 'svc1',
    exitCode: undefined,
    at: clock,
    ...extra,
  });
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    clock = 1_000_000;
    got = [];
    detector = new IncidentDetector((i) => got.push(i), opts);
  });
  afterEach(() => {
    detector.dispose();
    vi.useRealTimers();
  });

  it('a container that dies on its own is one "died" message after the debounce', () => {
    detector.handle(ev('die', { exitCode: 1 }));
    expect(got).toEqual([]);
    advance(1000);
    expect(got).toEqual([expect.objectContaining({ kind: 'died', exitCode: 1, deaths: 1, name: 'blog-web-1', serviceId: 'svc1', key: 'c0ffee000000:1000000:died' })]);
  });

  it('a die after a kill or stop (someone stopped it) and a clean exit are no incident', () => {
    detector.handle(ev('kill'));
    advance(200);
    detector.handle(ev('die', { exitCode: 137, at: clock }));
    detector.handle(ev('stop', { at: clock }));
    advance(2000);
    detector.handle(ev('die', { exitCode: 0, at: clock }));
    advance(2000);
    expect(got).toEqual([]);
  });

  it('dying again and again within the debounce is one "restarting" message', () => {
    for (let i = 0; i < 4; i++) {
      detector.handle(ev('die', { exitCode: 2, at: clock }));
      advance(100);
      detector.handle(ev('start', { at: clock }));
      advance(100);
    }
    advance(1000);
    expect(got.map((i) => i.kind)).toEqual(['restarting']);
    expect(got[0]!.deaths).toBe(4);
  });

  it('a loop that shows itself after the first message is said once more, then the incident stays silent', () => {
    detector.handle(ev('die', { exitCode: 1 }));
    advance(1500);
    for (let i = 0; i < 10; i++) {
      detector.handle(ev('die', { exitCode: 1, at: clock }));
      advance(5000);
    }
    expect(got.map((i) => i.kind)).toEqual(['died', 'restarting']);
  });

  it('after a quiet time, a new death is a new incident', () => {
    detector.handle(ev('die', { exitCode: 1 }));
    advance(1000);
    advance(opts.quietMs + 1);
    detector.handle(ev('die', { exitCode: 3, at: clock }));
    advance(1000);
    expect(got.map((i) => [i.kind, i.exitCode])).toEqual([
      ['died', 1],
      ['died', 3],
    ]);
    expect(got[0]!.key).not.toBe(got[1]!.key);
  });

  it('unhealthy is said at once, once, until it is healthy again', () => {
    detector.handle(ev('health_status: unhealthy'));
    detector.handle(ev('health_status: unhealthy', { at: clock + 10 }));
    expect(got.map((i) => i.kind)).toEqual(['unhealthy']);
    detector.handle(ev('health_status: healthy', { at: clock + 20 }));
    detector.handle(ev('health_status: unhealthy', { at: clock + 30 }));
    expect(got.map((i) => i.kind)).toEqual(['unhealthy', 'unhealthy']);
  });

  it('a container removed during the debounce sends nothing', () => {
    detector.handle(ev('die', { exitCode: 1 }));
    detector.handle(ev('destroy'));
    advance(5000);
    expect(got).toEqual([]);
  });
});
