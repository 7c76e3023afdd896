import { z } from 'zod';
import { DOMAIN, imageNameProblem, isTagOrDigest } from './compose/image-ref.js';

/**
 * The engine a request acts on, optional (default `local`, the one from
 * DOCKER_HOST), in a query or a body. The same rule as zEngineId, but a new
 * schema at each use: trpc-to-openapi sets `coerce` on the schemas of a REST
 * input in place, which must not reach the shared one.
 */
export const zEngineField = (what = 'The engine to act on', defaultsToLocal = true) =>
  z
    .string()
    .min(1)
    .max(64)
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'an engine id (lowercase letters, digits, - and _)')
    .meta({ description: defaultsToLocal ? `${what} (default \`local\`: DOCKER_HOST)` : what, example: 'local' })
    .optional();

/** A GET query naming an engine; none at all (tRPC without input, REST without a query) is `local`. */
export const zEngineQuery = () => z.object({ engine_id: zEngineField() }).optional();

/** A registry host as the docker CLI names it: host[:port], optionally written as a URL. */
export const REGISTRY_HOST_RE = new RegExp(`^(?:https?://)?${DOMAIN}/?$`);

/**
 * Docker's reference grammar, by the same check as a compose file's `image:`
 * (compose/image-ref.ts). No tag and no digest: those travel in `tag`, so a
 * script cannot pull something other than what it names.
 */
export const zImageName = z
  .string()
  .trim()
  .min(1, 'required')
  .superRefine((v, ctx) => {
    const problem = v === '' ? undefined : imageNameProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; e.g. "busybox" or "registry.example.com:5000/team/app"` });
  })
  .meta({ example: 'registry.example.com/team/app' });

export const zPullInput = z.object({
  image: zImageName,
  tag: z
    .string()
    .trim()
    .refine(isTagOrDigest, 'must be a tag (letters, digits, "_", "." or "-", at most 128) or a digest sha256:<64 hex>')
    .default('latest'),
  engine_id: zEngineField('The engine to pull on'),
});
export type PullInput = z.infer<typeof zPullInput>;

export const zPullResult = z.object({
  image: z.string(),
  tag: z.string(),
  id: z.string().nullable().meta({ description: 'The local image id (sha256:…)' }),
  digest: z.string().nullable().meta({ description: 'The manifest digest as `docker pull` prints it, sha256:<64 hex>', example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' }),
  status: z.string().meta({ example: 'Downloaded newer image' }),
  log: z.array(z.string()).meta({ description: 'The progress status lines, per layer, as the docker CLI prints them' }),
});
export type PullResult = z.infer<typeof zPullResult>;

/** What the images.pull subscription streams: per-layer progress, then one final event. */
export const zPullProgressEvent = z.discriminatedUnion('done', [
  z.object({
    done: z.literal(false),
    layer: z.string(),
    status: z.string(),
    current: z.number().nullable(),
    total: z.number().nullable(),
  }),
  z.object({ done: z.literal(true) }).extend(zPullResult.omit({ log: true }).shape),
]);
export type PullProgressEvent = z.infer<typeof zPullProgressEvent>;

export const zImageUser = z.object({
  container_id: z.string(),
  container_name: z.string(),
  state: z.string(),
  service_id: z.string().nullable().meta({ description: 'The Capstan service the container belongs to; null for other containers' }),
  service_name: z.string().nullable(),
});

export const zImageObject = z.object({
  id: z.string(),
  repo_tags: z.array(z.string()),
  repo_digests: z.array(z.string()),
  size: z.number().int(),
  created: z.iso.datetime(),
  dangling: z.boolean(),
  used_by: z.array(zImageUser).meta({ description: 'Containers (and their Capstan services) created from this image' }),
});
export type ImageObject = z.infer<typeof zImageObject>;
export type ImageUser = z.infer<typeof zImageUser>;

export const zImageIdInput = z.object({
  id: z
    .string()
    .regex(/^(?:sha256:)?[a-f0-9]{12,64}$/, 'must be an image id, sha256:<hex>')
    .meta({ example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' }),
  engine_id: zEngineField('The engine holding the image'),
});

/** Body of POST /api/images/prune; none at all prunes `local`. */
export const zImagePruneInput = z.object({ engine_id: zEngineField('The engine to prune') }).default({});

export const zRemoveImageResult = z.object({
  id: z.string(),
  untagged: z.array(z.string()),
  deleted: z.array(z.string()),
});
export type RemoveImageResult = z.infer<typeof zRemoveImageResult>;

export const zPruneResult = z.object({
  deleted: z.array(z.string()).meta({ description: 'Ids of the image layers and images deleted' }),
  untagged: z.array(z.string()),
  space_reclaimed: z.number().int().meta({ description: 'Bytes' }),
});
export type PruneResult = z.infer<typeof zPruneResult>;

const zRegistryHost = z
  .string()
  .trim()
  .min(1, 'required')
  .max(255, 'must be at most 255 characters')
  .regex(REGISTRY_HOST_RE, 'must be a registry host such as "registry.example.com:5000" or "docker.io"');

export const zRegistryInput = z.object({
  host: zRegistryHost,
  username: z.string().min(1, 'required').max(255),
  password: z.string().min(1, 'required').max(4096),
});

export const zRegistryHostInput = z.object({ host: z.string().min(1).max(300) });

/** A stored credential as the API shows it: never the password. */
export const zRegistryObject = z.object({
  host: z.string(),
  username: z.string(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type RegistryObject = z.infer<typeof zRegistryObject>;
