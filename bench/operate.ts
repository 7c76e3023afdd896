/**
 * Operating containers, measured in-process against the private test engine
 * (scripts/test-env.sh):
 * - terminal: time from the WebSocket upgrade to the shell's first prompt, and
 *   the round trip of one keystroke (a byte in, its echo out), against the
 *   same exec made directly through the Engine API (the peer: docker exec -it);
 * - stats: the first sample for a new watcher of a container nobody watched
 *   (an engine stream opened) and of one already watched (the shared
 *   stream's history), and how many engine streams 50 watchers of one
 *   service cause.
 *   npx tsx bench/operate.ts [keystrokes=200]
 */
import WebSocket from 'ws';
import { startTtyExec } from '../src/server/docker/exec.js';
import { benchApi, startBenchCapstan, testEnv } from './test-env.js';

const KEYS = Number(process.argv[2] ?? 200);
const env = testEnv();
const bench = await startBenchCapstan('operate', env.DOCKER_HOST!);
const { running } = bench;
const docker = running.app.engines.find('local')!.docker;
const api = (method: string, pathname: string, token?: string, body?: unknown) => benchApi(running.url, method, pathname, token, body);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const ms = (x: number) => x.toFixed(2);

/** Sends one byte at a time and waits for its echo: the keystroke round trip, as a person at a terminal feels it. */
async function roundTrips(send: (b: Buffer) => void, onData: (f: (chunk: Buffer) => void) => void, n: number): Promise<number[]> {
  let waiting: ((chunk: Buffer) => void) | undefined;
  onData((chunk) => waiting?.(chunk));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      waiting = (chunk) => {
        if (chunk.toString('latin1').includes(ch)) resolve();
      };
      send(Buffer.from(ch));
    });
    times.push(performance.now() - t0);
  }
  return times;
}

let serviceId: string | undefined;
try {
  const token = await bench.login();
  const name = `bench-operate-${Math.random().toString(36).slice(2, 7)}`;
  const created = await api('POST', '/api/services', token, {
    name,
    services: { a: { image: env.CAPSTAN_TEST_IMAGE!, command: ['sleep', '86400'] }, b: { image: env.CAPSTAN_TEST_IMAGE!, command: ['sleep', '86400'] } },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  serviceId = created.json.id as string;
  let service: any;
  for (;;) {
    service = (await api('GET', `/api/services/${serviceId}`, token)).json;
    if (service.status === 'running') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const containerId = service.containers[0].container_id as string;

  // Terminal through Capstan.
  const t0 = performance.now();
  const ws = new WebSocket(`${running.url.replace(/^http/, 'ws')}/api/services/${serviceId}/exec?container=a&cmd=sh`, { headers: { authorization: `Bearer ${token}` } });
  await new Promise<void>((resolve, reject) => {
    ws.on('message', function first(data) {
      if (data.toString().includes('#')) {
        ws.off('message', first);
        resolve();
      }
    });
    ws.once('error', reject);
  });
  const capstanPrompt = performance.now() - t0;
  const capstan = await roundTrips((b) => ws.send(b), (f) => ws.on('message', (d) => f(d as Buffer)), KEYS);
  ws.close();

  // The same through the Engine API directly.
  const t1 = performance.now();
  const exec = await startTtyExec(docker, containerId, ['sh'], 'be7c4be7c4be7c4be7c4be7c4be7c4be'.slice(0, 32));
  await new Promise<void>((resolve) => {
    const first = (chunk: Buffer) => {
      if (chunk.toString().includes('#')) {
        exec.stream.off('data', first);
        resolve();
      }
    };
    exec.stream.on('data', first);
    exec.stream.resume();
  });
  const peerPrompt = performance.now() - t1;
  const peer = await roundTrips((b) => exec.stream.write(b), (f) => exec.stream.on('data', f), KEYS);
  exec.stream.write('exit\n');
  exec.stream.destroy();

  console.log(`terminal first prompt: capstan ${ms(capstanPrompt)} ms, peer ${ms(peerPrompt)} ms (engine exec create+start), ratio ${(capstanPrompt / peerPrompt).toFixed(2)}`);
  console.log(
    `terminal keystroke round trip (${KEYS}): capstan p50 ${ms(pct(capstan, 0.5))} ms p99 ${ms(pct(capstan, 0.99))} ms, peer p50 ${ms(pct(peer, 0.5))} ms p99 ${ms(pct(peer, 0.99))} ms, ratio ${(pct(capstan, 0.5) / pct(peer, 0.5)).toFixed(2)}`,
  );

  // Stats: a cold watcher opens the engine stream; later ones share it.
  const hub = running.app.stats;
  const cold0 = performance.now();
  const firstSample = await new Promise<number>((resolve) => {
    const w = hub.watch('local', containerId, name, { sample: () => resolve(performance.now() - cold0), end: () => undefined });
    setTimeout(() => w.release(), 10_000).unref();
  });
  const warm0 = performance.now();
  const warm = hub.watch('local', containerId, name, { sample: () => undefined, end: () => undefined });
  const warmMs = performance.now() - warm0;
  const history = warm.history.length;
  warm.release();
  const watchers = Array.from({ length: 50 }, () => hub.watch('local', containerId, name, { sample: () => undefined, end: () => undefined }));
  const streams = hub.openStreams();
  for (const w of watchers) w.release();
  console.log(`stats first sample: cold watcher ${ms(firstSample)} ms (an engine stream opened), warm watcher ${ms(warmMs)} ms with ${history} samples of history at once`);
  console.log(`stats streams for 50 watchers of one container: ${streams} (goal 1)`);
} finally {
  if (serviceId) await api('DELETE', `/api/services/${serviceId}?mode=hard`, await bench.login()).catch(() => undefined);
  await bench.stop();
}
