/**
 * GET /api/health/status under load: 100 keep-alive connections for 20 s
 * against a Capstan process with N services (2 containers each), and the
 * peer, a bare node:http process answering the same bytes. Also GET
 * /api/services against the raw Engine list call, and the Capstan process's
 * RSS idle with those services, across the load (it should come back flat)
 * and after 1,000,000 requests against after 100,000. The server is the
 * built one, as `npm start` runs it (built-capstan.ts). Private engine of
 * scripts/test-env.sh; everything created is removed.
 *   npx tsx bench/health.ts [services=200] [seconds=20] [connections=100]
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { buildServer, removeBuild, settledRss, startBuilt, stopBuilt } from './built-capstan.js';
import { testEnv } from './test-env.js';

const SERVICES = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 20);
const CONNECTIONS = Number(process.argv[4] ?? 100);


const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** A closed-loop load: each connection sends the next request when the answer is in, for `seconds` or `count` requests. */
async function load(url: string, headers: Record<string, string>, seconds: number, connections: number, count = Infinity) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const until = Date.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      const req = http.get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - t0);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  await Promise.all(Array.from({ length: connections }, async () => { while (Date.now() < until && sent++ < count) await one(); }));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return { rps: latencies.length / seconds, p50: pct(0.5), p99: pct(0.99), errors };
}

async function median(n: number, f: () => Promise<unknown>): Promise<number> {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

const env = testEnv();
const work = mkdtempSync(path.join(os.tmpdir(), 'capstan-bench-health-'));
chmodSync(work, 0o711); // the embedded PostgreSQL runs as user postgres and must reach data/pg
const capstan = await startBuilt(buildServer(work), path.join(work, 'data'), env.DOCKER_HOST!);
const api = async (method: string, p: string, token?: string, body?: unknown) => {
  const res = await fetch(new URL(p, capstan.url), { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
};
const ids: string[] = [];
try {
  const token = capstan.token;
  const yaml = `services:\n  a:\n    image: ${env.CAPSTAN_TEST_IMAGE}\n    command: ["sleep", "86400"]\n    init: true\n  b:\n    image: ${env.CAPSTAN_TEST_IMAGE}\n    command: ["sleep", "86400"]\n    init: true\n`;
  for (let i = 0; i < SERVICES; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, SERVICES - i) }, (_, j) => api('POST', '/api/services', token, { name: `bench-h-${process.pid}-${i + j}`, yaml })));
    for (const r of batch) if (r.json?.id) ids.push(r.json.id);
  }
  for (;;) {
    const h = (await api('GET', '/api/health/status', token)).json;
    if (h.services.every((s: { status: string }) => s.status === 'running')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const pid = capstan.child.pid!;
  const idleKib = await settledRss(pid);
  console.log(`node rss idle, ${SERVICES} services: capstan ${(idleKib / 1024).toFixed(1)} MiB, goal 100 MB`);
  const headers = { authorization: `Bearer ${token}` };
  const body = await (await fetch(new URL('/api/health/status', capstan.url), { headers })).text();

  // The peer: a bare node:http server in its own process, answering the same bytes.
  const peerProc = spawn(process.execPath, ['-e', `const b=${JSON.stringify(body)};require('http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/json; charset=utf-8','content-length':Buffer.byteLength(b)});s.end(b)}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const peerPort = await new Promise<number>((resolve) => peerProc.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));

  const rss0 = rssMiB(pid);
  const ours = await load(new URL('/api/health/status', capstan.url).href, headers, SECONDS, CONNECTIONS);
  const rss1 = rssMiB(pid);
  const peer = await load(`http://127.0.0.1:${peerPort}/`, {}, SECONDS, CONNECTIONS);
  peerProc.kill();
  console.log(`health ${SERVICES} services, ${CONNECTIONS} connections, ${SECONDS} s: capstan ${ours.rps.toFixed(0)} req/s (p50 ${ours.p50.toFixed(1)} ms, p99 ${ours.p99.toFixed(1)} ms, ${ours.errors} errors), peer ${peer.rps.toFixed(0)} req/s (p99 ${peer.p99.toFixed(1)} ms), ratio ${(ours.rps / peer.rps).toFixed(2)}`);

  // Memory: more rounds of the same load; RSS should settle, not climb.
  const rounds = [rss0, rss1];
  for (let i = 0; i < 3; i++) {
    await load(new URL('/api/health/status', capstan.url).href, headers, SECONDS, CONNECTIONS);
    rounds.push(rssMiB(pid));
  }
  console.log(`capstan RSS across ${rounds.length - 1} rounds of that load: ${rounds.map((r) => r.toFixed(0)).join(' → ')} MiB`);

  // RSS after 1,000,000 requests against RSS after the first 100,000 (goal: within 10 MB).
  const healthUrl = new URL('/api/health/status', capstan.url).href;
  // Each read once settled (settledRss): right after a load the heap's garbage swings RSS by tens of MB.
  const first = await load(healthUrl, headers, 3600, CONNECTIONS, 100_000);
  const rss100k = (await settledRss(pid)) / 1024;
  const rest = await load(healthUrl, headers, 3600, CONNECTIONS, 900_000);
  const rss1m = (await settledRss(pid)) / 1024;
  const mb = (mib: number) => (mib * 1.048576).toFixed(1);
  console.log(`RSS after 1,000,000 requests: capstan ${mb(rss1m)} MB, after the first 100,000 ${mb(rss100k)} MB: growth ${mb(rss1m - rss100k)} MB (goal ≤ 10 MB; ${first.errors + rest.errors} errors)`);

  // GET /api/services against the raw Engine list call it replaces.
  const sock = new URL(env.DOCKER_HOST!).pathname;
  const engineList = () => new Promise<void>((resolve, reject) => http.get({ socketPath: sock, path: '/containers/json?all=1' }, (r) => r.resume().on('end', resolve)).on('error', reject));
  const list = await median(50, () => fetch(new URL('/api/services', capstan.url), { headers }).then((r) => r.text()));
  const raw = await median(50, engineList);
  console.log(`GET /api/services p50: capstan ${list.toFixed(2)} ms, peer ${raw.toFixed(2)} ms (engine GET /containers/json?all=1), ratio ${(list / raw).toFixed(2)}`);
} finally {
  for (let i = 0; i < ids.length; i += 10) await Promise.all(ids.slice(i, i + 10).map((id) => api('DELETE', `/api/services/${id}?mode=hard`, capstan.token)));
  await stopBuilt(capstan);
  removeBuild(work);
}
