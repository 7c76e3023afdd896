import { describe, expect, it } from 'vitest';
import { blockIo, cpuPercent, hasReading, memoryUsage, networkTotals, parseStats } from '../../src/server/docker/stats.js';

/** A sample from a cgroup v1 engine (this machine's), trimmed to what the figures read. */
const v1 = {
  read: '2026-12-02T06:23:45.108840636Z',
  preread: '2026-12-02T06:23:44.105137069Z',
  pids_stats: { current: 2 },
  blkio_stats: {
    io_service_bytes_recursive: [
      { major: 8, minor: 0, op: 'Read', value: 4096 },
      { major: 8, minor: 0, op: 'Write', value: 8192 },
      { major: 8, minor: 0, op: 'Sync', value: 12288 },
      { major: 8, minor: 0, op: 'Async', value: 0 },
      { major: 8, minor: 0, op: 'Total', value: 12288 },
      { major: 8, minor: 16, op: 'Read', value: 1000 },
    ],
  },
  cpu_stats: {
    cpu_usage: { total_usage: 3043199426, percpu_usage: [3035742842, 7456584] },
    system_cpu_usage: 60728850000000,
    online_cpus: 2,
  },
  precpu_stats: {
    cpu_usage: { total_usage: 2039497220, percpu_usage: [2032106064, 7391156] },
    system_cpu_usage: 60726850000000,
    online_cpus: 2,
  },
  memory_stats: { usage: 770048, stats: { cache: 4096, inactive_file: 8192, total_inactive_file: 4096 }, limit: 67108864 },
  networks: {
    eth0: { rx_bytes: 516, tx_bytes: 10 },
    eth1: { rx_bytes: 100, tx_bytes: 7 },
  },
};

/** cgroup v2: lower-case ops, inactive_file, no total_* keys. */
const v2 = {
  read: '2026-12-02T06:30:00.5Z',
  pids_stats: { current: 7, limit: 100 },
  blkio_stats: { io_service_bytes_recursive: [{ major: 254, minor: 0, op: 'read', value: 300 }, { major: 254, minor: 0, op: 'write', value: 200 }] },
  cpu_stats: { cpu_usage: { total_usage: 5_000_000 }, system_cpu_usage: 4_000_000_000, online_cpus: 4 },
  precpu_stats: { cpu_usage: { total_usage: 4_000_000 }, system_cpu_usage: 3_000_000_000, online_cpus: 4 },
  memory_stats: { usage: 10_000_000, stats: { inactive_file: 2_000_000, active_file: 5 }, limit: 2_000_000_000 },
  networks: { eth0: { rx_bytes: 1, tx_bytes: 2 } },
};

describe('the figures, as docker stats computes them', () => {
  it('CPU % is the container delta over the system delta, times the online CPUs', () => {
    // (3043199426 - 2039497220) / (60728850000000 - 60726850000000) * 2 * 100 = 100.3702206
    expect(cpuPercent(v1)).toBeCloseTo(100.3702206, 6);
    expect(cpuPercent(v2)).toBeCloseTo(0.4, 9);
  });

  it('CPU % counts the per-CPU list when the engine does not report online CPUs', () => {
    const old = { ...v1, cpu_stats: { ...v1.cpu_stats, online_cpus: 0 } };
    expect(cpuPercent(old)).toBeCloseTo(100.3702206, 6);
  });

  it('CPU % is 0 without a positive delta (the first sample of a container, a counter reset)', () => {
    expect(cpuPercent({ ...v1, precpu_stats: v1.cpu_stats })).toBe(0);
    expect(cpuPercent({ ...v1, cpu_stats: v1.precpu_stats, precpu_stats: v1.cpu_stats })).toBe(0);
    expect(cpuPercent({})).toBe(0);
  });

  it('memory is usage minus total_inactive_file on cgroup v1, minus inactive_file on v2', () => {
    expect(memoryUsage(v1)).toBe(770048 - 4096);
    expect(memoryUsage(v2)).toBe(10_000_000 - 2_000_000);
  });

  it('memory is the usage itself when the cache figure is not below it', () => {
    expect(memoryUsage({ memory_stats: { usage: 100, stats: { total_inactive_file: 100, inactive_file: 50 } } })).toBe(50);
    expect(memoryUsage({ memory_stats: { usage: 100, stats: { inactive_file: 200 } } })).toBe(100);
    expect(memoryUsage({ memory_stats: {} })).toBe(0);
  });

  it('block I/O sums Read and Write entries over devices, whatever their case; other ops do not count', () => {
    expect(blockIo(v1)).toEqual({ read: 5096, write: 8192 });
    expect(blockIo(v2)).toEqual({ read: 300, write: 200 });
    expect(blockIo({ blkio_stats: { io_service_bytes_recursive: null } })).toEqual({ read: 0, write: 0 });
  });

  it('network sums every interface', () => {
    expect(networkTotals(v1)).toEqual({ rx: 616, tx: 17 });
    expect(networkTotals({})).toEqual({ rx: 0, tx: 0 });
  });

  it('parses one sample into Capstan\'s shape', () => {
    expect(parseStats(v2)).toEqual({
      at: Date.parse('2026-12-02T06:30:00.5Z'),
      cpu_percent: expect.closeTo(0.4, 9),
      memory_bytes: 8_000_000,
      memory_limit_bytes: 2_000_000_000,
      net_rx_bytes: 1,
      net_tx_bytes: 2,
      block_read_bytes: 300,
      block_write_bytes: 200,
      pids: 7,
    });
  });

  it('a stopped container\'s sample (zero time, no figures) has no reading and parses as zeros', () => {
    const stopped = { read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, memory_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 } } };
    expect(hasReading(stopped)).toBe(false);
    expect(hasReading(v1)).toBe(true);
    expect(hasReading({ read: 'garbage' })).toBe(false);
    const p = parseStats(stopped, 1234);
    expect(p).toEqual({ at: 1234, cpu_percent: 0, memory_bytes: 0, memory_limit_bytes: 0, net_rx_bytes: 0, net_tx_bytes: 0, block_read_bytes: 0, block_write_bytes: 0, pids: 0 });
  });

  it('garbage in any field reads as 0, never NaN or negative', () => {
    const p = parseStats({ read: v1.read, memory_stats: { usage: 'x', limit: -5 }, pids_stats: { current: Number.NaN }, networks: { eth0: { rx_bytes: null } }, cpu_stats: 7 });
    for (const v of Object.values(p)) expect(Number.isFinite(v) && v >= 0).toBe(true);
  });
});
