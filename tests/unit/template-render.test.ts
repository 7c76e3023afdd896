import { describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import { dotenvValue, renderTemplateEnv } from '../../src/server/services/template-render.js';
import { parseDotenv } from '../../src/shared/compose/dotenv.js';
import type { TemplateVariable } from '../../src/shared/templates.js';

const variable = (name: string, extra: Partial<TemplateVariable> = {}): TemplateVariable => ({
  name,
  label: name,
  default: '',
  secret: false,
  ...extra,
});

/** A `random` that is not random: byte i of call n is n*16+i, so each call differs and the output is known. */
function counting(): { random: (n: number) => Buffer; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    random: (n) => {
      const call = calls.length;
      calls.push(n);
      return Buffer.from(Array.from({ length: n }, (_, i) => (call * 16 + i) & 0xff));
    },
  };
}

function renderError(fn: () => unknown): CapstanError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CapstanError);
    return e as CapstanError;
  }
  throw new Error('expected a CapstanError');
}

const NASTY: [string, string][] = [
  ['empty', ''],
  ['plain', 'abc-123_x.y'],
  ['url', 'postgres://u:p@db:5432/x?sslmode=disable&a=b'],
  ['spaces', 'two words  and trailing '],
  ['leading space', ' leading'],
  ['hash', 'a #not a comment'],
  ['hash glued', 'a#b'],
  ['dollar', 'pa$$word $HOME ${HOME} ${X:-y} $'],
  ['single quote', "it's"],
  ['double quote', 'say "hi"'],
  ['both quotes', `'"'"`],
  ['backslash', 'C:\\path\\n\\t'],
  ['trailing backslash', 'ends with \\'],
  ['backslash before quote', "a\\'b"],
  ['backslash dollar', '\\$X and \\${Y}'],
  ['octal-looking', '\\0101 \\012'],
  ['escaped-looking', '\\"\\\\'],
  ['tab', 'a\tb'],
  ['only spaces', '   '],
  ['equals and colon', 'a=b:c'],
  ['starts with quote', '"quoted" rest'],
  ['unicode', 'grüße 日本語 🚀 \u00a0nbsp'],
  ['export-looking', 'export X=1'],
];

describe('dotenvValue', () => {
  it.each(NASTY)('%s: parseDotenv gives the value back exactly', (_label, value) => {
    const text = `KEY=${dotenvValue(value)}\nNEXT=after\n`;
    const parsed = parseDotenv(text);
    expect(parsed.issues).toEqual([]);
    expect(parsed.values).toEqual({ KEY: value, NEXT: 'after' });
  });

  it('writes plain values as they are, and quotes only what needs it', () => {
    expect(dotenvValue('3000')).toBe('3000');
    expect(dotenvValue('http://localhost:8080')).toBe('http://localhost:8080');
    expect(dotenvValue('a b')).toBe("'a b'");
    expect(dotenvValue('$x')).toBe("'$x'");
    expect(dotenvValue("it's $x")).toBe(`"it's \\$x"`);
  });

  it('round-trips every printable ASCII character in one value', () => {
    const all = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');
    for (const value of [all, `'${all}`, `${all}\\`]) {
      expect(parseDotenv(`K=${dotenvValue(value)}\n`).values.K).toBe(value);
    }
  });
});

