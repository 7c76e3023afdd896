// composeYaml: a compose document object (the JSON body form, an old JSON
// definition, a project rebuilt by adoption) as the compose text it is saved as.
import { describe, expect, it } from 'vitest';
import { composeYaml } from '../../src/server/services/definitions.js';
import { loadCompose } from '../../src/shared/compose/index.js';

/** What the compose pipeline reads back from the text: the only meaning that counts. */
function readBack(yaml: string, env = '') {
  const r = loadCompose({ name: 'app', yaml, env });
  if (!r.ok) throw new Error(`expected a project, got ${JSON.stringify(r.issues)}\n${yaml}`);
  return r.project;
}

const tricky = {
  DOLLAR: 'pa$$word $HOME ${X:-d}',
  BINARY: '0b101',
  UNDERSCORE: '1_000',
  OCTAL: '0755',
  NO: 'no',
  ON: 'On',
  EMPTY: '',
  PORTISH: '22:22',
};

describe('composeYaml', () => {
  it('writes literal documents so that every value, $ included, reads back unchanged', () => {
    const doc = {
      services: {
        web: {
          image: 'nginx',
          environment: tricky,
          command: ['sh', '-c', 'echo $PATH'],
          labels: { 'a.b': 'c$d' },
          restart: 'no',
          volumes: ['data:/data', '/srv/$x:/x:ro'],
        },
      },
    };
    const web = readBack(composeYaml(doc, { literal: true }), 'X=not-used\nHOME=not-used\n').services.web!;
    expect(web.environment).toEqual(tricky);
    expect(web.command).toEqual(['sh', '-c', 'echo $PATH']);
    expect(web.labels).toEqual({ 'a.b': 'c$d' });
    expect(web.restart).toBe('no');
    expect(web.volumes?.map((v) => v.source)).toEqual(['data', '/srv/$x']);
  });

  it('leaves names as written: keys are not interpolated, so their $ is not doubled', () => {
    const text = composeYaml({ services: { web: { image: 'nginx', environment: { A$B: 'v' } } } }, { literal: true });
    expect(text).toContain('A$B: v');
  });

  it('interpolates the JSON body form as compose interpolates a compose file', () => {
    const doc = { services: { web: { image: 'nginx:${TAG:-1}', environment: { A: '${X}', B: '$$lit', N: '0b101' } } } };
    const text = composeYaml(doc, { literal: false });
    const web = readBack(text, 'TAG=2\nX=from-env\n').services.web!;
    expect(web.image).toBe('nginx:2');
    expect(web.environment).toEqual({ A: 'from-env', B: '$lit', N: '0b101' });
  });

  it('declares the named volumes a service uses without declaring them, and keeps declared ones', () => {
    const doc = {
      services: { web: { image: 'nginx', volumes: ['data:/data', { type: 'volume', source: 'more', target: '/m' }, '/abs:/abs', '/anon'] } },
      volumes: { kept: { labels: { a: 'b' } } },
    };
    const project = readBack(composeYaml(doc, { literal: false }));
    expect(Object.keys(project.volumes ?? {}).sort()).toEqual(['data', 'kept', 'more']);
    expect(project.volumes?.kept?.labels).toEqual({ a: 'b' });
  });
});
