/**
 * What each way of reaching an engine costs (issue 17). One remote dockerd
 * (tests/helpers/remote-engine.ts) reached three ways: its unix socket, tcp
 * with TLS, and ssh (dockerode's transport: a new ssh connection and a
 * `docker system dial-stdio` per request). Prints, for each:
 *  - the median and p95 of one Engine API call (GET /version) through dockerode,
 *  - the time Capstan takes to deploy a one-container service there (POST
 *    /api/services until its deployment succeeded) and to delete it,
 * with the ratio to the unix socket. Everything created is removed.
 *   npx tsx bench/engines.ts [calls=30]
 */
import Docker from 'dockerode';
import { dockerOptionsFor } from '../src/server/docker/client.js';
import { startRemoteEngine } from '../tests/helpers/remote-engine.js';
import { benchApi, startBenchCapstan, testEnv } from './test-env.js';

const CALLS = Number(process.argv[2] ?? 30);
const env = testEnv();
const remote = startRemoteEngine();
const bench = await startBenchCapstan('engines', env.DOCKER_HOST!);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

const ways = [
  { label: 'unix socket', body: { name: 'bench unix', url: remote.socket } },
  { label: 'tcp + TLS', body: { name: 'bench tls', url: remote.tcpUrl, tls: remote.tls } },
  { label: 'ssh', body: { name: 'bench ssh', url: remote.sshUrl, ssh: { private_key: remote.sshKey } } },
];

try {
  const token = await bench.login();
  const api = (method: string, pathname: string, body?: unknown) => benchApi(bench.running.url, method, pathname, token, body);
  const rows: { label: string; call: number; p95: number; deploy: number; remove: number }[] = [];
  for (const way of ways) {
    const docker = new Docker(
      dockerOptionsFor({ url: way.body.url, tls: way.body.tls, ...(way.body.ssh ? { ssh: { privateKey: way.body.ssh.private_key } } : {}) }),
    );
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await docker.version();
      times.push(performance.now() - t0);
    }
    const engine = await api('POST', '/api/engines', way.body);
    if (engine.status !== 201) throw new Error(`engine ${way.label}: ${engine.status} ${engine.text}`);
    const t0 = performance.now();
    const created = await api('POST', '/api/services', {
      name: `engbench-${Math.random().toString(36).slice(2, 8)}`,
      engine_id: engine.json.id,
      services: { app: { image: env.CAPSTAN_TEST_IMAGE!, command: ['sleep', '86400'] } },
    });
    if (created.status !== 201) throw new Error(`create on ${way.label}: ${created.status} ${created.text}`);
    for (;;) {
      const d = await api('GET', `/api/deployments/${created.json.deployment_id}`);
      if (d.json.status === 'failed') throw new Error(`deploy on ${way.label} failed: ${d.text}`);
      if (d.json.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const deploy = performance.now() - t0;
    const t1 = performance.now();
    const removed = await api('DELETE', `/api/services/${created.json.id}?mode=hard`);
    if (removed.status !== 200) throw new Error(`delete on ${way.label}: ${removed.status} ${removed.text}`);
    const remove = performance.now() - t1;
    await api('DELETE', `/api/engines/${engine.json.id}`);
    rows.push({ label: way.label, call: quantile(times, 0.5), p95: quantile(times, 0.95), deploy, remove });
  }
  const base = rows[0]!;
  for (const r of rows) {
    console.log(
      `engine over ${r.label}: GET /version median ${r.call.toFixed(1)} ms (p95 ${r.p95.toFixed(1)} ms, ${CALLS} calls), ratio ${(r.call / base.call).toFixed(1)}; ` +
        `deploy of one container ${r.deploy.toFixed(0)} ms, ratio ${(r.deploy / base.deploy).toFixed(1)}; delete ${r.remove.toFixed(0)} ms, ratio ${(r.remove / base.remove).toFixed(1)}`,
    );
  }
} finally {
  await bench.stop();
}
