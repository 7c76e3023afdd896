import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { auditLog } from '../../src/db/schema.js';
import { testDocker, uniqueName } from '../helpers/engine.js';
import { deployAndWait, isContractError, startTestServer, type TestServer } from '../helpers/server.js';
import { until } from '../helpers/until.js';

const IDLE_MS = 6000;
let s: TestServer;
let token = '';
let serviceId = '';
let mainId = '';
let spareId = '';
const docker = testDocker();

beforeAll(async () => {
  s = await startTestServer({}, undefined, { limits: { terminalIdleMs: IDLE_MS } });
  token = await s.login();
  const image = inject('testEnv').image;
  const { service } = await deployAndWait(s, token, 'POST', '/api/services', {
    name: uniqueName('term'),
    services: { main: { image, command: ['sleep', '3600'] }, spare: { image, command: ['sleep', '3600'] } },
  });
  serviceId = service.id;
  const byKey = (k: string) => service.containers.find((c: { service: string }) => c.service === k).container_id as string;
  mainId = byKey('main');
  spareId = byKey('spare');
}, 120_000);

afterAll(async () => {
  await s?.dispose();
  // The last test stops the server first, so dispose() cannot read the service list: remove this file's objects here.
  const filters = { label: [`io.capstan.service-id=${serviceId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
});

const execUrl = (query: Record<string, string> = {}, id = serviceId) => {
  const url = new URL(`/api/services/${id}/exec`, s.url.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url.href;
};

interface Terminal {
  ws: WebSocket;
  /** Everything the terminal showed so far. */
  output(): string;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
  type(text: string): void;
  waitFor(text: string | RegExp): Promise<void>;
}

function connect(query: Record<string, string> = {}, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<Terminal> {
  const ws = new WebSocket(execUrl(query), { headers });
  const chunks: Buffer[] = [];
  const texts: string[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (data, isBinary) => (isBinary ? chunks.push(data as Buffer) : texts.push(data.toString())));
  ws.on('error', () => {});
  const output = () => Buffer.concat(chunks).toString('utf8');
  const t: Terminal = {
    ws,
    output,
    texts,
    closed,
    type: (text) => ws.send(Buffer.from(text)),
    waitFor: (text) => until(`terminal output ${String(text)}`, async () => ((typeof text === 'string' ? output().includes(text) : text.test(output())) ? true : undefined), 20_000).then(() => {}),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(t));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The HTTP answer to an upgrade that is refused. */
function refusal(query: Record<string, string>, headers: Record<string, string> = { authorization: `Bearer ${token}` }, id = serviceId) {
  return new Promise<{ status: number; json: any }>((resolve, reject) => {
    const ws = new WebSocket(execUrl(query, id), { headers });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) }));
    });
  });
}

/** The container's running execs whose command line is exactly `argv`. */
async function runningExecs(containerId: string, argv: string[]): Promise<string[]> {
  const ids = (await docker.getContainer(containerId).inspect()).ExecIDs ?? [];
  const found: string[] = [];
  for (const id of ids) {
    const info = await docker.getExec(id).inspect().catch(() => undefined);
    if (info?.Running && [info.ProcessConfig.entrypoint, ...info.ProcessConfig.arguments].join(' ') === argv.join(' ')) found.push(id);
  }
  return found;
}

const processes = async (containerId: string): Promise<string[]> => ((await docker.getContainer(containerId).top()).Processes as string[][]).map((p) => p.join(' '));
const auditEntries = async (action: string) => (await s.app.db.select().from(auditLog)).filter((e) => e.action === action);

describe('the terminal WebSocket', () => {
  it('runs a shell: typed bytes in, output out, and exit closes 1000 with the exit code', async () => {
    const t = await connect({ container: 'main' });
    t.type('echo hi-$((40+2))\n');
    await t.waitFor('hi-42');
    t.type('exit 3\n');
    expect(await t.closed).toEqual({ code: 1000, reason: 'exit code 3' });
  });

  it('resizes the pty: stty size prints the rows and cols sent', async () => {
    const t = await connect();
    t.ws.send(JSON.stringify({ resize: [123, 45] }));
    // The resize is an engine call beside the byte stream: ask until the pty has the new size.
    await until('the new size', async () => {
      t.type('stty size\n');
      await new Promise((r) => setTimeout(r, 200));
      return t.output().includes('45 123') ? true : undefined;
    });
    t.ws.close();
    await t.closed;
  });

  it('ends the exec process on the engine when the client closes, children included', async () => {
    const argv = ['sh', '-i'];
    const t = await connect({ cmd: '  sh   -i ' });
    t.type('sleep 4242\n');
    const [execId] = await until('the exec running', async () => ((await runningExecs(mainId, argv)).length === 1 ? runningExecs(mainId, argv) : undefined));
    await until('sleep 4242 running', async () => ((await processes(mainId)).some((p) => p.includes('sleep 4242')) ? true : undefined));
    t.ws.close();
    await t.closed;
    await until('the exec ended', async () => ((await docker.getExec(execId!).inspect()).Running ? undefined : true));
    await until('sleep 4242 gone', async () => ((await processes(mainId)).some((p) => p.includes('sleep 4242')) ? undefined : true));
    expect((await processes(mainId)).filter((p) => / sh -i$/.test(p))).toEqual([]);
  });

  it('accepts a bearer token and a same-origin Origin; refuses no session (401) and another Origin (403)', async () => {
    const t = await connect({}, { authorization: `Bearer ${token}`, origin: s.url });
    t.ws.close();
    await t.closed;
    const anonymous = await refusal({}, {});
    expect(anonymous.status).toBe(401);
    expect(isContractError(anonymous.json)).toBe(true);
    const wrongToken = await refusal({}, { authorization: 'Bearer not-a-token' });
    expect(wrongToken.status).toBe(401);
    const cross = await refusal({}, { authorization: `Bearer ${token}`, origin: 'http://evil.invalid' });
    expect(cross.status).toBe(403);
    expect(cross.json.code).toBe('FORBIDDEN');
  });

  it('answers bad input before the upgrade, in the contract shape', async () => {
    const cases: [Record<string, string>, number, RegExp, string?][] = [
      [{ container: 'nope' }, 404, /container: the service has no container "nope"/],
      [{}, 404, /service/, 'nosuchservice'],
      [{ cmd: '' }, 400, /^cmd: must not be empty$/],
      [{ cmd: '   ' }, 400, /^cmd: must not be empty$/],
      [{ cmd: 'x'.repeat(1025) }, 400, /^cmd: at most 1024 characters$/],
      [{ cmd: 'sh\u0000' }, 400, /^cmd: control characters/],
    ];
    for (const [query, status, details, id] of cases) {
      const res = await refusal(query, undefined, id);
      expect(res.status, JSON.stringify(query)).toBe(status);
      expect(isContractError(res.json)).toBe(true);
      expect(res.json.details).toMatch(details);
      // A plain GET of the same URL (what the dashboard asks first, since a page cannot read a refused upgrade) says the same.
      const plain = await s.request('GET', `/api/services/${id ?? serviceId}/exec?${new URLSearchParams(query)}`, { token });
      expect(plain.status, JSON.stringify(query)).toBe(status);
      expect(plain.json).toEqual(res.json);
    }
    // Another path is no WebSocket route.
    const other = await new Promise<number>((resolve) => {
      const ws = new WebSocket(s.url.replace(/^http/, 'ws') + '/api/services', { headers: { authorization: `Bearer ${token}` } });
      ws.on('error', () => {});
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    });
    expect(other).toBe(404);
  });

  it('answers a plain GET with 426 when the terminal would open, and starts nothing', async () => {
    const processes = async () => ((await docker.getContainer(mainId).top()) as { Processes: string[][] }).Processes.map((p) => p.at(-1)).sort();
    const before = await processes();
    const res = await s.request('GET', `/api/services/${serviceId}/exec?container=main&cmd=sh`, { token });
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    expect(res.json).toMatchObject({ error: 'Upgrade Required', code: 'UPGRADE_REQUIRED' });
    expect(res.json.details).toMatch(/run sh in .*main/);
    // Nothing new runs (one of an earlier test's shells may still be reaped meanwhile: only additions count).
    expect((await processes()).filter((p) => !before.includes(p))).toEqual([]);
    expect((await s.request('GET', `/api/services/${serviceId}/exec`)).status).toBe(401);
  });

  it('bounds the terminals one user holds open at once (8): the next is a 429 until one closes', async () => {
    const open: Terminal[] = [];
    try {
      for (let i = 0; i < 8; i++) open.push(await connect({ container: 'main' }));
      const res = await refusal({ container: 'main' });
      expect(res.status).toBe(429);
      expect(res.json).toMatchObject({ error: 'Too many terminals open', code: 'TOO_MANY_REQUESTS' });
      open.pop()!.ws.close();
      const again = await until('a place freed', async () => connect({ container: 'main' }).catch(() => undefined));
      open.push(again);
    } finally {
      for (const t of open) t.ws.close();
      await Promise.all(open.map((t) => t.closed));
    }
  });

  it('refuses a container that is not running (409), by name too', async () => {
    await docker.getContainer(spareId).stop({ t: 0 });
    try {
      const name = (await docker.getContainer(spareId).inspect()).Name.replace(/^\//, '');
      for (const container of ['spare', name]) {
        const res = await until('the stop seen', async () => {
          const r = await refusal({ container }).catch(() => undefined);
          return r?.status === 409 ? r : undefined;
        });
        expect(res.json).toMatchObject({ error: 'Container not running', code: 'CONFLICT' });
      }
    } finally {
      await docker.getContainer(spareId).start();
    }
  });

  it.each([['{"resize":[0,5]}'], ['{"resize":"x"}'], ['not json'], ['{"resize":[80,24],"x":1}'], ['{"resize":[1001,24]}']])(
    'answers the bad control frame %s with an error frame and close 1008; the server still serves',
    async (frame) => {
      const t = await connect();
      t.ws.send(frame);
      const { code } = await t.closed;
      expect(code).toBe(1008);
      expect(t.texts).toHaveLength(1);
      const error = JSON.parse(t.texts[0]!);
      expect(error).toMatchObject({ error: 'Invalid control frame', code: 'BAD_REQUEST' });
      expect(error.details).toMatch(/resize/);
      expect((await s.request('GET', `/api/services/${serviceId}`, { token })).status).toBe(200);
      const again = await connect();
      again.type('echo still-here\n');
      await again.waitFor('still-here');
      again.ws.close();
    },
  );

  it('closes with 1009 on a frame over 64 KiB', async () => {
    const t = await connect();
    t.ws.send(Buffer.alloc(70 * 1024, 0x61));
    expect((await t.closed).code).toBe(1009);
  });

  it('closes an idle terminal (1000 "idle") and ends its process', async () => {
    const argv = ['sh', '-s'];
    const t = await connect({ cmd: 'sh -s' });
    const [execId] = await until('the exec running', async () => ((await runningExecs(mainId, argv)).length === 1 ? runningExecs(mainId, argv) : undefined));
    expect(await t.closed).toEqual({ code: 1000, reason: 'idle' });
    await until('the exec ended', async () => ((await docker.getExec(execId!).inspect()).Running ? undefined : true));
  });

  it('audits each session start and end with duration, never what was typed or shown', async () => {
    const marker = `MARK${Math.random().toString(36).slice(2)}`;
    const t = await connect({ container: 'main', cmd: 'sh' });
    t.type(`echo ${marker}\n`);
    await t.waitFor(new RegExp(`\n${marker}`));
    t.ws.close();
    await t.closed;
    // This session is the newest: its start is the last start, its end the last end.
    const start = (await auditEntries('terminal.start')).at(-1)!;
    expect(start).toMatchObject({ actor: 'admin', target: `service:${serviceId}`, outcome: 'success' });
    expect(start.details).toEqual({ container: expect.stringContaining('main'), command: 'sh' });
    const end = await until('the end entry', async () => (await auditEntries('terminal.end')).find((e) => e.id > start.id));
    expect(end).toMatchObject({ actor: 'admin', target: `service:${serviceId}`, outcome: 'success' });
    expect(end.details).toMatchObject({ container: start.details!.container, command: 'sh', ended_by: 'client' });
    expect(end.details!.duration_ms).toBeGreaterThan(0);
    // Hung up: 128 + SIGHUP.
    expect(end.details!.exit_code).toBe(129);
    const all = await s.app.db.select().from(auditLog);
    expect(all.filter((e) => JSON.stringify(e).includes(marker))).toEqual([]);
    // Every session of this file has both of its entries.
    await until('every end entry', async () => ((await auditEntries('terminal.end')).length === (await auditEntries('terminal.start')).length ? true : undefined));
  });

  // Last: it stops this file's server.
  it('closes open terminals with 1001 when the server stops, and ends their processes', async () => {
    const t = await connect({ cmd: 'sh -l' });
    t.type('sleep 4545\n');
    const [execId] = await until('the exec running', async () => ((await runningExecs(mainId, ['sh', '-l'])).length === 1 ? runningExecs(mainId, ['sh', '-l']) : undefined));
    await until('sleep 4545 running', async () => ((await processes(mainId)).some((p) => p.includes('sleep 4545')) ? true : undefined));
    await s.stop();
    expect(await t.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect((await docker.getExec(execId!).inspect()).Running).toBe(false);
    expect((await processes(mainId)).some((p) => p.includes('sleep 4545'))).toBe(false);
  });
});
