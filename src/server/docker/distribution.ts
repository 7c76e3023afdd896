import type Docker from 'dockerode';
import { CapstanError } from '../errors.js';
import { engineCall, exists } from './errors.js';
import { credentialsFor, registryHostOf, splitImageRef, type CredentialLookup } from './images.js';

/**
 * The engine asks the registry itself (auth, token exchange, manifest HEAD):
 * slower than a local call, still bounded so one dead registry cannot hold a
 * check of every image.
 */
export const DISTRIBUTION_DEADLINE_MS = 30_000;

/** A reference as the engine pulls it: a missing tag is "latest". */
export function canonicalRef(ref: string): string {
  const { repo, tag } = splitImageRef(ref);
  return /^sha\d+:/.test(tag) ? `${repo}@${tag}` : `${repo}:${tag}`;
}

/** The repository as the engine lists it in RepoTags/RepoDigests: Docker Hub's "docker.io/library/" is left out. */
export function familiarRepository(repo: string): string {
  if (registryHostOf(repo) !== 'docker.io') return repo;
  const path = repo.includes('/') && /[.:]/.test(repo.slice(0, repo.indexOf('/'))) ? repo.slice(repo.indexOf('/') + 1) : repo;
  return /^library\/[^/]+$/.test(path) ? path.slice('library/'.length) : path;
}

/** The digest a reference pins, when it names one ("repo@sha256:…"): no registry can change that image. */
export function pinnedDigest(ref: string): string | undefined {
  const at = ref.indexOf('@');
  return at >= 0 ? ref.slice(at + 1) : undefined;
}

interface DistributionInfo {
  Descriptor?: { digest?: string; mediaType?: string };
}

function distribution(docker: Docker, ref: string, authconfig: object | undefined, abortSignal: AbortSignal): Promise<DistributionInfo> {
  return new Promise((resolve, reject) => {
    // modem.dial, not Image.distribution: that one takes no abort signal.
    docker.modem.dial(
      {
        path: `/distribution/${ref}/json`,
        method: 'GET',
        abortSignal,
        ...(authconfig ? { authconfig } : {}),
        statusCodes: { 200: true, 401: 'unauthorized', 403: 'forbidden', 404: 'not found', 500: 'server error' },
      },
      (err: unknown, out: unknown) => (err ? reject(err) : resolve(out as DistributionInfo)),
    );
  });
}

/**
 * The registry's manifest digest for a reference (the one `docker pull` would
 * record), asked through the engine's distribution inspect: nothing is
 * pulled. Credentials for the image's registry, when there are some, go in
 * X-Registry-Auth as for a pull. A registry that cannot be asked is a
 * CapstanError whose details carry the engine's words.
 */
export async function registryDigest(docker: Docker, ref: string, opts: { credentials?: CredentialLookup; timeoutMs?: number } = {}): Promise<string> {
  const full = canonicalRef(ref);
  const lookup = opts.credentials ?? credentialsFor(docker);
  const authconfig = await lookup?.(registryHostOf(full));
  const info = await engineCall(
    (signal) => distribution(docker, full, authconfig, signal),
    `Could not ask the registry about ${full}`,
    opts.timeoutMs ?? DISTRIBUTION_DEADLINE_MS,
  );
  const digest = info.Descriptor?.digest;
  if (!digest) throw new CapstanError('INTERNAL_SERVER_ERROR', `Could not ask the registry about ${full}`, { details: 'the engine answered without a digest' });
  return digest;
}

export interface LocalImage {
  id: string;
  /** The registry digests the engine recorded for this reference's repository (pull or push), possibly none. */
  digests: string[];
}

/** The image the engine has under a reference and its registry digests for that repository; undefined when it has none. */
export async function localImage(docker: Docker, ref: string): Promise<LocalImage | undefined> {
  const full = canonicalRef(ref);
  let info: Docker.ImageInspectInfo | undefined;
  const found = await engineCall(
    (abortSignal) =>
      exists(async () => {
        info = await docker.getImage(full).inspect({ abortSignal } as object);
      }),
    `Could not inspect image ${full}`,
  );
  if (!found || !info) return undefined;
  const repo = familiarRepository(splitImageRef(full).repo);
  const digests = (info.RepoDigests ?? []).flatMap((rd) => {
    const at = rd.lastIndexOf('@');
    return at > 0 && familiarRepository(rd.slice(0, at)) === repo ? [rd.slice(at + 1)] : [];
  });
  return { id: info.Id, digests };
}