describe('renderTemplateEnv', () => {
  it('writes given values, then defaults, in declaration order, and parses back to them', () => {
    const vars = [variable('PORT', { default: '8080' }), variable('NAME', { default: 'x' }), variable('MOTTO')];
    const r = renderTemplateEnv(vars, { MOTTO: 'it\'s "$fine" # really', NAME: 'given' });
    expect(r.generated).toEqual([]);
    expect(r.env.split('\n')[0]).toBe('PORT=8080');
    expect(r.env.split('\n').map((l) => l.split('=')[0])).toEqual(['PORT', 'NAME', 'MOTTO', '']);
    expect(parseDotenv(r.env)).toEqual({ values: { PORT: '8080', NAME: 'given', MOTTO: 'it\'s "$fine" # really' }, issues: [] });
  });

  it('takes an empty given value as not given (a blank form field)', () => {
    const r = renderTemplateEnv([variable('PORT', { default: '8080' })], { PORT: '' });
    expect(parseDotenv(r.env).values).toEqual({ PORT: '8080' });
  });

  it('generates a 32-character base64url value for a secret with neither value nor default', () => {
    const { random, calls } = counting();
    const vars = [
      variable('DB_PASSWORD', { secret: true }),
      variable('GIVEN_SECRET', { secret: true }),
      variable('DEFAULTED_SECRET', { secret: true, default: 'from-template' }),
      variable('KEY', { secret: true }),
    ];
    const r = renderTemplateEnv(vars, { GIVEN_SECRET: 'mine' }, random);
    expect(calls).toEqual([24, 24]);
    expect(r.generated).toEqual(['DB_PASSWORD', 'KEY']);
    const values = parseDotenv(r.env).values;
    const first = Buffer.from(Array.from({ length: 24 }, (_, i) => i)).toString('base64url');
    const second = Buffer.from(Array.from({ length: 24 }, (_, i) => 16 + i)).toString('base64url');
    expect(values).toEqual({ DB_PASSWORD: first, GIVEN_SECRET: 'mine', DEFAULTED_SECRET: 'from-template', KEY: second });
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // a generated value needs no quoting: it appears on its line as is
    expect(r.env).toContain(`DB_PASSWORD=${first}\n`);
  });

  it('generates with the real random source by default', () => {
    const vars = [variable('A', { secret: true }), variable('B', { secret: true })];
    const { values } = parseDotenv(renderTemplateEnv(vars, {}).env);
    expect(values.A).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(values.B).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(values.A).not.toBe(values.B);
  });

  it('accepts a value among the options', () => {
    const v = variable('MODE', { default: 'true', options: [{ label: 'Yes', value: 'true' }, { label: 'No', value: 'false' }] });
    expect(parseDotenv(renderTemplateEnv([v], { MODE: 'false' }).env).values).toEqual({ MODE: 'false' });
    expect(parseDotenv(renderTemplateEnv([v], {}).env).values).toEqual({ MODE: 'true' });
  });

  it('answers 400 for a required variable without a value', () => {
    const e = renderError(() => renderTemplateEnv([variable('PORT', { default: '1' }), variable('DOMAIN')], {}));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toBe('Invalid template variables');
    expect(e.details).toBe('variables.DOMAIN: required');
  });

  it('answers 400 for a variable the template does not declare', () => {
    const e = renderError(() => renderTemplateEnv([variable('PORT', { default: '1' })], { PROT: '8080' }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.details).toBe('variables.PROT: not a variable of this template');
  });

  it('answers 400 for a value outside the options, naming the allowed ones', () => {
    const v = variable('MODE', { default: 'a', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] });
    const e = renderError(() => renderTemplateEnv([v], { MODE: 'c-secret-ish' }));
    expect(e.details).toBe('variables.MODE: must be one of "a", "b"');
  });

  it.each([
    ['newline', 'line1\nline2'],
    ['carriage return', 'a\rb'],
    ['NUL', 'a\0b'],
    ['lone surrogate', 'a\ud800b'],
  ])('answers 400 for a value with a %s', (_label, value) => {
    const e = renderError(() => renderTemplateEnv([variable('V')], { V: value }));
    expect(e.details).toBe('variables.V: must not contain a newline, carriage return, NUL or invalid Unicode');
  });

  it('checks a default as it checks a given value', () => {
    const e = renderError(() => renderTemplateEnv([variable('V', { default: 'a\nb' })], {}));
    expect(e.details).toMatch(/^variables\.V: must not contain a newline/);
  });

  it('answers 400 for a template variable whose name cannot be a .env key', () => {
    const e = renderError(() => renderTemplateEnv([variable('BAD NAME', { default: 'x' }), variable('1X', { default: 'x' })], {}));
    expect(e.details).toBe('variables.BAD NAME: not a valid variable name; variables.1X: not a valid variable name');
  });

  it('reports every problem at once, and never a value', () => {
    const SECRET = 'hunter2-sup3r-s3cret';
    const vars = [
      variable('REQUIRED'),
      variable('OPT', { default: 'a', options: [{ label: 'A', value: 'a' }] }),
      variable('MULTI'),
      variable('OK', { secret: true }),
    ];
    const e = renderError(() =>
      renderTemplateEnv(vars, { OPT: `${SECRET}-opt`, MULTI: `${SECRET}\nx`, OK: `${SECRET}-ok`, EXTRA: `${SECRET}-extra` }),
    );
    expect(e.details).toBe(
      [
        'variables.REQUIRED: required',
        'variables.OPT: must be one of "a"',
        'variables.MULTI: must not contain a newline, carriage return, NUL or invalid Unicode',
        'variables.EXTRA: not a variable of this template',
      ].join('; '),
    );
    const everything = JSON.stringify({ message: e.message, details: e.details, stack: e.stack, cause: e.cause });
    expect(everything).not.toContain('hunter2');
  });

  it('does not take an inherited property as a given value', () => {
    const e = renderError(() => renderTemplateEnv([variable('toString')], {}));
    expect(e.details).toBe('variables.toString: required');
  });
});
