import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LogLine } from '../../src/shared/logs.js';
import { startDockerProxy, type DockerProxy } from '../helpers/docker-proxy.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, isContractError, startTestServer, type TestServer } from '../helpers/server.js';
import { collect, testClient } from '../helpers/trpc.js';

const docker = testDocker();
let proxy: DockerProxy;
let s: TestServer;
let token: string;
let bulkId: string;
let tickId: string;
let names: { big: string; small: string; tick: string };

const image = () => inject('testEnv').image;
// A service definition is a compose file: `$` is interpolated, so a shell's own variables are written `$$`, as in compose.
const sh = (script: string) => ({ image: image(), command: ['sh', '-c', script.replace(/\$/g, '$$$$')] });

async function api(method: string, path: string, headers: Record<string, string> = {}) {
  return s.request(method, path, { token, headers });
}

beforeAll(async () => {
  proxy = await startDockerProxy(inject('testEnv').dockerHost);
  s = await startTestServer({ DOCKER_HOST: proxy.dockerHost });
  token = await s.login();
  const bulk = uniqueName('logs');
  const created = await deployAndWait(s, token, 'POST', '/api/services', {
    name: bulk,
    services: {
      big: sh('i=0; while [ $i -lt 50000 ]; do echo "line $i"; i=$((i+1)); done; sleep 1; echo "last words" >&2; exec sleep 86400'),
      // stdout and stderr are separate pipes: only time between writes makes their order observable.
      small: sh('echo one; sleep 0.1; echo two >&2; sleep 0.1; echo three; exec sleep 86400'),
    },
  });
  bulkId = created.service.id;
  names = { big: `${bulk}-big-1`, small: `${bulk}-small-1`, tick: '' };
  const tick = uniqueName('tick');
  tickId = (await deployAndWait(s, token, 'POST', '/api/services', { name: tick, services: { t: sh('i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done') } })).service.id;
  names.tick = `${tick}-t-1`;
  // Wait until the big container has written everything.
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 250))) {
    const res = await api('GET', `/api/services/${bulkId}/logs?tail=1&container=big`);
    if (res.json.lines?.[0]?.message === 'last words') break;
  }
});
afterAll(async () => {
  await s?.dispose();
  await proxy?.close();
});

