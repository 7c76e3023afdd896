/**
 * Logs `tail=100` of a container that has written 1,000,000 lines, measured
 * in-process: the service call behind GET /api/services/{id}/logs?tail=100
 * (the first line), and that GET itself to the server running in this
 * process (the second), against the raw Engine logs call for the same
 * container and window through the same dockerode client, on the private
 * test engine of scripts/test-env.sh. Medians, interleaved so a warm engine
 * favours neither.
 *   npx tsx bench/logs.ts [rounds=300]
 */
import { getServiceLogs } from '../src/server/services/logs.js';
import { benchApi, startBenchCapstan, testEnv } from './test-env.js';

const ROUNDS = Number(process.argv[2] ?? 300);
const LINES = 1_000_000;


const env = testEnv();
const bench = await startBenchCapstan('logs', env.DOCKER_HOST!);
const { running } = bench;
const docker = running.app.engines.find('local')!.docker;

const api = (method: string, pathname: string, token?: string, body?: unknown) => benchApi(running.url, method, pathname, token, body);

const rawLogs = (id: string) => docker.getContainer(id).logs({ follow: false, stdout: true, stderr: true, timestamps: true, tail: 100 });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => x.toFixed(2);

let serviceId: string | undefined;
let token = '';
try {
  token = await bench.login();
  const name = `bench-logs-${Math.random().toString(36).slice(2, 7)}`;
  const created = await api('POST', '/api/services', token, {
    name,
    services: { big: { image: env.CAPSTAN_TEST_IMAGE!, command: ['sh', '-c', `seq ${LINES}; exec sleep 86400`] } },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  serviceId = created.json.id as string;
  for (;;) {
    const d = await api('GET', `/api/deployments/${created.json.deployment_id}`, token);
    if (d.json?.status === 'succeeded') break;
    if (d.json?.status === 'failed') throw new Error(`deployment failed: ${JSON.stringify(d.json.steps?.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const containerId = (await running.app.engines.containers()).find((c) => c.serviceId === serviceId)?.id;
  if (!containerId) throw new Error('the container is not in the view');
  // Until the container has written every line.
  for (const until = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 250))) {
    const res = await api('GET', `/api/services/${serviceId}/logs?tail=1`, token);
    if (res.json?.lines?.[0]?.message === String(LINES)) break;
    if (Date.now() > until) throw new Error('the container did not write its lines in time');
  }

  const deps = running.app.logs;
  const path100 = `/api/services/${serviceId}/logs?tail=100`;
  const check = await api('GET', path100, token);
  if (check.json.lines.length !== 100 || check.json.lines[99].message !== String(LINES)) throw new Error(`unexpected answer: ${check.text.slice(0, 200)}`);

  const runs = { http: [] as number[], service: [] as number[], engine: [] as number[] };
  const measure = {
    http: async () => {
      const res = await fetch(new URL(path100, running.url), { headers: { authorization: `Bearer ${token}` } });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`logs: ${res.status}`);
    },
    service: async () => {
      await getServiceLogs(deps, { id: serviceId!, tail: 100 });
    },
    engine: async () => {
      await rawLogs(containerId);
    },
  };
  const order = Object.keys(measure) as (keyof typeof measure)[];
  for (let i = 0; i < 30; i++) for (const k of order) await measure[k]();
  for (let i = 0; i < ROUNDS; i++) {
    // Rotate who goes first each round.
    for (let j = 0; j < order.length; j++) {
      const k = order[(i + j) % order.length]!;
      const t0 = performance.now();
      await measure[k]();
      runs[k].push(performance.now() - t0);
    }
  }
  const [h, s, e] = [median(runs.http), median(runs.service), median(runs.engine)];
  console.log(`logs tail=100: capstan ${ms(s)} ms, peer ${ms(e)} ms (raw engine call), ratio ${(s / e).toFixed(2)}`);
  console.log(`logs tail=100 over HTTP (GET /api/services/{id}/logs, auth and JSON included): capstan ${ms(h)} ms, peer ${ms(e)} ms (raw engine call), ratio ${(h / e).toFixed(2)}`);
} finally {
  if (serviceId) {
    await api('DELETE', `/api/services/${serviceId}?mode=hard`, token).catch(() => undefined);
    // Whatever the delete left behind (it failed, or answered before the end).
    const left = await docker.listContainers({ all: true, filters: { label: [`io.capstan.service-id=${serviceId}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
  await bench.stop();
}
