import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import { CapstanError } from '../errors.js';
import { engineCall, exists, toEngineError } from './errors.js';

/** "registry:5000/org/app:1.2" → repo "registry:5000/org/app", tag "1.2"; a digest reference keeps its digest. */
export function splitImageRef(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

export function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return engineCall((abortSignal) => exists(() => docker.getImage(ref).inspect({ abortSignal } as object)), `Could not inspect image ${ref}`);
}

export interface PullEvent {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

/** What the engine sends a registry (X-Registry-Auth); never logged. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Finds stored credentials for a registry host (canonical, see registryHostOf). */
export type CredentialLookup = (registryHost: string) => Promise<RegistryAuth | undefined>;

export interface PullOptions {
  credentials?: CredentialLookup;
  /** Aborting destroys the engine's progress stream, which makes the engine cancel the pull. */
  signal?: AbortSignal;
  /** No progress event for this long and the pull is abandoned as stalled (PULL_INACTIVITY_MS by default). */
  inactivityMs?: number;
}

/**
 * A pull sends progress every second or so while anything moves; a registry
 * that accepts and never answers sends nothing, and the engine waits for it
 * forever (and so would the service's queue).
 */
export const PULL_INACTIVITY_MS = 60_000;

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
/** The server address the docker CLI sends for Docker Hub credentials. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';

/** "https://Index.Docker.io/v1/" → "docker.io"; "Registry.example.com:5000/" → "registry.example.com:5000". */
export function canonicalRegistryHost(host: string): string {
  const bare = host
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return DOCKER_HUB_ALIASES.has(bare) ? DOCKER_HUB : bare;
}

/** The registry a reference is pulled from, by Docker's rule: a first component with ".", ":" or "localhost" is a host. */
export function registryHostOf(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = ref.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
  return isHost ? canonicalRegistryHost(first) : DOCKER_HUB;
}

const NOT_FOUND = /not found|manifest unknown|pull access denied|repository does not exist|no such host|name unknown/i;

/**
 * The engine reached no registry at that address: nothing listens there, or it does not speak
 * the registry protocol. The reference names a registry that is not there, which is the
 * request's problem, not the server's (a registry that stops answering mid-pull is retried).
 */
const UNREACHABLE = /connection refused|connect: no route to host|network is unreachable|server gave HTTP response to HTTPS client|tls: first record does not look like a TLS handshake/i;

function pullError(ref: string, message: string, cause?: unknown): CapstanError {
  if (NOT_FOUND.test(message)) return new CapstanError('NOT_FOUND', `Image ${ref} not found`, { details: message, cause });
  if (UNREACHABLE.test(message)) return new CapstanError('BAD_REQUEST', `Could not pull image ${ref}: its registry is not reachable`, { details: message, cause });
  return new CapstanError('INTERNAL_SERVER_ERROR', `Could not pull image ${ref}`, { details: message, cause });
}

/**
 * The engine's progress stream as events (newline-delimited JSON). The stream
 * is destroyed when the signal aborts or the consumer stops early, so an
 * abandoned pull does not keep a connection (and the engine's pull) alive.
 */
export async function* readPullEvents(stream: NodeJS.ReadableStream, signal?: AbortSignal): AsyncGenerator<PullEvent> {
  const destroy = () => (stream as Readable).destroy();
  if (signal?.aborted) destroy();
  signal?.addEventListener('abort', destroy, { once: true });
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  try {
    for await (const chunk of stream) {
      buffer += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) yield JSON.parse(line) as PullEvent;
      }
    }
    buffer += decoder.end();
    if (buffer.trim()) yield JSON.parse(buffer) as PullEvent;
  } finally {
    signal?.removeEventListener('abort', destroy);
    destroy();
  }
}

const fullRef = (ref: string) => {
  const { repo, tag } = splitImageRef(ref);
  return tag.startsWith('sha256:') ? `${repo}@${tag}` : `${repo}:${tag}`;
};

/**
 * Pulls an image, yielding the engine's progress events. Errors can arrive
 * inside a 200 stream as {error}: those are failures too. Credentials, when
 * the lookup has some for the image's registry, go in X-Registry-Auth.
 */
