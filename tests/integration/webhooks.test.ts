import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '../helpers/engine.js';
import { deployAndWait, expectContractError, httpRequest, startTestServer, waitForDeployment, type TestServer, recordingLogger } from '../helpers/server.js';

/**
 * Deploy webhooks against a real server and engine: POST /api/hooks/{secret}
 * queues a redeploy or an update as `hook:<name>`, a signing secret makes the
 * X-Hub-Signature-256 check mandatory (nothing queued without it), calls are
 * rate-limited per hook, rotation and deletion end the old URL at once, and
 * no secret shows in any answer, audit entry, deployment row or log line.
 */

// The server's log lines, searched for secrets.
const recording = recordingLogger();
const logLines = recording.lines;

let s: TestServer;
let token: string;
let serviceId: string;
let serviceName: string;
/** Every secret a test used: none may show anywhere but where it was handed out. */
const secrets: string[] = [];

const api = (method: string, path: string, body?: unknown) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
const secretOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
/** A hook call as a CI would make it: no session, only the URL (and maybe a signature). */
const call = (url: string, body = '{}', headers: Record<string, string> = {}) =>
  httpRequest(url, 'POST', new URL(url).pathname, { rawBody: body, headers: { 'content-type': 'application/json', ...headers } });
const deploymentCount = async (id = serviceId) => {
  const res = await api('GET', `/api/services/${id}/deployments`);
  expect(res.status, res.text).toBe(200);
  return (res.json as unknown[]).length;
};

async function createHook(body: Record<string, unknown>, id = serviceId) {
  const res = await api('POST', `/api/services/${id}/webhooks`, body);
  expect(res.status, res.text).toBe(201);
  secrets.push(secretOf(res.json.url));
  if (typeof body.signing_secret === 'string') secrets.push(body.signing_secret);
  return res.json as { id: string; url: string; name: string; signed: boolean; action: string };
}

beforeAll(async () => {
  s = await startTestServer({}, undefined, {}, recording.logger);
  token = await s.login();
  serviceName = uniqueName('whk');
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: serviceName,
    // A secret value lives in the .env file (the compose text, kept with each deployment for a restore, only names it).
    services: { app: { image: inject('testEnv').image, command: ['sleep', '86400'], environment: { WHK_ENV_SECRET: '${WHK_ENV_SECRET}' } } },
    env: 'WHK_ENV_SECRET=env-value-Zq81x\n',
  });
  expect(service.status).toBe('running');
  serviceId = service.id;
  expect((await api('GET', `/api/services/${serviceId}/env`)).text).toContain('env-value-Zq81x');
  secrets.push('env-value-Zq81x');
}, 120_000);
afterAll(() => s?.dispose());

