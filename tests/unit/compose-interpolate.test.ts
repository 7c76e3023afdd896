import { describe, expect, it } from 'vitest';
import {
  InvalidTemplateError,
  MissingRequiredError,
  interpolateDocument,
  substitute,
} from '../../src/shared/compose/interpolate.js';

const vars: Record<string, string> = { FOO: 'first', BAR: '', TAG: '1.25', HOST: 'db' };
const lookup = (name: string) => (Object.hasOwn(vars, name) ? vars[name] : undefined);
const sub = (t: string) => {
  const unset: string[] = [];
  const value = substitute(t, lookup, (n) => unset.push(n));
  return { value, unset };
};

describe('substitute', () => {
  it('substitutes $VAR and ${VAR}, leaving other text alone', () => {
    expect(sub('$FOO').value).toBe('first');
    expect(sub('${FOO}').value).toBe('first');
    expect(sub('nginx:${TAG}-alpine').value).toBe('nginx:1.25-alpine');
    expect(sub('$FOO$FOO ${FOO}_x').value).toBe('firstfirst first_x');
    expect(sub('${FOO}-${HOST}').value).toBe('first-db');
    expect(sub('no variables').value).toBe('no variables');
    // `$` not followed by a name or `{` stays as written, as compose leaves it
    expect(sub('cost: $5 and $').value).toBe('cost: $5 and $');
  });

  it('turns $$ into a literal $', () => {
    expect(sub('$$FOO').value).toBe('$FOO');
    expect(sub('$${FOO}').value).toBe('${FOO}');
    expect(sub('a$$$FOO').value).toBe('a$first');
    expect(sub('echo $$HOME; $$$$').value).toBe('echo $HOME; $$');
  });

  it('gives an unset variable an empty string and reports it', () => {
    expect(sub('x${NOPE}y$NOPE2')).toEqual({ value: 'xy', unset: ['NOPE', 'NOPE2'] });
    expect(sub('${BAR}')).toEqual({ value: '', unset: [] }); // set but empty: no warning
  });

  it('applies :- and - defaults (empty vs unset)', () => {
    expect(sub('${NOPE:-def}')).toEqual({ value: 'def', unset: [] });
    expect(sub('${BAR:-def}').value).toBe('def');
    expect(sub('${FOO:-def}').value).toBe('first');
    expect(sub('${NOPE-def}').value).toBe('def');
    expect(sub('${BAR-def}').value).toBe('');
    expect(sub('${FOO-def}').value).toBe('first');
    expect(sub('${NOPE:-}').value).toBe('');
    expect(sub('${NOPE:-a b:c/d}').value).toBe('a b:c/d');
  });

  it('applies :+ and + alternatives (set and non-empty vs set)', () => {
    expect(sub('${FOO:+alt}').value).toBe('alt');
    expect(sub('${BAR:+alt}').value).toBe('');
    expect(sub('${NOPE:+alt}')).toEqual({ value: '', unset: [] });
    expect(sub('${FOO+alt}').value).toBe('alt');
    expect(sub('${BAR+alt}').value).toBe('alt');
    expect(sub('${NOPE+alt}').value).toBe('');
    expect(sub('${FOO:+--flag=$FOO}').value).toBe('--flag=first');
  });

  it('expands nested defaults and what follows them', () => {
    expect(sub('${NOPE:-${FOO:-x}}').value).toBe('first');
    expect(sub('${NOPE:-${ALSO_NOPE:-x}}').value).toBe('x');
    expect(sub('${NOPE:-${ALSO_NOPE:-${FOO}}}').value).toBe('first');
    expect(sub('${NOPE:-$FOO}/${HOST}:${NOPE2-5432}').value).toBe('first/db:5432');
    expect(sub('${NOPE:-x} and ${FOO}').value).toBe('x and first');
    expect(sub('${NOPE:-${ALSO_NOPE}}')).toEqual({ value: '', unset: ['ALSO_NOPE'] });
    expect(sub('${FOO:-x}}').value).toBe('first}');
  });

  it('fails on :? and ? when the variable is missing, with the message (itself interpolated)', () => {
    expect(sub('${FOO:?must be set}').value).toBe('first');
    expect(sub('${BAR?must be set}').value).toBe('');
    const err = (t: string) => {
      try {
        substitute(t, lookup);
      } catch (e) {
        return e;
      }
      throw new Error(`${t} did not fail`);
    };
    const e1 = err('${NOPE:?must be set}') as MissingRequiredError;
    expect(e1).toBeInstanceOf(MissingRequiredError);
    expect([e1.variable, e1.reason, e1.message]).toEqual(['NOPE', 'must be set', 'required variable NOPE is missing a value: must be set']);
    expect((err('${BAR:?empty is not enough}') as MissingRequiredError).variable).toBe('BAR');
    expect((err('${NOPE?}') as Error).message).toBe('required variable NOPE is missing a value');
    expect((err('${NOPE:?host $HOST needs it}') as MissingRequiredError).reason).toBe('host db needs it');
  });

  it('refuses invalid templates', () => {
    // a default is only read when used: ${FOO:-${}} is fine since FOO is set
    expect(substitute('${FOO:-${}}', lookup)).toBe('first');
    for (const t of ['${', 'a ${FOO', '${1bad}', '${FOO:x}', '${-x}', '${}', 'x ${NOPE:-${}}']) {
      expect(() => substitute(t, lookup), t).toThrow(InvalidTemplateError);
    }
  });
});

