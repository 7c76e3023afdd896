/**
 * Live events: how fast real deployment changes reach many clients over GET
 * /api/events, against a bare node:http server broadcasting events of the same
 * size to as many clients (the peer: what SSE costs with no feed, no database
 * write behind each event); and the server's heap with a client that stopped reading. Real server and engine
 * (scripts/test-env.sh). Prints deliveries per second and the ratio.
 *   npx tsx bench/events.ts [clients=50] [changes=200]
 */
import { createServer, type ServerResponse } from 'node:http';
import net from 'node:net';
import { toDeploymentObject } from '../src/server/services/deployment-view.js';
import { openSse } from '../tests/helpers/sse.js';
import { startBenchCapstan, testEnv } from './test-env.js';

const CLIENTS = Number(process.argv[2] ?? 50);
const CHANGES = Number(process.argv[3] ?? 200);
const NAME = `bench-events-${process.pid}`;


const env = testEnv();
const bench = await startBenchCapstan('events', env.DOCKER_HOST!);
const { running } = bench;
const pause = () => new Promise((r) => setTimeout(r, 1));
try {
  const token = await bench.login();
  const created = await fetch(new URL('/api/services', running.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ name: NAME, yaml: `services:\n  a:\n    image: ${env.CAPSTAN_TEST_IMAGE}\n    command: ["sleep", "3600"]\n    init: true\n` }),
  });
  const answer = (await created.json()) as { deployment_id?: string };
  if (!answer.deployment_id) throw new Error(`create failed: ${created.status} ${JSON.stringify(answer)}`);
  const deploymentId = answer.deployment_id;
  while ((await running.app.deployments.get(deploymentId)).status !== 'succeeded') await new Promise((r) => setTimeout(r, 100));

  /** K real changes of one deployment row (one step each); resolves when every client has the last one. */
  const addStep = (label: string, i: number) => running.app.deployments.addStep(deploymentId, { action: 'note', target: `${label} ${i}` }).then(() => undefined);
  async function round(label: string, connect: () => Promise<{ got: () => number; close: () => void }>, change: (label: string, i: number) => Promise<void> = addStep): Promise<number> {
    const clients = await Promise.all(Array.from({ length: CLIENTS }, connect));
    await new Promise((r) => setTimeout(r, 300));
    const base = clients.map((c) => c.got());
    const t0 = performance.now();
    for (let i = 0; i < CHANGES; i++) {
      await change(label, i);
      await pause();
    }
    while (clients.some((c, i) => c.got() - base[i]! < CHANGES)) await new Promise((r) => setTimeout(r, 5));
    const ms = performance.now() - t0;
    for (const c of clients) c.close();
    const rate = (CLIENTS * CHANGES) / (ms / 1000);
    console.log(`${label.padEnd(28)} ${CLIENTS} clients × ${CHANGES} changes in ${ms.toFixed(0)} ms: ${rate.toFixed(0)} deliveries/s`);
    return rate;
  }

  const sse = await round('GET /api/events', async () => {
    const c = await openSse(new URL('/api/events', running.url).href, { authorization: `Bearer ${token}` });
    return { got: () => c.events.filter((e) => e.event === 'deployment').length, close: () => c.close() };
  });
  // The peer: a bare node:http server broadcasting an event of the same size to the same number of SSE clients.
  const sample = JSON.stringify(toDeploymentObject(await running.app.deployments.get(deploymentId)));
  const listeners = new Set<ServerResponse>();
  const bare = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 3000\n\n');
    listeners.add(res);
    res.on('close', () => listeners.delete(res));
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  let seq = 0;
  const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/`;
  const peer = await round('bare node:http broadcast', async () => {
    const c = await openSse(bareUrl);
    return { got: () => c.events.length, close: () => c.close() };
  }, async () => {
    const text = `id: ${++seq}\nevent: deployment\ndata: ${sample}\n\n`;
    for (const res of listeners) res.write(text);
  });
  bare.close();
  const trpc = peer;
  console.log(`deliveries/s: capstan ${sse.toFixed(0)}, peer ${trpc.toFixed(0)}, ratio ${(sse / trpc).toFixed(2)}`);

  // A client that stops reading: the heap after ~20 MB of events, with and without it.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) console.log('(run with node --expose-gc --import tsx for a meaningful heap figure)');
  const heap = async () => {
    for (let i = 0; i < 3; i++) {
      gc?.();
      await new Promise((r) => setTimeout(r, 50));
    }
    return process.memoryUsage().heapUsed;
  };
  const flood = async () => {
    for (let i = 0; i < 200; i++) {
      await running.app.deployments.addStep(deploymentId, { action: 'note', target: 'x'.repeat(2000) });
      await pause();
    }
  };
  await flood(); // fill the backlog first: what is measured next is the stalled client alone
  const before = await heap();
  const sock = net.connect(Number(new URL(running.url).port), '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.on('error', () => {});
  sock.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  sock.pause();
  await flood();
  const stalled = await heap();
  sock.destroy();
  const serviceId = (await running.app.serviceStore.findByName(NAME))!.id;
  await fetch(new URL(`/api/services/${serviceId}?mode=hard`, running.url), { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  console.log(`heap with a stalled client after the flood: ${((stalled - before) / 2 ** 20).toFixed(1)} MiB more than before (its buffer is dropped past 1 MiB; the backlog is bounded at 2,000 events and 8 MiB)`);
} finally {
  await bench.stop();
}