export async function* streamPull(docker: Docker, ref: string, opts: PullOptions = {}): AsyncGenerator<PullEvent> {
  const full = fullRef(ref);
  const authconfig = await opts.credentials?.(registryHostOf(full));
  const inactivityMs = opts.inactivityMs ?? PULL_INACTIVITY_MS;
  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Armed before the request: an engine stuck on the registry does not even send the response headers.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), inactivityMs);
    timer.unref();
  };
  const signal = opts.signal ? AbortSignal.any([opts.signal, stall.signal]) : stall.signal;
  const stalled = () =>
    new CapstanError('SERVICE_UNAVAILABLE', `Could not pull image ${ref}: the registry stopped answering`, {
      details: `no progress from the engine for ${Math.round(inactivityMs / 1000)} s while pulling ${ref} from ${registryHostOf(full)}; the pull was abandoned and will be retried`,
    });
  arm();
  try {
    let stream: NodeJS.ReadableStream;
    try {
      // A fresh options object: dockerode deletes authconfig and abortSignal from it.
      stream = (await docker.pull(full, { ...(authconfig ? { authconfig } : {}), abortSignal: signal })) as NodeJS.ReadableStream;
    } catch (err) {
      if (stall.signal.aborted && !opts.signal?.aborted) throw stalled();
      if (opts.signal?.aborted) throw pullError(ref, 'cancelled', err);
      const mapped = toEngineError(err);
      if (mapped.code === 'SERVICE_UNAVAILABLE') throw mapped;
      throw pullError(ref, mapped.details ?? mapped.message, err);
    }
    try {
      for await (const e of readPullEvents(stream, signal)) {
        arm();
        if (e.error || e.errorDetail?.message) throw pullError(ref, e.errorDetail?.message ?? e.error ?? 'pull failed');
        yield e;
      }
    } catch (err) {
      if (err instanceof CapstanError) throw err;
      if (stall.signal.aborted && !opts.signal?.aborted) throw stalled();
      if (opts.signal?.aborted) throw pullError(ref, 'cancelled', err);
      // The engine going away mid-stream is the engine being unavailable, not a failed pull.
      const mapped = toEngineError(err);
      if (mapped.code === 'SERVICE_UNAVAILABLE') throw mapped;
      throw pullError(ref, err instanceof Error ? err.message : String(err), err);
    }
    // A stream that ended because the timer destroyed it is a stall, not a finished pull.
    if (stall.signal.aborted && !opts.signal?.aborted) throw stalled();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The credentials lookup each engine client uses when a caller passes none:
 * deploys reach ensureImage without a way to hand one over, so the app
 * registers its lookup once, next to the client it built.
 */
const defaultCredentials = new WeakMap<Docker, CredentialLookup>();

export function useCredentials(docker: Docker, lookup: CredentialLookup): void {
  defaultCredentials.set(docker, lookup);
}

/** The lookup registered for this client, for other registry calls (distribution inspect) made without one. */
export function credentialsFor(docker: Docker): CredentialLookup | undefined {
  return defaultCredentials.get(docker);
}

/** Pulls an image and waits for the end of its progress stream. */
export async function pullImage(
  docker: Docker,
  ref: string,
  onEvent?: (e: PullEvent) => void,
  opts: PullOptions = {},
): Promise<PullEvent[]> {
  const events: PullEvent[] = [];
  for await (const e of streamPull(docker, ref, { ...opts, credentials: opts.credentials ?? defaultCredentials.get(docker) })) {
    events.push(e);
    onEvent?.(e);
  }
  return events;
}

/** Pulls the image only when the engine does not have it. */
export async function ensureImage(docker: Docker, ref: string, credentials?: CredentialLookup, opts: PullOptions = {}): Promise<boolean> {
  if (await imageExists(docker, ref)) return false;
  await pullImage(docker, ref, undefined, credentials ? { ...opts, credentials } : opts);
  return true;
}

export function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo> {
  return engineCall((abortSignal) => docker.getImage(ref).inspect({ abortSignal } as object), `Could not inspect image ${ref}`);
}

/** Removals and prunes walk layers on disk: longer than a short request, still bounded. */
const SLOW_IMAGE_CALL_MS = 120_000;

export interface ImageDeletion {
  untagged: string[];
  deleted: string[];
}

function deletion(items: { Untagged?: string; Deleted?: string }[] | null | undefined): ImageDeletion {
  const list = items ?? [];
  return {
    untagged: list.flatMap((i) => (i.Untagged ? [i.Untagged] : [])),
    deleted: list.flatMap((i) => (i.Deleted ? [i.Deleted] : [])),
  };
}

/** Every top-level image (tagged and dangling), in one engine call. */
export function listImages(docker: Docker): Promise<Docker.ImageInfo[]> {
  return engineCall((abortSignal) => docker.listImages({ all: false, abortSignal } as Docker.ListImagesOptions), 'Could not list images');
}

/**
 * Removes an image by id, never forced: an image a container uses stays (409).
 * Docker refuses a plain delete by id when tags span several repositories, so
 * those are untagged one by one, each removal still unforced.
 */
export async function removeImage(docker: Docker, id: string): Promise<ImageDeletion> {
  const remove = async (name: string) =>
    deletion(
      await engineCall((abortSignal) => docker.getImage(name).remove({ abortSignal }), `Could not remove image ${id}`, SLOW_IMAGE_CALL_MS),
    );
  try {
    return await remove(id);
  } catch (err) {
    if (!(err instanceof CapstanError && err.code === 'CONFLICT' && /multiple repositories/i.test(err.details ?? ''))) throw err;
  }
  const { RepoTags } = await inspectImage(docker, id);
  const result: ImageDeletion = { untagged: [], deleted: [] };
  for (const name of RepoTags ?? []) {
    const r = await remove(name);
    result.untagged.push(...r.untagged);
    result.deleted.push(...r.deleted);
  }
  if (await imageExists(docker, id)) {
    const r = await remove(id);
    result.untagged.push(...r.untagged);
    result.deleted.push(...r.deleted);
  }
  return result;
}

/** Removes dangling images only (no tag, no container); tagged images stay whatever their use. */
export async function pruneDanglingImages(docker: Docker): Promise<ImageDeletion & { spaceReclaimed: number }> {
  const r = await engineCall(
    (abortSignal) => docker.pruneImages({ filters: { dangling: ['true'] }, abortSignal }),
    'Could not prune images',
    SLOW_IMAGE_CALL_MS,
  );
  return { ...deletion(r.ImagesDeleted), spaceReclaimed: r.SpaceReclaimed ?? 0 };
}
