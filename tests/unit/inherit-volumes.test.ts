import { describe, expect, it } from 'vitest';
import { inheritAnonymousVolumes, type OldMount } from '../../src/server/docker/inherit-volumes.js';

const anon = 'a'.repeat(64);
const old: OldMount[] = [
  { type: 'volume', source: anon, target: '/data', readOnly: false },
  { type: 'volume', source: 'b'.repeat(64), target: '/cache', readOnly: false },
  { type: 'volume', source: 'app_named', target: '/named', readOnly: false },
  { type: 'tmpfs', source: '', target: '/run', readOnly: false },
];

describe('anonymous volumes on recreate (compose\'s inherit)', () => {
  it("mounts the old volume at the image's VOLUME paths the definition leaves alone", () => {
    const host = inheritAnonymousVolumes({ Binds: ['app_named:/named:rw'] }, old, ['/data', '/named', '/run/']);
    expect(host.Mounts).toEqual([{ Type: 'volume', Source: anon, Target: '/data' }]);
    expect(host.Binds).toEqual(['app_named:/named:rw']);
  });

  it('gives a service volume without a source the old one, keeping its options', () => {
    const host = inheritAnonymousVolumes({ Mounts: [{ Type: 'volume', Target: '/cache/', VolumeOptions: { NoCopy: true } }] }, old, []);
    expect(host.Mounts).toEqual([{ Type: 'volume', Target: '/cache/', Source: 'b'.repeat(64), VolumeOptions: { NoCopy: true } }]);
  });

  it('leaves what the definition mounts now: a named volume, a bind or a tmpfs at that path', () => {
    const host = { Binds: ['/srv/x:/data:rw'], Mounts: [{ Type: 'volume', Source: 'app_c', Target: '/cache' }], Tmpfs: { '/named': '' } };
    expect(inheritAnonymousVolumes(host, old, ['/data', '/cache', '/named'])).toBe(host);
  });

  it('changes nothing for a container that had no mounts, and never mutates its input', () => {
    const host = { Mounts: [{ Type: 'volume', Target: '/cache' }] };
    expect(inheritAnonymousVolumes(host, [], ['/data'])).toBe(host);
    const copy = JSON.stringify(host);
    inheritAnonymousVolumes(host, old, ['/data']);
    expect(JSON.stringify(host)).toBe(copy);
  });
});