describe('GET /api/services/{id}/logs', () => {
  it('returns exactly the last N lines of each container, merged in time order, stderr marked', async () => {
    const res = await api('GET', `/api/services/${bulkId}/logs?tail=100`);
    expect(res.status, res.text).toBe(200);
    const lines: LogLine[] = res.json.lines;
    const big = lines.filter((l) => l.container === names.big);
    const small = lines.filter((l) => l.container === names.small);
    expect(big).toHaveLength(100);
    expect(small.map((l) => [l.stream, l.message])).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
      ['stdout', 'three'],
    ]);
    expect(big.at(-1)).toMatchObject({ stream: 'stderr', message: 'last words' });
    expect(big.at(-2)).toMatchObject({ stream: 'stdout', message: 'line 49999' });
    expect(big[0]!.message).toBe('line 49901');
    const stamps = lines.map((l) => l.timestamp);
    expect(stamps).toEqual([...stamps].sort());
    expect(stamps.every((t) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/.test(t))).toBe(true);
    // No multiplexing header byte ever reaches a message.
    expect(lines.every((l) => !/[\x00-\x08]/.test(l.message))).toBe(true);
  });

  it('defaults to 100 lines, filters by container and time, and checks its bounds', async () => {
    expect((await api('GET', `/api/services/${bulkId}/logs?container=big`)).json.lines).toHaveLength(100);
    expect((await api('GET', `/api/services/${bulkId}/logs?tail=0`)).json.lines).toEqual([]);
    const small = await api('GET', `/api/services/${bulkId}/logs?tail=10&container=${names.small}`);
    expect(small.json.lines.map((l: LogLine) => l.message)).toEqual(['one', 'two', 'three']);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await api('GET', `/api/services/${bulkId}/logs?since=${future}`)).json.lines).toEqual([]);
    expect((await api('GET', `/api/services/${bulkId}/logs?until=2000-01-01T00:00:00Z`)).json.lines).toEqual([]);
    for (const bad of ['tail=10001', 'tail=-1', 'tail=abc', 'since=yesterday', 'container=ghost']) {
      const res = await api('GET', `/api/services/${bulkId}/logs?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(isContractError(res.json), bad).toBe(true);
    }
    expect((await api('GET', '/api/services/nope/logs')).status).toBe(404);
  });

  it('answers plain text with "container | message" lines for format=text or Accept: text/plain', async () => {
    for (const res of [
      await api('GET', `/api/services/${bulkId}/logs?tail=2&format=text`),
      await api('GET', `/api/services/${bulkId}/logs?tail=2`, { accept: 'text/plain' }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const width = Math.max(names.big.length, names.small.length);
      expect(res.text).toContain(`${names.big.padEnd(width)} | last words\n`);
      expect(res.text).toContain(`${names.small.padEnd(width)} | three\n`);
      expect(res.text.trim().split('\n')).toHaveLength(4);
    }
    const unauth = await s.request('GET', `/api/services/${bulkId}/logs?format=text`);
    expect(unauth.status).toBe(401);
    expect(isContractError(unauth.json)).toBe(true);
    expect((await api('GET', `/api/services/${bulkId}/logs?format=text&tail=99999`)).status).toBe(400);
  });

  it('reads a TTY container (adopted), whose log is not multiplexed', async () => {
    const project = uniqueName('tty');
    const c = await docker.createContainer({
      name: `${project}-term-1`,
      Image: image(),
      Tty: true,
      Cmd: ['sh', '-c', 'echo hello from a tty; echo second line; exec sleep 86400'],
      Labels: { 'com.docker.compose.project': project, 'com.docker.compose.service': 'term' },
    });
    await c.start();
    const adopted = await s.request('POST', '/api/services/adopt', { token, body: { project } });
    expect(adopted.status, adopted.text).toBe(201);
    await expect
      .poll(async () => (await api('GET', `/api/services/${adopted.json.id}/logs`)).json.lines?.map((l: LogLine) => [l.stream, l.message]))
      .toEqual([
        ['stdout', 'hello from a tty'],
        ['stdout', 'second line'],
      ]);
    await api('DELETE', `/api/services/${adopted.json.id}?mode=hard`);
  });
});

describe('services.followLogs (SSE)', () => {
  type T = { id: string; data: LogLine };

  it('receives lines written after subscribing, and goes on across a container restart', async () => {
    const client = testClient(s.url, token);
    const started = new Date().toISOString();
    let restartedAt: string | undefined;
    const items = await collect<T>(
      (h) => client.services.followLogs.subscribe({ id: tickId }, h as never),
      (list) => {
        const fresh = list.filter((i) => i.data.timestamp > started);
        if (!restartedAt && fresh.length >= 3) {
          restartedAt = new Date().toISOString();
          void s.request('POST', `/api/services/${tickId}/restart`, { token });
        }
        return Boolean(restartedAt) && list.filter((i) => i.data.timestamp > restartedAt! && i.data.message === 'tick 2').length > 0;
      },
      60_000,
    );
    expect(items.every((i) => i.data.container === names.tick && /^tick \d+$/.test(i.data.message))).toBe(true);
    // The id is the position of each stream seen (services/log-position.ts): here only t's stdout, at this line.
    expect(items.every((i) => i.id === `;t/o=${i.data.timestamp}`)).toBe(true);
  });

  it('resumes after the last line seen', async () => {
    const client = testClient(s.url, token);
    const first = await collect<T>((h) => client.services.followLogs.subscribe({ id: tickId }, h as never), (l) => l.length >= 2);
    const lastId = first.at(-1)!.id;
    const lastTime = first.at(-1)!.data.timestamp;
    const resumed = await collect<T>((h) => client.services.followLogs.subscribe({ id: tickId, lastEventId: lastId }, h as never), (l) => l.length >= 2);
    expect(resumed.every((i) => i.data.timestamp > lastTime)).toBe(true);
  });

  it('leaks no engine connection over 100 subscribe/abort cycles', async () => {
    const settle = async () => {
      for (let n = -1; n !== proxy.openConnections(); ) {
        n = proxy.openConnections();
        await new Promise((r) => setTimeout(r, 300));
      }
      return proxy.openConnections();
    };
    const base = await settle();
    const client = testClient(s.url, token);
    for (let i = 0; i < 100; i++) {
      await collect<T>((h) => client.services.followLogs.subscribe({ id: tickId, tail: 1 }, h as never), (l) => l.length >= 1);
    }
    await expect.poll(() => proxy.openConnections(), { timeout: 20_000, interval: 250 }).toBeLessThanOrEqual(base);
  });
});
