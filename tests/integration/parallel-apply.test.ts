import { describe, expect, inject, it } from 'vitest';
import { networkExists, projectContainers, testDocker, uniqueName, volumeExists } from '../helpers/engine.js';
import { deployAndWait, useServer } from '../helpers/server.js';

// Concurrency shown by what the engine recorded (its event stream and State
// timestamps), never by how long a call took: a stop begins with the engine's
// `kill` event carrying the stop signal and ends with `die`.

const ctx = useServer();
const docker = testDocker();
const image = () => inject('testEnv').image;

interface EngineEvent {
  Action: string;
  timeNano: number;
  Actor: { Attributes: Record<string, string> };
}

/** The engine's container events of a project between two instants, in order. */
async function projectEvents(project: string, since: number, until: number): Promise<EngineEvent[]> {
  // The engine takes `<seconds>.<fraction>`; `until` a second later, so the last events are in.
  const stream = (await docker.getEvents({
    since: (since / 1000).toFixed(3),
    until: (until / 1000 + 1).toFixed(3),
    filters: { type: ['container'], label: [`com.docker.compose.project=${project}`] },
  } as object)) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EngineEvent)
    .filter((e) => e.timeNano >= since * 1e6)
    .sort((a, b) => a.timeNano - b.timeNano);
}

/** For each container: when its stop began (the first kill), with which signal, when the SIGKILL came, when it died. */
function stops(events: EngineEvent[]) {
  const out = new Map<string, { begin: number; signal: string; sigkill?: number; died?: number }>();
  for (const e of events) {
    const name = e.Actor.Attributes.name!;
    const s = out.get(name);
    if (e.Action === 'kill' && !s) out.set(name, { begin: e.timeNano, signal: e.Actor.Attributes.signal! });
    else if (e.Action === 'kill' && s && e.Actor.Attributes.signal === '9') s.sigkill ??= e.timeNano;
    else if (e.Action === 'die' && s) s.died ??= e.timeNano;
  }
  return out;
}

const SECOND_NS = 1e9;

/** Ignores the stop signals (so every stop lasts its grace period), whether it is PID 1 or under the engine's init. */
const STUBBORN = `["sh", "-c", "trap '' TERM INT; sleep 86400 & wait"]`;

/** Two independent services (one with two replicas) that ignore SIGTERM, and one that depends on both. */
function yamlOf(): string {
  return [
    'services:',
    '  slow:',
    `    image: ${image()}`,
    `    command: ${STUBBORN}`,
    '    stop_grace_period: 3s',
    '    volumes: ["data:/data"]',
    '  other:',
    `    image: ${image()}`,
    `    command: ${STUBBORN}`,
    '    scale: 2',
    '    stop_grace_period: 3s',
    '    stop_signal: SIGINT',
    '  front:',
    `    image: ${image()}`,
    `    command: ${STUBBORN}`,
    '    stop_grace_period: 1s',
    '    depends_on: [slow, other]',
    'volumes:',
    '  data: {}',
    '',
  ].join('\n');
}

describe('operations act level by level, each level at once', () => {
  const name = uniqueName('par');
  const c = (svc: string, n = 1) => `${name}-${svc}-${n}`;
  let id: string;

  it('creates dependencies first: the dependant is created only after both of them started', async () => {
    const t0 = Date.now();
    const { res, deployment } = await deployAndWait(ctx.s, ctx.token, 'POST', '/api/services', { name, yaml: yamlOf() });
    expect(deployment.status, JSON.stringify(deployment.steps)).toBe('succeeded');
    id = res.json.id;
    const steps = deployment.steps.map((s: { action: string; target: string }) => `${s.action} ${s.target}`);
    for (const n of [c('slow'), c('other'), c('other', 2), c('front')]) expect(steps).toEqual(expect.arrayContaining([`create ${n}`, `start ${n}`]));
    const events = await projectEvents(name, t0, Date.now());
    const at = (action: string, container: string) => events.find((e) => e.Action === action && e.Actor.Attributes.name === container)?.timeNano;
    const frontCreated = at('create', c('front'))!;
    expect(frontCreated).toBeDefined();
    for (const dep of [c('slow'), c('other'), c('other', 2)]) expect(at('start', dep)!).toBeLessThan(frontCreated);
  });

  it('stops the dependant first, then both independent services at once, each with its own signal and grace period', async () => {
    const t0 = Date.now();
    const res = await ctx.s.request('POST', `/api/services/${id}/stop`, { token: ctx.token });
    expect(res.status, res.text).toBe(200);
    const evs = await projectEvents(name, t0, Date.now());
    const s = stops(evs);
    const front = s.get(c('front'))!;
    const level0 = [c('slow'), c('other'), c('other', 2)].map((n) => s.get(n)!);
    expect(front?.died).toBeDefined();
    for (const x of level0) {
      expect(x?.died).toBeDefined();
      // Reverse levels: the dependency's stop begins only once its dependant has died.
      expect(x.begin).toBeGreaterThanOrEqual(front.died!);
    }
    // Overlapping stops: every level-0 stop began before any of them ended (one after the other, each
    // would begin only after the previous one's 3 s grace).
    const firstDeath = Math.min(...level0.map((x) => x.died!));
    for (const x of level0) expect(x.begin).toBeLessThan(firstDeath);
    // stop_signal is what the engine sent; the grace period is the service's, not the engine's 10 s default.
    expect(s.get(c('other'))!.signal).toBe('2');
    expect(s.get(c('slow'))!.signal).toBe('15');
    for (const x of level0) {
      expect(x.sigkill).toBeDefined();
      expect(x.sigkill! - x.begin).toBeGreaterThanOrEqual(2.9 * SECOND_NS);
      expect(x.sigkill! - x.begin).toBeLessThan(10 * SECOND_NS);
    }
    expect(front.sigkill! - front.begin).toBeLessThan(3 * SECOND_NS);
    for (const n of [c('slow'), c('other'), c('other', 2), c('front')]) {
      expect((await docker.getContainer(n).inspect()).State.Running).toBe(false);
    }
  });

  it('hard-deletes: stops by reverse levels, a level at once, removes each stopped container, then the network and volume', async () => {
    const started = await ctx.s.request('POST', `/api/services/${id}/start`, { token: ctx.token });
    expect(started.status, started.text).toBe(200);
    const t0 = Date.now();
    const del = await ctx.s.request('DELETE', `/api/services/${id}?mode=hard`, { token: ctx.token });
    expect(del.status, del.text).toBe(200);
    expect((await ctx.s.request('GET', `/api/services/${id}`, { token: ctx.token })).status).toBe(404);
    const events = await projectEvents(name, t0, Date.now());
    const s = stops(events);
    const front = s.get(c('front'))!;
    const level0 = [c('slow'), c('other'), c('other', 2)].map((n) => s.get(n)!);
    const destroyed = (n: string) => events.find((e) => e.Action === 'destroy' && e.Actor.Attributes.name === n)?.timeNano;
    expect(front?.died).toBeDefined();
    for (const x of level0) {
      expect(x?.died).toBeDefined();
      expect(x.begin).toBeGreaterThanOrEqual(front.died!);
      expect(x.begin).toBeLessThan(Math.min(...level0.map((y) => y.died!)));
    }
    // Each container is removed once it has stopped.
    for (const n of [c('front'), c('slow'), c('other'), c('other', 2)]) expect(destroyed(n)).toBeGreaterThan(s.get(n)!.died!);
    expect(await projectContainers(docker, name)).toEqual([]);
    expect(await networkExists(docker, `${name}_default`)).toBe(false);
    expect(await volumeExists(docker, `${name}_data`)).toBe(false);
  });
});
