import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { auditLog, registryCredentials } from '../../src/db/schema.js';
import { ensureImage } from '../../src/server/docker/images.js';
import { LOCAL_ENGINE_ID } from '../../src/shared/engines.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, expectContractError, startTestServer, useServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';

const ctx = useServer();
const docker = testDocker();
const env = () => inject('testEnv');

async function api(method: string, path: string, body?: unknown) {
  return ctx.s.request(method, path, { token: ctx.token, ...(body === undefined ? {} : { body }) });
}

/** Waits for the end of a dockerode progress stream (push, pull); errors inside it fail the test. */
async function follow(stream: NodeJS.ReadableStream): Promise<void> {
  const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => (err ? reject(err) : resolve(out))),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(failed.error);
}

/**
 * An image of its own (a new layer with random bytes on top of the test
 * image), so no test shares an image id, a tag or a digest with another.
 */
async function uniqueImage(repo: string, tag: string): Promise<string> {
  const c = await docker.createContainer({ Image: env().image, Cmd: ['sh', '-c', 'dd if=/dev/urandom of=/random bs=1k count=64 2>/dev/null'] });
  try {
    await c.start();
    await c.wait();
    const { Id } = (await c.commit({ repo, tag })) as { Id: string };
    return Id;
  } finally {
    await c.remove({ force: true });
  }
}

/** Pushes repo:tag to the local registry and removes it from the engine, so a pull has a layer to download. */
async function pushAndForget(repo: string, tag: string): Promise<void> {
  await follow((await docker.getImage(`${repo}:${tag}`).push({ tag })) as NodeJS.ReadableStream);
  await docker.getImage(`${repo}:${tag}`).remove();
}

/** The digest the registry itself reports for a tag. */
async function registryDigest(repoPath: string, tag: string): Promise<string> {
  const res = await fetch(`http://${env().registry}/v2/${repoPath}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  expect(res.status).toBe(200);
  return res.headers.get('docker-content-digest')!;
}

async function imageGone(ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(() => false)
    .catch((err: { statusCode?: number }) => err.statusCode === 404);
}

async function auditEntries(action: string) {
  return (await ctx.s.app.db.select().from(auditLog)).filter((e) => e.action === action);
}

/** Deletes a service and waits until it is gone (its containers with it), so its image can go too. */
async function deleteService(id: string): Promise<void> {
  expect((await api('DELETE', `/api/services/${id}?mode=hard`)).status).toBe(200);
  await expect.poll(async () => (await api('GET', `/api/services/${id}`)).status, { timeout: 30_000 }).toBe(404);
}

const fresh = () => {
  const tag = uniqueName('t');
  const repoPath = `capstan/images-${tag}`;
  return { repoPath, repo: `${env().registry}/${repoPath}`, tag };
};

describe('POST /api/images/pull', () => {
  it('answers the registry digest, the status and the log; a second pull is up to date', async () => {
    const { repoPath, repo, tag } = fresh();
    await uniqueImage(repo, tag);
    await pushAndForget(repo, tag);
    // The manifest digest alone, as `docker pull` prints it (the contract's form).
    const expected = await registryDigest(repoPath, tag);
    expect(expected).toMatch(/^sha256:[a-f0-9]{64}$/);

    const first = await api('POST', '/api/images/pull', { image: repo, tag });
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ image: repo, tag, digest: expected, status: 'Downloaded newer image', id: expect.stringMatching(/^sha256:/) });
    expect(first.json.log).toEqual(expect.arrayContaining([expect.stringMatching(/Pull complete/), `Digest: ${expected}`]));

    const second = await api('POST', '/api/images/pull', { image: repo, tag });
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ digest: expected, status: 'Image is up to date', id: first.json.id });

    const entries = await auditEntries('image.pull');
    expect(entries.filter((e) => e.target === `image:${repo}:${tag}` && e.outcome === 'success')).toHaveLength(2);
    expect(entries.at(-1)!.details).toMatchObject({ digest: expected, status: 'Image is up to date' });
    await docker.getImage(first.json.id).remove({ force: true });
  });

  it('a missing tag or repository is a 404 in the contract shape, recorded as a failed pull', async () => {
    const missingTag = await api('POST', '/api/images/pull', { image: `${env().registry}/capstan/busybox`, tag: 'no-such-tag' });
    expectContractError(missingTag, 404, /manifest unknown|not found/i);
    expectContractError(await api('POST', '/api/images/pull', { image: `${env().registry}/capstan/no-such-repo`, tag: '1' }), 404);
    const failed = (await auditEntries('image.pull')).filter((e) => e.outcome === 'failure');
    expect(failed.map((e) => e.target)).toContain(`image:${env().registry}/capstan/busybox:no-such-tag`);
  });

  it('a registry address where nothing listens is a 400 naming the engine\'s reason, not a 500', async () => {
    // Port 1 on loopback: the engine's connection is refused at once.
    expectContractError(await api('POST', '/api/images/pull', { image: '127.0.0.1:1/capstan/nothing', tag: 'latest' }), 400, /connection refused/i);
  });

  it('the engine unreachable is a 503', async () => {
    const away = await startTestServer({ DOCKER_HOST: `unix://${path.join(ctx.s.dataDir, 'no-engine.sock')}` });
    try {
      const token = await away.login();
      const res = await away.request('POST', '/api/images/pull', { token, body: { image: 'busybox', tag: '1' } });
      expectContractError(res, 503);
      expectContractError(await away.request('GET', '/api/images', { token }), 503);
    } finally {
      await away.dispose();
    }
  });

  it.each([
    ['an upper-case name', { image: 'Capstan/App' }, /^image: /],
    ['a tag inside the name', { image: 'busybox:1' }, /^image: /],
    ['a space in the tag', { image: 'busybox', tag: 'one two' }, /^tag: /],
    ['no image', { tag: '1' }, /^image: /],
  ])('400 naming the field for %s', async (_label, body, details) => {
    expectContractError(await api('POST', '/api/images/pull', body), 400, details);
  });
});

