import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalRegistryHost, readPullEvents, registryHostOf } from '../../src/server/docker/images.js';
import { SecretBox } from '../../src/server/services/secret-box.js';
import { zPullInput, zRegistryInput } from '../../src/shared/images.js';

describe('registry hosts', () => {
  it.each([
    ['busybox:1', 'docker.io'],
    ['library/busybox', 'docker.io'],
    ['team/app:2', 'docker.io'],
    ['127.0.0.1:5055/capstan/busybox:1', '127.0.0.1:5055'],
    ['registry.example.com/app@sha256:abc', 'registry.example.com'],
    ['localhost/app', 'localhost'],
    ['index.docker.io/library/busybox', 'docker.io'],
  ])('%s is pulled from %s', (ref, host) => {
    expect(registryHostOf(ref)).toBe(host);
  });

  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['http://Registry.Example.com:5000/', 'registry.example.com:5000'],
    ['127.0.0.1:5055', '127.0.0.1:5055'],
  ])('%s is stored as %s', (host, canonical) => {
    expect(canonicalRegistryHost(host)).toBe(canonical);
  });
});

describe('pull input', () => {
  it('accepts names with a registry and port, and defaults the tag', () => {
    expect(zPullInput.parse({ image: '127.0.0.1:5055/capstan/busybox' })).toEqual({ image: '127.0.0.1:5055/capstan/busybox', tag: 'latest' });
    expect(zPullInput.parse({ image: 'a/b__c/d-e.f', tag: `sha256:${'a'.repeat(64)}` }).tag).toMatch(/^sha256:/);
  });

  it.each([
    [{ image: 'busybox:1' }, 'image'],
    [{ image: 'UPPER' }, 'image'],
    [{ image: 'a//b' }, 'image'],
    [{ image: 'busybox', tag: '-leading-dash' }, 'tag'],
    [{ image: 'busybox', tag: 'x'.repeat(129) }, 'tag'],
  ])('refuses %j naming %s', (input, field) => {
    const r = zPullInput.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual([field]);
  });

  it('refuses a registry host that is not one', () => {
    expect(zRegistryInput.safeParse({ host: 'not a host', username: 'u', password: 'p' }).success).toBe(false);
    expect(zRegistryInput.safeParse({ host: 'https://ghcr.io', username: 'u', password: 'p' }).success).toBe(true);
  });
});

describe('readPullEvents', () => {
  it('parses newline-delimited JSON split across chunks', async () => {
    const stream = new PassThrough();
    const events: unknown[] = [];
    const done = (async () => {
      for await (const e of readPullEvents(stream)) events.push(e);
    })();
    stream.write('{"status":"Pulling from x","id":"1"}\r\n{"status":"Down');
    stream.write('loading","id":"abc","progressDetail":{"current":1,"total":2}}\r\n');
    stream.end('{"status":"Status: Image is up to date for x:1"}');
    await done;
    expect(events).toEqual([
      { status: 'Pulling from x', id: '1' },
      { status: 'Downloading', id: 'abc', progressDetail: { current: 1, total: 2 } },
      { status: 'Status: Image is up to date for x:1' },
    ]);
  });

  it('destroys the engine stream when the client goes away (abort) or stops reading', async () => {
    const aborted = new PassThrough();
    const controller = new AbortController();
    const reading = (async () => {
      for await (const _ of readPullEvents(aborted, controller.signal)) controller.abort();
    })();
    aborted.write('{"status":"Downloading","id":"a"}\n');
    await expect(reading).rejects.toThrow();
    expect(aborted.destroyed).toBe(true);

    const abandoned = new PassThrough();
    abandoned.write('{"status":"Downloading","id":"a"}\n');
    for await (const _ of readPullEvents(abandoned)) break;
    expect(abandoned.destroyed).toBe(true);
  });
});

describe('SecretBox', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a 32-byte 0600 secret on first use and round-trips', () => {
    const file = path.join(dir, 'a', 'secret.key');
    const box = new SecretBox(file, 'test');
    const sealed = box.seal('hunter2-distinct', 'registry.example.com');
    expect(sealed).not.toContain('hunter2');
    expect(statSync(file).size).toBe(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(box.open(sealed, 'registry.example.com')).toBe('hunter2-distinct');
    // Another process (a new box) reads the same secret.
    expect(new SecretBox(file, 'test').open(sealed, 'registry.example.com')).toBe('hunter2-distinct');
    expect(box.seal('x', 'h')).not.toBe(box.seal('x', 'h'));
  });

  it('refuses a ciphertext moved to another host, tampered with, or under another secret', () => {
    const file = path.join(dir, 'b', 'secret.key');
    const box = new SecretBox(file, 'test');
    const sealed = box.seal('pw', 'one.example');
    expect(() => box.open(sealed, 'two.example')).toThrow(/cannot be decrypted/);
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.at(-1);
    expect(() => box.open(flipped, 'one.example')).toThrow(/cannot be decrypted/);
    const other = path.join(dir, 'c', 'secret.key');
    new SecretBox(other, 'test').seal('init', 'x');
    writeFileSync(other, Buffer.alloc(32, 7));
    expect(() => new SecretBox(other, 'test').open(sealed, 'one.example')).toThrow(/cannot be decrypted/);
    expect(readFileSync(file).length).toBe(32);
  });
});
