import Docker from 'dockerode';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { startRemoteDockerd, startRemoteEngine, stopRemoteDockerd, type RemoteEngine } from '../helpers/remote-engine.js';
import { deployAndWait, expectContractError, recordingLogger, startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';
import { openSse, type SseConnection } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

/**
 * Three real engines: the shared private dockerd (`local`), a second private
 * dockerd over tcp://127.0.0.1 with TLS, and the same second dockerd again
 * over ssh to 127.0.0.1 (Debian's sshd on a private port). One Capstan for
 * the whole file; the second dockerd is stopped and started again once.
 */
let s: TestServer;
/** A second Capstan whose engines are all the remote dockerd: `local` (its socket) and one over TLS. */
let lone: TestServer;
let loneToken: string;
let token: string;
let remote: RemoteEngine;
let remoteDocker: Docker;
const local = testDocker();
const logged = recordingLogger();
const ids = { tcp: '', ssh: '' };
const svc = { local: '', tcp: '', ssh: '' };

const busybox = () => inject('testEnv').image;
const sleeper = (name: string, engineId: string | undefined, extra: Record<string, unknown> = {}) => ({
  name,
  ...(engineId ? { engine_id: engineId } : {}),
  services: { app: { image: busybox(), command: ['sleep', '86400'], restart: 'unless-stopped', environment: { GREETING: 'hello' }, ...extra } },
});
const byLabel = async (docker: Docker, serviceId: string) =>
  docker.listContainers({ all: true, filters: { label: [`io.capstan.service-id=${serviceId}`] } });

beforeAll(async () => {
  remote = startRemoteEngine();
  remoteDocker = new Docker({ socketPath: new URL(remote.socket).pathname });
  s = await startTestServer({}, undefined, {}, logged.logger);
  token = await s.login();
  lone = await startTestServer({ DOCKER_HOST: remote.socket });
  loneToken = await lone.login();
}, 300_000);
afterAll(async () => {
  startRemoteDockerd();
  for (const id of Object.values(svc)) if (id) await s?.request('DELETE', `/api/services/${id}?mode=hard`, { token });
  await s?.dispose();
  await lone?.dispose();
});

/** A terminal on a service's container: what a command typed there prints. */
async function typeInTerminal(serviceId: string, command: string, pattern: RegExp): Promise<void> {
  const url = `${s.url.replace(/^http/, 'ws')}/api/services/${serviceId}/exec`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  const chunks: Buffer[] = [];
  ws.on('message', (data, binary) => binary && chunks.push(data as Buffer));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`terminal refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
  ws.send(Buffer.from(`${command}\n`));
  try {
    await until(`terminal output ${pattern}`, async () => (pattern.test(Buffer.concat(chunks).toString('utf8')) ? true : undefined), 20_000);
  } finally {
    ws.close();
  }
}

describe('engines as data', () => {
  it('adds a TLS engine and an ssh engine after testing each; credentials are never returned', async () => {
    const tcp = await s.request('POST', '/api/engines', { token, body: { name: 'remote-tls', url: remote.tcpUrl, tls: remote.tls } });
    expect(tcp.status, tcp.text).toBe(201);
    expect(tcp.json).toMatchObject({ name: 'remote-tls', kind: 'tcp', tls: true, builtin: false });
    ids.tcp = tcp.json.id;
    const ssh = await s.request('POST', '/api/engines', { token, body: { name: 'remote-ssh', url: remote.sshUrl, ssh: { private_key: remote.sshKey } } });
    expect(ssh.status, ssh.text).toBe(201);
    // Trust on first use: the host key seen by the connection test is required from then on.
    expect(ssh.json.ssh_host_key).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    ids.ssh = ssh.json.id;

    await expect.poll(async () => (await s.request('GET', '/api/engines', { token })).json.filter((e: any) => e.available).length, { timeout: 30_000 }).toBe(3);
    const list = await s.request('GET', '/api/engines', { token });
    // `local` first, then by name.
    expect(list.json.map((e: any) => e.id)).toEqual(['local', ids.ssh, ids.tcp]);
    expect(list.json[0]).toMatchObject({ id: 'local', builtin: true });
    const info = await remoteDocker.version();
    for (const e of list.json) expect(e.version).toBe(e.id === 'local' ? (await local.version()).Version : info.Version);
    // TLS and ssh reach one daemon (its /info ID), which each says of the other; local is another daemon.
    expect(list.json.map((e: any) => [e.name, e.same_daemon_as])).toEqual([['local', []], ['remote-ssh', ['remote-tls']], ['remote-tls', ['remote-ssh']]]);
    // Neither PEM text nor a key leaves the server, in any answer.
    for (const text of [tcp.text, ssh.text, list.text]) expect(text).not.toMatch(/BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/);
    const second = await lone.request('POST', '/api/engines', { token: loneToken, body: { name: 'same over tls', url: remote.tcpUrl, tls: remote.tls } });
    expect(second.status, second.text).toBe(201);
    const test = await s.request('POST', '/api/engines/test', { token, body: { name: 'x', url: remote.sshUrl, ssh: { private_key: remote.sshKey } } });
    expect(test.json).toMatchObject({ ok: true, ssh_host_key: ssh.json.ssh_host_key, version: info.Version, same_daemon_as: ['remote-ssh', 'remote-tls'] });
  });

  it('refuses bad input with a clear error and saves nothing', async () => {
    const before = (await s.request('GET', '/api/engines', { token })).json.length;
    const cases: [unknown, RegExp][] = [
      [{ name: 'nowhere', url: 'tcp://127.0.0.1:1' }, /^url: .*ECONNREFUSED/],
      [{ name: 'wrong-certs', url: remote.tcpUrl, tls: remote.wrongTls }, /^tls: /],
      [{ name: 'no-certs', url: remote.tcpUrl }, /^url: /],
      [{ name: 'wrong-key', url: remote.sshUrl, ssh: { private_key: remote.wrongSshKey } }, /^ssh\.private_key: the host refused the key/],
      [{ name: 'not-a-key', url: remote.sshUrl, ssh: { private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n-----END OPENSSH PRIVATE KEY-----\n' } }, /^ssh\.private_key: /],
      [{ name: 'pinned-wrong', url: remote.sshUrl, ssh: { private_key: remote.sshKey, host_key: `SHA256:${'A'.repeat(43)}` } }, /^ssh\.host_key: expected/],
      [{ name: 'no-key', url: remote.sshUrl }, /^ssh\.private_key: required/],
      [{ name: 'tls-on-unix', url: remote.socket, tls: remote.tls }, /^tls: only for tcp/],
      [{ name: 'ftp', url: 'ftp://127.0.0.1' }, /^url: the scheme "ftp"/],
      [{ name: 'password', url: 'ssh://root:secret@127.0.0.1:22', ssh: { private_key: remote.sshKey } }, /^url: put no password/],
      [{ name: 'remote-tls', url: remote.socket }, /^name: an engine named "remote-tls" exists/],
    ];
    for (const [body, details] of cases) {
      const res = await s.request('POST', '/api/engines', { token, body });
      expect([400, 409], res.text).toContain(res.status);
      expectContractError(res, res.status, details);
    }
    expect((await s.request('GET', '/api/engines', { token })).json.length).toBe(before);
    // The failed attempts logged nothing of the keys they carried.
    expect(logged.lines.join('\n')).not.toMatch(/PRIVATE KEY|secret@/);

    expectContractError(await s.request('GET', '/api/engines/nope', { token }), 404);
    expectContractError(await s.request('PUT', '/api/engines/local', { token, body: { name: 'other' } }), 409);
    expectContractError(await s.request('DELETE', '/api/engines/local', { token }), 409);
    const name = uniqueName('ghost');
    expectContractError(await s.request('POST', '/api/services', { token, body: sleeper(name, 'nope') }), 400, /^engine_id: no engine/);
    expect((await s.request('GET', '/api/services', { token })).json.some((x: any) => x.name === name)).toBe(false);
  });
});

describe('a service on each engine', () => {
  it('deploys on its own engine only, and reads, logs and stats come from there', async () => {
    for (const key of ['local', 'tcp', 'ssh'] as const) {
      const { service, deployment } = await deployAndWait(s, token, 'POST', '/api/services', sleeper(uniqueName(`on-${key}`), key === 'local' ? undefined : ids[key]));
      expect(deployment.status, JSON.stringify(deployment.error)).toBe('succeeded');
      expect(service).toMatchObject({ engine_id: key === 'local' ? 'local' : ids[key], status: 'running' });
      svc[key] = service.id;
    }
    // Through the Engine API: each service's containers are on its engine and nowhere else.
    expect((await byLabel(local, svc.local)).length).toBe(1);
    expect((await byLabel(remoteDocker, svc.local)).length).toBe(0);
    for (const key of ['tcp', 'ssh'] as const) {
      expect((await byLabel(remoteDocker, svc[key])).map((c) => c.State)).toEqual(['running']);
      expect((await byLabel(local, svc[key])).length).toBe(0);
    }
    const health = await s.request('GET', '/api/health/status', { token });
    expect(health.json.services.filter((x: any) => Object.values(svc).includes(x.id)).map((x: any) => [x.engine_id, x.status]).sort()).toEqual(
      [['local', 'running'], [ids.tcp, 'running'], [ids.ssh, 'running']].sort(),
    );

    for (const key of ['tcp', 'ssh'] as const) {
      const env = await s.request('GET', `/api/services/${svc[key]}/env`, { token });
      expect(env.json.environment.app).toMatchObject({ GREETING: 'hello' });
      const stats = await s.request('GET', `/api/services/${svc[key]}/stats`, { token });
      expect(stats.status, stats.text).toBe(200);
      expect(stats.json.containers[0].memory_bytes).toBeGreaterThan(0);
      const logs = await s.request('GET', `/api/services/${svc[key]}/logs?tail=5`, { token });
      expect(logs.status, logs.text).toBe(200);
    }
    // A terminal runs on the service's engine (over ssh, an exec through dial-stdio).
    await typeInTerminal(svc.ssh, 'echo "on-$((20+22))"', /on-42/);
    await typeInTerminal(svc.tcp, 'hostname', new RegExp((await byLabel(remoteDocker, svc.tcp))[0]!.Id.slice(0, 12)));
    // A scheduled run acts on the service's engine: nothing to pull for an imported image, nothing recreated.
    const schedule = await s.request('POST', '/api/schedules', { token, body: { service_id: svc.tcp, frequency: 'daily', time_of_day: '03:00' } });
    expect(schedule.status, schedule.text).toBe(201);
    expect((await s.request('POST', `/api/schedules/${schedule.json.id}/run`, { token })).status).toBeLessThan(300);
    const scheduled = await until('the scheduled run', async () => {
      const list = (await s.request('GET', `/api/services/${svc.tcp}/deployments`, { token })).json as any[];
      return list.find((d) => d.kind === 'scheduled' && (d.status === 'succeeded' || d.status === 'failed'));
    }, 60_000);
    expect(scheduled.status, JSON.stringify(scheduled.error)).toBe('succeeded');
    // Update checks ask each service's engine for its image.
    expect((await s.request('POST', '/api/updates/check', { token })).status).toBe(200);
    const updates = (await s.request('GET', '/api/updates', { token })).json.images as any[];
    expect(updates.filter((u) => u.service_ids.includes(svc.tcp)).map((u) => u.engine_id)).toEqual([ids.tcp]);
    // A compose project started on the remote engine by hand is found there, and adopted onto that engine.
    const project = uniqueName('handmade');
    const made = await remoteDocker.createContainer({
      name: `${project}-web-1`,
      Image: busybox(),
      Cmd: ['sleep', '86400'],
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'web', 'com.docker.compose.container-number': '1', 'com.docker.compose.oneoff': 'False' },
    });
    await made.start();
    const found = await s.request('GET', `/api/services/discover?engine_id=${ids.tcp}`, { token });
    expect(found.json.map((p: any) => p.project)).toContain(project);
    expect((await s.request('GET', '/api/services/discover', { token })).json.map((p: any) => p.project)).not.toContain(project);
    const adopted = await s.request('POST', '/api/services/adopt', { token, body: { project, engine_id: ids.tcp } });
    expect(adopted.status, adopted.text).toBe(201);
    expect(adopted.json).toMatchObject({ engine_id: ids.tcp, status: 'running' });
    const gone = await s.request('DELETE', `/api/services/${adopted.json.id}?mode=hard`, { token });
    expect(gone.status, gone.text).toBe(200);
    expect((await remoteDocker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } })).length).toBe(0);

    const restart = await s.request('POST', `/api/services/${svc.ssh}/restart`, { token });
    expect(restart.status, restart.text).toBe(200);
    const images = await s.request('GET', `/api/images?engine_id=${ids.tcp}`, { token });
    expect(images.status, images.text).toBe(200);
    expect(images.json.some((i: any) => (i.tags ?? i.repo_tags ?? []).some((t: string) => t.startsWith('capstan-test/busybox')))).toBe(true);
    // An edit keeps the sealed credentials it does not replace, and is tested again before it is saved.
    const renamed = await s.request('PUT', `/api/engines/${ids.tcp}`, { token, body: { name: 'remote-tls-renamed' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'remote-tls-renamed', tls: true, available: true });
    expectContractError(await s.request('PUT', `/api/engines/${ids.tcp}`, { token, body: { tls: remote.wrongTls } }), 400, /^tls: /);
    expectContractError(await s.request('PUT', `/api/engines/${ids.tcp}`, { token, body: { tls: null } }), 400, /^url: /);
    expect((await s.request('GET', `/api/engines/${ids.tcp}`, { token })).json).toMatchObject({ name: 'remote-tls-renamed', tls: true });
    expect((await s.request('GET', `/api/services/${svc.tcp}`, { token })).json.status).toBe('running');
    // An engine with services is not removed.
    expectContractError(await s.request('DELETE', `/api/engines/${ids.tcp}`, { token }), 409, /service\(s\) run on this engine/);
  });

  it('an engine that goes down marks only its services unknown; the rest deploy and answer; it resyncs when back', async () => {
    const sse: SseConnection = await openSse(`${s.url}/api/events`, { Authorization: `Bearer ${token}` });
    try {
      stopRemoteDockerd();
      const statusOf = async (id: string) => (await s.request('GET', '/api/health/status', { token })).json.services?.find((x: any) => x.id === id)?.status;
      await expect.poll(() => statusOf(svc.tcp), { timeout: 30_000 }).toBe('unknown');
      await expect.poll(() => statusOf(svc.ssh), { timeout: 30_000 }).toBe('unknown');
      const health = await s.request('GET', '/api/health/status', { token });
      expect(health.status).toBe(200);
      expect(await statusOf(svc.local)).toBe('running');
      const engines = (await s.request('GET', '/api/engines', { token })).json;
      expect(engines.find((e: any) => e.id === ids.tcp)).toMatchObject({ available: false });
      expect(engines.find((e: any) => e.id === 'local')).toMatchObject({ available: true });
      await expect.poll(() => sse.events.some((e) => e.event === 'engine' && e.json.engine_id === ids.tcp && e.json.available === false), { timeout: 10_000 }).toBe(true);

      // The local engine goes on: a new service deploys and its logs answer.
      const { service, deployment } = await deployAndWait(s, token, 'POST', '/api/services', sleeper(uniqueName('meanwhile'), undefined));
      expect(deployment.status).toBe('succeeded');
      expect((await s.request('GET', `/api/services/${service.id}/logs`, { token })).status).toBe(200);
      await s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token });
      // A remote service's own reads say the engine is away.
      expectContractError(await s.request('GET', `/api/services/${svc.tcp}/logs`, { token }), 503);

      // A connection test over ssh says what the host said.
      const probe = await s.request('POST', '/api/engines/test', { token, body: { name: 'x', url: remote.sshUrl, ssh: { private_key: remote.sshKey } } });
      expect(probe.json).toMatchObject({ ok: false });
      expect(probe.json).toMatchObject({ error: 'The ssh host did not relay the engine' });
      expect(probe.json.details).toMatch(/dial-stdio" ended on the host; it needs the docker CLI on its PATH and a running engine/);
      // A Capstan whose every engine is this one: now none answers, and health says so.
      await expect.poll(async () => (await lone.request('GET', '/api/health/status', { token: loneToken })).status, { timeout: 30_000 }).toBe(503);
      expectContractError(await lone.request('GET', '/api/health/status', { token: loneToken }), 503);

      startRemoteDockerd();
      await expect.poll(async () => (await lone.request('GET', '/api/health/status', { token: loneToken })).status, { timeout: 60_000 }).toBe(200);
      await expect.poll(() => statusOf(svc.tcp), { timeout: 60_000 }).toBe('running');
      await expect.poll(() => statusOf(svc.ssh), { timeout: 60_000 }).toBe('running');
      await expect.poll(() => sse.events.some((e) => e.event === 'engine' && e.json.engine_id === ids.tcp && e.json.available === true), { timeout: 10_000 }).toBe(true);
      // The event stream is live again: a change made through that engine shows up.
      const [c] = await byLabel(remoteDocker, svc.tcp);
      await remoteDocker.getContainer(c!.Id).stop({ t: 1 });
      await expect.poll(() => statusOf(svc.tcp), { timeout: 20_000 }).toBe('stopped');
      expect((await s.request('POST', `/api/services/${svc.tcp}/start`, { token })).status).toBe(200);
    } finally {
      sse.close();
      // Whatever failed above, the engine is back for the tests after this one (a no-op when it is up).
      startRemoteDockerd();
    }
  }, 180_000);
});

describe('moving a service', () => {
  it('takes it down on the old engine and deploys it on the new one; volumes stay behind', async () => {
    const name = uniqueName('mover');
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
      ...sleeper(name, undefined, { volumes: ['data:/data'] }),
      volumes: { data: {} },
    });
    svc.local = svc.local || service.id;
    const res = await s.request('POST', `/api/services/${service.id}/move`, { token, body: { engine_id: ids.tcp } });
    expect(res.status, res.text).toBe(200);
    const moved = (await s.request('GET', `/api/services/${service.id}`, { token })).json;
    expect(moved).toMatchObject({ engine_id: ids.tcp, status: 'running' });
    expect((await byLabel(local, service.id)).length).toBe(0);
    expect((await byLabel(remoteDocker, service.id)).map((c) => c.State)).toEqual(['running']);
    // The named volume is not carried over: the old engine keeps it (and its data).
    expect((await local.listVolumes({ filters: { name: [`${name}_data`] } })).Volumes?.length).toBe(1);

    expectContractError(await s.request('POST', `/api/services/${service.id}/move`, { token, body: { engine_id: ids.tcp } }), 400, /^engine_id: .* runs on/);
    expectContractError(await s.request('POST', `/api/services/${service.id}/move`, { token, body: { engine_id: 'nope' } }), 400, /^engine_id: no engine/);
    expectContractError(await s.request('PUT', `/api/services/${service.id}`, { token, body: { ...sleeper(name, 'local') } }), 400, /^engine_id: /);

    const del = await s.request('DELETE', `/api/services/${service.id}?mode=hard`, { token });
    if (del.json.deployment_id) await waitForDeployment(s, token, del.json.deployment_id);
    expect((await byLabel(remoteDocker, service.id)).length).toBe(0);
    await local.getVolume(`${name}_data`).remove();
  });
});

describe('removing an engine', () => {
  it('the apps API deploys on an engine too, and refuses one that does not exist', async () => {
    const name = uniqueName('app-on-ssh');
    const app = await s.request('POST', '/api/appos/apps/deploy', {
      token,
      body: { name, engine_id: ids.ssh, compose: `services:\n  app:\n    image: ${busybox()}\n    command: ["sleep", "86400"]\n` },
    });
    expect(app.status, app.text).toBe(200);
    expect((await waitForDeployment(s, token, app.json.deployment_id)).status).toBe('succeeded');
    expect((await s.request('GET', `/api/services/${app.json.id}`, { token })).json.engine_id).toBe(ids.ssh);
    expect((await byLabel(remoteDocker, app.json.id)).map((c) => c.State)).toEqual(['running']);
    expect((await s.request('DELETE', `/api/appos/apps/${app.json.id}?mode=hard`, { token })).status).toBe(200);
    const refused = await s.request('POST', '/api/appos/apps/deploy', { token, body: { name: uniqueName('app-nowhere'), engine_id: 'nope', compose: 'services: {}\n' } });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ code: 400 });
  });

  it('works once no service runs on it, and the engine is gone from every list', async () => {
    const del = await s.request('DELETE', `/api/services/${svc.ssh}?mode=hard`, { token });
    expect(del.status, del.text).toBe(200);
    svc.ssh = '';
    expect((await s.request('DELETE', `/api/engines/${ids.ssh}`, { token })).status).toBe(200);
    expectContractError(await s.request('GET', `/api/engines/${ids.ssh}`, { token }), 404);
    expect((await s.request('GET', '/api/engines', { token })).json.map((e: any) => e.id)).not.toContain(ids.ssh);
    const audit = await s.request('GET', '/api/audit?action=engine.create', { token });
    expect(JSON.stringify(audit.json)).not.toMatch(/PRIVATE KEY|CERTIFICATE/);
  });
});
