/**
 * Memory per request on the routes tRPC and trpc-to-openapi serve: the heap
 * (after full GCs) after N and after 10 × N requests of GET /api/schedules
 * (REST through trpc-to-openapi) and of a tRPC query, in-process, keep-alive,
 * 50 at a time. The peer is the first measurement: what is retained per
 * request shows as growth between the two.
 *   node --expose-gc --import tsx bench/memory.ts [n=20000]
 */
import http from 'node:http';
import { startBenchCapstan, testEnv } from './test-env.js';

const N = Number(process.argv[2] ?? 20_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/memory.ts');

const env = testEnv();
const bench = await startBenchCapstan('memory', env.DOCKER_HOST!);
const { running } = bench;
const heapMiB = async () => {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
};
try {
  const token = await bench.login();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  const send = (p: string) =>
    new Promise<void>((resolve, reject) => {
      http.get(new URL(p, running.url), { agent, headers: { authorization: `Bearer ${token}` } }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
  const burst = async (p: string, n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: 50 }, async () => { while (next++ < n) await send(p); }));
  };
  for (const [label, p] of [['REST GET /api/schedules', '/api/schedules'], ['tRPC schedules.list', '/trpc/schedules.list']] as const) {
    await burst(p, N);
    const first = await heapMiB();
    await burst(p, N * 9);
    const after = await heapMiB();
    console.log(`${label}: heap after ${N} requests ${first.toFixed(1)} MiB, after ${N * 10} ${after.toFixed(1)} MiB: ${(((after - first) * 2 ** 20) / (N * 9)).toFixed(0)} bytes retained per request`);
  }
  agent.destroy();
} finally {
  await bench.stop();
}
