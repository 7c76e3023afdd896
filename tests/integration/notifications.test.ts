import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type Received, type SmtpReceiver } from '../helpers/receivers.js';
import { deployAndWait, expectContractError, startTestServer, waitForDeployment, type TestServer, recordingLogger } from '../helpers/server.js';

/**
 * Notifications end to end: channels on real receivers on 127.0.0.1 (a
 * recording HTTP server for generic, ntfy, gotify, Discord and Slack, an SMTP
 * server), told about a failed deploy, a rolled-back scheduled update and a
 * container that died on its own, through the job queue with its retries;
 * channel URLs masked in answers and sealed at rest; no secret in any
 * payload, audit entry, deployment row or log line.
 */

// The server's log lines, searched for secrets.
const recording = recordingLogger();
const logLines = recording.lines;

const docker = testDocker();
const env = inject('testEnv');
/** The receiver of every channel but the flaky ones (failNext is the receiver's, not a path's). */
let rx: HttpReceiver;
let flaky: HttpReceiver;
let smtp: SmtpReceiver;
let s: TestServer;
let token: string;
const madeImages: string[] = [];

const S = {
  genPass: 'gen-pass-9Xq2',
  genSign: 'gen-sign-Y7wq',
  genHeader: 'hdr-tok-3Lmn',
  ntfy: 'ntfy-tok-4Rwk',
  gotify: 'GotifyAppTok9',
  discord: 'disc-tok-8Zpa',
  slack: 'SlackTok55xyz',
  smtpPass: 'mail-pass-7Hyb',
  editPass: 'edit-pass-2Vcx',
  env: 'env-value-Nt6Qp',
};
const channelSecrets = [S.genPass, S.genSign, S.genHeader, S.ntfy, S.gotify, S.discord, S.slack, S.smtpPass, S.editPass];

const api = (method: string, path: string, body?: unknown) => s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
const json = (r: Received) => JSON.parse(r.body) as Record<string, any>;
const at = (path: string) => rx.received.filter((r) => r.url === path);
const genericMessages = (event: string) => at('/generic?source=capstan').map(json).filter((m) => m.event === event);

async function createChannel(name: string, url: string, events: string[]) {
  const res = await api('POST', '/api/notifications', { name, url, events });
  expect(res.status, res.text).toBe(201);
  return res.json as { id: string; url: string; kind: string };
}

/** A service with a secret in its .env file (the compose text only names it). */
function definition(name: string, app: Record<string, unknown>) {
  return { name, services: { app: { ...app, environment: { NTF_SECRET: '${NTF_SECRET}' } } }, env: `NTF_SECRET=${S.env}\n` };
}

/** A new image from the test image: a file written, maybe an entrypoint; committed. */
async function build(version: string, entrypoint?: string[]): Promise<string> {
  const c = await docker.createContainer({ name: uniqueName('ntf-build'), Image: env.image, Cmd: ['sh', '-c', `echo ${version} > /version`] });
  await c.start();
  await c.wait();
  const { Id } = (await c.commit(entrypoint ? { changes: [`ENTRYPOINT ${JSON.stringify(entrypoint)}`] } : {})) as { Id: string };
  await c.remove();
  madeImages.push(Id);
  return Id;
}

async function push(d: Docker, id: string, repo: string, tag: string): Promise<void> {
  await d.getImage(id).tag({ repo, tag });
  const stream = await d.getImage(`${repo}:${tag}`).push({ tag });
  const out = await new Promise<{ error?: string }[]>((resolve, reject) => d.modem.followProgress(stream, (err: Error | null, o: { error?: string }[]) => (err ? reject(err) : resolve(o))));
  if (out.some((o) => o.error)) throw new Error(JSON.stringify(out));
}

let ids: Record<string, string> = {};
/** The service whose update rolled back: its rolled-back container is said in that message only. */
let rolledBackService = '';

