import { describe, expect, it } from 'vitest';
import { nextUpdateCheck } from '../../src/jobs/tasks/update-check.js';
import { canonicalRef, familiarRepository, pinnedDigest } from '../../src/server/docker/distribution.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('image references for update checks', () => {
  it('a missing tag is latest; a digest reference keeps its digest', () => {
    expect(canonicalRef('busybox')).toBe('busybox:latest');
    expect(canonicalRef('127.0.0.1:5055/team/app')).toBe('127.0.0.1:5055/team/app:latest');
    expect(canonicalRef('127.0.0.1:5055/team/app:1')).toBe('127.0.0.1:5055/team/app:1');
    expect(canonicalRef(`nginx@${digest}`)).toBe(`nginx@${digest}`);
  });

  it('repositories compare as the engine lists them in RepoDigests', () => {
    expect(familiarRepository('docker.io/library/busybox')).toBe('busybox');
    expect(familiarRepository('index.docker.io/library/busybox')).toBe('busybox');
    expect(familiarRepository('library/busybox')).toBe('busybox');
    expect(familiarRepository('docker.io/grafana/grafana')).toBe('grafana/grafana');
    expect(familiarRepository('busybox')).toBe('busybox');
    // Another registry's "library/" is its own path.
    expect(familiarRepository('127.0.0.1:5055/library/app')).toBe('127.0.0.1:5055/library/app');
    expect(familiarRepository('localhost/app')).toBe('localhost/app');
  });

  it('only a digest reference is pinned', () => {
    expect(pinnedDigest(`nginx@${digest}`)).toBe(digest);
    expect(pinnedDigest('nginx:1.27')).toBeUndefined();
  });

  it('the next check is the configured hours later', () => {
    const from = new Date('2026-01-01T00:00:00.000Z');
    expect(nextUpdateCheck(6, from).toISOString()).toBe('2026-01-01T06:00:00.000Z');
    expect(nextUpdateCheck(0.5, from).toISOString()).toBe('2026-01-01T00:30:00.000Z');
  });
});
