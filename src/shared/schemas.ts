import { z } from 'zod';

/** The contract's error body, for every error on every path. */
export const zErrorBody = z
  .object({
    error: z.string().meta({ description: 'Short, user-facing message', example: 'Service not found' }),
    details: z.string().optional().meta({ description: 'Technical detail; for bad input it names the field' }),
    code: z.string().meta({ description: 'Machine-readable code', example: 'NOT_FOUND' }),
  })
  .meta({ description: 'Every error answer has this shape' });
export type ErrorBody = z.infer<typeof zErrorBody>;

export const zSuccess = z.object({ success: z.literal(true) });

/** A route that answers after its work: 200 {success} when it is done, 202 with the deployment when the wait ran out. */
export const zDoneOrAccepted = zSuccess.extend({
  deployment_id: z.string().optional().meta({ description: 'only in a 202 answer: the work goes on as this deployment' }),
});

export const zUser = z.object({ id: z.string(), username: z.string() });
export type User = z.infer<typeof zUser>;

export const zLoginInput = z.object({
  username: z.string().min(1, 'required').max(128),
  password: z.string().min(1, 'required').max(1024),
});

export const zLoginOutput = z.object({
  token: z.string(),
  expires_at: z.iso.datetime(),
  user: zUser,
});
export type LoginOutput = z.infer<typeof zLoginOutput>;

export const zServiceStatus = z.enum(['running', 'stopped', 'partial', 'deploying', 'error', 'unknown']).meta({
  description: '`unknown`: the service\'s engine does not answer',
});

export const zHealthStatus = z.object({
  services: z.array(z.object({ id: z.string(), name: z.string(), engine_id: z.string(), status: zServiceStatus })),
});
export type HealthStatus = z.infer<typeof zHealthStatus>;

export const zContainerStatus = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead', 'missing']);
export const zContainerHealth = z.enum(['healthy', 'unhealthy', 'starting', 'none']);

export const zContainerObject = z.object({
  name: z.string(),
  service: z.string().meta({ description: 'The compose service key' }),
  image: z.string(),
  container_id: z.string().nullable().meta({ description: 'null when the container does not exist (yet)' }),
  status: zContainerStatus,
  health: zContainerHealth,
  ports: z.array(z.string()).meta({ description: 'Published ports as host_ip:host_port->container_port/proto' }),
});

/** A problem in the compose text: where (path in the document, 1-based line) and what. */
export const zComposeIssue = z.object({
  path: z.array(z.union([z.string(), z.number()])).meta({ example: ['services', 'web', 'ports', 0] }),
  line: z.number().int().nullable(),
  message: z.string(),
});

export const zLastError = z.object({
  error: z.string(),
  details: z.string().optional(),
  code: z.string(),
  at: z.iso.datetime(),
});