beforeAll(async () => {
  rx = await startHttpReceiver();
  flaky = await startHttpReceiver();
  smtp = await startSmtpReceiver({ user: 'mailer', pass: S.smtpPass });
  s = await startTestServer({}, undefined, { limits: { notifyEndpoints: { discord: rx.url, slack: rx.url } } }, recording.logger);
  token = await s.login();
  const failedEvents = ['deployment.failed'];
  ids = {
    generic: (await createChannel('generic', `generic+http://ops:${S.genPass}@127.0.0.1:${rx.port}/generic?secret=${S.genSign}&@X-Token=${S.genHeader}&source=capstan`, ['deployment.failed', 'update.rolled_back', 'container.died'])).id,
    ntfy: (await createChannel('ntfy', `ntfy://:${S.ntfy}@127.0.0.1:${rx.port}/ntfy/capstan-alerts?scheme=http`, failedEvents)).id,
    gotify: (await createChannel('gotify', `gotify://127.0.0.1:${rx.port}/gotify/${S.gotify}?disabletls=yes`, failedEvents)).id,
    discord: (await createChannel('discord', `discord://${S.discord}@112233445566778899`, failedEvents)).id,
    slack: (await createChannel('slack', `slack://T0001/B0002/${S.slack}`, failedEvents)).id,
    smtp: (await createChannel('smtp', `smtp://mailer:${S.smtpPass}@127.0.0.1:${smtp.port}/?from=capstan@example.test&to=ops@example.test&encryption=None&subject=Capstan`, failedEvents)).id,
  };
}, 120_000);
afterAll(async () => {
  await s?.dispose();
  await rx?.close();
  await flaky?.close();
  await smtp?.close();
  for (const id of madeImages.reverse()) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
});

