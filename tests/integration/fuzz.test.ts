// A fuzz test built from the server's own OpenAPI document (issue 12): every
// operation gets valid bodies and hostile ones (wrong types, missing and extra
// fields, huge and NUL/surrogate strings, deep nesting, long arrays, numbers out
// of range, malformed JSON, bad query values, traversal ids, unicode), with and
// without a token. The seed is fixed, so a failure replays. The bound is on work
// done (requests, and a time after which no new request is generated), never an
// assertion on timing. Asserted: no 5xx, every error in the contract's shape, no
// unhandled rejection, and the server still answering at the end.
import { connect } from 'node:net';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { GARBAGE_IDS, Gen, deep, mulberry32 } from '../helpers/fuzz-gen.js';
import { uniqueName } from '../helpers/engine.js';
import { deployAndWait, isContractError, isErrorShapeFor, useServer } from '../helpers/server.js';
import { collectCrashes } from '../helpers/crashes.js';

// Fixed in CI; CAPSTAN_FUZZ_SEED explores others by hand.
const SEED = Number(process.env.CAPSTAN_FUZZ_SEED ?? 20261201);
const MAX_REQUESTS = 1500;
const GENERATE_FOR_MS = 90_000;
const CONCURRENCY = 8;
/** Requests whose valid form queues real work (a deploy): kept few per operation. */
const MAX_VALID_HEAVY = 3;

const ctx = useServer();
const crashes = collectCrashes();

type Json = Record<string, any>;
interface Op {
  method: string;
  path: string;
  op: Json;
}
interface Shape {
  method: string;
  path: string;
  auth: string;
  mutation: string;
  body?: string;
}
interface Outcome {
  shape: Shape;
  status: number | string;
  text: string;
  ms: number;
}

/** A request's shape for a failure message: never a token or a password, bodies cut short. */
function describeShape(shape: Shape): string {
  const body = shape.body === undefined ? '' : ` body=${JSON.stringify(shape.body.replace(/"password":"[^"]*"/g, '"password":"…"').slice(0, 300))}`;
  return `${shape.method} ${shape.path.slice(0, 200)} [${shape.auth}, ${shape.mutation}]${body}`;
}

const HEAVY = /^(post \/api\/services|put \/api\/services\/\{id\}|post \/api\/services\/\{id\}\/(redeploy|start|stop|restart|update)|put \/api\/services\/\{id\}\/env|post \/api\/schedules\/\{id\}\/run|post \/api\/images\/pull)$/;

