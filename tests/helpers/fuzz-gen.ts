// Request generation for the OpenAPI fuzz test (tests/integration/fuzz.test.ts):
// a seeded PRNG, values from JSON schemas, and the mutations that have broken
// servers before. Every image name it makes is safe to hand to the engine: a
// registry on 127.0.0.1, `localhost`, or invalid by the reference grammar, so no
// request can make dockerd resolve a name or reach another host.

type Json = Record<string, any>;

/** mulberry32: a tiny PRNG, so a failing run is replayed by its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(
    readonly rnd: () => number,
    /** Image names that must be valid and present (or on the 127.0.0.1 registry). */
    readonly goodImages: string[],
    readonly doc: Json,
  ) {}

  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }

  /** Images a request may carry: never a name that needs DNS. */
  image(valid: boolean): string {
    if (valid) return this.pick(this.goodImages);
    return this.pick(BAD_IMAGES);
  }

  deref(schema: Json | undefined): Json {
    let s = schema ?? {};
    for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
      s = s.$ref.slice(2).split('/').reduce((o: Json, k: string) => o?.[k], this.doc) ?? {};
    }
    return s;
  }

  /** A value the schema accepts (as far as a schema can say; the server may still refuse it). */
  valid(schema: Json | undefined, key = '', depth = 0): unknown {
    const s = this.deref(schema);
    if (key === 'image') return this.image(true);
    if (key === 'yaml') return this.composeYaml(true);
    if (s.const !== undefined) return s.const;
    if (Array.isArray(s.enum)) return this.pick(s.enum);
    const alts = s.oneOf ?? s.anyOf;
    if (Array.isArray(alts) && alts.length) return this.valid(this.pick(alts), key, depth);
    if (Array.isArray(s.allOf) && s.allOf.length) return this.valid(Object.assign({}, ...s.allOf.map((x: Json) => this.deref(x))), key, depth);
    if (s.default !== undefined && this.chance(0.3)) return s.default;
    const type = Array.isArray(s.type) ? this.pick(s.type.filter((t: string) => t !== 'null')) ?? 'null' : s.type;
    switch (type) {
      case 'object':
        return this.validObject(s, key, depth);
      case 'array': {
        const n = Math.max(s.minItems ?? 0, this.int(3));
        return Array.from({ length: n }, () => this.valid(s.items, '', depth + 1));
      }
      case 'integer':
      case 'number': {
        const lo = s.minimum ?? 0;
        const hi = s.maximum ?? lo + 100;
        const v = lo + this.rnd() * (hi - lo);
        return type === 'integer' ? Math.floor(v) : v;
      }
      case 'boolean':
        return this.chance(0.5);
      case 'null':
        return null;
      case 'string':
        return this.validString(s, key);
      default:
        return this.pick(['x', 1, true, null]);
    }
  }

  private validObject(s: Json, key: string, depth: number): Json {
    const out: Json = {};
    const props: Json = s.properties ?? {};
    const required = new Set<string>(s.required ?? []);
    if (key === 'services' && !s.properties) {
      out[this.pick(['web', 'app', 'db'])] = { image: this.image(true), command: ['sleep', '30'], stop_grace_period: '1s' };
      return out;
    }
    for (const [k, v] of Object.entries(props)) {
      if (required.has(k) || this.chance(0.5)) out[k] = this.valid(v as Json, k, depth + 1);
    }
    if (depth < 3 && s.additionalProperties && typeof s.additionalProperties === 'object' && this.chance(0.3)) {
      out[`k${this.int(100)}`] = this.valid(s.additionalProperties, '', depth + 1);
    }
    return out;
  }

  private validString(s: Json, key: string): string {
    if (s.format === 'date-time') return new Date(Date.UTC(2026, 0, 1 + this.int(300))).toISOString();
    if (/time_of_day/.test(key)) return `${String(this.int(24)).padStart(2, '0')}:${String(this.int(60)).padStart(2, '0')}`;
    if (key === 'timezone') return this.pick(['UTC', 'Europe/Paris', 'America/New_York']);
    if (key === 'name') return `fuzz-${this.int(1e6)}`;
    const min = s.minLength ?? 1;
    const max = Math.min(s.maxLength ?? 12, 40);
    const n = Math.max(min, Math.min(max, 1 + this.int(12)));
    let out = '';
    for (let i = 0; i < n; i++) out += 'abcdefghijklmnopqrstuvwxyz0123456789'[this.int(36)];
    return out;
  }

  /** A compose file: a valid one on the safe images, or one with a hostile image or value. */
  composeYaml(valid: boolean): string {
    const image = JSON.stringify(this.image(valid));
    if (valid) return `services:\n  web:\n    image: ${image}\n    command: ["sleep", "30"]\n    stop_grace_period: 1s\n`;
    return this.pick([
      `services:\n  web:\n    image: ${image}\n`,
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    environment: [1, {a: b}, [x]]\n`,
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    labels: [null, 3]\n`,
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    ports: ["99999999:1", -1, "a:b:c:d"]\n`,
      `services:\n  web: &a\n    image: x\n    <<: *a\n`,
      `a: &a [*a, *a, *a]\n`,
      `services: {web: {image: ${image}, volumes: ["../../../../etc:/x:ro"]}}\n`,
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    env_file: ../../../../etc/passwd\n`,
      `${'['.repeat(200)}${']'.repeat(200)}`,
      '\u0000\ud800: x\n',
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    healthcheck: {timeout: 0s, interval: -1s}\n`,
      `services:\n  web:\n    image: ${JSON.stringify(this.goodImages[0])}\n    mem_limit: 1e308\n    cpus: NaN\n`,
      ':\n\t- ]',
    ]);
  }

  /** A hostile value standing where `schema` wants something. */
  hostile(schema: Json | undefined, key = ''): unknown {
    if (key === 'image') return this.image(false);
    if (key === 'yaml') return this.composeYaml(false);
    const s = this.deref(schema);
    return this.pick([
      ...HOSTILE_STRINGS,
      1e308,
      -1,
      -1e308,
      0.5,
      'NaN',
      null,
      true,
      [],
      {},
      { $ne: 1 },
      deep(70),
      Array.from({ length: 5000 }, (_, i) => i),
      Array.from({ length: 200 }, () => 'x'.repeat(100)),
      s.type === 'string' ? 12345 : 'x',
      s.type === 'object' ? ['not', 'an', 'object'] : { not: 'a scalar' },
    ]);
  }

  /** Hostile query-string values (already strings). */
  hostileQuery(): string {
    return this.pick([
      '99999999999999999999999',
      '-99999999999999999999999',
      '-1',
      'NaN',
      'Infinity',
      '1e308',
      '',
      '0x10',
      '2026-13-45T99:99:99Z',
      '../../x',
      'x'.repeat(64 * 1024),
      '%00',
      '\u0000',
      'true',
      '[]',
      '{"a":1}',
    ]);
  }
}

/** Nested arrays/objects `n` deep. */
export function deep(n: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Every one invalid by the reference grammar, or a registry on 127.0.0.1 / localhost where nothing is served. */
export const BAD_IMAGES = [
  'a\u0000b',
  'busybox\ud800',
  'busybox:\udc00x',
  '../../../../127.0.0.1:1/x',
  '../127.0.0.1:1/x',
  '/127.0.0.1:1/x',
  '127.0.0.1:1/x',
  'localhost:1/x',
  '127.0.0.1:1/../x',
  'UPPER/Case',
  '',
  ' ',
  ':',
  '@sha256:zz',
  '127.0.0.1:1/x@sha256:zz',
  'ünïcödé',
  '-x',
  'x/../y',
  '127.0.0.1:1/x:' + 't'.repeat(300),
  '\u202e127.0.0.1:1/x',
];

export const HOSTILE_STRINGS = [
  '',
  'x'.repeat(64 * 1024),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udc00x',
  '../../x',
  '../../../../etc/passwd',
  '%2e%2e%2f',
  '\u202e\u200b\ufeff',
  '😀'.repeat(100),
  'ünïcödé',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${HOME}',
  '$(id)',
  '\r\nX-Injected: 1',
  ' ',
  '99999999999999999999999',
  '1e308',
  'NaN',
];

/** Path segments for ids that name nothing, each already encoded for a URL. */
export const GARBAGE_IDS = [
  'nope',
  '..%2F..%2Fx',
  '../../x',
  '%00',
  '%ED%A0%80',
  '%FF',
  'x'.repeat(5000),
  '99999999999999999999999',
  '-1',
  encodeURIComponent('ünïcödé'),
  '%20',
  encodeURIComponent('127.0.0.1:1'),
  encodeURIComponent('{"a":1}'),
];