describe('deploy webhooks', () => {
  it('a redeploy hook queues a redeploy by hook:<name>, answering 202 with its id, without a session', async () => {
    const hook = await createHook({ action: 'redeploy', name: 'ci-redeploy' });
    expect(hook).toMatchObject({ service_id: serviceId, name: 'ci-redeploy', action: 'redeploy', signed: false, last_used_at: null, last_deployment_id: null });
    expect(hook.url).toMatch(new RegExp(`^${s.url}/api/hooks/[A-Za-z0-9_-]{43}$`));

    const res = await call(hook.url);
    expect(res.status, res.text).toBe(202);
    expect(Object.keys(res.json)).toEqual(['deployment_id']);
    const deployment = await waitForDeployment(s, token, res.json.deployment_id);
    expect(deployment).toMatchObject({ kind: 'redeploy', status: 'succeeded', actor: 'hook:ci-redeploy', service_id: serviceId });

    const audit = await api('GET', `/api/audit?action=webhook.trigger&target=service:${serviceId}`);
    expect(audit.status, audit.text).toBe(200);
    expect(audit.json.entries).toEqual([expect.objectContaining({ actor: 'hook:ci-redeploy', outcome: 'success' })]);
    expect(audit.json.entries[0].details).toMatchObject({ hook_id: hook.id, action: 'redeploy', deployment_id: res.json.deployment_id });

    const listed = (await api('GET', `/api/services/${serviceId}/webhooks`)).json.find((h: { id: string }) => h.id === hook.id);
    expect(listed.last_deployment_id).toBe(res.json.deployment_id);
    expect(listed.last_used_at).not.toBeNull();
    expect(listed.url).toBeUndefined();
  });

  it('with a signing secret: no or a wrong signature is a 401 that queues nothing; the HMAC of the raw body redeploys', async () => {
    const signingSecret = 'gh-sign-Kp2v9Q7r';
    const hook = await createHook({ action: 'redeploy', name: 'signed-hook', signing_secret: signingSecret });
    expect(hook.signed).toBe(true);
    const body = JSON.stringify({ ref: 'refs/heads/main', after: 'abc123' });
    const before = await deploymentCount();

    expectContractError(await call(hook.url, body), 401);
    expectContractError(await call(hook.url, body, { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}` }), 401);
    // The right HMAC, of another body than the one sent.
    expectContractError(await call(hook.url, body, { 'x-hub-signature-256': `sha256=${createHmac('sha256', signingSecret).update(`${body} `).digest('hex')}` }), 401);
    expectContractError(await call(hook.url, body, { 'x-hub-signature-256': 'sha256=zz' }), 401);
    expect(await deploymentCount()).toBe(before);
    const refused = await api('GET', `/api/audit?action=webhook.trigger&target=service:${serviceId}&outcome=failure`);
    expect(refused.json.entries.filter((e: { actor: string }) => e.actor === 'hook:signed-hook')).toHaveLength(4);
    // A flood of bad signatures is answered, but only the first few a minute are written to the audit log.
    for (let i = 0; i < 10; i++) expectContractError(await call(hook.url, body), 401);
    const flooded = await api('GET', `/api/audit?action=webhook.trigger&target=service:${serviceId}&outcome=failure`);
    expect(flooded.json.entries.filter((e: { actor: string }) => e.actor === 'hook:signed-hook')).toHaveLength(6);
    expect(await deploymentCount()).toBe(before);

    const res = await call(hook.url, body, { 'x-hub-signature-256': `sha256=${createHmac('sha256', signingSecret).update(body).digest('hex')}` });
    expect(res.status, res.text).toBe(202);
    expect(await waitForDeployment(s, token, res.json.deployment_id)).toMatchObject({ kind: 'redeploy', status: 'succeeded', actor: 'hook:signed-hook' });
    expect(await deploymentCount()).toBe(before + 1);
  });

  it('an update hook queues an image update', async () => {
    const hook = await createHook({ action: 'update' });
    expect(hook.name).toBe(`${serviceName}-update`);
    const res = await call(hook.url);
    expect(res.status, res.text).toBe(202);
    const deployment = await waitForDeployment(s, token, res.json.deployment_id);
    expect(deployment).toMatchObject({ kind: 'image-update', actor: `hook:${serviceName}-update` });
  });

  it('an unknown or malformed secret is a 404 in the contract shape, queueing nothing', async () => {
    const before = await deploymentCount();
    expectContractError(await s.request('POST', `/api/hooks/${'A'.repeat(43)}`, { rawBody: '{}' }), 404);
    expectContractError(await s.request('POST', '/api/hooks/short', { rawBody: '{}' }), 404);
    const get = await s.request('GET', `/api/hooks/${'A'.repeat(43)}`);
    expectContractError(get, 405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await deploymentCount()).toBe(before);
  });

  it('the 7th call of a hook within a minute is a 429 with Retry-After', async () => {
    const hook = await createHook({ action: 'redeploy', name: 'busy-ci' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(hook.url)).status);
    expect(statuses).toEqual([202, 202, 202, 202, 202, 202]);
    const over = await call(hook.url);
    expectContractError(over, 429);
    const wait = Number(over.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    // The limit is the hook's own: another hook of the same service still answers.
    const other = await createHook({ action: 'redeploy', name: 'other-ci' });
    expect((await call(other.url)).status).toBe(202);
    // Let the queued redeploys finish before the next test counts deployments.
    for (const d of (await api('GET', `/api/services/${serviceId}/deployments`)).json as { id: string }[]) await waitForDeployment(s, token, d.id, 120_000);
  }, 180_000);

  it('rotate ends the old URL at once and the new one works; delete ends it too', async () => {
    const hook = await createHook({ action: 'redeploy', name: 'rotating' });
    const rotated = await api('POST', `/api/services/${serviceId}/webhooks/${hook.id}/rotate`);
    expect(rotated.status, rotated.text).toBe(200);
    secrets.push(secretOf(rotated.json.url));
    expect(rotated.json.id).toBe(hook.id);
    expect(rotated.json.url).not.toBe(hook.url);
    expectContractError(await call(hook.url), 404);
    const res = await call(rotated.json.url);
    expect(res.status, res.text).toBe(202);
    await waitForDeployment(s, token, res.json.deployment_id);

    const del = await api('DELETE', `/api/services/${serviceId}/webhooks/${hook.id}`);
    expect(del.status, del.text).toBe(200);
    expectContractError(await call(rotated.json.url), 404);
    expect((await api('GET', `/api/services/${serviceId}/webhooks`)).json.map((h: { id: string }) => h.id)).not.toContain(hook.id);
    expectContractError(await api('DELETE', `/api/services/${serviceId}/webhooks/${hook.id}`), 404);
    expectContractError(await api('POST', `/api/services/${serviceId}/webhooks/${hook.id}/rotate`), 404);
  });

  it('behind a reverse proxy, the URL names the host and scheme the proxy was asked for', async () => {
    const res = await s.request('POST', `/api/services/${serviceId}/webhooks`, {
      token,
      body: { action: 'redeploy', name: 'proxied' },
      headers: { 'x-forwarded-host': 'deploy.example.test', 'x-forwarded-proto': 'https' },
    });
    expect(res.status, res.text).toBe(201);
    secrets.push(secretOf(res.json.url));
    expect(res.json.url).toMatch(/^https:\/\/deploy\.example\.test\/api\/hooks\/[A-Za-z0-9_-]{43}$/);
    // A header that is no host name is not put in a URL.
    const odd = await s.request('POST', `/api/services/${serviceId}/webhooks`, { token, body: { action: 'redeploy', name: 'odd' }, headers: { 'x-forwarded-host': 'evil"/><script>' } });
    secrets.push(secretOf(odd.json.url));
    expect(odd.json.url).toMatch(/^http:\/\/localhost\/api\/hooks\//);
  });

  it('refuses bad input naming the field, and unknown services', async () => {
    expectContractError(await api('POST', `/api/services/${serviceId}/webhooks`, { action: 'explode' }), 400, /action/);
    expectContractError(await api('POST', `/api/services/${serviceId}/webhooks`, { action: 'redeploy', signing_secret: 'short' }), 400, /signing_secret/);
    expectContractError(await api('POST', '/api/services/nope/webhooks', { action: 'redeploy' }), 404);
    expectContractError(await api('GET', '/api/services/nope/webhooks'), 404);
    expectContractError(await s.request('GET', `/api/services/${serviceId}/webhooks`), 401);
  });

  it('no hook secret or signing secret is in a list answer, an audit entry, a deployment row or a log line', async () => {
    expect(secrets.length).toBeGreaterThan(8);
    const list = await api('GET', `/api/services/${serviceId}/webhooks`);
    const audit = await s.app.database.client.execute('SELECT actor, action, target, details FROM audit_log');
    const deployments = await s.app.database.client.execute('SELECT * FROM deployment');
    const hooks = await s.app.database.client.execute('SELECT * FROM webhook');
    expect(audit.rows.length).toBeGreaterThan(10);
    expect(deployments.rows.length).toBeGreaterThan(5);
    expect(logLines.length).toBeGreaterThan(0);
    const places = {
      list: list.text,
      audit: JSON.stringify(audit.rows),
      deployments: JSON.stringify(deployments.rows),
      webhook_rows: JSON.stringify(hooks.rows),
      log: logLines.join('\n'),
    };
    for (const secret of secrets) for (const [where, text] of Object.entries(places)) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
  });

  it('deleting the service removes its hooks: their URLs answer 404', async () => {
    const other = await deployAndWait(s, token, 'POST', '/api/services', { name: uniqueName('whk'), services: { app: { image: inject('testEnv').image, command: ['sleep', '86400'] } } });
    const hook = await createHook({ action: 'redeploy' }, other.service.id);
    const del = await api('DELETE', `/api/services/${other.service.id}?mode=hard`);
    expect(del.status, del.text).toBe(200);
    await expect.poll(async () => (await api('GET', `/api/services/${other.service.id}`)).status, { timeout: 30_000 }).toBe(404);
    expectContractError(await call(hook.url), 404);
    expect((await s.app.database.client.execute({ sql: 'SELECT count(*) AS n FROM webhook WHERE service_id = ?', args: [other.service.id] })).rows[0]!.n).toBe(0);
  });
});
