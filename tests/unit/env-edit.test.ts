import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/shared/compose/dotenv.js';
import { dotenvValue, setDotenvValue } from '../../src/shared/compose/dotenv-edit.js';
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

/** Edits with the .env in play, as PUT /env does; then loads both results. */
function applyBoth(yaml: string, env: string, changes: Record<string, Record<string, string>>) {
  const load = (y: string, e: string) => {
    const r = loadCompose({ name: 'p', yaml: y, env: e });
    return r.ok ? r.project : undefined;
  };
  const edit = editEnvironment(yaml, project(yaml, env), changes, { env, load });
  const envAfter = edit.env ?? env;
  return { ...edit, envAfter, environment: environmentOf(project(edit.yaml, envAfter)) };
}

describe('editEnvironment with the .env', () => {
  const SECRET = 'n3w "pa$$" #1 \\ \'q\'\nline2';

  it.each([
    ['map ${NAME}', '    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD}\n      MODE: prod\n'],
    ['map $NAME', '    environment:\n      POSTGRES_PASSWORD: $DB_PASSWORD\n      MODE: prod\n'],
    ['list ${NAME}', '    environment:\n      - POSTGRES_PASSWORD=${DB_PASSWORD}\n      - MODE=prod\n'],
    ['map ${NAME:-default}', '    environment:\n      POSTGRES_PASSWORD: ${DB_PASSWORD:-changeme}\n      MODE: prod\n'],
    ['list ${NAME-default}', '    environment:\n      - POSTGRES_PASSWORD=${DB_PASSWORD-changeme}\n      - MODE=prod\n'],
  ])('%s: the new value goes into the .env, compose.yaml stays byte for byte', (_, envBlock) => {
    const yaml = `services:\n  db:\n    image: x\n${envBlock}`;
    const env = '# database\nDB_PASSWORD=old-secret # the first one\nOTHER="kept as is"\n';
    const r = applyBoth(yaml, env, { db: { POSTGRES_PASSWORD: SECRET, MODE: 'prod' } });
    expect(r.yaml).toBe(yaml);
    expect(r.envVariables).toEqual(['DB_PASSWORD']);
    expect(r.changedKeys).toEqual({ db: ['POSTGRES_PASSWORD'] });
    expect(r.environment.db).toEqual({ POSTGRES_PASSWORD: SECRET, MODE: 'prod' });
    expect(r.envAfter).toBe(`# database\nDB_PASSWORD=${dotenvValue(SECRET)} # the first one\nOTHER="kept as is"\n`);
    expect(parseDotenv(r.envAfter).values).toEqual({ DB_PASSWORD: SECRET, OTHER: 'kept as is' });
  });

  it('a bare KEY takes its value from the .env: set (or added) there; other changes still edit compose.yaml', () => {
    const yaml = 'services:\n  a:\n    image: x\n    environment:\n      - TOKEN\n      - MODE=prod\n';
    const r = applyBoth(yaml, 'UNRELATED=1', { a: { TOKEN: 'tok$en', MODE: 'dev' } });
    expect(r.yaml).toBe('services:\n  a:\n    image: x\n    environment:\n      - TOKEN\n      - MODE=dev\n');
    expect(r.envAfter).toBe('UNRELATED=1\nTOKEN="tok\\$en"\n');
    expect(r.environment.a).toEqual({ TOKEN: 'tok$en', MODE: 'dev' });
    const map = 'services:\n  a:\n    image: x\n    environment:\n      TOKEN:\n';
    const m = applyBoth(map, 'TOKEN\n', { a: { TOKEN: 'abc' } });
    expect(m.yaml).toBe(map);
    expect(m.envAfter).toBe('TOKEN=abc\n');
  });

  it('keeps the value in compose.yaml when the reference has text around it, or the variable feeds something else', () => {
    const around = 'services:\n  a:\n    image: x\n    environment:\n      URL: postgres://u:${PW}@db\n';
    const r1 = applyBoth(around, 'PW=old\n', { a: { URL: 'postgres://u:new@db' } });
    expect(r1.env).toBeUndefined();
    expect(r1.yaml).toContain('URL: postgres://u:new@db');
    const shared = 'services:\n  a:\n    image: x\n    environment:\n      PW: ${PW}\n  b:\n    image: x\n    environment:\n      ALSO: ${PW}\n';
    const r2 = applyBoth(shared, 'PW=old\n', { a: { PW: 'new' } });
    expect(r2.env).toBeUndefined();
    expect(r2.environment).toEqual({ a: { PW: 'new' }, b: { ALSO: 'old' } });
    const anchored = 'x-env: &env\n  PW: ${PW}\nservices:\n  a:\n    image: x\n    environment: *env\n  b:\n    image: x\n    environment: *env\n';
    const r3 = applyBoth(anchored, 'PW=old\n', { a: { PW: 'new' } });
    expect(r3.env).toBeUndefined();
    expect(r3.environment).toEqual({ a: { PW: 'new' }, b: { PW: 'old' } });
    const tagged = 'services:\n  a:\n    image: x:${V}\n    environment:\n      V: ${V}\n';
    expect(applyBoth(tagged, 'V=1\n', { a: { V: '2' } }).env).toBeUndefined();
    // ${X:-d} with X empty gives d: an empty value cannot go through the .env
    const dflt = 'services:\n  a:\n    image: x\n    environment:\n      V: ${V:-d}\n';
    const r4 = applyBoth(dflt, 'V=1\n', { a: { V: '' } });
    expect(r4.env).toBeUndefined();
    expect(r4.environment.a).toEqual({ V: '' });
  });

  it('a removed key is removed from compose.yaml, as before', () => {
    const yaml = 'services:\n  a:\n    image: x\n    environment:\n      PW: ${PW}\n      B: 1\n';
    const r = applyBoth(yaml, 'PW=x\n', { a: { B: '1' } });
    expect(r.env).toBeUndefined();
    expect(r.environment.a).toEqual({ B: '1' });
  });
});

describe('setDotenvValue', () => {
  it.each(['plain', '', 'with space', 'a$b', '${X}', 'q"uote', "s'ingle", 'back\\slash\\', 'hash #x', 'multi\nline', 'tab\tx', ' lead', 'trail ', '#start', 'ünï'])(
    'reads back %j through compose\'s dotenv parser',
    (value) => {
      for (const text of ['', 'A=1\n', 'export KEY=old # note\nB=2', "KEY='old'\nC=${KEY}-x\n", 'KEY="old\nmulti"\nD=4\n', 'KEY\n']) {
        const next = setDotenvValue(text, 'KEY', value);
        expect(next, `${JSON.stringify(text)}`).toBeDefined();
        const before = parseDotenv(text).values;
        const after = parseDotenv(next!).values;
        expect(after.KEY).toBe(value);
        for (const k of Object.keys(before)) if (k !== 'KEY' && !text.includes(`\${${'KEY'}}`)) expect(after[k]).toBe(before[k]);
      }
    },
  );

  it('replaces the last assignment in place and keeps comments, export and the other lines', () => {
    expect(setDotenvValue('# top\nexport KEY=old # note\nB=2\n', 'KEY', 'new')).toBe('# top\nexport KEY=new # note\nB=2\n');
    expect(setDotenvValue('KEY=first\nKEY: "second"\n', 'KEY', 'x y')).toBe('KEY=first\nKEY: "x y"\n');
    expect(setDotenvValue('A=1', 'KEY', 'v')).toBe('A=1\nKEY=v\n');
    expect(setDotenvValue('BROKEN="unterminated\n', 'KEY', 'v')).toBeUndefined();
  });
});
