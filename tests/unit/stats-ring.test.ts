import { describe, expect, it } from 'vitest';
import type { StatsPoint } from '../../src/shared/stats.js';
import { SampleRing } from '../../src/server/services/stats.js';

const point = (at: number): StatsPoint => ({ at, cpu_percent: 1, memory_bytes: 2, memory_limit_bytes: 3, net_rx_bytes: 4, net_tx_bytes: 5, block_read_bytes: 6, block_write_bytes: 7, pids: 1 });

describe('SampleRing', () => {
  it('keeps the samples of the window, oldest first', () => {
    const ring = new SampleRing(10_000, 1000);
    for (let t = 0; t <= 20_000; t += 1000) ring.push(point(t));
    expect(ring.snapshot(20_000).map((p) => p.at)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((s) => s * 1000));
    expect(ring.latest()?.at).toBe(20_000);
  });

  it('is bounded in count too', () => {
    const ring = new SampleRing(1e9, 5);
    for (let t = 1; t <= 50; t++) ring.push(point(t));
    expect(ring.snapshot(50).map((p) => p.at)).toEqual([46, 47, 48, 49, 50]);
  });

  it('drops a sample that does not move time forward (a reopened stream repeating its last)', () => {
    const ring = new SampleRing(1e9, 100);
    ring.push(point(5));
    ring.push(point(5));
    ring.push(point(4));
    ring.push(point(6));
    expect(ring.snapshot(6).map((p) => p.at)).toEqual([5, 6]);
  });

  it('empties once everything is older than the window, and gives copies', () => {
    const ring = new SampleRing(1000, 100);
    ring.push(point(0));
    const snap = ring.snapshot(500);
    snap.pop();
    expect(ring.snapshot(500)).toHaveLength(1);
    expect(ring.snapshot(5000)).toEqual([]);
    expect(ring.latest()).toBeUndefined();
  });
});
