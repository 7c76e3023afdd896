import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/shared/compose/dotenv.js';

const one = (line: string, key: string) => {
  const r = parseDotenv(line);
  expect(r.issues).toEqual([]);
  return r.values[key];
};

describe('parseDotenv', () => {
  it('reads plain assignments, spaces around "=", YAML-style ":" and empty values', () => {
    const r = parseDotenv('OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n');
    expect(r).toEqual({
      values: { OPTION_A: '1', OPTION_B: '2', OPTION_C: '3', OPTION_D: '4', OPTION_E: '5', OPTION_F: '', OPTION_G: '', OPTION_H: 'my string' },
      issues: [],
    });
    expect(one('OPTION_A: 1', 'OPTION_A')).toBe('1');
    expect(one('OPTION_A: Foo=bar', 'OPTION_A')).toBe('Foo=bar');
    expect(one('OPTION_A=1:B', 'OPTION_A')).toBe('1:B');
    expect(one('FOO=foobar=', 'FOO')).toBe('foobar=');
    expect(one('FOO.BAR=foobar', 'FOO.BAR')).toBe('foobar');
    expect(one('VAR-WITH-DASHES=dashes', 'VAR-WITH-DASHES')).toBe('dashes');
    expect(one('  \tKEY =value', 'KEY')).toBe('value');
  });

  it('strips `export`, but only as a separate word', () => {
    expect(one('export OPTION_A=2', 'OPTION_A')).toBe('2');
    expect(one('\texport\tOPTION_A=2', 'OPTION_A')).toBe('2');
    expect(one('export exportFoo=2', 'exportFoo')).toBe('2');
    expect(one('exportFOO=2', 'exportFOO')).toBe('2');
    expect(one('export_FOO =2', 'export_FOO')).toBe('2');
    expect(one('export OPTION_A="export A"', 'OPTION_A')).toBe('export A');
  });

  it('takes single quotes literally and expands escapes and variables in double quotes', () => {
    expect(one("FOO='bar'", 'FOO')).toBe('bar');
    expect(one("export OPTION_B='\\n'", 'OPTION_B')).toBe('\\n');
    expect(one("OPTION_K='Let\\'s go!'", 'OPTION_K')).toBe("Let's go!");
    expect(one("BAR='quote $FOO'", 'BAR')).toBe('quote $FOO');
    expect(one('FOO="escaped\\"bar"', 'FOO')).toBe('escaped"bar');
    expect(one('FOO="\'d\'"', 'FOO')).toBe("'d'");
    expect(one('FOO="bar\\nbaz"', 'FOO')).toBe('bar\nbaz');
    expect(one('FOO=a\\tb', 'FOO')).toBe('a\\tb'); // unquoted: no escapes
    expect(one('FOO="a\\tb"', 'FOO')).toBe('a\tb');
    expect(one('KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'KEY')).toBe('Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ');
    expect(one('KEY="\\x07"', 'KEY')).toBe('\\x07'); // not a supported escape: kept
    expect(one('FOO="bar\\n\\ b\\az"', 'FOO')).toBe('bar\n\\ b\x07z');
    expect(one('FOO="foo\\$BAR"', 'FOO')).toBe('foo$BAR');
    expect(one('FOO="foo\\${BAR}"', 'FOO')).toBe('foo${BAR}');
  });

  it('reads quoted values over several lines', () => {
    const r = parseDotenv("OPTION_J = 'first line\nsecond line\nthird line\nand so on'\nOPTION_Z = \"last value\"\n");
    expect(r.values).toEqual({ OPTION_J: 'first line\nsecond line\nthird line\nand so on', OPTION_Z: 'last value' });
    expect(one('TEST_URLS="a:3333\nb:443"', 'TEST_URLS')).toBe('a:3333\nb:443');
  });

  it('treats " #" after an unquoted value as a comment, not "#" inside a word or quotes', () => {
    expect(one('FOO=bar # this is foo', 'FOO')).toBe('bar');
    expect(one('FOO=bar #', 'FOO')).toBe('bar');
    expect(one('FOO=123#not-an-inline-comment', 'FOO')).toBe('123#not-an-inline-comment');
    expect(one('FOO="bar#baz" # comment', 'FOO')).toBe('bar#baz');
    expect(one("FOO='bar#baz' # comment", 'FOO')).toBe('bar#baz');
    const r = parseDotenv('# a comment\n\t # indented comment\n\r\nA=1\n');
    expect(r.values).toEqual({ A: '1' });
  });

  it('expands ${VAR} from the lookup first, then from earlier keys; never in single quotes', () => {
    const r = parseDotenv('OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}\n');
    expect(r.values).toEqual({ OPTION_A: '1', OPTION_B: '1', OPTION_C: '1', OPTION_D: '1_1', OPTION_E: '' });
    const withLookup = parseDotenv('OPTION_A=1\nOPTION_B=${OPTION_A}\n', (n) => (n === 'OPTION_A' ? '5' : undefined));
    expect(withLookup.values).toEqual({ OPTION_A: '1', OPTION_B: '5' });
    const defaults = parseDotenv('A=${A:-1}\nB=${A}\nC="x ${B:-no}"\n');
    expect(defaults.values).toEqual({ A: '1', B: '1', C: 'x 1' });
  });

  it('lets a bare KEY inherit from the lookup, or leaves it out', () => {
    const lookup = (n: string) => (n === 'FROM_OUTSIDE' ? 'outside' : undefined);
    const r = parseDotenv('foo=bar\nFROM_OUTSIDE\nMISSING\nbar=baz\nLAST', lookup);
    expect(r).toEqual({ values: { foo: 'bar', FROM_OUTSIDE: 'outside', bar: 'baz' }, issues: [] });
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(parseDotenv('\ufeffOPTION_A=1\nOPTION_B=2\n').values).toEqual({ OPTION_A: '1', OPTION_B: '2' });
  });

  it('reports errors with their line', () => {
    const invalid = '# some comments\nfoo="\n  a\n  multine\n  value\n"\nINVALID LINE\nzot=qix';
    const r = parseDotenv(invalid);
    expect(r.issues).toEqual([{ line: 7, message: 'key cannot contain a space' }]);
    expect(r.values.foo).toBe('\n  a\n  multine\n  value\n');
    expect(parseDotenv('A=1\nlol$wut\n').issues).toEqual([{ line: 2, message: 'unexpected character "$" in variable name "lol$wut"' }]);
    for (const bad of ['KEY="', 'KEY="value', 'KEY="value\\"', "KEY='value", "KEY='value\\'", 'KEY=\'value"']) {
      const res = parseDotenv(`A=1\n\n${bad}\nB=2\n`);
      expect(res.issues).toHaveLength(1);
      expect(res.issues[0]!.line).toBe(3);
      expect(res.issues[0]!.message).toMatch(/^unterminated quoted value/);
    }
    expect(parseDotenv('A=1\nB=${NEED:?set it}\n').issues).toEqual([
      { line: 2, message: 'required variable NEED is missing a value: set it' },
    ]);
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const r = parseDotenv('__proto__=x\n');
    expect(Object.keys(r.values)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(r.values)).toBe(Object.prototype);
  });
});
