import { describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import { parseCommand, parseControlFrame } from '../../src/server/services/terminal.js';

const refusal = (cmd: string) => {
  try {
    parseCommand(cmd);
  } catch (err) {
    return err instanceof CapstanError ? { code: err.code, details: err.details } : err;
  }
  return undefined;
};

describe('parseCommand', () => {
  it('defaults to sh and splits on any whitespace, without quoting', () => {
    expect(parseCommand(undefined)).toEqual(['sh']);
    expect(parseCommand('  bash \t -l\n')).toEqual(['bash', '-l']);
    expect(parseCommand('sh -c "echo a"')).toEqual(['sh', '-c', '"echo', 'a"']);
  });

  it('refuses empty, too long and control characters as 400s naming cmd', () => {
    expect(refusal('')).toEqual({ code: 'BAD_REQUEST', details: 'cmd: must not be empty' });
    expect(refusal(' \t ')).toEqual({ code: 'BAD_REQUEST', details: 'cmd: must not be empty' });
    expect(refusal('a'.repeat(1025))).toEqual({ code: 'BAD_REQUEST', details: 'cmd: at most 1024 characters' });
    expect(parseCommand('a'.repeat(1024))).toHaveLength(1);
    expect(refusal('sh\u0000')).toMatchObject({ code: 'BAD_REQUEST' });
    expect(refusal('sh\u001b[A')).toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('parseControlFrame', () => {
  it('takes exactly {"resize":[cols,rows]} with whole numbers from 1 to 1000', () => {
    expect(parseControlFrame('{"resize":[80,24]}')).toEqual({ cols: 80, rows: 24 });
    expect(parseControlFrame(' {"resize": [1, 1000]} ')).toEqual({ cols: 1, rows: 1000 });
  });

  it.each([
    ['{"resize":[0,5]}'],
    ['{"resize":[5,0]}'],
    ['{"resize":[-1,5]}'],
    ['{"resize":[1001,5]}'],
    ['{"resize":[80.5,24]}'],
    ['{"resize":["80",24]}'],
    ['{"resize":[80]}'],
    ['{"resize":[80,24,1]}'],
    ['{"resize":"x"}'],
    ['{"resize":[80,24],"extra":1}'],
    ['{}'],
    ['[80,24]'],
    ['null'],
    ['not json'],
    [''],
  ])('refuses %s', (text) => {
    const result = parseControlFrame(text);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toMatch(/resize/);
  });
});
