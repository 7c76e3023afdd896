import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { loadConfig, type Config } from '../../src/server/env.js';
import { silentLogger, type Logger } from '../../src/server/log.js';
import { startCapstan, type RunningCapstan } from '../../src/server/main.js';

export const ADMIN = { username: 'admin', password: 'correct-horse-battery' };

export interface TestServer extends RunningCapstan {
  dataDir: string;
  config: Config;
  /** Logs in as the admin and returns the bearer token. */
  login(username?: string, password?: string): Promise<string>;
  /** fetch against the server, JSON in and out. */
  request(method: string, pathname: string, opts?: RequestOptions): Promise<TestResponse>;
  /** Stops the server and removes its data dir. */
  dispose(): Promise<void>;
}

export interface RequestOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export function newDataDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'capstan-test-'));
}

/** A real Capstan on port 0 with a fresh data dir, pointed at the private test engine. */
export async function startTestServer(
  env: Record<string, string | undefined> = {},
  dataDir = newDataDir(),
  /** Internal settings no environment variable sets (Config.limits). */
  overrides: Partial<Config> = {},
  /** Where the server logs; silent unless a test searches its lines (recordingLogger). */
  log: Logger = silentLogger,
): Promise<TestServer> {
  const base = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CAPSTAN_DATA_DIR: dataDir,
    DOCKER_HOST: inject('testEnv').dockerHost,
    CAPSTAN_ADMIN_USERNAME: ADMIN.username,
    CAPSTAN_ADMIN_PASSWORD: ADMIN.password,
    ...env,
  });
  const config: Config = { ...base, ...overrides };
  const running = await startCapstan(config, log);
  const request = (method: string, pathname: string, opts: RequestOptions = {}) =>
    httpRequest(running.url, method, pathname, opts);
  return {
    ...running,
    dataDir,
    config,
    request,
    async login(username = ADMIN.username, password = ADMIN.password) {
      const res = await request('POST', '/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      return res.json.token as string;
    },
    async dispose() {
      const ids = (await running.app.serviceStore.list().catch(() => [])).map((r) => r.id);
      await running.stop();
      await removeDockerObjects(ids);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Removes what a test server's services left on the shared engine (containers,
 * networks, volumes), so test runs never exhaust its networks. Objects are
 * found by Capstan's service-id label; a server on another engine finds none here.
 */
async function removeDockerObjects(serviceIds: string[]): Promise<void> {
  if (serviceIds.length === 0) return;
  const docker = new Docker({ socketPath: new URL(inject('testEnv').dockerHost).pathname });
  const labels = serviceIds.map((id) => `io.capstan.service-id=${id}`);
  for (const label of labels) {
    const filters = { label: [label] };
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
  }
}

export async function httpRequest(base: string, method: string, pathname: string, opts: RequestOptions = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(new URL(pathname, base), { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The answer is `status` in the contract's error shape; `details`, when given, must match its details. */
export function expectContractError(res: { status: number; json: any; text: string }, status: number, details?: RegExp): void {
  expect(res.status, res.text).toBe(status);
  expect(isContractError(res.json), res.text).toBe(true);
  if (details) expect(res.json.details, res.text).toMatch(details);
}

/** Asserts the contract's error shape without a test framework dependency here. */
export function isContractError(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  return (
    typeof b.error === 'string' &&
    typeof b.code === 'string' &&
    (keys === 'code,error' || (keys === 'code,details,error' && typeof b.details === 'string'))
  );
}

/** The apps API's error body (/api/appos/*): {code: <status>, message, data: {code, details?}}. */
export function isAppsError(body: unknown, status?: number): boolean {
  if (!body || typeof body !== 'object') return false;
  const b = body as Record<string, unknown>;
  const data = b.data as Record<string, unknown> | undefined;
  return (
    Object.keys(b).sort().join(',') === 'code,data,message' &&
    typeof b.code === 'number' &&
    (status === undefined || b.code === status) &&
    typeof b.message === 'string' &&
    typeof data?.code === 'string' &&
    (data.details === undefined || typeof data.details === 'string')
  );
}

/** The error shape a path promises: the apps API's on /api/appos/*, the contract's everywhere else. */
export function isErrorShapeFor(path: string, body: unknown): boolean {
  return /^\/api\/appos(\/|$|\?)/.test(path) ? isAppsError(body) : isContractError(body);
}

/**
 * One server and an admin token for a whole test file:
 *   const ctx = useServer(); ... ctx.s, ctx.token
 */
export function useServer(env: Record<string, string | undefined> = {}): { s: TestServer; token: string } {
  const ctx = {} as { s: TestServer; token: string };
  beforeAll(async () => {
    ctx.s = await startTestServer(env);
    ctx.token = await ctx.s.login();
  });
  afterAll(() => ctx.s?.dispose());
  return ctx;
}

/** Polls a deployment until it has finished (tests may poll; the product does not). */
export async function waitForDeployment(s: TestServer, token: string, id: string, ms = 60_000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await s.request('GET', `/api/deployments/${id}`, { token });
    if (res.status !== 200) throw new Error(`deployment ${id}: ${res.status} ${res.text}`);
    if (res.json.status === 'succeeded' || res.json.status === 'failed') return res.json;
    if (Date.now() > until) throw new Error(`deployment ${id} still ${res.json.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sends an operation that queues a deployment, waits for it, and returns the
 * response, the finished deployment and the service as it is afterwards.
 */
export async function deployAndWait(s: TestServer, token: string, method: string, path: string, body?: unknown) {
  const res = await s.request(method, path, { token, ...(body === undefined ? {} : { body }) });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
  const deployment = await waitForDeployment(s, token, res.json.deployment_id);
  const service = (await s.request('GET', `/api/services/${res.json.id}`, { token })).json;
  return { res, deployment, service };
}

/** Deletes a service with its volumes (`mode=hard`) and waits (up to 30 s) until it is gone: an e2e file's cleanup. */
export async function removeServiceAndWait(s: TestServer, token: string, id: string): Promise<void> {
  await s.request('DELETE', `/api/services/${id}?mode=hard`, { token });
  for (let i = 0; i < 300 && (await s.request('GET', `/api/services/${id}`, { token })).status !== 404; i++) await new Promise((r) => setTimeout(r, 100));
}

/** graphile-worker's job rows with a job key, on a test server's queue. */
export async function jobRows(s: TestServer, key: string): Promise<{ id: string; run_at: Date; locked_at: Date | null }[]> {
  const client = new pg.Client({ connectionString: s.jobs.connectionString });
  await client.connect();
  try {
    return (await client.query('SELECT id, run_at, locked_at FROM graphile_worker._private_jobs WHERE key = $1', [key])).rows;
  } finally {
    await client.end();
  }
}

/** A logger that keeps every line (as JSON) for a test to search, e.g. for secrets. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(JSON.stringify({ level, msg, ...fields }));
  return { logger: { debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') }, lines };
}
