// Crash cases: a Capstan process killed with SIGKILL in the middle of some
// work, the moment the engine reports an event of it, and a second process on
// the same data dir that must converge from what the first left.
import { rmSync } from 'node:fs';
import { expect, inject } from 'vitest';
import { projectContainers, testDocker } from './engine.js';
import { spawnCapstan, type CapstanProcess } from './process.js';
import { ADMIN, httpRequest, newDataDir } from './server.js';

const docker = testDocker();

async function login(url: string): Promise<string> {
  const res = await httpRequest(url, 'POST', '/auth/login', { body: ADMIN });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.text}`);
  return res.json.token;
}

/** A Capstan process on its own data dir and the shared engine, and the container every test service runs. */
const envOf = (dataDir: string) => ({
  CAPSTAN_DATA_DIR: dataDir,
  DOCKER_HOST: inject('testEnv').dockerHost,
  CAPSTAN_ADMIN_USERNAME: ADMIN.username,
  CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
});

/**
 * Listens for `event` on a container of the project, and SIGKILLs the
 * process the moment the engine reports it; `killed` settles once it has.
 * (An object, not a promise: awaiting the listener must not wait for the kill.)
 */
async function killOnFirst(p: CapstanProcess, event: string, project: string): Promise<{ killed: Promise<void> }> {
  const events = (await docker.getEvents({ filters: { type: ['container'], event: [event], label: [`com.docker.compose.project=${project}`] } })) as NodeJS.ReadableStream;
  const killed = new Promise<void>((resolve) => {
    events.once('data', () => {
      p.child.kill('SIGKILL');
      (events as unknown as { destroy(): void }).destroy();
      resolve();
    });
  });
  return { killed };
}

/** A Capstan process as a case drives it: its address and an admin token. */
export interface Served {
  url: string;
  token: string;
}

/**
 * One crash case, on a fresh data dir and a first Capstan process: `before`
 * prepares; `crash` sends the request whose work is cut short, as the process
 * is SIGKILLed the moment the engine reports `event` on a container of the
 * project; `atCrash` looks at what the kill left; `after` checks a second
 * process on the same data dir, which is then stopped cleanly. Whatever
 * happens, the project's containers are removed, then what `cleanup` does.
 */
export async function crashCase<T>(
  project: string,
  event: string,
  steps: {
    before: (p: Served) => Promise<T>;
    crash: (p: Served, state: T) => Promise<unknown>;
    atCrash?: (state: T) => Promise<void>;
    after: (p: Served, state: T) => Promise<void>;
    cleanup?: () => Promise<void>;
  },
): Promise<void> {
  const dataDir = newDataDir();
  const env = envOf(dataDir);
  try {
    const first = await spawnCapstan(env);
    const one = { url: first.url, token: await login(first.url) };
    const state = await steps.before(one);
    const { killed } = await killOnFirst(first, event, project);
    void steps.crash(one, state).catch(() => undefined);
    await killed;
    expect(await first.exited).toBeNull();
    await steps.atCrash?.(state);

    const second = await spawnCapstan(env);
    try {
      await steps.after({ url: second.url, token: await login(second.url) }, state);
    } finally {
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
  } finally {
    for (const c of await projectContainers(docker, project)) await docker.getContainer(c.Id).remove({ force: true });
    await steps.cleanup?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The service's newest deployment, once it has succeeded (after its retry). */
export async function succeeded(p: Served, serviceId: string): Promise<{ kind: string; status: string; attempts: number }> {
  let deployment: { kind: string; status: string; attempts: number } | undefined;
  await expect
    .poll(
      async () => {
        deployment = (await httpRequest(p.url, 'GET', `/api/services/${serviceId}/deployments`, { token: p.token })).json[0];
        return deployment?.status;
      },
      { timeout: 60_000, interval: 250 },
    )
    .toBe('succeeded');
  return deployment!;
}
