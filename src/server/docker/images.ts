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

const NOT_FOUND = /not found|manifest unknown|pull access denied|repository does not exist|no such host|name unknown/i;

function pullError(ref: string, message: string, cause?: unknown): CapstanError {
  return NOT_FOUND.test(message)
    ? new CapstanError('NOT_FOUND', `Image ${ref} not found`, { details: message, cause })
    : new CapstanError('INTERNAL_SERVER_ERROR', `Could not pull image ${ref}`, { details: message, cause });
}

/**
 * Pulls an image and waits for the end of its progress stream. Errors can
 * arrive inside a 200 stream as {error}: those are failures too.
 */
export async function pullImage(docker: Docker, ref: string, onEvent?: (e: PullEvent) => void): Promise<PullEvent[]> {
  const { repo, tag } = splitImageRef(ref);
  const full = tag.startsWith('sha256:') ? `${repo}@${tag}` : `${repo}:${tag}`;
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(full)) as NodeJS.ReadableStream;
  } catch (err) {
    const mapped = toEngineError(err);
    if (mapped.code === 'SERVICE_UNAVAILABLE') throw mapped;
    throw pullError(ref, mapped.details ?? mapped.message, err);
  }
  const events = await new Promise<PullEvent[]>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: PullEvent[]) => (err ? reject(err) : resolve(output ?? [])),
      (e: PullEvent) => onEvent?.(e),
    );
  }).catch((err: unknown) => {
    throw pullError(ref, err instanceof Error ? err.message : String(err), err);
  });
  const failed = events.find((e) => e.error || e.errorDetail?.message);
  if (failed) throw pullError(ref, failed.errorDetail?.message ?? failed.error ?? 'pull failed');
  return events;
}

/** Pulls the image only when the engine does not have it. */
export async function ensureImage(docker: Docker, ref: string): Promise<boolean> {
  if (await imageExists(docker, ref)) return false;
  await pullImage(docker, ref);
  return true;
}

export function inspectImage(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo> {
  return engineCall((abortSignal) => docker.getImage(ref).inspect({ abortSignal } as object), `Could not inspect image ${ref}`);
}
