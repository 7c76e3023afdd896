// Inputs built to break the server (issue 12, item 2): each must be a 400 in the
// contract's shape, reach neither the engine nor PostgreSQL, and leave the
// process up. One server for the file; every test ends by asking it something.
import { connect, createServer, type Server } from 'node:net';
import { Logger as GraphileLogger, run } from 'graphile-worker';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { pgSafeTask } from '../../src/jobs/pg-safe.js';
import { createContainer } from '../../src/server/docker/containers.js';
import { CapstanError } from '../../src/server/errors.js';
import { uniqueName } from '../helpers/engine.js';
import { ADMIN, deployAndWait, isContractError, useServer, type TestResponse } from '../helpers/server.js';
import { collectCrashes } from '../helpers/crashes.js';

const ctx = useServer();
const image = () => inject('testEnv').image;

/** What the process would have died of: collected here, so a test can say "none". */
const crashes = collectCrashes();

function expect400(res: TestResponse, details?: RegExp) {
  expect(res.status, res.text).toBe(400);
  expect(isContractError(res.json), res.text).toBe(true);
  if (details) expect(res.json.details, res.text).toMatch(details);
}

/** The server still answers, and nothing escaped as an unhandled error. */
async function expectAlive() {
  const res = await ctx.s.request('GET', '/api/health/status', { token: ctx.token });
  expect(res.status, res.text).toBe(200);
  expect(crashes.map(String)).toEqual([]);
}

const create = (services: Record<string, unknown>, name = uniqueName('hard')) =>
  ctx.s.request('POST', '/api/services', { token: ctx.token, body: { name, services } });

/**
 * A TCP listener on 127.0.0.1 that counts who connects (and answers nothing).
 * `othersSoFar` connects once itself and waits for that connection to be
 * accepted: accepts come in order, so any connection started before it has
 * been counted by then. It answers the count without its own.
 */