describe('notification channels', () => {
  it('answers URLs masked; the sealed URL at rest holds none of their secrets', async () => {
    const list = await api('GET', '/api/notifications');
    expect(list.status, list.text).toBe(200);
    const byName = Object.fromEntries((list.json as { name: string; url: string; kind: string }[]).map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(['discord', 'generic', 'gotify', 'ntfy', 'slack', 'smtp']);
    expect(byName.generic).toMatchObject({ kind: 'generic', failing: false, consecutive_failures: 0, last_error: null, enabled: true });
    expect(byName.generic!.url).toContain(`127.0.0.1:${rx.port}/generic`);
    expect(byName.slack!.url).toBe('slack://••••');
    expect((await api('GET', `/api/notifications/${ids.gotify}`)).json.url).toContain('••••');
    const rows = await s.app.database.client.execute('SELECT url_sealed, url_masked FROM notification_channel');
    expect(rows.rows).toHaveLength(6);
    for (const secret of channelSecrets) {
      expect(list.text.includes(secret), `GET answer holds ${secret}`).toBe(false);
      expect(JSON.stringify(rows.rows).includes(secret), `the table holds ${secret}`).toBe(false);
    }
  });

  it('a malformed URL of each scheme is a 400 naming url that saves nothing and quotes no secret', async () => {
    const bad = [
      'not a url',
      'ftp://127.0.0.1/x',
      'generic+http://',
      `ntfy://:${S.ntfy}@127.0.0.1/`,
      `gotify://127.0.0.1/`,
      `discord://${S.discord}@not-an-id`,
      `slack://T0001/${S.slack}`,
      `smtp://mailer:${S.smtpPass}@127.0.0.1/?to=ops@example.test`,
      `smtp://mailer:${S.smtpPass}@127.0.0.1/?from=capstan@example.test`,
      `ntfy://127.0.0.1/topic?priority=9`,
    ];
    for (const url of bad) {
      const res = await api('POST', '/api/notifications', { name: uniqueName('bad'), url, events: ['deployment.failed'] });
      expectContractError(res, 400, /^url/);
      for (const secret of channelSecrets) expect(res.text.includes(secret), `${url}: ${res.text}`).toBe(false);
    }
    expectContractError(await api('POST', '/api/notifications', { name: 'x', url: 'ntfy://127.0.0.1/t', events: ['nothing.happened'] }), 400, /^events/);
    expect((await api('GET', '/api/notifications')).json).toHaveLength(6);
  });

  it('test: 200 once the channel accepted; 503 with the refusal when it answers 500; 3 failures mark it failing', async () => {
    const ch = await createChannel('tested', `generic+http://127.0.0.1:${flaky.port}/tested`, ['engine.lost']);
    const ok = await api('POST', `/api/notifications/${ch.id}/test`);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ id: ch.id, failing: false, consecutive_failures: 0 });
    expect(ok.json.last_sent_at).not.toBeNull();
    expect(json(flaky.received.at(-1)!)).toMatchObject({ event: 'test', title: 'Capstan test message' });

    flaky.failNext(3, 500);
    for (let i = 1; i <= 3; i++) expectContractError(await api('POST', `/api/notifications/${ch.id}/test`), 503, /HTTP 500/);
    const failing = (await api('GET', `/api/notifications/${ch.id}`)).json;
    expect(failing).toMatchObject({ failing: true, consecutive_failures: 3 });
    expect(failing.last_error).toMatch(/HTTP 500/);
    const fixed = await api('POST', `/api/notifications/${ch.id}/test`);
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.json).toMatchObject({ failing: false, consecutive_failures: 0, last_error: null });
    expect((await api('DELETE', `/api/notifications/${ch.id}`)).status).toBe(200);
    expectContractError(await api('POST', `/api/notifications/${ch.id}/test`), 404);
  });

  it('an edit that sends the masked URL back keeps the stored one; a new URL replaces it; the audit says which', async () => {
    const ch = await createChannel('edit', `generic+http://ops:${S.editPass}@127.0.0.1:${flaky.port}/edit`, ['engine.lost']);
    expect(ch.url).not.toContain(S.editPass);
    const kept = await api('PUT', `/api/notifications/${ch.id}`, { name: 'edited', url: ch.url });
    expect(kept.status, kept.text).toBe(200);
    expect(kept.json).toMatchObject({ name: 'edited', url: ch.url });
    expect((await api('POST', `/api/notifications/${ch.id}/test`)).status).toBe(200);
    expect(flaky.received.at(-1)).toMatchObject({ url: '/edit', headers: { authorization: `Basic ${Buffer.from(`ops:${S.editPass}`).toString('base64')}` } });

    const moved = await api('PUT', `/api/notifications/${ch.id}`, { url: `generic+http://127.0.0.1:${flaky.port}/edit2` });
    expect(moved.status, moved.text).toBe(200);
    expect((await api('POST', `/api/notifications/${ch.id}/test`)).status).toBe(200);
    expect(flaky.received.at(-1)!.url).toBe('/edit2');
    expect(flaky.received.at(-1)!.headers.authorization).toBeUndefined();
    const audit = await s.app.database.client.execute("SELECT details FROM audit_log WHERE action = 'notification.update' ORDER BY id");
    expect(audit.rows.map((r) => JSON.parse(String(r.details)).url_changed)).toEqual([false, true]);
    expectContractError(await api('PUT', '/api/notifications/nope', { name: 'x' }), 404);
    expect((await api('DELETE', `/api/notifications/${ch.id}`)).status).toBe(200);
  });

  it('a receiver that fails twice then succeeds gets exactly one accepted message (three requests), and the channel is clean again', async () => {
    const ch = await createChannel('flaky', `generic+http://127.0.0.1:${flaky.port}/flaky`, ['deployment.succeeded']);
    const before = flaky.received.length;
    flaky.failNext(2, 500);
    const { deployment } = await deployAndWait(s, token, 'POST', '/api/services', definition(uniqueName('ntf'), { image: env.image, command: ['sleep', '86400'] }));
    expect(deployment.status).toBe('succeeded');
    const requests = () => flaky.received.slice(before).filter((r) => r.url === '/flaky');
    await expect.poll(() => requests().length, { timeout: 60_000, interval: 250 }).toBe(3);
    await expect.poll(async () => (await api('GET', `/api/notifications/${ch.id}`)).json.consecutive_failures, { timeout: 10_000 }).toBe(0);
    const got = requests().map(json);
    expect(got.map((m) => m.event)).toEqual(['deployment.succeeded', 'deployment.succeeded', 'deployment.succeeded']);
    expect(new Set(got.map((m) => m.deployment_id))).toEqual(new Set([deployment.id]));
    const after = (await api('GET', `/api/notifications/${ch.id}`)).json;
    expect(after).toMatchObject({ failing: false, last_error: null });
    expect(after.last_sent_at).not.toBeNull();
    // The job is done: no fourth request comes.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(requests()).toHaveLength(3);
    expect((await api('PUT', `/api/notifications/${ch.id}`, { enabled: false })).json.enabled).toBe(false);
  }, 90_000);

  it('a failed deploy is one deployment.failed message on every channel, in each one\'s documented shape', async () => {
    const name = uniqueName('ntf-fail');
    const created = await api('POST', '/api/services', definition(name, { image: `${env.registry}/nothing-here:1` }));
    expect(created.status, created.text).toBe(201);
    const deployment = await waitForDeployment(s, token, created.json.deployment_id);
    expect(deployment.status).toBe('failed');

    await expect.poll(() => genericMessages('deployment.failed').length, { timeout: 30_000 }).toBe(1);
    const m = genericMessages('deployment.failed')[0]!;
    expect(m).toMatchObject({ event: 'deployment.failed', severity: 'error', deployment_id: deployment.id, service: { id: created.json.id, name } });
    expect(m.title).toContain(name);
    expect(m.body).toContain(deployment.id);
    const g = at('/generic?source=capstan').at(-1)!;
    expect(g.headers.authorization).toBe(`Basic ${Buffer.from(`ops:${S.genPass}`).toString('base64')}`);
    expect(g.headers['x-token']).toBe(S.genHeader);
    expect(g.headers['x-capstan-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);

    await expect.poll(() => at('/ntfy').length + at('/gotify/message').length + at(`/api/webhooks/112233445566778899/${S.discord}`).length + at(`/services/T0001/B0002/${S.slack}`).length + smtp.mails.length, { timeout: 30_000 }).toBe(5);
    const [ntfy] = at('/ntfy');
    expect(ntfy!.headers.authorization).toBe(`Bearer ${S.ntfy}`);
    expect(json(ntfy!)).toEqual({ topic: 'capstan-alerts', title: m.title, message: m.body, priority: 4, tags: ['rotating_light'] });
    const [gotify] = at('/gotify/message');
    expect(gotify!.headers['x-gotify-key']).toBe(S.gotify);
    expect(json(gotify!)).toEqual({ title: m.title, message: m.body, priority: 8 });
    expect(json(at(`/api/webhooks/112233445566778899/${S.discord}`)[0]!)).toEqual({
      username: 'Capstan',
      embeds: [{ title: m.title, description: m.body, color: 0xc62828, timestamp: m.at }],
    });
    expect(json(at(`/services/T0001/B0002/${S.slack}`)[0]!)).toEqual({ text: `*${m.title}*\n${m.body}` });
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({ from: 'capstan@example.test', to: ['ops@example.test'], auth: { user: 'mailer', pass: S.smtpPass } });
    expect(mail.raw).toMatch(new RegExp(`^Subject: Capstan: ${m.title}$`, 'm'));
    expect(mail.raw).toContain(deployment.id);
    // Still one each: nothing was sent twice.
    expect(genericMessages('deployment.failed')).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
    expect(rx.received.map(json).filter((x) => x.event === 'deployment.succeeded')).toHaveLength(0);
  }, 90_000);

  it('a scheduled update that rolls back is an update.rolled_back message', async () => {
    const repo = `${env.registry}/capstan/${uniqueName('ntf')}`;
    await push(docker, await build('v1'), repo, '1');
    const name = uniqueName('ntf-upd');
    const { service } = await deployAndWait(s, token, 'POST', '/api/services', definition(name, { image: `${repo}:1`, command: ['sleep', '86400'] }));
    expect(service.status).toBe('running');
    rolledBackService = service.id;
    const schedule = await api('POST', '/api/schedules', { service_id: service.id, frequency: 'daily', time_of_day: '03:00' });
    expect(schedule.status, schedule.text).toBe(201);
    await push(docker, await build('v2', ['sh', '-c', 'exit 3']), repo, '1');
    expect((await api('POST', `/api/schedules/${schedule.json.id}/run`)).status).toBe(200);

    await expect.poll(() => genericMessages('update.rolled_back').length, { timeout: 90_000, interval: 250 }).toBe(1);
    const m = genericMessages('update.rolled_back')[0]!;
    expect(m).toMatchObject({ severity: 'warning', service: { id: service.id, name } });
    expect(m.title).toBe(`${name}: update rolled back`);
    expect(m.body).toMatch(/exited with code 3/);
    const sch = (await api('GET', `/api/schedules/${schedule.json.id}`)).json;
    expect(sch.last_status).toBe('rolled_back');
    expect(m.deployment_id).toBe(sch.last_deployment_id);
  }, 150_000);

  it('a container that dies on its own is one container.died message; one stopped by docker or Capstan is none', async () => {
    const dies = uniqueName('ntf-die');
    const stopped = uniqueName('ntf-stop');
    const capstanStopped = uniqueName('ntf-cstop');
    const sleeper = { image: env.image, command: ['sleep', '86400'], restart: 'no' };
    const a = await deployAndWait(s, token, 'POST', '/api/services', definition(stopped, sleeper));
    const b = await deployAndWait(s, token, 'POST', '/api/services', definition(capstanStopped, sleeper));
    const created = await api('POST', '/api/services', definition(dies, { image: env.image, command: ['sh', '-c', 'sleep 2; exit 3'], restart: 'no' }));
    expect(created.status, created.text).toBe(201);
    await docker.getContainer(a.service.containers[0].container_id).stop({ t: 1 });
    const stop = await api('POST', `/api/services/${b.service.id}/stop`);
    expect(stop.status, stop.text).toBe(200);

    const died = () => genericMessages('container.died');
    await expect.poll(() => died().filter((m) => m.service?.id === created.json.id).length, { timeout: 60_000, interval: 250 }).toBe(1);
    const m = died().find((m) => m.service?.id === created.json.id)!;
    expect(m).toMatchObject({ severity: 'error', service: { name: dies } });
    expect(m.body).toContain('exited with code 3');
    // Past the incident's debounce (10 s) with room: the stopped containers said nothing.
    await new Promise((r) => setTimeout(r, 15_000));
    expect(died().filter((m) => m.service?.id === created.json.id)).toHaveLength(1);
    expect(died().filter((m) => m.service?.id === a.service.id || m.service?.id === b.service.id)).toEqual([]);
    // The update's trial container that exited is the rollback's news, not a second incident.
    expect(died().filter((m) => m.service?.id === rolledBackService)).toEqual([]);
  }, 120_000);

  it('no channel secret, env value or session token is in any payload, audit entry, deployment row or log line', async () => {
    const secrets = [...channelSecrets, S.env, token];
    const audit = await s.app.database.client.execute('SELECT actor, action, target, details FROM audit_log');
    const deployments = await s.app.database.client.execute('SELECT * FROM deployment');
    expect(audit.rows.length).toBeGreaterThan(10);
    expect(deployments.rows.length).toBeGreaterThan(4);
    const places = {
      http_bodies: [...rx.received, ...flaky.received].map((r) => r.body).join('\n'),
      mails: smtp.mails.map((m) => m.raw).join('\n'),
      audit: JSON.stringify(audit.rows),
      deployments: JSON.stringify(deployments.rows),
      log: logLines.join('\n'),
    };
    expect(places.http_bodies.length).toBeGreaterThan(1000);
    for (const secret of secrets) for (const [where, text] of Object.entries(places)) expect(text.includes(secret), `${where} holds ${secret.slice(0, 4)}…`).toBe(false);
  });
});
