import { describe, expect, inject, it } from 'vitest';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, useServer } from '../helpers/server.js';

// GET /api/services and /api/health/status from the read view: one
// serialization per change, ETag / If-None-Match, and always current after a
// change made through the API, through the engine behind Capstan's back, or
// in the project folder on the host.

const ctx = useServer();
const docker = testDocker();

const get = (path: string, headers: Record<string, string> = {}) => ctx.s.request('GET', path, { token: ctx.token, headers });

describe('the read view', () => {
  it('answers with an ETag, 304 while nothing changed, and a new body once something did', async () => {
    const name = uniqueName('view');
    const first = await get('/api/health/status');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await get('/api/health/status', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const { service } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', {
      name,
      yaml: `services:\n  a:\n    image: ${inject('testEnv').image}\n    command: ["sleep", "86400"]\n    init: true\n`,
    });
    const after = await get('/api/health/status', { 'if-none-match': etag });
    expect(after.status).toBe(200);
    expect(after.json.services).toContainEqual({ id: service.id, name, engine_id: 'local', status: 'running' });
    expect(after.headers.get('etag')).not.toBe(etag);

    const list = await get('/api/services');
    expect(list.status).toBe(200);
    const mine = list.json.find((s: { id: string }) => s.id === service.id);
    expect(mine).toMatchObject({ name, status: 'running', containers: [expect.objectContaining({ status: 'running' })] });
    expect((await get('/api/services', { 'if-none-match': list.headers.get('etag')! })).status).toBe(304);

    // Behind Capstan's back: the engine's event updates the view.
    await docker.getContainer(mine.containers[0].container_id).stop({ t: 1 });
    await expect.poll(async () => (await get('/api/health/status')).json.services.find((s: { id: string }) => s.id === service.id)?.status, { timeout: 20_000 }).toBe('stopped');
    const stoppedList = (await get('/api/services')).json.find((s: { id: string }) => s.id === service.id);
    expect(stoppedList.containers[0].status).toBe('exited');

    // A deletion is gone from both at once.
    expect((await ctx.s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token: ctx.token })).status).toBe(200);
    expect((await get('/api/health/status')).json.services.some((s: { id: string }) => s.id === service.id)).toBe(false);
    expect((await get('/api/services')).json.some((s: { id: string }) => s.id === service.id)).toBe(false);
  });

  it('is still the contract\'s route: 401 without a session, the same JSON through tRPC', async () => {
    const anon = await ctx.s.request('GET', '/api/health/status');
    expect(anon.status).toBe(401);
    expect(anon.json).toMatchObject({ error: expect.any(String), code: 'UNAUTHORIZED' });
    const rest = await get('/api/services');
    const trpc = await ctx.s.request('GET', '/trpc/services.list', { token: ctx.token });
    expect(trpc.json.result.data).toEqual(rest.json);
  });
});
