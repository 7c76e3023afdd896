import { describe, expect, it } from 'vitest';
import { loadCompose } from '../../src/shared/compose/index.js';
import { editEnvironment, environmentOf } from '../../src/server/services/env-edit.js';

function project(yaml: string, env = '') {
  const r = loadCompose({ name: 'p', yaml, env });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.project;
}

/** Edits, then loads the result: what the containers would get. */
function apply(yaml: string, changes: Record<string, Record<string, string>>, env = '') {
  const edit = editEnvironment(yaml, project(yaml, env), changes);
  return { ...edit, environment: environmentOf(project(edit.yaml, env)) };
}

describe('editEnvironment', () => {
  it('changes only the changed keys of a map, keeping comments and ${VAR} of the others', () => {
    const yaml = 'services:\n  a:\n    image: x\n    environment:\n      # secret from .env\n      PW: ${PW}\n      MODE: prod\n';
    const r = apply(yaml, { a: { PW: 's3cret', MODE: 'dev' } }, 'PW=s3cret\n');
    expect(r.yaml).toBe('services:\n  a:\n    image: x\n    environment:\n      # secret from .env\n      PW: ${PW}\n      MODE: dev\n');
    expect(r.changedKeys).toEqual({ a: ['MODE'] });
    expect(r.environment.a).toEqual({ PW: 's3cret', MODE: 'dev' });
  });

  it('edits the list form in place, removes and adds keys, and writes $ so that it survives interpolation', () => {
    const yaml = 'services:\n  a:\n    image: x\n    environment:\n      - A=1\n      - B=2\n';
    const r = apply(yaml, { a: { A: '1', C: 'cost $5' } });
    expect(r.yaml).toBe('services:\n  a:\n    image: x\n    environment:\n      - A=1\n      - C=cost $$5\n');
    expect(r.environment.a).toEqual({ A: '1', C: 'cost $5' });
    expect(r.changedKeys).toEqual({ a: ['B', 'C'] });
  });

  it('does not change the other users of an anchor', () => {
    const yaml = 'x-env: &env\n  SHARED: one\nservices:\n  a:\n    image: x\n    environment: *env\n  b:\n    image: x\n    environment: *env\n';
    const r = apply(yaml, { a: { SHARED: 'two' } });
    expect(r.environment).toEqual({ a: { SHARED: 'two' }, b: { SHARED: 'one' } });
  });

  it('adds an environment to a service that has none; names a container by container_name', () => {
    const yaml = 'services:\n  a:\n    image: x\n    container_name: the-a\n';
    const r = apply(yaml, { 'the-a': { NEW: 'yes' } });
    expect(r.environment.a).toEqual({ NEW: 'yes' });
    expect(r.yaml).toContain('container_name: the-a\n    environment:\n      NEW: "yes"\n');
  });

  it('refuses an unknown container and a removal the service cannot express', () => {
    const yaml = 'x-base: &base\n  image: x\n  environment:\n    FROM_ANCHOR: 1\nservices:\n  a:\n    <<: *base\n    environment:\n      <<: {FROM_MERGE: 1}\n      OWN: 2\n';
    expect(() => editEnvironment(yaml, project(yaml), { ghost: {} })).toThrow(/Unknown container/);
    let details = '';
    try {
      editEnvironment(yaml, project(yaml), { a: { OWN: '2' } });
    } catch (err) {
      details = (err as { details: string }).details;
    }
    expect(details).toMatch(/services\.a\.environment: FROM_MERGE comes from env_file, extends or a merged anchor/);
  });
});