describe('fuzzing the REST surface from its OpenAPI document', () => {
  const fixture = { service: '', deployment: '', schedule: '', registry: '127.0.0.1:1' };
  const outcomes: Outcome[] = [];
  let ops: Op[] = [];
  let doc: Json = {};
  let logoutToken = '';

  beforeAll(async () => {
    const { s, token } = ctx;
    const res = await s.request('GET', '/api/openapi.json');
    expect(res.status, res.text).toBe(200);
    doc = res.json;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(item)) ops.push({ method, path, op });
    }
    const image = inject('testEnv').registryImage;
    const name = uniqueName('fuzz');
    // sleep as pid 1 ignores SIGTERM: a short grace period keeps each stop and restart short.
    const yaml = `services:\n  web:\n    image: ${JSON.stringify(image)}\n    command: ["sleep", "3600"]\n    stop_grace_period: 1s\n`;
    const created = await deployAndWait(s, token, 'POST', '/api/services', { name, yaml });
    expect(created.deployment.status, JSON.stringify(created.deployment)).toBe('succeeded');
    fixture.service = created.res.json.id;
    fixture.deployment = created.res.json.deployment_id;
    const sched = await s.request('POST', '/api/schedules', {
      token,
      body: { service_id: fixture.service, frequency: 'weekly', day_of_week: 'Sunday', time_of_day: '03:00' },
    });
    expect(sched.status, sched.text).toBe(201);
    fixture.schedule = sched.json.id;
    const reg = await s.request('PUT', '/api/registries', { token, body: { host: fixture.registry, username: 'u', password: 'p' } });
    expect(reg.status, reg.text).toBeLessThan(300);
    logoutToken = await s.login();
  }, 120_000);

  it('answers every generated request without a 5xx, in the contract shape, and stays up', async () => {
    const { s, token } = ctx;
    const gen = new Gen(mulberry32(SEED), [inject('testEnv').registryImage], doc);
    const heavyCount = new Map<string, number>();
    const started = Date.now();
    let sent = 0;

    const realId = (path: string, param: string): string => {
      if (param === 'host') return encodeURIComponent(fixture.registry);
      if (path.startsWith('/api/deployments')) return fixture.deployment;
      if (path.startsWith('/api/schedules')) return fixture.schedule;
      if (path.startsWith('/api/images')) return 'sha256:' + '0'.repeat(64);
      return fixture.service;
    };

    /** One request for `o`, built from the PRNG; deletes of the fixtures wait for the end. */
    const build = (o: Op): { shape: Shape; init: { method: string; path: string; headers: Record<string, string>; body?: string } } => {
      const key = `${o.method} ${o.path}`;
      const params: Json[] = (o.op.parameters ?? []).map((p: Json) => gen.deref(p));
      const fixtureDelete = o.method === 'delete' && o.path.includes('{');
      let mutation = gen.pick(['valid', 'valid', 'type', 'missing', 'extra', 'huge', 'deep', 'malformed', 'array', 'query', 'garbage-id', 'content-type']);
      const heavy = HEAVY.test(key);
      if (mutation === 'valid' && heavy) {
        const n = heavyCount.get(key) ?? 0;
        if (n >= MAX_VALID_HEAVY) mutation = 'type';
        else heavyCount.set(key, n + 1);
      }
      let path = o.path;
      for (const p of params.filter((p) => p.in === 'path')) {
        const id = mutation === 'garbage-id' || fixtureDelete || gen.chance(0.15) ? gen.pick(GARBAGE_IDS) : realId(o.path, p.name);
        path = path.replace(`{${p.name}}`, id);
      }
      const query = new URLSearchParams();
      for (const p of params.filter((p) => p.in === 'query')) {
        if (p.name === 'follow') continue; // a follow never ends by itself; tests/integration/logs-follow.test.ts covers it
        if (mutation === 'query' && gen.chance(0.6)) query.set(p.name, gen.hostileQuery());
        else if (p.required || gen.chance(0.4)) query.set(p.name, String(gen.valid(p.schema, p.name)));
      }
      if (mutation === 'query' && gen.chance(0.3)) query.set(`zz${gen.int(9)}`, gen.hostileQuery());
      if (o.path === '/api/services/{id}/logs' && gen.chance(0.5)) query.set('format', 'text');
      const qs = query.toString();
      const url = qs ? `${path}?${qs}` : path;

      const headers: Record<string, string> = {};
      const authRoll = gen.rnd();
      let auth = 'token';
      if (o.path === '/auth/logout') headers.authorization = `Bearer ${logoutToken}`;
      else if (authRoll < 0.12) auth = 'none';
      else if (authRoll < 0.18) ((auth = 'bad-token'), (headers.authorization = `Bearer ${gen.pick(['x', '\u00ff'.repeat(3), 'a'.repeat(5000), token.slice(0, -1)])}`));
      else headers.authorization = `Bearer ${token}`;

      let body: string | undefined;
      const schema = o.op.requestBody?.content?.['application/json']?.schema;
      if (schema && o.method !== 'get') {
        headers['content-type'] = 'application/json';
        let value: any = gen.valid(schema);
        if (o.path === '/api/schedules' && value && typeof value === 'object') value.service_id = fixture.service;
        const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
        const keys = obj ? Object.keys(obj) : [];
        const target = keys.length ? gen.pick(keys) : undefined;
        const propSchema = target ? gen.deref(schema).properties?.[target] : undefined;
        switch (mutation) {
          case 'type':
            if (obj && target) obj[target] = gen.hostile(propSchema, target);
            else value = gen.hostile(schema);
            break;
          case 'missing':
            if (obj && target) delete obj[target];
            else value = {};
            break;
          case 'extra':
            if (obj) obj[gen.pick(['zz_extra', '__proto__x', 'constructor', '\u0000'])] = gen.hostile(undefined);
            break;
          case 'huge':
            if (obj && target) obj[target] = 'x'.repeat(64 * 1024);
            else value = 'x'.repeat(64 * 1024);
            break;
          case 'deep': {
            // As text: stringifying 5,000 levels would overflow this side's stack first.
            const n = gen.pick([65, 100, 5000]);
            const nested = gen.chance(0.5) ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
            const rest = JSON.stringify({ ...obj, [target ?? 'a']: undefined }).slice(1);
            body = `{${JSON.stringify(target ?? 'a')}:${nested}${rest === '}' ? '' : ','}${rest}`;
            break;
          }
          case 'array':
            if (obj && target) obj[target] = Array.from({ length: gen.pick([1000, 20000]) }, () => gen.pick([1, 'x', null, {}]));
            else value = Array.from({ length: 20000 }, () => 1);
            break;
          case 'malformed':
            body = gen.pick(['{', '{"a":', '[1,2', 'nul', '{"a":1}}', '\u0000', '{"a":"\\ud800"}', '{"a":1e99999}', '\ufeff{}', '"x"', '', '{"__proto__":{"x":1}}']);
            break;
          case 'content-type':
            headers['content-type'] = gen.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x']);
            break;
        }
        body ??= JSON.stringify(value);
        // A prune acts on the whole shared engine: whatever the mutation, it is scoped to a label nothing carries.
        if (/^\/api\/(volumes|networks)\/prune$/.test(o.path)) body = JSON.stringify({ label: ['io.capstan.fuzz.nothing'] });
      } else if (mutation === 'malformed' || mutation === 'content-type') {
        headers['content-type'] = 'application/json';
        body = gen.pick(['{', '[]', 'x'.repeat(1000), '{"a":1}']);
      }
      if (o.method === 'get' || o.method === 'head') body = undefined;
      return { shape: { method: o.method.toUpperCase(), path: url, auth, mutation, body }, init: { method: o.method.toUpperCase(), path: url, headers, body } };
    };

    const send = async (req: ReturnType<typeof build>): Promise<void> => {
      const t0 = Date.now();
      const ms = () => Date.now() - t0;
      try {
        const res = await fetch(new URL(req.init.path, s.url), {
          method: req.init.method,
          headers: req.init.headers,
          body: req.init.body,
          signal: AbortSignal.timeout(60_000),
        });
        // An event stream that opened is a success that never ends: its headers are the answer.
        const streaming = res.ok && res.headers.get('content-type')?.startsWith('text/event-stream');
        const text = streaming ? '' : await res.text();
        if (streaming) await res.body?.cancel();
        outcomes.push({ shape: req.shape, status: res.status, text, ms: ms() });
      } catch (err) {
        outcomes.push({ shape: req.shape, status: `fetch failed: ${String((err as Error).cause ?? err)}`, text: '', ms: ms() });
      }
    };

    // Deletes of the fixtures go last, so every other request can name them.
    const queue: Op[] = [];
    while (queue.length < MAX_REQUESTS) for (const o of ops) queue.push(o);
    let next = 0;
    const worker = async () => {
      while (next < MAX_REQUESTS && Date.now() - started < GENERATE_FOR_MS) {
        const o = queue[next++]!;
        sent++;
        await send(build(o));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const o of ops.filter((o) => o.method === 'delete' && o.path.includes('{'))) {
      let path = o.path;
      for (const m of o.path.matchAll(/\{(\w+)\}/g)) path = path.replace(m[0], realId(o.path, m[1]!));
      sent++;
      await send({ shape: { method: 'DELETE', path, auth: 'token', mutation: 'final-delete' }, init: { method: 'DELETE', path, headers: { authorization: `Bearer ${token}` } } });
    }

    const statuses = new Map<string, number>();
    for (const o of outcomes) statuses.set(String(o.status), (statuses.get(String(o.status)) ?? 0) + 1);
    const slow = [...outcomes].sort((a, b) => b.ms - a.ms).slice(0, 5).map((o) => `${o.ms} ms ${o.shape.method} ${o.shape.path.slice(0, 60)} -> ${o.status}`);
    console.log(`fuzz: slowest\n  ${slow.join('\n  ')}`);
    console.log(`fuzz: seed ${SEED}, ${sent} requests over ${ops.length} operations; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);

    const failures: string[] = [];
    for (const o of outcomes) {
      if (typeof o.status === 'string') failures.push(`${o.status}: ${describeShape(o.shape)}`);
      else if (o.status >= 500) failures.push(`${o.status}: ${describeShape(o.shape)} -> ${o.text.slice(0, 300)}`);
      else if (o.status >= 400) {
        let json: unknown;
        try {
          json = JSON.parse(o.text);
        } catch {
          json = undefined;
        }
        // The path as the server sees it (fetch resolves ../); a request Node could not parse (431) has no route, so the contract's shape.
        const seen = new URL(o.shape.path, s.url).pathname;
        if (!isErrorShapeFor(seen, json) && !(o.status === 431 && isContractError(json))) failures.push(`${o.status} not in the contract shape: ${describeShape(o.shape)} -> ${o.text.slice(0, 300)}`);
      }
    }
    expect(failures.slice(0, 40).join('\n')).toBe('');

    const health = await s.request('GET', '/api/health/status', { token });
    expect(health.status, health.text).toBe(200);
    expect(crashes.map(String)).toEqual([]);
  }, 150_000);
});

describe('what the fuzzer found, pinned', () => {
  it('a request line or headers over the limit answer 431 in the contract shape', async () => {
    const res = await ctx.s.request('GET', `/api/services?x=${'x'.repeat(64 * 1024)}`, { token: ctx.token });
    expect(res.status).toBe(431);
    expect(isContractError(res.json), res.text).toBe(true);
    // Not HTTP at all: Node's parser refuses it, and the answer is still the contract's.
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(ctx.s.port, '127.0.0.1', () => sock.write('\u0000GARBAGE \r\n\r\n'));
      let text = '';
      sock.on('data', (d) => (text += d.toString('utf8')));
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(isContractError(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))), raw).toBe(true);
    expect((await ctx.s.request('GET', '/api/health/status', { token: ctx.token })).status).toBe(200);
  });

  it('a malformed escape in the id of a plain-text log request is an unknown id, not a URIError', async () => {
    for (const id of ['%FF', '%ED%A0%80']) {
      const res = await ctx.s.request('GET', `/api/services/${id}/logs?format=text`, { token: ctx.token });
      expect(res.status, res.text).toBe(404);
      expect(isContractError(res.json), res.text).toBe(true);
    }
  });

  it('a project name too long for a folder is a 400 on validate and create, not ENAMETOOLONG', async () => {
    const name = 'x'.repeat(64 * 1024);
    const yaml = `services:\n  web:\n    image: ${JSON.stringify(inject('testEnv').registryImage)}\n`;
    const validated = await ctx.s.request('POST', '/api/services/validate', { token: ctx.token, body: { name, yaml } });
    expect(validated.status, validated.text.slice(0, 300)).toBe(200);
    expect(validated.json.valid).toBe(false);
    expect(validated.json.errors[0].path).toEqual(['name']);
    const created = await ctx.s.request('POST', '/api/services', { token: ctx.token, body: { name, yaml } });
    expect(created.status, created.text.slice(0, 300)).toBe(400);
    expect(isContractError(created.json)).toBe(true);
    expect(created.text.length).toBeLessThan(2000);
  });
});
