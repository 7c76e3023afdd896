import { describe, expect, it } from 'vitest';
import { appRouter } from '../../src/server/routers/_app.js';
import { isContractError, isErrorShapeFor, useServer } from '../helpers/server.js';

const ctx = useServer();

/** The only procedures a caller may use without a session. */
const PUBLIC = new Set(['auth.login']);

interface ProcedureInfo {
  path: string;
  type: 'query' | 'mutation' | 'subscription';
  openapi?: { method: string; path: string; protect?: boolean };
}

/** Every procedure of the router, read from the router itself so a new route cannot be forgotten. */
function procedures(): ProcedureInfo[] {
  const defs = (appRouter._def as unknown as { procedures: Record<string, { _def: { type: ProcedureInfo['type']; meta?: { openapi?: ProcedureInfo['openapi'] } } }> }).procedures;
  return Object.entries(defs).map(([path, p]) => ({ path, type: p._def.type, ...(p._def.meta?.openapi ? { openapi: p._def.meta.openapi } : {}) }));
}

describe('authentication on every route', () => {
  const all = procedures();

  it('finds the routes and marks only login as public in the OpenAPI metadata', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const p of all) {
      if (p.openapi) expect(p.openapi.protect === false, p.path).toBe(PUBLIC.has(p.path));
    }
  });

  it('answers 401 in the contract shape on every authed REST route without a session', async () => {
    const rest = all.filter((p) => p.openapi && !PUBLIC.has(p.path));
    expect(rest.length).toBeGreaterThan(0);
    for (const p of rest) {
      const path = p.openapi!.path.replace(/\{[^}]+\}/g, 'x1');
      const res = await ctx.s.request(p.openapi!.method, path, p.openapi!.method === 'GET' || p.openapi!.method === 'DELETE' ? {} : { body: {} });
      expect(res.status, `${p.openapi!.method} ${path}`).toBe(401);
      expect(isErrorShapeFor(path, res.json), path).toBe(true);
    }
  });

  it('answers 401 on every authed tRPC procedure without a session', async () => {
    for (const p of all.filter((q) => !PUBLIC.has(q.path))) {
      const res =
        p.type === 'mutation'
          ? await ctx.s.request('POST', `/trpc/${p.path}`, { body: {} })
          : await ctx.s.request('GET', `/trpc/${p.path}`, { headers: p.type === 'subscription' ? { accept: 'text/event-stream' } : {} });
      if (p.type === 'subscription') {
        expect(res.text, p.path).toMatch(/UNAUTHORIZED/);
      } else {
        expect(res.status, p.path).toBe(401);
        expect(res.json.error.data.code, p.path).toBe('UNAUTHORIZED');
      }
    }
  });
});

describe('errors in the contract shape', () => {
  it('404 for unknown paths and methods, on every prefix', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['GET', '/auth/nope'],
      ['DELETE', '/auth/login'],
      ['PATCH', '/api/health/status'],
      ['POST', '/somewhere'],
      ['GET', '/api'],
    ] as const) {
      const res = await ctx.s.request(method, path, { token: ctx.token });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(isContractError(res.json), `${method} ${path}`).toBe(true);
      expect(res.json.code).toBe('NOT_FOUND');
    }
  });

  it('400 for malformed JSON and a wrong content type', async () => {
    const bad = await ctx.s.request('POST', '/auth/login', { rawBody: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(isContractError(bad.json)).toBe(true);
    const form = await ctx.s.request('POST', '/auth/login', { rawBody: 'username=a', headers: { 'content-type': 'text/plain' } });
    expect(form.status).toBe(415);
    expect(isContractError(form.json)).toBe(true);
  });

  it('accepts JSON with a charset and bodiless POSTs', async () => {
    const res = await ctx.s.request('POST', '/auth/login', {
      rawBody: JSON.stringify({ username: 'admin', password: 'correct-horse-battery' }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.status).toBe(200);
    const t = res.json.token as string;
    const out = await fetch(new URL('/auth/logout', ctx.s.url), { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    expect(out.status).toBe(200);
  });

  it('never sends a stack trace', async () => {
    const responses = await Promise.all([
      ctx.s.request('POST', '/auth/login', { rawBody: '{', headers: { 'content-type': 'application/json' } }),
      ctx.s.request('POST', '/auth/login', { body: { username: 5, password: [] } }),
      ctx.s.request('GET', '/trpc/nope.nothing'),
      ctx.s.request('POST', '/trpc/auth.login', { rawBody: '{"username":' }),
      ctx.s.request('GET', '/api/health/status'),
    ]);
    for (const r of responses) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|stack/);
    }
  });

  it('tRPC errors carry the same error, details and code', async () => {
    const res = await ctx.s.request('POST', '/trpc/auth.login', { body: { username: 'admin' } });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ error: 'Invalid input', code: expect.any(Number), data: { code: 'BAD_REQUEST', httpStatus: 400 } });
    expect(res.json.error.details).toMatch(/^password: /);
  });
});

describe('what the server serves', () => {
  it('security headers on API, tRPC and the dashboard', async () => {
    for (const path of ['/', '/api/openapi.json', '/trpc/auth.me', '/api/nope', '/login']) {
      const res = await ctx.s.request('GET', path);
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('content-security-policy'), path).toMatch(/default-src 'self'/);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('the OpenAPI document lists every REST route and describes errors as {error, details, code}', async () => {
    const res = await ctx.s.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toMatch(/^3\./);
    const rest = procedures().filter((p) => p.openapi);
    for (const p of rest) {
      expect(res.json.paths[p.openapi!.path]?.[p.openapi!.method.toLowerCase()], p.path).toBeDefined();
    }
    expect(res.json.components.schemas.Error.required.sort()).toEqual(['code', 'error']);
    expect(res.json.components.schemas.AppsError.required.sort()).toEqual(['code', 'data', 'message']);
    // Each route's errors in the shape it answers with.
    for (const [path, item] of Object.entries(res.json.paths as Record<string, Record<string, { responses: Record<string, any> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, r] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const want = path.startsWith('/api/appos/') ? '#/components/schemas/AppsError' : '#/components/schemas/Error';
          expect(r.content['application/json'].schema.$ref, `${method} ${path} ${status}`).toBe(want);
        }
      }
    }
    expect(Object.keys(res.json.paths['/api/events'].get.responses['200'].content)).toEqual(['text/event-stream']);
    expect(res.json.paths['/api/appos/apps/{id}/logs'].get.responses['200'].content['text/event-stream']).toBeDefined();
    const loginErrors = res.json.paths['/auth/login'].post.responses['400'];
    expect(loginErrors.content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
  });

  it('the API reference page and its assets come from the server itself', async () => {
    const page = await ctx.s.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/api/docs/swagger-ui-bundle.js');
    expect(page.text).not.toMatch(/https?:\/\//);
    const bundle = await ctx.s.request('GET', '/api/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.text.length).toBeGreaterThan(100_000);
  });

  it('the dashboard at / and its client-side routes', async () => {
    for (const path of ['/', '/login', '/services/abc']) {
      const res = await ctx.s.request('GET', path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/text\/html/);
      expect(res.text).toContain('<div id="root">');
    }
  });
});
