import type Docker from 'dockerode';
import { LOCAL_ENGINE_ID } from '../../shared/engines.js';
import type {
  ImageObject,
  ImageUser,
  PruneResult,
  PullInput,
  PullProgressEvent,
  PullResult,
  RemoveImageResult,
} from '../../shared/images.js';
import { listAllContainers, type ContainerInfo } from '../docker/containers.js';
import {
  inspectImage,
  listImages,
  pruneDanglingImages,
  removeImage,
  streamPull,
  type CredentialLookup,
  type PullEvent,
} from '../docker/images.js';
import { CapstanError } from '../errors.js';
import { belongsTo } from './apply.js';
import type { AuditLog } from './audit.js';
import type { EnginePool } from './engines.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

const NONE_TAG = '<none>:<none>';
const NONE_DIGEST = '<none>@<none>';
const DIGEST_LINE = /^Digest: (sha256:[a-f0-9]{64})/;

/** "busybox" + "1" → "busybox:1"; a digest in tag makes a digest reference. */
export const imageRef = ({ image, tag }: PullInput) => (tag.startsWith('sha256:') ? `${image}@${tag}` : `${image}:${tag}`);

/** A pull's log as the docker CLI prints it, without the byte-count ticks of each download. */
function logLines(events: PullEvent[]): string[] {
  return events
    .filter((e) => e.status && !(e.progressDetail && typeof e.progressDetail.current === 'number'))
    .map((e) => (e.id ? `${e.id}: ${e.status}` : e.status!));
}

/** "Status: Image is up to date for busybox:1" → "Image is up to date". */
function finalStatus(events: PullEvent[]): string {
  const line = [...events].reverse().find((e) => e.status?.startsWith('Status: '))?.status;
  return line ? line.slice('Status: '.length).replace(/ for \S+$/, '') : (events.at(-1)?.status ?? 'Pulled');
}

function failureDetails(err: unknown): Record<string, unknown> {
  return err instanceof CapstanError ? { error: err.message, code: err.code } : { error: 'Internal server error', code: 'INTERNAL_SERVER_ERROR' };
}

/**
 * The images on each engine: pulls (with stored registry credentials), the
 * list with who uses what, removal, prune. Every call acts on one engine
 * (default `local`); its users are that engine's containers, and only the
 * services on that engine are named for them.
 */
export class ImageService {
  constructor(
    private readonly engines: EnginePool,
    private readonly store: ServiceStore,
    private readonly credentials: CredentialLookup,
    private readonly audit: AuditLog,
  ) {}

  /** Pulls and waits for the end; the answer carries the registry digest and the log. */
  async pull(input: PullInput, signal?: AbortSignal): Promise<PullResult> {
    const docker = await this.engines.docker(engineOf(input));
    const events: PullEvent[] = [];
    for await (const e of streamPull(docker, imageRef(input), { credentials: this.credentials, signal })) events.push(e);
    return { ...(await this.resolve(docker, input, events)), log: logLines(events) };
  }

  /**
   * The same pull as a stream of per-layer progress and a final event. It has
   * no request/response to hang the audit middleware on, so its entry is
   * written here, once, when the stream ends (success, failure or the client
   * going away).
   */
  async *pullProgress(input: PullInput, actor: string, signal?: AbortSignal): AsyncGenerator<PullProgressEvent> {
    const ref = imageRef(input);
    const engineId = engineOf(input);
    const events: PullEvent[] = [];
    let details: Record<string, unknown> | undefined;
    let ok = false;
    try {
      const docker = await this.engines.docker(engineId);
      for await (const e of streamPull(docker, ref, { credentials: this.credentials, signal })) {
        events.push(e);
        // The "Pulling from <repo>" line carries the tag in id; it is not a layer.
        if (e.id && e.status && !e.status.startsWith('Pulling from')) {
          yield {
            done: false,
            layer: e.id,
            status: e.status,
            current: e.progressDetail?.current ?? null,
            total: e.progressDetail?.total ?? null,
          };
        }
      }
      const result = await this.resolve(docker, input, events);
      ok = true;
      details = { digest: result.digest, status: result.status };
      yield { done: true, ...result };
    } catch (err) {
      if (!signal?.aborted) details = failureDetails(err);
      throw err;
    } finally {
      await this.audit.record({
        actor,
        action: 'image.pull',
        target: `image:${ref}`,
        outcome: ok ? 'success' : 'failure',
        details: { via: 'subscription', engine_id: engineId, ...(details ?? { error: 'cancelled: the client went away' }) },
      });
    }
  }

