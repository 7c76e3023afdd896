// The parity fixtures' runtime: each fixture's .env completed with this
// run's images, free ports and unique names, and one normalized snapshot of
// a project's containers and resources (compose-oracle.ts), for the tests
// that compare Capstan with docker-compose (compose-parity, adopt-parity).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { inject } from 'vitest';
import YAML from 'yaml';
import { dockerCompose, normalizeContainer, projectInspects, projectResources, type ComposeRun } from './compose-oracle.js';
import { freePort } from './engine.js';

export const PARITY_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/compose/parity');
export type Normalized = Record<string, unknown> & { Env: string[] };
const env = () => inject('testEnv');

/** The fixtures, one folder each. */
export const parityFixtures = () => readdirSync(PARITY_FIXTURES).filter((f) => statSync(path.join(PARITY_FIXTURES, f)).isDirectory()).sort();

/** What a fixture's file says about names the oracle must treat specially: services with `hostname:`, networks with fixed subnets. */
export function fixtureFacts(yaml: string, project: string): { hostnames: Set<string>; fixedSubnets: Set<string>; containerNames: Record<string, string | undefined> } {
  const doc = YAML.parse(yaml, { merge: true }) as {
    services: Record<string, { hostname?: string; container_name?: string }>;
    networks?: Record<string, { ipam?: unknown; name?: string } | null>;
  };
  return {
    hostnames: new Set(Object.entries(doc.services).filter(([, s]) => s.hostname !== undefined).map(([k]) => k)),
    fixedSubnets: new Set(Object.entries(doc.networks ?? {}).filter(([, n]) => n?.ipam).map(([k, n]) => n?.name ?? `${project}_${k}`)),
    containerNames: Object.fromEntries(Object.entries(doc.services).map(([k, s]) => [k, s.container_name])),
  };
}

/** Files of a fixture folder other than compose.yaml and .env, relative path → text. */
export function otherFiles(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(path.join(dir, rel))) {
    const r = rel ? `${rel}/${entry}` : entry;
    if (statSync(path.join(dir, r)).isDirectory()) Object.assign(out, otherFiles(dir, r));
    else if (r !== 'compose.yaml' && r !== '.env') out[r] = readFileSync(path.join(dir, r), 'utf8');
  }
  return out;
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** Two consecutive free ports, for a published range. */
async function freeRange(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65000 && (await portFree(p + 1))) return p;
  }
}

/** The fixture's .env plus what this run decides: the test images, free host ports, unique fixed names. */
export async function runtimeEnv(fixtureDir: string, name: string): Promise<string> {
  const own = (() => {
    try {
      return readFileSync(path.join(fixtureDir, '.env'), 'utf8');
    } catch {
      return '';
    }
  })();
  const start = await freeRange();
  const extra = {
    BUSYBOX_IMAGE: env().image,
    HTTPD_IMAGE: env().httpdImage,
    WEB_PORT: await freePort(),
    UDP_PORT: await freePort(),
    RANGE_START: start,
    RANGE_END: start + 1,
    SHARED_VOLUME_NAME: `${name}-shared`,
  };
  return `${own.trimEnd()}\n${Object.entries(extra).map(([k, v]) => `${k}=${v}`).join('\n')}\n`;
}

export async function imagesOf(run: ComposeRun): Promise<string[]> {
  const config = YAML.parse(await dockerCompose(run, ['config'])) as { services: Record<string, { image: string }> };
  return Object.values(config.services).map((s) => s.image);
}

/** Every container of the project, normalized, by "<service>#<n>"; plus the raw names and labels. */
export async function snapshot(docker: Docker, project: string, projectDir: string, hostnames: Set<string>, fixedSubnets: Set<string>, side = projectDir.includes('/projects/') ? 'capstan' : 'compose') {
  const inspects = await projectInspects(docker, project);
  const normalized: Record<string, Normalized> = {};
  const names: Record<string, string> = {};
  const labels: Record<string, Record<string, string>> = {};
  const ids: Record<string, string> = {};
  const servicesById = new Map([...inspects].map(([key, info]) => [info.Id, key]));
  for (const [key, info] of inspects) {
    const service = key.split('#')[0]!;
    const image = await docker.getImage(info.Config.Image).inspect();
    normalized[key] = normalizeContainer(info, { project, projectDir, imageEnv: image.Config.Env ?? [], hostnameSet: hostnames.has(service), servicesById }) as Normalized;
    names[key] = info.Name.replace(/^\//, '');
    labels[key] = info.Config.Labels ?? {};
    ids[key] = info.Id;
  }
  const snap = { normalized, names, labels, ids, resources: await projectResources(docker, project, fixedSubnets) };
  // CAPSTAN_PARITY_DUMP=dir writes both sides for a reader to look at.
  if (process.env.CAPSTAN_PARITY_DUMP) writeFileSync(path.join(process.env.CAPSTAN_PARITY_DUMP, `${project}-${side}.json`), JSON.stringify(snap, null, 2));
  return snap;
}