describe('substitute on compose-go\'s template cases', () => {
  const goVars: Record<string, string> = { FOO: 'first', BAR: '', JSON: '{"json":2}' };
  const go = (t: string) => substitute(t, (n) => (Object.hasOwn(goVars, n) ? goVars[n] : undefined));
  it.each([
    ['a $ string', 'a $ string'],
    ['^REGEX$', '^REGEX$'],
    ['$}', '$}'],
    ['$FOO-bar', 'first-bar'],
    ['+ok ${UNSET:-${BAR-defaultValue}}', '+ok '],
    [':-ok ${BAR-defaultValue}', ':-ok '],
    ['ok ${UNSET_VAR-${FOO} ${FOO}}', 'ok first first'],
    ['ok ${BAR+$FOO ${FOO:+second}}', 'ok first second'],
    ['${UNSET_VAR-myerror?msg}', 'myerror?msg'],
    ['${FOO?bar-baz}', 'first'],
    ['${A:+${A},}B', 'B'],
    ['${JSON:-x}', '{"json":2}'],
    ['${UNSET:-{"a":1}}', '{"a":1}'],
  ])('%s', (template, expected) => {
    expect(go(template)).toBe(expected);
  });
  it.each(['${ }', '${ foo}', '${foo }', '${foo!}'])('%s is invalid', (template) => {
    expect(() => go(template)).toThrow(InvalidTemplateError);
  });
});

describe('interpolateDocument', () => {
  it('interpolates every string value (x-* too), never keys, and leaves numbers and booleans', () => {
    const doc = {
      'x-tag': '${TAG}',
      services: {
        '${FOO}': {
          image: 'nginx:${TAG}',
          ports: ['${PORT:-8080}:80', 443],
          environment: { URL: 'postgres://${HOST}/app', DEBUG: true, EMPTY: null },
          command: ['sh', '-c', 'echo $$HOME'],
        },
      },
    };
    const r = interpolateDocument(doc, lookup);
    expect(r.issues).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.value).toEqual({
      'x-tag': '1.25',
      services: {
        '${FOO}': {
          image: 'nginx:1.25',
          ports: ['8080:80', 443],
          environment: { URL: 'postgres://db/app', DEBUG: true, EMPTY: null },
          command: ['sh', '-c', 'echo $HOME'],
        },
      },
    });
  });

  it('warns once per unset variable, in compose words', () => {
    const r = interpolateDocument({ services: { a: { image: '${IMG}', labels: ['${IMG}', '${OTHER}'] } } }, lookup);
    expect(r.warnings).toEqual([
      'The "IMG" variable is not set. Defaulting to a blank string.',
      'The "OTHER" variable is not set. Defaulting to a blank string.',
    ]);
    expect(r.located.map((w) => w.path)).toEqual([
      ['services', 'a', 'image'],
      ['services', 'a', 'labels', 1],
    ]);
  });

  it('reports :? and invalid templates with the path of each value', () => {
    const r = interpolateDocument(
      { services: { db: { environment: { PW: '${DB_PASSWORD:?set DB_PASSWORD in .env}' }, ports: ['ok', '${8080}'] } } },
      lookup,
    );
    expect(r.issues).toEqual([
      {
        path: ['services', 'db', 'environment', 'PW'],
        message: 'error while interpolating services.db.environment.PW: required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env',
      },
      {
        path: ['services', 'db', 'ports', 1],
        message: 'invalid interpolation format for services.db.ports.[]: "${8080}". You may need to escape any $ with another $',
      },
    ]);
  });

  it('casts the values compose types after interpolation', () => {
    const r = interpolateDocument(
      {
        services: {
          web: {
            scale: '${N:-3}',
            privileged: '${P:-true}',
            read_only: 'yes',
            cpus: '0.5',
            ports: [{ target: '${T:-80}', published: '8080' }],
            ulimits: { nofile: { soft: '1024', hard: '2048' }, nproc: '65535' },
            depends_on: { db: { condition: 'service_started', required: 'false' } },
            deploy: { replicas: '2' },
          },
        },
        networks: { n: { external: 'true' } },
      },
      lookup,
    );
    expect(r.issues).toEqual([]);
    expect(r.value).toEqual({
      services: {
        web: {
          scale: 3,
          privileged: true,
          read_only: true,
          cpus: 0.5,
          ports: [{ target: 80, published: '8080' }],
          ulimits: { nofile: { soft: 1024, hard: 2048 }, nproc: 65535 },
          depends_on: { db: { condition: 'service_started', required: false } },
          deploy: { replicas: 2 },
        },
      },
      networks: { n: { external: true } },
    });
    expect(r.warnings).toEqual(['"yes" for boolean is not supported by YAML 1.2, please use `true`']);
    const bad = interpolateDocument({ services: { web: { scale: '${N:-many}' } } }, lookup);
    expect(bad.issues).toEqual([{ path: ['services', 'web', 'scale'], message: 'services.web.scale: failed to cast to expected type: invalid integer: "many"' }]);
  });
});