describe('images.pull subscription', () => {
  it('streams per-layer progress and a final event with the digest', async () => {
    const { repoPath, repo, tag } = fresh();
    await uniqueImage(repo, tag);
    await pushAndForget(repo, tag);
    // The manifest digest alone, as `docker pull` prints it (the contract's form).
    const expected = await registryDigest(repoPath, tag);
    expect(expected).toMatch(/^sha256:[a-f0-9]{64}$/);

    const client = testClient(ctx.s.url, ctx.token);
    const events = await collect<any>(
      (h) => client.images.pull.subscribe({ image: repo, tag }, h),
      (items) => items.some((e) => e.done),
    );
    const progress = events.filter((e) => !e.done);
    expect(progress.length).toBeGreaterThan(0);
    for (const e of progress) expect(e).toEqual({ done: false, layer: expect.any(String), status: expect.any(String), current: expect.toBeOneOf([null, expect.any(Number)]), total: expect.toBeOneOf([null, expect.any(Number)]) });
    expect(progress.some((e) => e.status === 'Pull complete')).toBe(true);
    expect(progress.some((e) => e.status === 'Downloading' && e.total > 0)).toBe(true);
    expect(events.at(-1)).toMatchObject({ done: true, digest: expected, status: 'Downloaded newer image' });

    await expect.poll(async () => (await auditEntries('image.pull')).some((e) => e.target === `image:${repo}:${tag}` && e.outcome === 'success')).toBe(true);
    await docker.getImage(events.at(-1).id).remove({ force: true });
  });

  it('a missing tag ends the subscription with an error', async () => {
    const client = testClient(ctx.s.url, ctx.token);
    const error = (await collect<any>(
      (h) => client.images.pull.subscribe({ image: `${env().registry}/capstan/busybox`, tag: 'missing-too' }, h),
      () => false,
    ).then(
      () => undefined,
      (e: unknown) => e,
    )) as { message: string; data?: { code?: string } } | undefined;
    expect(error?.message).toMatch(/not found/i);
    expect(error?.data?.code).toBe('NOT_FOUND');
    await expect
      .poll(async () => (await auditEntries('image.pull')).some((e) => e.target === `image:${env().registry}/capstan/busybox:missing-too` && e.outcome === 'failure'))
      .toBe(true);
  });
});

