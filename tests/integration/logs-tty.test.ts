import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLine } from '../../src/shared/logs.js';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, startTestServer, type TestServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';

/**
 * What a log read needs to know of a container (TTY or not, which decides
 * how its log is framed) comes from the live view: the engine is inspected
 * once per container, never per read.
 */
const docker = testDocker();
let proxy: DockerProxy;
let s: TestServer;
let token: string;
let serviceId: string;
let ids: Record<string, string>;

const image = () => inject('testEnv').image;
const script = (text: string) => ['sh', '-c', text.replace(/\$/g, '$$$$')];
const api = (method: string, path: string) => s.request(method, path, { token });
/** The inspect calls the server made for these containers. */
const inspects = (of: string[]) => proxy.urls().filter((u) => of.some((id) => u.includes(`/containers/${id}/json`)));

beforeAll(async () => {
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost });
  token = await s.login();
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('ttylogs'),
    services: {
      term: { image: image(), tty: true, command: script('echo "from a tty"; echo "second"; exec sleep 86400') },
      plain: { image: image(), command: script('echo out; echo err >&2; exec sleep 86400') },
    },
  });
  serviceId = service.id;
  ids = Object.fromEntries(service.containers.map((c: { service: string; container_id: string }) => [c.service, c.container_id]));
});
afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
});

const messages = (lines: LogLine[], container: string) => lines.filter((l) => l.container.endsWith(`-${container}-1`)).map((l) => [l.stream, l.message]);

describe('logs and the TTY flag from the live view', () => {
  it('a TTY container created by Capstan reads raw, a plain one demultiplexed, with no inspect per read', async () => {
    await expect
      .poll(async () => (await api('GET', `/api/services/${serviceId}/logs`)).json.lines?.length, { timeout: 20_000 })
      .toBe(4);
    // The watcher has learnt both flags.
    const view = await s.app.engines.containers();
    expect(view.find((c) => c.id === ids.term)?.tty).toBe(true);
    expect(view.find((c) => c.id === ids.plain)?.tty).toBe(false);

    const before = inspects([ids.term!, ids.plain!]).length;
    const logCalls = () => proxy.urls().filter((u) => u.includes(`/containers/${ids.term}/logs`) || u.includes(`/containers/${ids.plain}/logs`)).length;
    const logsBefore = logCalls();
    for (let i = 0; i < 10; i++) {
      const res = await api('GET', `/api/services/${serviceId}/logs?tail=100`);
      expect(res.status, res.text).toBe(200);
      expect(messages(res.json.lines, 'term')).toEqual([
        ['stdout', 'from a tty'],
        ['stdout', 'second'],
      ]);
      // Two streams written a moment apart: the engine stamps each when it reads its pipe, so their order may swap.
      expect(messages(res.json.lines, 'plain').sort()).toEqual([
        ['stderr', 'err'],
        ['stdout', 'out'],
      ]);
    }
    // Each read asked the engine for the logs, and for nothing else about these containers.
    expect(logCalls() - logsBefore).toBe(20);
    expect(inspects([ids.term!, ids.plain!]).length).toBe(before);
  });

  it('following a TTY container needs no inspect either, and its lines come raw', async () => {
    const before = inspects([ids.term!]).length;
    const client = testClient(s.url, token);
    const items = await collect<{ id: string; data: LogLine }>(
      (h) => client.services.followLogs.subscribe({ id: serviceId, container: 'term', tail: 10 }, h as never),
      (l) => l.length >= 2,
    );
    expect(items.map((i) => [i.data.stream, i.data.message])).toEqual([
      ['stdout', 'from a tty'],
      ['stdout', 'second'],
    ]);
    expect(inspects([ids.term!]).length).toBe(before);
  });

  it('an adopted TTY container (no label of Capstan) is inspected once, then read from the view', async () => {
    const project = uniqueName('ttyadopt');
    const c = await docker.createContainer({
      name: `${project}-term-1`,
      Image: image(),
      Tty: true,
      Cmd: ['sh', '-c', 'echo adopted tty; exec sleep 86400'],
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'term' },
    });
    try {
      await c.start();
      const adopted = await s.request('POST', '/api/services/adopt', { token, body: { project } });
      expect(adopted.status, adopted.text).toBe(201);
      await expect
        .poll(async () => (await api('GET', `/api/services/${adopted.json.id}/logs`)).json.lines?.map((l: LogLine) => [l.stream, l.message]))
        .toEqual([['stdout', 'adopted tty']]);
      await expect.poll(async () => (await s.app.engines.containers()).find((x) => x.id === c.id)?.tty).toBe(true);
      const once = inspects([c.id]).length;
      expect(once).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < 5; i++) expect((await api('GET', `/api/services/${adopted.json.id}/logs`)).json.lines).toHaveLength(1);
      expect(inspects([c.id]).length).toBe(once);
      await api('DELETE', `/api/services/${adopted.json.id}?mode=hard`);
    } finally {
      await c.remove({ force: true }).catch(() => undefined);
    }
  });
});
