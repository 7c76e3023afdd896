import { describe, expect, it } from 'vitest';
import { imageNameProblem, imageReferenceProblem, isValidImageReference, parseImageReference } from '../../src/shared/compose/image-ref.js';
import { zPullInput } from '../../src/shared/images.js';
import { findBadText, textProblem, toPgText } from '../../src/shared/safe-text.js';

const HEX = 'a'.repeat(64);

describe('parseImageReference', () => {
  it('reads what the docker CLI reads', () => {
    expect(parseImageReference('busybox')).toEqual({ ok: true, ref: { domain: undefined, path: 'busybox', tag: undefined, digest: undefined } });
    expect(parseImageReference('library/busybox:1.36')).toMatchObject({ ok: true, ref: { domain: undefined, path: 'library/busybox', tag: '1.36' } });
    expect(parseImageReference('localhost:5000/team/app:v1')).toMatchObject({ ok: true, ref: { domain: 'localhost:5000', path: 'team/app', tag: 'v1' } });
    expect(parseImageReference('registry.example.com/a/b/c')).toMatchObject({ ok: true, ref: { domain: 'registry.example.com', path: 'a/b/c' } });
    expect(parseImageReference('[::1]:5000/x')).toMatchObject({ ok: true, ref: { domain: '[::1]:5000', path: 'x' } });
    expect(parseImageReference(`nginx:1.27@sha256:${HEX}`)).toMatchObject({ ok: true, ref: { path: 'nginx', tag: '1.27', digest: `sha256:${HEX}` } });
    expect(parseImageReference(`nginx@sha256:${HEX}`)).toMatchObject({ ok: true, ref: { tag: undefined, digest: `sha256:${HEX}` } });
    // An uppercase first component is a registry by Docker's rule, so the path may follow.
    expect(parseImageReference('MyRegistry/app')).toMatchObject({ ok: true, ref: { domain: 'MyRegistry', path: 'app' } });
    for (const ok of ['a_b', 'a__b', 'a---b', 'a.b', '127.0.0.1:5000/x', 'x:' + 'T'.repeat(128), 'x:_tag', 'sha256:' + HEX]) {
      expect(isValidImageReference(ok), ok).toBe(true);
    }
  });

  it('refuses what the engine would refuse, saying why', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['a\u0000b', /NUL/],
      ['busybox\ud800', /Unicode/],
      ['\udc00busybox', /Unicode/],
      ['../../127.0.0.1:1/x', /"\.\."/],
      ['a/../b', /"\.\."/],
      ['/127.0.0.1:1/x', /start with "\/"/],
      ['a//b', /empty path component/],
      ['a/', /empty path component|not a valid/],
      ['Busybox', /lowercase/],
      ['registry.io/Team/app', /lowercase/],
      ['busy box', /whitespace/],
      ['busybox:', /tag/],
      ['busybox:.x', /tag/],
      ['busybox:' + 't'.repeat(129), /tag/],
      ['busybox@sha256:abc', /digest/],
      [`busybox@md5:${HEX}`, /digest/],
      [`busybox@sha256:${HEX.toUpperCase()}`, /digest/],
      ['localhost:99999/x', /port/],
      ['localhost:0/x', /port/],
      ['a'.repeat(256), /255/],
      ['a_', /not a valid/],
      ['-a', /not a valid/],
      ['a@b@c', /digest/],
      ['ä', /not a valid/],
    ];
    for (const [ref, why] of cases) {
      const problem = imageReferenceProblem(ref);
      expect(problem, JSON.stringify(ref)).toMatch(why);
    }
  });

  it('a name alone for the pull route: the tag and digest go apart', () => {
    expect(imageNameProblem('registry.example.com:5000/team/app')).toBeUndefined();
    expect(imageNameProblem('busybox:1')).toMatch(/without a tag/);
    expect(imageNameProblem(`busybox@sha256:${HEX}`)).toMatch(/without a tag or digest/);
    expect(imageNameProblem('../x')).toMatch(/\.\./);
    expect(zPullInput.safeParse({ image: 'a\u0000b' }).success).toBe(false);
    expect(zPullInput.safeParse({ image: ' busybox ', tag: `sha256:${HEX}` }).data).toEqual({ image: 'busybox', tag: `sha256:${HEX}` });
    expect(zPullInput.safeParse({ image: 'busybox', tag: 'sha512:' + 'a'.repeat(128) }).success).toBe(false);
  });
});

describe('safe text', () => {
  it('finds NUL and lone surrogates, and keeps pairs', () => {
    expect(textProblem('ok 😀')).toBeUndefined();
    expect(textProblem('a\u0000')).toMatch(/NUL/);
    expect(textProblem('\ud83d')).toMatch(/surrogate/);
    expect(textProblem('\ude00x')).toMatch(/surrogate/);
    expect(toPgText('a\u0000b\ud800c😀\udc00')).toBe('a\ufffdb\ufffdc😀\ufffd');
  });

  it('reports the first bad key or value with its path', () => {
    expect(findBadText({ services: { a: { image: 'x', environment: ['A=1', 'B=\u0000'] } } })).toEqual({
      path: ['services', 'a', 'environment', 1],
      message: expect.stringMatching(/NUL/),
    });
    expect(findBadText({ services: { ['b\ud800']: {} } })).toEqual({ path: ['services', 'b\ud800'], message: expect.stringMatching(/^the key/) });
    expect(findBadText({ a: [1, true, null, { b: 'fine' }] })).toBeUndefined();
    // Deep documents are walked without recursion.
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    expect(findBadText(deep)?.path).toHaveLength(20_000);
  });
});