  /** The id and the registry digest of what a pull left on the engine. */
  private async resolve(docker: Docker, input: PullInput, events: PullEvent[]): Promise<Omit<PullResult, 'log'>> {
    const ref = imageRef(input);
    const info = await inspectImage(docker, ref);
    const fromStream = events.map((e) => DIGEST_LINE.exec(e.status ?? '')?.[1]).find(Boolean);
    const sha = input.tag.startsWith('sha256:') ? input.tag : fromStream;
    // The contract's digest is the manifest digest alone, as `docker pull` prints it: sha256:<hex>, no repository.
    const repoDigests = info.RepoDigests ?? [];
    const known = repoDigests.find((d) => d.startsWith(`${input.image}@`)) ?? repoDigests[0];
    const digest = sha ?? (known ? known.slice(known.indexOf('@') + 1) : null);
    return { image: input.image, tag: input.tag, id: info.Id, digest, status: finalStatus(events) };
  }

  /** Images with the containers (and Capstan services) using them: one image list, one container list. */
  async list(engineId: string = LOCAL_ENGINE_ID): Promise<ImageObject[]> {
    const docker = await this.engines.docker(engineId);
    const [images, containers, services] = await Promise.all([listImages(docker), listAllContainers(docker), this.servicesOn(engineId)]);
    const users = new Map<string, ImageUser[]>();
    for (const c of containers) {
      const list = users.get(c.imageId) ?? [];
      list.push(userOf(c, services));
      users.set(c.imageId, list);
    }
    return images.map((i) => {
      const tags = (i.RepoTags ?? []).filter((t) => t !== NONE_TAG);
      return {
        id: i.Id,
        repo_tags: tags,
        repo_digests: (i.RepoDigests ?? []).filter((d) => d !== NONE_DIGEST),
        size: i.Size,
        created: new Date(i.Created * 1000).toISOString(),
        dangling: tags.length === 0,
        used_by: users.get(i.Id) ?? [],
      };
    });
  }

  /** Removes an image by id, never forced: one a container uses is a 409 naming the container. */
  async remove(id: string, engineId: string = LOCAL_ENGINE_ID): Promise<RemoveImageResult> {
    const docker = await this.engines.docker(engineId);
    const hex = id.replace(/^sha256:/, '');
    const info = await inspectImage(docker, id).catch((err: unknown) => {
      if (err instanceof CapstanError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    });
    // The engine also resolves a hex string as a repository name; only an id counts here.
    if (!info || !info.Id.startsWith(`sha256:${hex}`)) {
      throw new CapstanError('NOT_FOUND', 'Image not found', { details: `no image with id "${id}" on engine "${engineId}"` });
    }
    const [containers, services] = await Promise.all([listAllContainers(docker), this.servicesOn(engineId)]);
    const using = containers.filter((c) => c.imageId === info.Id).map((c) => userOf(c, services));
    if (using.length > 0) throw inUse(info.Id, using.map(describeUser).join(', '));
    try {
      const r = await removeImage(docker, info.Id);
      return { id: info.Id, untagged: r.untagged, deleted: r.deleted };
    } catch (err) {
      // A container created since the check above: the engine refuses, and says which.
      if (err instanceof CapstanError && err.code === 'CONFLICT') throw inUse(info.Id, err.details ?? 'a container');
      throw err;
    }
  }

  async prune(engineId: string = LOCAL_ENGINE_ID): Promise<PruneResult> {
    const r = await pruneDanglingImages(await this.engines.docker(engineId));
    return { deleted: r.deleted, untagged: r.untagged, space_reclaimed: r.spaceReclaimed };
  }

  /** The services that run on the engine: a container listed from its client can belong only to one of them. */
  private async servicesOn(engineId: string): Promise<ServiceRow[]> {
    return (await this.store.list()).filter((s) => s.engineId === engineId);
  }
}

const engineOf = (input: PullInput) => input.engine_id ?? LOCAL_ENGINE_ID;

function userOf(c: ContainerInfo, services: ServiceRow[]): ImageUser {
  const service = services.find((s) => belongsTo(c, s));
  return { container_id: c.id, container_name: c.name, state: c.state, service_id: service?.id ?? null, service_name: service?.name ?? null };
}

const describeUser = (u: ImageUser) => (u.service_name ? `${u.container_name} (service ${u.service_name})` : u.container_name);

const inUse = (id: string, who: string) =>
  new CapstanError('CONFLICT', 'Image in use', { details: `image ${id} is used by container ${who}; remove the container first` });
