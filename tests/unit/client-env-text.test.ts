import { describe, expect, it } from 'vitest';
import { envKeys, maskEnvText, variableLines, warningLine, warningVariable } from '../../src/client/env-text.js';

describe('the dashboard .env mask', () => {
  it('keeps keys, comments and blank lines, and replaces each value by its length', () => {
    expect(maskEnvText('# db\nPOSTGRES_PASSWORD=hunter2\n\nexport TZ = UTC\nnot an assignment')).toEqual([
      { shown: '# db', hidden: 0 },
      { shown: 'POSTGRES_PASSWORD=', hidden: 7 },
      { shown: '', hidden: 0 },
      { shown: 'export TZ =', hidden: 4 },
      { shown: 'not an assignment', hidden: 0 },
    ]);
  });

  it('hides every line of a quoted value that spans lines, up to its closing quote', () => {
    const masked = maskEnvText('KEY="-----BEGIN\nsecret line\n-----END"\nNEXT=1\nSINGLE=\'a\'');
    expect(masked.map((l) => [l.shown, l.hidden])).toEqual([
      ['KEY=', 11],
      ['', 11],
      ['', 9],
      ['NEXT=', 1],
      ['SINGLE=', 3],
    ]);
  });

  it('an escaped quote does not close a double-quoted value', () => {
    expect(maskEnvText('A="x\\"\nstill secret"\nB=2').map((l) => l.shown)).toEqual(['A=', '', 'B=']);
  });

  it('lists the keys it sets', () => {
    expect(envKeys('TAG=1\n# c\nexport OWNER=ops\nMULTI="a\nB=not a key"\nLAST=')).toEqual(['TAG', 'OWNER', 'MULTI', 'LAST']);
  });
});

describe('where a warning points', () => {
  it('reads "line N" from the text, and nothing when there is none', () => {
    expect(warningLine('The "TAG" variable is not set (line 4). Defaulting to a blank string.')).toBe(4);
    expect(warningLine('line 12: "OWNER" is not set')).toBe(12);
    expect(warningLine('env_file ./app.env cannot be checked in the browser')).toBeUndefined();
    expect(warningLine('the pipeline says line 0')).toBeUndefined();
  });
});

describe('the lines that use a variable', () => {
  it('finds $NAME and ${NAME...} uses, not $$ escapes, longer names or comment lines', () => {
    const yaml = ['# uses ${TAG} in a comment', 'image: app:${TAG}', 'a: $TAG', 'b: $$TAG', 'c: ${TAGS}', 'd: ${TAG:-x}', 'e: $$$TAG', 'f: ${OTHER:-$TAG}'].join('\n');
    expect(variableLines(yaml, 'TAG')).toEqual([2, 3, 6, 7, 8]);
  });

  it('reads the variable from compose\'s warning', () => {
    expect(warningVariable('The "POSTGRES_PW" variable is not set. Defaulting to a blank string.')).toBe('POSTGRES_PW');
    expect(warningVariable('something else')).toBeUndefined();
  });
});