async function countingListener(): Promise<{ port: number; othersSoFar: () => Promise<number>; close: () => Promise<void> }> {
  let connections = 0;
  let probes = 0;
  let onAccept = () => {};
  const srv: Server = createServer((sock) => {
    connections++;
    sock.on('error', () => {});
    sock.destroy();
    onAccept();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    async othersSoFar() {
      probes++;
      const accepted = new Promise<void>((r) => (onAccept = r));
      const probe = connect(port, '127.0.0.1');
      probe.on('error', () => {});
      await accepted;
      probe.destroy();
      return connections - probes;
    },
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

describe('image references', () => {
  it('refuses a NUL or a lone surrogate in an image, as JSON and as YAML, and stays up', async () => {
    for (const bad of ['a\u0000b', 'busybox\ud800', 'busybox:\udc00x']) {
      expect400(await create({ a: { image: bad } }), /services\.a\.image/);
    }
    const yaml = 'services:\n  a:\n    image: "busy\\0box"\n';
    expect400(await ctx.s.request('POST', '/api/services', { token: ctx.token, body: { name: uniqueName('hard'), yaml } }), /image/);
    const pull = await ctx.s.request('POST', '/api/images/pull', { token: ctx.token, body: { image: 'a\u0000b' } });
    expect400(pull, /image/);
    await expectAlive();
  });

  it('refuses a path that would make the engine redirect to another host: no connection is made', async () => {
    const listener = await countingListener();
    try {
      const bad = `../../127.0.0.1:${listener.port}/x`;
      expect400(await create({ a: { image: bad } }), /services\.a\.image/);
      expect400(await create({ a: { image: `/127.0.0.1:${listener.port}/x` } }), /services\.a\.image/);
      expect400(await ctx.s.request('POST', '/api/images/pull', { token: ctx.token, body: { image: bad } }), /image/);
      // The same reference given to the engine client directly: the engine's 301 is an error, not followed.
      const err = await ctx.s.app.engines.find('local')!.docker
        .getImage(bad)
        .inspect()
        .then(
          () => undefined,
          (e: { statusCode?: number }) => e,
        );
      expect(err?.statusCode).toBeGreaterThanOrEqual(300);
      expect(err?.statusCode).toBeLessThan(400);
      expect(await listener.othersSoFar()).toBe(0);
      await expectAlive();
      // Once more after a round trip through the server: a followed redirect would have connected by now.
      expect(await listener.othersSoFar()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('refuses what the reference grammar refuses, accepts what it accepts', async () => {
    for (const bad of ['Busybox', 'busybox:', 'busybox@sha256:abc', 'a//b', 'a/../b', 'localhost:99999999/x', 'x:' + 't'.repeat(129)]) {
      expect400(await create({ a: { image: bad } }), /services\.a\.image/);
    }
    const { deployment } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name: uniqueName('hard'),
      services: { a: { image: image(), command: ['true'] } },
    });
    expect(deployment.status).toBe('succeeded');
    await expectAlive();
  });
});

describe('malformed bodies and queries', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('answers 400 to JSON nested 5,000 deep on login, on POST /api/services and over tRPC', async () => {
    const login = await ctx.s.request('POST', '/auth/login', {
      rawBody: `{"username":${deep(5000)},"password":"x"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect400(login, /deep/);
    const services = await ctx.s.request('POST', '/api/services', {
      token: ctx.token,
      rawBody: `{"name":"deep","services":{"a":{"image":"busybox","labels":${deep(5000)}}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect400(services, /deep/);
    const trpc = await ctx.s.request('POST', '/trpc/auth.login', {
      rawBody: `{"username":${deep(5000)},"password":"x"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(trpc.status, trpc.text).toBe(400);
    expect(trpc.json.error).toMatchObject({ error: 'Invalid input', details: expect.stringMatching(/deep/), data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    const query = await ctx.s.request('GET', `/trpc/services.list?input=${deep(3000)}`, { token: ctx.token });
    expect(query.status, query.text).toBe(400);
    // A modest depth is not refused for its depth.
    const ok = await ctx.s.request('POST', '/api/services/validate', {
      token: ctx.token,
      rawBody: `{"name":"deep","services":{"a":{"image":"busybox","x-deep":${deep(30)}}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(ok.status, ok.text).toBe(200);
    await expectAlive();
  });

  it('still takes ordinary bodies over REST and tRPC, and refuses malformed and oversized ones in the contract shape', async () => {
    const body = JSON.stringify(ADMIN);
    const rest = await ctx.s.request('POST', '/auth/login', { rawBody: body, headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(rest.status, rest.text).toBe(200);
    const trpc = await ctx.s.request('POST', '/trpc/auth.login', { rawBody: body, headers: { 'content-type': 'application/json' } });
    expect(trpc.status, trpc.text).toBe(200);
    expect(trpc.json.result.data.token).toEqual(expect.any(String));
    const batch = await ctx.s.request('POST', '/trpc/auth.login,auth.login?batch=1', {
      rawBody: JSON.stringify({ 0: ADMIN, 1: { ...ADMIN, password: 'wrong-password-here' } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(batch.json.map((r: { result?: unknown; error?: unknown }) => (r.result ? 'ok' : 'error'))).toEqual(['ok', 'error']);
    expect400(await ctx.s.request('POST', '/auth/login', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } }), /JSON/);
    const huge = await ctx.s.request('POST', '/api/services', {
      token: ctx.token,
      rawBody: JSON.stringify({ name: 'huge', services: { a: { image: 'busybox', labels: { x: 'y'.repeat(2 * 1024 * 1024) } } } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status, huge.text.slice(0, 300)).toBe(400);
    expect(huge.json.details).toMatch(/larger than 1048576 bytes/);
    expect(isContractError(huge.json), huge.text.slice(0, 300)).toBe(true);
    await expectAlive();
  });

  it('answers 400 to non-string items in list-form environment and labels', async () => {
    for (const services of [
      { a: { image: 'busybox', environment: [1, { a: 1 }] } },
      { a: { image: 'busybox', environment: [null] } },
      { a: { image: 'busybox', labels: [['x=y']] } },
      { a: { image: 'busybox', labels: [true] } },
    ]) {
      expect400(await create(services), /services\.a\.(environment|labels)\.0/);
    }
    await expectAlive();
  });

  it('answers 400 to timestamps out of range in logs queries', async () => {
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name: uniqueName('hard'),
      services: { a: { image: image(), command: ['sh', '-c', 'echo hi; sleep 86400'] } },
    });
    for (const q of ['since=99999999999999999999999', 'until=99999999999999999999999', 'since=1e400', 'since=-5', 'since=275760-09-13T00:00:00Z']) {
      expect400(await ctx.s.request('GET', `/api/services/${service.id}/logs?${q}`, { token: ctx.token }), /since|until/);
      expect400(await ctx.s.request('GET', `/api/services/${service.id}/logs?format=text&${q}`, { token: ctx.token }), /since|until/);
    }
    const fine = await ctx.s.request('GET', `/api/services/${service.id}/logs?since=0&until=${Math.floor(Date.now() / 1000) + 60}`, {
      token: ctx.token,
    });
    expect(fine.status, fine.text).toBe(200);
    await expectAlive();
  });
});

describe('engine answers', () => {
  it("maps the engine's 400 by its status: \"Timeout in healthcheck\" is bad input, not an unavailable engine", async () => {
    // Past the compose schema (which refuses this itself), straight to the engine through Capstan's docker layer.
    const err = await createContainer(ctx.s.app.engines.find('local')!.docker, {
      name: uniqueName('hard-hc'),
      Image: image(),
      Healthcheck: { Test: ['CMD', 'true'], Timeout: 500_000 },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CapstanError);
    expect(err).toMatchObject({ code: 'BAD_REQUEST', details: expect.stringMatching(/Timeout in healthcheck cannot be less than 1ms/i) });
    await expectAlive();
  });
});

describe('job failures in PostgreSQL', () => {
  it('stores a failure whose message has a NUL and a lone surrogate, as text PostgreSQL accepts', async () => {
    const task = 'hardening-probe';
    const runner = await run({
      connectionString: ctx.s.jobs.connectionString,
      taskList: {
        [task]: pgSafeTask(async () => {
          throw new Error('Could not pull image a\u0000b\ud800');
        }),
      },
      concurrency: 1,
      noHandleSignals: true,
      pollInterval: 100,
      logger: new GraphileLogger(() => () => {}),
    });
    const db = new pg.Client({ connectionString: ctx.s.jobs.connectionString });
    await db.connect();
    try {
      const job = await ctx.s.jobs.utils.addJob(task, {}, { maxAttempts: 1 });
      await expect
        .poll(async () => (await db.query('SELECT last_error FROM graphile_worker._private_jobs WHERE id = $1', [job.id])).rows[0]?.last_error, {
          timeout: 20_000,
        })
        .toBe('Could not pull image a\ufffdb\ufffd');
    } finally {
      await db.end();
      await runner.stop();
    }
    await expectAlive();
  });
});
