import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../helpers/engine.js';
import { runTsx } from '../helpers/process.js';
import { expectContractError, startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

/** curl, as a script or a CI job would call the API with a token. */
function curl(s: TestServer, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, '-H', `Authorization: Bearer ${token}`];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '--data-binary', JSON.stringify(body));
  args.push(new URL(path, s.url).href);
  return new Promise((resolve, reject) =>
    execFile('curl', args, (err, stdout) => {
      if (err) return reject(err);
      const at = stdout.lastIndexOf('\n');
      const text = stdout.slice(0, at);
      resolve({ status: Number(stdout.slice(at + 1)), json: text ? JSON.parse(text) : undefined });
    }),
  );
}

let s: TestServer;
let session: string;
const secrets: string[] = [];

beforeAll(async () => {
  s = await startTestServer();
  session = await s.login();
});
afterAll(async () => {
  await s?.dispose();
});

const api = (method: string, path: string, body?: unknown, token = session) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });

describe('API tokens', () => {
  it('creates a token whose secret is shown once; the list never holds it', async () => {
    const res = await api('POST', '/api/tokens', { name: 'ci deploy' });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({ name: 'ci deploy', expires_at: null });
    expect(res.json.token).toMatch(/^cst_[A-Za-z0-9_-]{27}$/);
    secrets.push(res.json.token);
    const list = await api('GET', '/api/tokens');
    expect(list.status).toBe(200);
    const mine = list.json.find((t: { id: string }) => t.id === res.json.id);
    expect(mine).toMatchObject({ name: 'ci deploy', hint: `…${res.json.token.slice(-4)}`, user: { username: expect.any(String) }, last_used_at: null, expired: false });
    expect(list.text).not.toContain(res.json.token);
    // A taken name, a past expiry and unknown fields are 400/409s that create nothing.
    expectContractError(await api('POST', '/api/tokens', { name: 'ci deploy' }), 409);
    expectContractError(await api('POST', '/api/tokens', { name: 'old', expires_at: '2001-01-01T00:00:00Z' }), 400, /expires_at/);
    expectContractError(await api('POST', '/api/tokens', { name: 'x', scope: 'all' }), 400);
    expectContractError(await api('POST', '/api/tokens', { name: '' }), 400, /name/);
    expect((await api('GET', '/api/tokens')).json).toHaveLength(1);
  });

  it('a token used by curl creates a service, and the audit and the deployment name the token', async () => {
    const res = await api('POST', '/api/tokens', { name: 'pipeline' });
    const token = res.json.token as string;
    secrets.push(token);
    const name = uniqueName('tokensvc');
    const created = await curl(s, token, 'POST', '/api/services', { name, services: { app: { image: inject('testEnv').image, command: ['sleep', '3600'] } } });
    expect(created.status).toBe(201);
    const deployment = await waitForDeployment(s, session, created.json.deployment_id);
    expect(deployment).toMatchObject({ status: 'succeeded', actor: 'token:pipeline' });
    const audit = await api('GET', `/api/audit?action=service.create&target=service:${created.json.id}`);
    expect(audit.json.entries).toEqual([expect.objectContaining({ actor: 'token:pipeline', outcome: 'success' })]);
    expect((await curl(s, token, 'GET', '/auth/me')).json.user.username).toBe((await api('GET', '/auth/me')).json.user.username);
    await until('last use recorded', async () => ((await api('GET', '/api/tokens')).json.find((t: { name: string }) => t.name === 'pipeline').last_used_at ? true : undefined));
    expect((await curl(s, token, 'DELETE', `/api/services/${created.json.id}?mode=hard`)).status).toBe(200);
  });

  it('a revoked token is a 401 at once', async () => {
    const res = await api('POST', '/api/tokens', { name: 'short-lived' });
    const token = res.json.token as string;
    secrets.push(token);
    expect((await curl(s, token, 'GET', '/api/services')).status).toBe(200);
    const revoked = await api('DELETE', `/api/tokens/${res.json.id}`);
    expect(revoked.json).toEqual({ success: true, id: res.json.id, name: 'short-lived' });
    const after = await curl(s, token, 'GET', '/api/services');
    expect(after.status).toBe(401);
    expect(after.json).toMatchObject({ error: 'Authentication required', code: 'UNAUTHORIZED' });
    expectContractError(await api('DELETE', `/api/tokens/${res.json.id}`), 404);
  });

  it('an expired token is a 401 the moment it expires', async () => {
    const expires = new Date(Date.now() + 1500);
    const res = await api('POST', '/api/tokens', { name: 'expiring', expires_at: expires.toISOString() });
    expect(res.status, res.text).toBe(201);
    secrets.push(res.json.token);
    expect((await curl(s, res.json.token, 'GET', '/api/services')).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expires.getTime() - Date.now()) + 100));
    expect((await curl(s, res.json.token, 'GET', '/api/services')).status).toBe(401);
    expect((await api('GET', '/api/tokens')).json.find((t: { name: string }) => t.name === 'expiring')).toMatchObject({ expired: true });
  });

  it('logging out with a token revokes it', async () => {
    const res = await api('POST', '/api/tokens', { name: 'logout-test' });
    secrets.push(res.json.token);
    expect((await curl(s, res.json.token, 'POST', '/auth/logout')).status).toBe(200);
    expect((await curl(s, res.json.token, 'GET', '/api/services')).status).toBe(401);
    expect((await api('GET', '/api/tokens')).json.some((t: { name: string }) => t.name === 'logout-test')).toBe(false);
  });

  it('the CLI adds a token that works against the running server, lists it, and its removal takes effect at once', async () => {
    const env = { CAPSTAN_DATA_DIR: s.dataDir, CAPSTAN_JOBS_DATABASE_URL: s.jobs.connectionString };
    const add = await runTsx(['src/server/cli.ts', 'token', 'add', 'from-cli', '--expires', '2099-01-01'], env);
    expect(add.code, add.stderr).toBe(0);
    const token = add.stdout.trim();
    expect(token).toMatch(/^cst_/);
    secrets.push(token);
    expect(add.stderr).toMatch(/created token from-cli .*shown once/);
    expect((await curl(s, token, 'GET', '/api/services')).status).toBe(200);
    const list = await runTsx(['src/server/cli.ts', 'token', 'list'], env);
    expect(list.stdout).toMatch(/^from-cli\t\w+\t…\w{4}\t\S+\tcreated .*\texpires 2099-01-01T00:00:00.000Z\tlast used /m);
    expect(list.stdout).not.toContain(token);
    const remove = await runTsx(['src/server/cli.ts', 'token', 'remove', 'from-cli'], env);
    expect(remove.code, remove.stderr).toBe(0);
    // The server cached the token a moment ago; the CLI told it to forget.
    await until('the revocation applied', async () => ((await curl(s, token, 'GET', '/api/services')).status !== 200 ? true : undefined), 5000);
    const bad = await runTsx(['src/server/cli.ts', 'token', 'add', 'x', '--expires', 'someday'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Invalid --expires/);
    expect((await runTsx(['src/server/cli.ts', 'token', 'add'], env)).code).toBe(64);
  });

  it('never writes a token into an audit entry', async () => {
    const rows = await s.app.database.client.execute('SELECT actor, action, target, details FROM audit_log');
    const text = JSON.stringify(rows.rows);
    expect(text).toContain('token.create');
    expect(text).toContain('token.revoke');
    for (const secret of [...secrets, session]) expect(text).not.toContain(secret);
  });

  // Last: it throttles this address's failures.
  it('failed tokens are throttled like logins: past five, a 429 with Retry-After, no longer counted; a valid token still works', async () => {
    const good = (await api('POST', '/api/tokens', { name: 'still-good' })).json.token as string;
    // The revoked, expired and logged-out tokens above failed already: the limit (5 in 15 minutes) is reached within five more.
    const statuses: number[] = [];
    while (statuses.at(-1) !== 429 && statuses.length < 5) statuses.push((await curl(s, `cst_${'x'.repeat(27)}`, 'GET', '/api/services')).status);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.slice(0, -1).every((st) => st === 401)).toBe(true);
    const refused = await s.request('GET', '/api/services', { token: `cst_${'y'.repeat(27)}` });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.json).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    const rejected = async () => Number((await s.app.database.client.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'auth.token_rejected'")).rows[0]!.n);
    const audited = await rejected();
    expect(audited).toBeGreaterThanOrEqual(5);
    // Refusals past the limit are not written one by one: a flood cannot grow the log.
    for (let i = 0; i < 10; i++) expect((await s.request('GET', '/api/services', { token: `cst_${'z'.repeat(27)}` })).status).toBe(429);
    expect(await rejected()).toBe(audited);
    // A token that opens a session is never refused by the throttle, nor is a signed-in browser's cookie.
    expect((await s.request('GET', '/api/services', { token: good })).status).toBe(200);
    expect((await s.request('GET', '/api/services', { headers: { cookie: `capstan_session=${session}` } })).status).toBe(200);
  });
});