describe('list, remove, prune', () => {
  it('lists images with the services and containers using them; removing one in use is a 409 that removes nothing', async () => {
    const { repo, tag } = fresh();
    const id = await uniqueImage(repo, tag);
    const name = uniqueName('imguse');
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name,
      services: { a: { image: `${repo}:${tag}`, command: ['sleep', '86400'] } },
    });
    try {
      const list = await api('GET', '/api/images');
      expect(list.status).toBe(200);
      const mine = list.json.find((i: { id: string }) => i.id === id);
      expect(mine).toMatchObject({ repo_tags: [`${repo}:${tag}`], dangling: false, size: expect.any(Number), created: expect.any(String) });
      expect(mine.used_by).toEqual([
        { container_id: service.containers[0].container_id, container_name: service.containers[0].name, state: 'running', service_id: service.id, service_name: name },
      ]);

      const refused = await api('DELETE', `/api/images/${id}`);
      expectContractError(refused, 409, new RegExp(service.containers[0].name));
      expect(await imageGone(id)).toBe(false);
      expect((await docker.getImage(id).inspect()).RepoTags).toEqual([`${repo}:${tag}`]);
      expect((await auditEntries('image.remove')).at(-1)).toMatchObject({ target: `image:${id}`, outcome: 'failure' });
    } finally {
      await deleteService(service.id);
      await docker.getImage(id).remove();
    }
  });

  it('acts on the engine named: a second engine on the same daemon sees the containers but not the services of `local`; an unknown engine is a 404', async () => {
    const { repo, tag } = fresh();
    const id = await uniqueImage(repo, tag);
    const name = uniqueName('imgeng');
    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name,
      services: { a: { image: `${repo}:${tag}`, command: ['sleep', '86400'] } },
    });
    // The same dockerd through a second engine row: the same containers and images, none of them its services'.
    const alias = await api('POST', '/api/engines', { name: uniqueName('alias'), url: env().dockerHost });
    expect(alias.status, alias.text).toBe(201);
    const other: string = alias.json.id;
    try {
      const user = { container_id: service.containers[0].container_id, container_name: service.containers[0].name, state: 'running' };
      const onLocal = await api('GET', `/api/images?engine_id=${LOCAL_ENGINE_ID}`);
      expect(onLocal.status, onLocal.text).toBe(200);
      expect(onLocal.json.find((i: { id: string }) => i.id === id).used_by).toEqual([{ ...user, service_id: service.id, service_name: name }]);
      const onOther = await api('GET', `/api/images?engine_id=${other}`);
      expect(onOther.status, onOther.text).toBe(200);
      expect(onOther.json.find((i: { id: string }) => i.id === id).used_by).toEqual([{ ...user, service_id: null, service_name: null }]);

      // tRPC: no input at all is `local`; an engine id picks that engine.
      const client = testClient(ctx.s.url, ctx.token);
      expect((await client.images.list.query()).find((i) => i.id === id)?.used_by[0]?.service_id).toBe(service.id);
      expect((await client.images.list.query({ engine_id: other })).find((i) => i.id === id)?.used_by[0]?.service_id).toBeNull();

      expectContractError(await api('GET', '/api/images?engine_id=nope'), 404, /^engine_id: /);
      expectContractError(await api('GET', '/api/images?engine_id=Not%20An%20Id'), 400, /^engine_id: /);
      expectContractError(await api('POST', '/api/images/pull', { image: repo, tag, engine_id: 'nope' }), 404, /^engine_id: /);
      expectContractError(await api('POST', '/api/images/prune', { engine_id: 'nope' }), 404, /^engine_id: /);
      expectContractError(await api('DELETE', `/api/images/${id}?engine_id=nope`), 404, /^engine_id: /);
      // Through the other engine the container is a foreign one, named as such.
      expectContractError(await api('DELETE', `/api/images/${id}?engine_id=${other}`), 409, new RegExp(`${service.containers[0].name}(?! \\(service)`));
      expect(await imageGone(id)).toBe(false);
      expect((await auditEntries('image.remove')).at(-1)).toMatchObject({ target: `image:${id}`, outcome: 'failure', details: { engine_id: other, code: 'CONFLICT' } });
      expect((await auditEntries('image.prune')).at(-1)).toMatchObject({ outcome: 'failure', details: { engine_id: 'nope', code: 'NOT_FOUND' } });
      expect((await auditEntries('image.pull')).at(-1)).toMatchObject({ target: `image:${repo}:${tag}`, outcome: 'failure', details: { engine_id: 'nope' } });
      // The progress subscription too: an unknown engine ends it with a 404, recorded with the engine.
      const error = (await collect<any>((h) => client.images.pull.subscribe({ image: repo, tag, engine_id: 'nope' }, h), () => false).then(
        () => undefined,
        (e: unknown) => e,
      )) as { data?: { code?: string } } | undefined;
      expect(error?.data?.code).toBe('NOT_FOUND');
      await expect
        .poll(async () => (await auditEntries('image.pull')).at(-1))
        .toMatchObject({ target: `image:${repo}:${tag}`, outcome: 'failure', details: { via: 'subscription', engine_id: 'nope', code: 'NOT_FOUND' } });
      // And on the other engine it pulls there (the same daemon: the image is up to date).
      const pulled = await collect<any>((h) => client.images.pull.subscribe({ image: `${env().registry}/capstan/busybox`, tag: '1', engine_id: other }, h), (l) => l.some((e) => e.done));
      expect(pulled.at(-1)).toMatchObject({ done: true, digest: expect.stringMatching(/^sha256:/) });
      await expect
        .poll(async () => (await auditEntries('image.pull')).at(-1))
        .toMatchObject({ target: `image:${env().registry}/capstan/busybox:1`, outcome: 'success', details: { via: 'subscription', engine_id: other } });
    } finally {
      await deleteService(service.id);
      await docker.getImage(id).remove();
      expect((await api('DELETE', `/api/engines/${other}`)).status).toBe(200);
    }
  });

  it('removes an unused image by id; then it is a 404', async () => {
    const { repo, tag } = fresh();
    const id = await uniqueImage(repo, tag);
    await docker.getImage(id).tag({ repo: `${repo}-other`, tag }); // two repositories: a plain delete by id is refused by the engine
    const removed = await api('DELETE', `/api/images/${id}`);
    expect(removed.status, removed.text).toBe(200);
    expect(removed.json.id).toBe(id);
    expect(removed.json.untagged).toEqual(expect.arrayContaining([`${repo}:${tag}`, `${repo}-other:${tag}`]));
    expect(removed.json.deleted).toContain(id);
    expect(await imageGone(id)).toBe(true);
    expectContractError(await api('DELETE', `/api/images/${id}`), 404);
    expectContractError(await api('DELETE', `/api/images/sha256:${'0'.repeat(64)}`), 404);
    expectContractError(await api('DELETE', '/api/images/not-an-id'), 400, /^id: /);
    expect((await auditEntries('image.remove')).some((e) => e.target === `image:${id}` && e.outcome === 'success')).toBe(true);
  });

  it('prune removes dangling images only', async () => {
    const { repo, tag } = fresh();
    const dangling = await uniqueImage(repo, tag);
    const kept = await uniqueImage(repo, tag); // takes the tag over: the first one is left dangling
    const listed = (await api('GET', '/api/images')).json.find((i: { id: string }) => i.id === dangling);
    expect(listed).toMatchObject({ dangling: true, repo_tags: [] });

    const res = await api('POST', '/api/images/prune');
    expect(res.status, res.text).toBe(200);
    expect(res.json.deleted).toContain(dangling);
    expect(res.json.space_reclaimed).toEqual(expect.any(Number));
    expect(await imageGone(dangling)).toBe(true);
    expect(await imageGone(kept)).toBe(false);
    expect((await auditEntries('image.prune')).at(-1)).toMatchObject({ outcome: 'success', details: { deleted: expect.arrayContaining([dangling]) } });
    await docker.getImage(kept).remove();
  });
});

