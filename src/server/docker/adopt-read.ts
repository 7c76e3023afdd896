import type Docker from 'dockerode';
import { networkFactsOf, networkKeys, type NetworkDeclarations, type NetworkFacts } from './adopt-network.js';
import { configKeys, hostKeys, type Keys, type Siblings } from './adopt-service.js';
import { volumeKeys, type VolumeDeclarations } from './adopt-storage.js';
import { defaultContainerName } from './compose-plan.js';
import { daemonFacts } from './engine.js';
import type { ContainerInfo } from './containers.js';
import { inspectContainer } from './containers.js';
import { engineCall } from './errors.js';
import { inspectImage } from './images.js';
import { LABEL_DEPENDS_ON } from './labels.js';

/** A compose document read back from a project's running containers. */
export interface AdoptedProject {
  services: Record<string, Keys>;
  networks: NetworkDeclarations;
  volumes: VolumeDeclarations;
  warnings: string[];
}

const isReservedLabel = (k: string) => k.startsWith('com.docker.compose.') || k.startsWith('io.capstan.');

async function networkFacts(docker: Docker, names: Set<string>): Promise<Map<string, NetworkFacts>> {
  const out = new Map<string, NetworkFacts>();
  for (const name of names) {
    const network = docker.getNetwork(name);
    const info = await engineCall(
      (abortSignal) => (network.inspect.bind(network) as (o: object) => Promise<Docker.NetworkInspectInfo>)({ abortSignal }),
      `Could not inspect network ${name}`,
    ).catch(() => undefined);
    if (info) out.set(name, networkFactsOf(info));
  }
  return out;
}

/**
 * Rebuilds the compose document of a project from its containers (one per
 * service key, `scale` saying how many it has), keeping of each only what differs from its image's and the
 * engine's defaults: what `docker compose up` would have been given to make
 * them. What a compose file cannot say is in `warnings`.
 */
export async function readProjectDefinition(
  docker: Docker,
  project: string,
  containers: ContainerInfo[],
  scale: Record<string, number> = {},
): Promise<AdoptedProject> {
  const inspects = await Promise.all(containers.map((c) => inspectContainer(docker, c.id)));
  const engine = await daemonFacts(docker);
  const siblings: Siblings = new Map(containers.map((c, i) => [c.id, { key: c.key, name: inspects[i]!.Name.replace(/^\//, '') }]));
  const attached = new Set(inspects.flatMap((i) => Object.keys(i.NetworkSettings?.Networks ?? {})));
  const facts = await networkFacts(docker, attached);
  // Containers of one image (replicas, sidecars) need its defaults once.
  const images = new Map(
    await Promise.all([...new Set(inspects.map((i) => i.Image))].map(async (id) => [id, await inspectImage(docker, id).catch(() => undefined)] as const)),
  );
  const out: AdoptedProject = { services: {}, networks: {}, volumes: {}, warnings: [] };
  for (const [i, c] of containers.entries()) {
    const info = inspects[i]!;
    const imageConfig = (images.get(info.Image)?.Config ?? {}) as Record<string, any>;
    const warnings: string[] = [];
    const def: Keys = { image: info.Config.Image };
    const name = info.Name.replace(/^\//, '');
    // A fixed name cannot be scaled: the replicas of a scaled service take compose's names.
    if ((scale[c.key] ?? 1) > 1) def.scale = scale[c.key];
    else if (name !== defaultContainerName(project, c.key)) def.container_name = name;
    Object.assign(def, configKeys(info, imageConfig), hostKeys(info, engine, siblings, warnings));
    const volumes = volumeKeys(info, project, new Set(Object.keys(imageConfig.Volumes ?? {})), out.volumes, warnings);
    if (volumes.length) def.volumes = volumes;
    Object.assign(def, networkKeys(info, project, c.key, siblings, facts, out.networks));
    const dependsOn = (info.Config.Labels?.[LABEL_DEPENDS_ON] ?? '').split(',').map((d) => d.split(':')[0] ?? '').filter(Boolean);
    if (dependsOn.length) def.depends_on = dependsOn;
    const imageLabels = (imageConfig.Labels ?? {}) as Record<string, string>;
    const labels = Object.fromEntries(Object.entries(info.Config.Labels ?? {}).filter(([k, v]) => !isReservedLabel(k) && imageLabels[k] !== v));
    if (Object.keys(labels).length) def.labels = labels;
    out.services[c.key] = def;
    out.warnings.push(...warnings.map((w) => `${c.key}: ${w}`));
  }
  // The project's default network is compose's own: declared only when it carries something.
  if (out.networks.default && Object.keys(out.networks.default).length === 0) delete out.networks.default;
  return out;
}
