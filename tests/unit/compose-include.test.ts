import { describe, expect, it } from 'vitest';
import { applyIncludes } from '../../src/shared/compose/include.js';
import { loadCompose } from '../../src/shared/compose/index.js';
import type { ProjectFiles } from '../../src/shared/compose/model.js';

function folder(files: Record<string, string>): ProjectFiles {
  return {
    dir: '/srv/projects/shop',
    home: '/root',
    read(p) {
      if (p.startsWith('..')) throw new Error('the path leaves the project folder');
      return Object.hasOwn(files, p) ? files[p] : undefined;
    },
  };
}

const run = (doc: Record<string, unknown>, files: ProjectFiles | undefined, variables: Record<string, string> = {}) =>
  applyIncludes(doc, { ...(files ? { files } : {}), variables, resets: [] });

describe('applyIncludes', () => {
  it('imports the included services and resources, with paths rebased and its own .env', () => {
    const files = folder({
      'db/compose.yml': `
services:
  db:
    image: "postgres:\${PG_TAG}"
    volumes: [./data:/var/lib/postgresql/data, dbdata:/backup]
    env_file: db.env
    environment: [POSTGRES_USER, PGDATA]
    user: "\${WHO}"
volumes:
  dbdata: {}
secrets:
  pw: { file: ./pw.txt }
`,
      'db/.env': 'PG_TAG=16\nPOSTGRES_USER=app\nWHO=from-include\n',
    });
    const r = run({ include: ['db/compose.yml'], services: { web: { image: 'nginx', depends_on: ['db'] } } }, files, { WHO: 'project' });
    expect(r.issues).toEqual([]);
    expect(r.value).toEqual({
      services: {
        web: { image: 'nginx', depends_on: ['db'] },
        db: {
          image: 'postgres:16',
          volumes: ['./db/data:/var/lib/postgresql/data', 'dbdata:/backup'],
          env_file: './db/db.env',
          // a bare name takes the included file's variable when it has one
          environment: ['POSTGRES_USER=app', 'PGDATA'],
          // the project's variables win over the included .env
          user: 'project',
        },
      },
      volumes: { dbdata: {} },
      secrets: { pw: { file: './db/pw.txt' } },
    });
  });

  it('reads the long form: several files, project_directory and env_file', () => {
    const files = folder({
      'stack/base.yml': 'services:\n  api:\n    image: "api:${TAG}"\n    volumes: [./conf:/conf]\n',
      'stack/override.yml': 'services:\n  api:\n    environment: [MODE=prod]\n',
      'vars/api.env': 'TAG=3\n',
    });
    const r = run(
      { include: [{ path: ['stack/base.yml', 'stack/override.yml'], project_directory: 'elsewhere', env_file: 'vars/api.env' }] },
      files,
    );
    expect(r.issues).toEqual([]);
    expect(r.value.services).toEqual({ api: { image: 'api:3', volumes: ['./elsewhere/conf:/conf'], environment: ['MODE=prod'] } });
  });

  it('merges a service the including file also defines, its own definition on top', () => {
    const files = folder({ 'inc.yml': 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n    environment: { A: "1" }\n' });
    const r = run({ include: ['inc.yml'], services: { web: { ports: ['8080:80'], environment: { B: '2' } } } }, files);
    expect(r.value.services).toEqual({ web: { image: 'nginx', ports: ['80:80', '8080:80'], environment: ['A=1', 'B=2'] } });
  });

  it('follows includes inside included files, relative to their folder, and refuses a cycle', () => {
    const nested = folder({
      'a/compose.yml': 'include: [../b/compose.yml]\nservices:\n  a: { image: a }\n',
      'b/compose.yml': 'services:\n  b: { image: b, volumes: ["./x:/x"] }\n',
    });
    const ok = run({ include: ['a/compose.yml'] }, nested);
    expect(ok.issues).toEqual([]);
    expect(ok.value.services).toEqual({ a: { image: 'a' }, b: { image: 'b', volumes: ['./b/x:/x'] } });

    const cyclic = folder({ 'a.yml': 'include: [b.yml]\nservices: {}\n', 'b.yml': 'include: [a.yml]\nservices: {}\n' });
    const r = run({ include: ['a.yml'] }, cyclic);
    expect(r.issues).toEqual([{ path: ['include', 0, 'path'], message: 'include cycle: a.yml includes b.yml includes a.yml' }]);
  });

  it('reports a missing file and errors inside an included file with their line there', () => {
    const files = folder({ 'bad.yml': 'services:\n  x:\n    image: "${NEED:?set NEED}"\n' });
    const r = run({ include: ['nope.yml', { path: 'bad.yml' }, { project_directory: 'x' }] }, files);
    expect(r.issues).toEqual([
      { path: ['include', 0, 'path'], message: 'include: file "nope.yml" not found in the project folder' },
      { path: ['include', 1, 'path'], message: expect.stringMatching(/^in bad\.yml line 3: .*required variable NEED is missing a value: set NEED/) },
      { path: ['include', 2], message: 'include needs a path (a file name or a list of them)' },
    ]);
  });

  it('without project files (the dashboard), warns and leaves the include out', () => {
    const r = run({ include: ['db/compose.yml'], services: { web: { image: 'nginx' } } }, undefined);
    expect(r.issues).toEqual([]);
    expect(r.warnings).toEqual(['include of db/compose.yml is read when the service is applied']);
    expect(r.value).toEqual({ services: { web: { image: 'nginx' } } });
  });
});

describe('loadCompose with include', () => {
  it('lets a service extend an included one, and gives include issues their line', () => {
    const files = folder({ 'common.yml': 'services:\n  base:\n    image: "httpd:${TAG:-2.4}"\n    volumes: ["./site:/usr/local/apache2/htdocs"]\n' });
    const yaml = 'include:\n  - common.yml\nservices:\n  web:\n    extends: base\n    ports: ["8080:80"]\n';
    const r = loadCompose({ name: 'shop', yaml, files });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.project.services.web?.image).toBe('httpd:2.4');
    expect(r.project.services.web?.volumes?.[0]).toMatchObject({ type: 'bind', source: '/srv/projects/shop/site' });
    const missing = loadCompose({ name: 'shop', yaml: 'services:\n  web:\n    image: nginx\ninclude:\n  - gone.yml\n', files });
    expect(missing.issues).toEqual([{ path: ['include', 0, 'path'], line: 5, message: 'include: file "gone.yml" not found in the project folder' }]);
  });
});