describe('registry credentials', () => {
  const password = `pw-${uniqueName('distinctive')}-${Date.now()}`;
  const host = () => env().registry;

  it('are stored encrypted, listed without the password, and never audited with it', async () => {
    const put = await api('PUT', '/api/registries', { host: host(), username: 'capstan-bot', password });
    expect(put.status, put.text).toBe(200);
    expect(put.json).toEqual({ host: host(), username: 'capstan-bot', created_at: expect.any(String), updated_at: expect.any(String) });
    const list = await api('GET', '/api/registries');
    expect(list.json).toEqual([put.json]);
    expect(list.text).not.toContain(password);

    const secret = statSync(path.join(ctx.s.dataDir, 'secret.key'));
    expect(secret.size).toBe(32);
    expect(secret.mode & 0o777).toBe(0o600);
    for (const file of ['capstan.db', 'capstan.db-wal']) {
      const bytes = readFileSync(path.join(ctx.s.dataDir, file));
      expect(bytes.includes(Buffer.from(password)), file).toBe(false);
      expect(bytes.includes(Buffer.from(Buffer.from(password).toString('base64').slice(0, 16))), file).toBe(false);
    }
    const entries = await auditEntries('registry.set');
    expect(entries.at(-1)).toMatchObject({ target: `registry:${host()}`, outcome: 'success', details: { username: 'capstan-bot' } });
    expect(JSON.stringify(await ctx.s.app.db.select().from(auditLog))).not.toContain(password);
    // What a pull hands the engine decrypts back to the password.
    expect(await ctx.s.app.registries.lookup(host())).toEqual({ username: 'capstan-bot', password, serveraddress: host() });
  });

  it('are sent with pulls and deploys from that host (the local registry ignores them)', async () => {
    const { repoPath, repo, tag } = fresh();
    await uniqueImage(repo, tag);
    await pushAndForget(repo, tag);
    const pulled = await api('POST', '/api/images/pull', { image: repo, tag });
    expect(pulled.status, pulled.text).toBe(200);
    expect(pulled.json.digest).toBe(await registryDigest(repoPath, tag));
    await docker.getImage(`${repo}:${tag}`).remove();

    const { deployment, service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name: uniqueName('credpull'),
      services: { a: { image: `${repo}:${tag}`, command: ['sleep', '86400'] } },
    });
    expect(deployment.status).toBe('succeeded');
    expect(deployment.steps).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'pull', target: `${repo}:${tag}` })]));
    await deleteService(service.id);
    await docker.getImage(`${repo}:${tag}`).remove();
  });

  it('pulls, by the API and by deploys, read them: a credential that cannot be decrypted fails the pull', async () => {
    const { repo, tag } = fresh();
    await ctx.s.app.db.update(registryCredentials).set({ passwordSealed: 'v1.broken' }).where(eq(registryCredentials.host, host()));
    const res = await api('POST', '/api/images/pull', { image: repo, tag });
    expectContractError(res, 500);
    expect(res.json.error).toBe('Stored secret cannot be decrypted');
    await expect(ensureImage(await ctx.s.app.engines.docker(LOCAL_ENGINE_ID), `${repo}:${tag}`)).rejects.toThrow(/cannot be decrypted/);
    expect((await api('PUT', '/api/registries', { host: host(), username: 'capstan-bot', password })).status).toBe(200);
  });

  it('a bad host is a 400 naming it; a replaced credential keeps one row; delete, then 404', async () => {
    expectContractError(await api('PUT', '/api/registries', { host: 'not a host', username: 'u', password: 'p' }), 400, /^host: /);
    expectContractError(await api('PUT', '/api/registries', { host: host(), username: 'u' }), 400, /^password: /);
    const replaced = await api('PUT', '/api/registries', { host: `http://${host()}/`, username: 'other', password: `${password}-2` });
    expect(replaced.json).toMatchObject({ host: host(), username: 'other' });
    expect((await api('GET', '/api/registries')).json).toHaveLength(1);

    const removed = await api('DELETE', `/api/registries/${host()}`);
    expect(removed.status, removed.text).toBe(200);
    expect((await api('GET', '/api/registries')).json).toEqual([]);
    expectContractError(await api('DELETE', `/api/registries/${host()}`), 404);
    expect((await auditEntries('registry.remove')).map((e) => [e.target, e.outcome])).toEqual([
      [`registry:${host()}`, 'success'],
      [`registry:${host()}`, 'failure'],
    ]);
    expect(JSON.stringify(await ctx.s.app.db.select().from(auditLog))).not.toContain(password);
  });
});