export const zServiceObject = z.object({
  id: z.string(),
  name: z.string(),
  engine_id: z.string().meta({ description: 'The Docker engine the service runs on (`local`: DOCKER_HOST)' }),
  status: zServiceStatus,
  containers: z.array(zContainerObject),
  definition: z
    .record(z.string(), z.unknown())
    .nullable()
    .meta({ description: 'The normalized compose project, derived from the project folder; null when the folder does not load (see definition_errors)' }),
  definition_errors: z.array(zComposeIssue).meta({ description: 'Why the project folder does not load; empty when it does' }),
  adopted: z.boolean(),
  last_error: zLastError.nullable().meta({ description: 'Why the last deploy failed; null after a successful one' }),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type ServiceObject = z.infer<typeof zServiceObject>;
export type ContainerObject = z.infer<typeof zContainerObject>;

export const zIdInput = z.object({ id: z.string().min(1).max(64) });

export const zEnvironmentMap = z.record(z.string(), z.record(z.string(), z.string()));

const zFilesField = z
  .record(z.string(), z.string())
  .optional()
  .meta({ description: 'Other project files (relative path → text), e.g. an env_file target; written with the compose file' });

/**
 * A service definition as a request body: the compose text (`yaml`) with an
 * optional `.env` text (`env`), or the contract's JSON form (`services`, ...),
 * which is written as YAML once. Checked precisely by the server, so every
 * problem is reported with its path and line rather than a generic shape error.
 */
export const zDefinitionBody = z.looseObject({
  name: z.string().meta({ description: 'The service (compose project) name' }),
  yaml: z.string().optional().meta({ description: 'The compose file, verbatim; instead of `services`' }),
  env: z.string().optional().meta({ description: 'The .env file: the variables the compose file interpolates' }),
  files: zFilesField,
  engine_id: z.string().min(1).max(64).optional().meta({ description: 'The engine to run on (default `local`); on an update it must be the service\'s (POST /api/services/{id}/move moves it)' }),
});

/** PUT: the same, the name optional (a service cannot be renamed); `env` absent keeps the folder's .env. */
export const zUpdateBody = zDefinitionBody.extend({
  id: z.string().min(1).max(64),
  name: z.string().optional().meta({ description: 'Must be the service\'s name when given' }),
});

export const zValidateInput = z.looseObject({
  id: z.string().min(1).max(64).optional().meta({ description: 'Check as an update of this service (over its project folder)' }),
  name: z.string().optional().meta({ description: 'The project name; default: the service\'s, the file\'s `name:`, or "project"' }),
  yaml: z.string().optional(),
  env: z.string().optional(),
  files: zFilesField,
});

export const zValidateOutput = z.object({
  valid: z.boolean(),
  warnings: z.array(z.string()).meta({ description: 'e.g. a variable that is not set and becomes empty' }),
  errors: z.array(zComposeIssue),
  definition: z.record(z.string(), z.unknown()).nullable().meta({ description: 'The normalized compose project; null when invalid' }),
});

export const zFileQuery = z.object({
  id: z.string().min(1).max(64),
  path: z.string().min(1).max(1024).meta({ description: 'Relative to the project folder', example: 'config/nginx.conf' }),
});

export const zFileWrite = zFileQuery.extend({ content: z.string().meta({ description: 'The file\'s text (up to 512 KiB)' }) });

export const zFileList = z.object({
  files: z.array(z.object({ path: z.string(), size: z.number().int(), modified_at: z.iso.datetime() })),
  truncated: z.boolean().meta({ description: 'More files exist than are listed (the listing is bounded)' }),
});

export const zDeploymentCompose = z.object({
  yaml: z.string().nullable().meta({ description: 'The compose text the deployment applied; null for a delete or a deployment made before this was recorded' }),
  env_hash: z.string().nullable().meta({ description: 'SHA-256 (hex) of the .env it applied; the .env itself is never stored' }),
});

export const zDeleteInput = z.object({
  id: z.string().min(1).max(64),
  mode: z.enum(['soft', 'hard']).default('soft').meta({ description: 'soft keeps named volumes; hard removes them too' }),
});

export const zEnvironmentInput = z.object({
  id: z.string().min(1).max(64),
  environment: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))),
});

export const zDiscoveredProject = z.object({
  project: z.string(),
  containers: z.array(z.object({ name: z.string(), service: z.string(), image: z.string(), status: z.string() })),
});

export const zDeploymentObject = z.object({
  id: z.string(),
  service_id: z.string(),
  service_name: z.string(),
  kind: z.enum(['create', 'update', 'env', 'redeploy', 'start', 'stop', 'restart', 'scheduled', 'image-update', 'move', 'delete']),
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  actor: z.string(),
  steps: z.array(z.object({ at: z.iso.datetime(), action: z.string(), target: z.string() })),
  error: zLastError.nullable(),
  attempts: z.number().int(),
  env_hash: z.string().nullable().meta({ description: 'SHA-256 (hex) of the .env it applied (GET /api/deployments/{id}/compose for its compose text)' }),
  created_at: z.iso.datetime(),
  started_at: z.iso.datetime().nullable(),
  finished_at: z.iso.datetime().nullable(),
});
export type DeploymentObject = z.infer<typeof zDeploymentObject>;

/** A queued operation answers with the service and the deployment that will apply it. */
export const zQueuedService = zServiceObject.extend({ deployment_id: z.string() });

/** A create or an update also says what loading the compose text warned about. */
export const zSubmittedService = zQueuedService.extend({
  warnings: z.array(z.string()).meta({ description: 'e.g. a variable that is not set and becomes empty' }),
});

export const zStatusEvent = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('service'),
    id: z.string(),
    name: z.string(),
    engine_id: z.string(),
    status: zServiceStatus,
    containers: z.array(z.object({ name: z.string(), status: zContainerStatus, health: zContainerHealth })),
  }),
  z.object({ kind: z.literal('service-removed'), id: z.string() }),
  z.object({ kind: z.literal('engine'), engine_id: z.string(), available: z.boolean(), details: z.string().optional() }),
]);
export type StatusEvent = z.infer<typeof zStatusEvent>;

/** tRPC puts the last event id a reconnecting SSE client saw here (it must be in the schema, or zod strips it). */
export const zResumable = z.object({ lastEventId: z.string().nullish() });
