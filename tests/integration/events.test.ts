import { execFile } from 'node:child_process';
import net from 'node:net';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sseStats } from '../../src/server/sse.js';
import { uniqueName } from '../helpers/engine.js';
import { openSse, type SseConnection, type SseEvent } from '../helpers/sse.js';
import { startTestServer, waitForDeployment, type TestServer } from '../helpers/server.js';

// GET /api/events with real SSE clients: our reader (every field and comment),
// the `eventsource` package's EventSource, curl -N, and a raw socket that
// stops reading.

const BUFFER = 256 * 1024;
let s: TestServer;
let token: string;
const open: SseConnection[] = [];

beforeAll(async () => {
  s = await startTestServer({}, undefined, { limits: { sseHeartbeatMs: 250, sseBufferBytes: BUFFER } });
  token = await s.login();
});
afterAll(async () => {
  for (const c of open) c.close();
  await s?.dispose();
});

async function events(headers: Record<string, string> = {}, query = ''): Promise<SseConnection> {
  const c = await openSse(new URL(`/api/events${query}`, s.url).href, { authorization: `Bearer ${token}`, ...headers });
  open.push(c);
  return c;
}

const compose = (marker: string) =>
  `services:\n  app:\n    image: ${inject('testEnv').image}\n    command: ["sleep", "86400"]\n    init: true\n    labels:\n      marker: "${marker}"\n`;

const deploymentsOf = (list: SseEvent[], id: string) => list.filter((e) => e.event === 'deployment' && e.json.id === id);

