/**
 * Deploy webhook answer times: a known secret must not be told from an
 * unknown one by how long the answer takes (issue 16). Times, interleaved in
 * random order with a few calls in flight at once:
 *  - 200 calls of known secrets that are accepted (202, a redeploy queued;
 *    spread over enough hooks of one service to stay under the per-hook limit),
 *  - 200 calls of one known secret over its limit (429),
 *  - 200 calls of unknown, well-formed secrets (404),
 * and prints the median and p95 of each and their ratio to the unknown ones
 * (1.00 is ideal). Private engine of scripts/test-env.sh; everything created
 * is removed.
 *   npx tsx bench/webhooks.ts [calls=200] [in-flight=4]
 */
import { randomBytes } from 'node:crypto';
import { benchApi, startBenchCapstan, testEnv } from './test-env.js';

const CALLS = Number(process.argv[2] ?? 200);
const IN_FLIGHT = Number(process.argv[3] ?? 4);
/** HOOK_CALLS_PER_MINUTE in src/server/services/webhooks.ts. */
const PER_HOOK = 6;

const env = testEnv();
const bench = await startBenchCapstan('webhooks', env.DOCKER_HOST!);
const api = (method: string, pathname: string, token: string, body?: unknown) => benchApi(bench.running.url, method, pathname, token, body);

async function timeCall(url: string, expected: number): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await res.text();
  const ms = performance.now() - t0;
  if (res.status !== expected) throw new Error(`${expected} expected, got ${res.status}`);
  return ms;
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

try {
  const token = await bench.login();
  const created = await api('POST', '/api/services', token, { name: `whkbench-${randomBytes(3).toString('hex')}`, services: { app: { image: env.CAPSTAN_TEST_IMAGE!, command: ['sleep', '86400'] } } });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const serviceId = created.json.id as string;
  const hookUrl = async () => {
    const res = await api('POST', `/api/services/${serviceId}/webhooks`, token, { action: 'redeploy' });
    if (res.status !== 201) throw new Error(`hook: ${res.status} ${res.text}`);
    return res.json.url as string;
  };
  const accepted: string[] = [];
  for (let i = 0; i < Math.ceil(CALLS / PER_HOOK); i++) {
    const url = await hookUrl();
    for (let j = 0; j < PER_HOOK && accepted.length < CALLS; j++) accepted.push(url);
  }
  const limited = await hookUrl();
  // Use up the limited hook's minute first: every timed call of it is then a 429.
  for (let i = 0; i < PER_HOOK; i++) await timeCall(limited, 202);
  const base = new URL(accepted[0]!).origin;

  type Kind = 'accepted' | 'limited' | 'unknown';
  const calls: { kind: Kind; url: string; status: number }[] = [
    ...accepted.map((url) => ({ kind: 'accepted' as const, url, status: 202 })),
    ...Array.from({ length: CALLS }, () => ({ kind: 'limited' as const, url: limited, status: 429 })),
    ...Array.from({ length: CALLS }, () => ({ kind: 'unknown' as const, url: `${base}/api/hooks/${randomBytes(32).toString('base64url')}`, status: 404 })),
  ];
  for (let i = calls.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [calls[i], calls[j]] = [calls[j]!, calls[i]!];
  }
  const times: Record<Kind, number[]> = { accepted: [], limited: [], unknown: [] };
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < calls.length) {
        const c = calls[next++]!;
        times[c.kind].push(await timeCall(c.url, c.status));
      }
    }),
  );

  const unknownMedian = quantile(times.unknown, 0.5);
  for (const kind of ['accepted', 'limited', 'unknown'] as const) {
    const median = quantile(times[kind], 0.5);
    const label = { accepted: 'known secret, accepted (202)', limited: 'known secret, over its limit (429)', unknown: 'unknown secret (404)' }[kind];
    console.log(
      `webhook ${label}, ${times[kind].length} calls, ${IN_FLIGHT} in flight: median ${median.toFixed(1)} ms, p95 ${quantile(times[kind], 0.95).toFixed(1)} ms, median ratio to unknown ${(median / unknownMedian).toFixed(2)}`,
    );
  }
  // The queued redeploys run one after another; let them end before the service goes.
  for (let i = 0; i < 600; i++) {
    const list = await api('GET', `/api/services/${serviceId}/deployments`, token);
    if ((list.json as { status: string }[]).every((d) => d.status === 'succeeded' || d.status === 'failed')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  await api('DELETE', `/api/services/${serviceId}?mode=hard`, token);
} finally {
  await bench.stop();
}
