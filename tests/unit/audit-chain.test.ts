import { describe, expect, it } from 'vitest';
import { instantMs } from '../../src/shared/audit.js';
import { csvField, csvLine } from '../../src/server/audit-export.js';
import { CapstanError } from '../../src/server/errors.js';
import { canonicalJson, ChainVerifier, entryHash, GENESIS_HASH, GENESIS_TAIL, type ChainRow } from '../../src/server/services/audit-chain.js';
import { decodeCursor, encodeCursor } from '../../src/server/services/audit-query.js';

/** A valid chain of n entries from a starting tail. */
function chain(n: number, start = GENESIS_TAIL): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = start;
  for (let i = 1; i <= n; i++) {
    const base = {
      id: prev.id + 1,
      at: 1_700_000_000_000 + i,
      actor: 'admin',
      action: 'service.restart',
      target: `service:s${i}`,
      outcome: 'success',
      details: canonicalJson({ n: i }),
      prevHash: prev.hash,
    };
    const hash = entryHash(base);
    rows.push({ ...base, hash });
    prev = { id: base.id, at: base.at, hash };
  }
  return rows;
}

function verify(rows: ChainRow[], start = GENESIS_TAIL) {
  const v = new ChainVerifier(start);
  for (const r of rows) if (!v.feed(r)) break;
  return v;
}

describe('canonical content and hash', () => {
  it('sorts keys at every depth, so equal details serialize the same', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it('changes when any stored column changes', () => {
    const [row] = chain(1);
    const base = { ...row!, prevHash: row!.prevHash! };
    const hash = entryHash(base);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash({ ...base })).toBe(hash);
    for (const change of [{ id: 2 }, { at: base.at + 1 }, { actor: 'eve' }, { action: 'x' }, { target: null }, { outcome: 'failure' }, { details: '{"n":2}' }, { prevHash: GENESIS_HASH.replace(/^0/, '1') }]) {
      expect(entryHash({ ...base, ...change }), JSON.stringify(change)).not.toBe(hash);
    }
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and reports its head', () => {
    const rows = chain(5);
    const v = verify(rows);
    expect(v.broken).toBeNull();
    expect(v.checked).toBe(5);
    expect(v.head.hash).toBe(rows[4]!.hash);
  });

  it('names an entry whose content changed', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, actor: 'eve' };
    expect(verify(rows).broken).toEqual({ id: 3, reason: expect.stringMatching(/content does not match/) });
  });

  it('names the entry after one whose content and hash were both rewritten', () => {
    const rows = chain(5);
    const forged = { ...rows[2]!, actor: 'eve', prevHash: rows[2]!.prevHash! };
    rows[2] = { ...forged, hash: entryHash(forged) };
    expect(verify(rows).broken).toEqual({ id: 4, reason: expect.stringMatching(/prev_hash does not match the hash of entry 3/) });
  });

  it('names the entry after a removed one, and the first entry when the oldest are gone without a checkpoint', () => {
    const rows = chain(5);
    expect(verify([...rows.slice(0, 2), ...rows.slice(3)]).broken).toEqual({ id: 4, reason: 'entry 3 is missing before it: removed outside retention' });
    expect(verify(rows.slice(2)).broken).toEqual({ id: 3, reason: 'entries 1 to 2 are missing before it: removed outside retention' });
  });

  it('starts from a checkpoint after pruning', () => {
    const rows = chain(5);
    const checkpoint = { id: 2, at: rows[1]!.at, hash: rows[1]!.hash! };
    expect(verify(rows.slice(2), checkpoint).broken).toBeNull();
    expect(verify(rows.slice(3), checkpoint).broken?.id).toBe(4);
    // A row the checkpoint says was pruned is itself a finding.
    expect(verify(rows.slice(1), checkpoint).broken).toEqual({ id: 2, reason: expect.stringMatching(/at or before entry 2/) });
  });

  it('refuses an entry without a hash', () => {
    const rows = chain(2);
    rows[1] = { ...rows[1]!, hash: null };
    expect(verify(rows).broken).toEqual({ id: 2, reason: expect.stringMatching(/no hash/) });
  });
});

describe('cursors and times', () => {
  it('round-trips a cursor and refuses anything else with a 400', () => {
    expect(decodeCursor(encodeCursor(41))).toBe(41);
    expect(encodeCursor(41)).not.toContain('41');
    for (const bad of ['41', 'abc', encodeCursor(0), Buffer.from('a1.x').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(CapstanError);
    }
  });

  it('reads ISO 8601 dates and times; a time without an offset is UTC', () => {
    expect(instantMs('2026-01-31')).toBe(Date.UTC(2026, 0, 31));
    expect(instantMs('2026-01-31T12:30')).toBe(Date.UTC(2026, 0, 31, 12, 30));
    expect(instantMs('2026-01-31T12:30:00Z')).toBe(Date.UTC(2026, 0, 31, 12, 30));
    expect(instantMs('2026-01-31T12:30:00.5+02:00')).toBe(Date.UTC(2026, 0, 31, 10, 30, 0, 500));
    for (const bad of ['yesterday', '1700000000', '2026-13-01', '']) expect(instantMs(bad), bad).toBeNaN();
  });
});

describe('CSV export', () => {
  it('quotes separators and neutralizes spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@sum')).toBe("'@sum");
  });

  it('writes one line per entry with details as JSON', () => {
    const line = csvLine({ id: 3, at: '2026-01-01T00:00:00.000Z', actor: 'admin', action: 'service.create', target: null, outcome: 'success', details: { name: 'blog' } });
    expect(line).toBe('3,2026-01-01T00:00:00.000Z,admin,service.create,,success,"{""name"":""blog""}"\r\n');
  });
});