describe('GET /api/events', () => {
  let serviceId: string;
  let createId: string;
  let full: SseConnection;

  it('refuses a request without a session in the contract shape, and takes Bearer, a bare token and the cookie', async () => {
    const none = await openSse(new URL('/api/events', s.url).href);
    expect(none.status).toBe(401);
    expect(none.errorBody).toMatchObject({ error: expect.any(String), code: 'UNAUTHORIZED' });
    const bad = await openSse(new URL('/api/events', s.url).href, { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);

    const bare = await events({ authorization: token });
    expect(bare.status).toBe(200);
    expect(bare.contentType).toMatch(/^text\/event-stream/);
    await bare.waitFor((e) => e.event === 'snapshot');

    const login = await fetch(new URL('/auth/login', s.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'correct-horse-battery' }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const viaCookie = await openSse(new URL('/api/events', s.url).href, { cookie });
    open.push(viaCookie);
    expect(viaCookie.status).toBe(200);
  });

  it('starts with a snapshot, sends heartbeats, then every step of a deploy in order, and the status change', async () => {
    full = await events();
    const snap = await full.waitFor((e) => e.event === 'snapshot');
    expect(snap.id).toMatch(/^[0-9a-f]{8}-\d+$/);
    expect(snap.json).toMatchObject({ engine: { available: true }, services: expect.any(Array), deployments: expect.any(Array) });
    expect(await full.waitForComment(10_000)).toMatch(/^ping /);

    const name = uniqueName('events');
    const res = await s.request('POST', '/api/services', { token, body: { name, yaml: compose('one') } });
    expect(res.status, res.text).toBe(201);
    serviceId = res.json.id;
    createId = res.json.deployment_id;
    await waitForDeployment(s, token, createId);
    await full.waitFor((e) => e.event === 'status' && e.json.id === serviceId && e.json.status === 'running');

    const steps = deploymentsOf(full.events, createId);
    expect(steps[0]!.json.status).toBe('queued');
    expect(steps.at(-1)!.json).toMatchObject({ status: 'succeeded', service_id: serviceId, kind: 'create' });
    expect(steps.map((e) => e.json.status)).toContain('running');
    // Each event is the deployment after one more change: steps only ever grow, in order.
    for (let i = 1; i < steps.length; i++) {
      const before = steps[i - 1]!.json.steps;
      expect(steps[i]!.json.steps.slice(0, before.length)).toEqual(before);
    }
    expect(steps.at(-1)!.json.steps.map((x: { action: string }) => x.action)).toEqual(expect.arrayContaining(['create', 'start']));
    // Ids increase with every event.
    const seqs = full.events.map((e) => Number(e.id!.split('-')[1]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs.slice(1)).size).toBe(seqs.length - 1);
  });

  it('resumes after Last-Event-ID with exactly what the client missed, and gives a snapshot for an id it no longer has', async () => {
    const cut = full.events.findIndex((e) => e.event === 'deployment' && e.json.id === createId);
    const last = full.events[cut]!;
    const resumed = await events({ 'last-event-id': last.id! });
    // Make a new change, so "missed" ends with something both clients see live.
    const upd = await s.request('POST', `/api/services/${serviceId}/restart`, { token });
    expect(upd.status, upd.text).toBe(200);
    const restartDone = (e: SseEvent) => e.event === 'deployment' && e.json.kind === 'restart' && e.json.status === 'succeeded';
    await full.waitFor(restartDone);
    await resumed.waitFor(restartDone);
    const expected = full.events.slice(cut + 1, full.events.findIndex(restartDone) + 1).map((e) => e.id);
    expect(resumed.events.slice(0, expected.length).map((e) => e.id)).toEqual(expected);
    expect(resumed.events.some((e) => e.event === 'snapshot')).toBe(false);

    for (const stale of ['00000000-5', 'garbage', `${last.id!.split('-')[0]}-999999999`]) {
      const c = await events({ 'last-event-id': stale });
      const first = await c.waitFor(() => true);
      expect(first.event, stale).toBe('snapshot');
      expect(first.json.services.find((x: { id: string }) => x.id === serviceId)).toMatchObject({ status: 'running' });
      c.close();
    }
    // The query parameter does what the header does.
    const q = await events({}, `?last_event_id=${encodeURIComponent(last.id!)}`);
    await q.waitFor(restartDone);
    expect(q.events[0]!.id).toBe(expected[0]);
  });

  it('works with a plain EventSource (the eventsource package), which reconnects with Last-Event-ID itself', async () => {
    const es = new EventSource(new URL('/api/events', s.url).href, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` } }),
    });
    try {
      const got: { type: string; data: any; id: string }[] = [];
      const stopped = new Promise<void>((resolve) => {
        for (const type of ['snapshot', 'status', 'deployment']) {
          es.addEventListener(type, (m) => {
            const data = JSON.parse(m.data);
            got.push({ type, data, id: m.lastEventId });
            if (type === 'status' && data.id === serviceId && data.status === 'stopped') resolve();
          });
        }
      });
      await new Promise<void>((resolve) => es.addEventListener('snapshot', () => resolve(), { once: true }));
      const stop = await s.request('POST', `/api/services/${serviceId}/stop`, { token });
      expect(stop.status, stop.text).toBe(200);
      await stopped;
      expect(got[0]!.type).toBe('snapshot');
      expect(got.filter((g) => g.type === 'deployment' && g.data.kind === 'stop').map((g) => g.data.status)).toContain('succeeded');
      expect(got.every((g) => /^[0-9a-f]{8}-\d+$/.test(g.id))).toBe(true);
    } finally {
      es.close();
    }
  });

  it('works with curl -N', async () => {
    const out = await new Promise<string>((resolve) => {
      execFile('curl', ['-sN', '--max-time', '2', '-H', `Authorization: Bearer ${token}`, new URL('/api/events', s.url).href], (_err, stdout) => resolve(stdout));
    });
    expect(out).toMatch(/^retry: \d+\n\nid: [0-9a-f]{8}-\d+\nevent: snapshot\ndata: \{/);
    expect(out).toMatch(/\n: ping /);
  });

  it('drops a client that stops reading once its buffer is full; a reading client misses nothing', async () => {
    const reading = await events();
    await reading.waitFor((e) => e.event === 'snapshot');
    const droppedBefore = sseStats.dropped;
    // A raw client that sends the request and then never reads.
    const sock = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    await new Promise<void>((resolve) => sock.once('connect', () => resolve()));
    sock.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    sock.pause();
    let closed = false;
    sock.on('close', () => (closed = true));
    sock.on('error', () => {});
    // Real deployment events, large ones: each step added to a real deployment row is one event carrying all its steps.
    const filler = 'x'.repeat(1000);
    let last = -1;
    for (let i = 0; i < 300 && sseStats.dropped === droppedBefore; i++) {
      await s.app.deployments.addStep(createId, { action: 'note', target: `${i} ${filler}` });
      last = i;
      // The readers live in this process: give them the event loop (a local libSQL write does not yield to I/O).
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(sseStats.dropped).toBe(droppedBefore + 1);
    // What the kernel holds still arrives; then the server's end.
    sock.resume();
    sock.on('data', () => {});
    await new Promise<void>((resolve) => (closed ? resolve() : sock.once('close', () => resolve())));
    // The reading client got every one of those events, one step more each time.
    const isLast = (e: SseEvent) => e.event === 'deployment' && e.json.id === createId && e.json.steps.at(-1)?.target.startsWith(`${last} `);
    await reading.waitFor(isLast);
    const notes = deploymentsOf(reading.events, createId).map((e) => e.json.steps.filter((x: { action: string }) => x.action === 'note').length);
    expect(notes).toEqual(Array.from({ length: last + 1 }, (_, i) => i + 1));
  });
});
