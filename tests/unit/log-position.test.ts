import { describe, expect, it } from 'vitest';
import { toDockerSince } from '../../src/server/docker/logs.js';
import { encodePositions, NO_POSITION, parsePositions, streamKey } from '../../src/server/services/log-position.js';

const ts = (n: number) => `2026-12-01T10:00:00.${String(n).padStart(9, '0')}Z`;

describe('log follow positions (the SSE event id)', () => {
  it('round-trips the position of each stream, keys escaped', () => {
    const at = new Map([
      [streamKey('web', 'stdout'), ts(3)],
      [streamKey('a;b=c/d', 'stderr'), ts(1)],
    ]);
    const id = encodePositions({ floor: '', at });
    expect(id).not.toMatch(/[\0\r\n]/);
    expect(parsePositions(id)).toEqual({ floor: '', at });
  });

  it('takes a bare RFC 3339 time (the old id, the dashboard) as the floor of every stream', () => {
    expect(parsePositions('2026-12-01T10:00:00.5Z')).toEqual({ floor: '2026-12-01T10:00:00.500000000Z', at: new Map() });
  });

  it('names no position for synthetic ids, garbage and impossible times: the follow starts fresh', () => {
    for (const bad of [`t${Date.now()}`, NO_POSITION, '', ';', 'garbage;;=/x', '2026-13-45T99:99:99Z', ';a/o=nope', ';a/x=2026-12-01T10:00:00Z', 'x'.repeat(5000)]) {
      expect(parsePositions(bad), bad).toBeUndefined();
    }
    expect(parsePositions(null)).toBeUndefined();
    expect(encodePositions({ floor: '', at: new Map() })).toBe(NO_POSITION);
  });

  it('stays bounded with many streams, folding into a floor that repeats lines rather than skip any', () => {
    const at = new Map(Array.from({ length: 500 }, (_, i) => [streamKey(`service-with-a-long-name-${i}`, 'stdout'), ts(i + 1)] as const));
    const id = encodePositions({ floor: '', at });
    expect(id.length).toBeLessThanOrEqual(4096);
    const back = parsePositions(id)!;
    expect(back.floor).toBe(ts(1));
    // Every stream resumes at or before where it was: its own entry, or the floor below all of them.
    for (const [key, position] of at) expect((back.at.get(key) ?? back.floor) <= position).toBe(true);
  });

  it('never gives the engine NaN as since', () => {
    expect(toDockerSince('2026-12-01T10:00:00.123Z')).toBe(`${Date.parse('2026-12-01T10:00:00Z') / 1000}.123000000`);
    for (const bad of ['t1764583200000', '', 'garbage', '2026-13-45T99:99:99Z']) expect(toDockerSince(bad), bad).toBeUndefined();
  });
});
