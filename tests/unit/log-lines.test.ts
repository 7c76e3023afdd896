import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lineSink } from '../../src/server/docker/logs.js';
import type { LogLine } from '../../src/shared/logs.js';

/** One engine log frame: [stream, 0, 0, 0, size big endian, payload]. */
function frame(stream: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function feed(bytes: Buffer, tty: boolean, cuts: number[]): LogLine[] {
  const lines: LogLine[] = [];
  const sink = lineSink({ id: 'x', name: 'c', tty }, (l) => lines.push(l));
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    sink.write(bytes.subarray(from, at));
    from = at;
  }
  sink.end();
  return lines;
}

/** What node's readline (crlfDelay: Infinity) makes of the same text: the reference for line breaks. */
async function readlineLines(text: string): Promise<string[]> {
  const input = new PassThrough();
  const rl = createInterface({ input, crlfDelay: Infinity });
  const out: string[] = [];
  rl.on('line', (l) => out.push(l));
  const closed = new Promise((r) => rl.on('close', r));
  input.end(text);
  await closed;
  return out;
}

/** A small deterministic generator: the same cases on every run. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('lineSink (engine log bytes to lines)', () => {
  it('demultiplexes frames split at any byte, stderr marked, timestamps taken off', () => {
    const bytes = Buffer.concat([
      frame(1, '2026-01-02T03:04:05.1Z one\n'),
      frame(2, '2026-01-02T03:04:05.2Z two\n'),
      frame(1, '2026-01-02T03:04:05.3Z thr'),
      frame(1, 'ee\n'),
    ]);
    const expected = [
      { stream: 'stdout', timestamp: '2026-01-02T03:04:05.100000000Z', message: 'one' },
      { stream: 'stdout', timestamp: '2026-01-02T03:04:05.300000000Z', message: 'three' },
      { stream: 'stderr', timestamp: '2026-01-02T03:04:05.200000000Z', message: 'two' },
    ];
    const sorted = (ls: LogLine[]) => ls.map(({ stream, timestamp, message }) => ({ stream, timestamp, message })).sort((a, b) => a.stream.localeCompare(b.stream) || a.timestamp.localeCompare(b.timestamp));
    for (let cut = 0; cut <= bytes.length; cut++) expect(sorted(feed(bytes, false, [cut]))).toEqual(sorted(expected as LogLine[]));
  });

  it('keeps a UTF-8 character that straddles two frames whole', () => {
    const euro = Buffer.from('€');
    const bytes = Buffer.concat([frame(1, Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)])), frame(1, Buffer.concat([euro.subarray(1), Buffer.from('5\n')]))]);
    expect(feed(bytes, false, [3]).map((l) => l.message)).toEqual(['price €5']);
  });

  it('reads a TTY log raw, and a log that is not multiplexed although it was said to be', () => {
    const text = '2026-01-02T03:04:05.1Z hello\r\n2026-01-02T03:04:05.2Z world\r\n';
    for (const tty of [true, false]) {
      expect(feed(Buffer.from(text), tty, [23]).map((l) => [l.stream, l.message])).toEqual([
        ['stdout', 'hello'],
        ['stdout', 'world'],
      ]);
    }
  });

  it('breaks lines exactly as readline does (\\n, \\r\\n, a lone \\r, empty lines, no final newline), whatever the chunks', async () => {
    const rnd = random(7);
    const alphabet = ['a', 'b', ' ', '\n', '\r', '\r\n', 'é'];
    for (let round = 0; round < 300; round++) {
      const text = Array.from({ length: Math.floor(rnd() * 40) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const bytes = Buffer.from(text);
      const cuts = Array.from({ length: Math.floor(rnd() * 5) }, () => Math.floor(rnd() * (bytes.length + 1))).sort((a, b) => a - b);
      expect(feed(bytes, true, cuts).map((l) => l.message), JSON.stringify({ text, cuts })).toEqual(await readlineLines(text));
    }
  });
});
