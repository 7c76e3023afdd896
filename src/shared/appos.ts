import { z } from 'zod';
import { MAX_TAIL } from './logs.js';
import { zDeploymentObject, zServiceObject, zServiceStatus } from './schemas.js';
import { zSkippedTemplate, zTemplateSummary } from './templates.js';

// The apps API (CONTRACT.md, "The apps API"): the same operations as the
// services API, under the paths and shapes of the Docker Operations API design.

const zAppId = z.string().min(1).max(64);

/** An app is a service; the apps API shows the same object. */
export const zAppObject = zServiceObject;

export const zAppList = z.object({ items: z.array(zAppObject) });

export const zAppDeployInput = z
  .object({
    name: z.string().meta({ description: 'The app (compose project) name' }),
    compose: z.string().optional().meta({ description: 'The compose file, verbatim' }),
    env: z.string().optional().meta({ description: 'The .env file the compose file interpolates' }),
    template: z.string().min(1).max(64).optional().meta({ description: 'Deploy this template instead of `compose`' }),
    variables: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .optional()
      .meta({ description: 'The template\'s variables; secrets not given are generated' }),
    engine_id: z.string().min(1).max(64).optional().meta({ description: 'The Docker engine to deploy on (default `local`)' }),
  })
  .meta({ description: 'Either {name, compose, env} or {template, name, variables}' });

export const zAppDeployOutput = z.object({
  id: z.string(),
  name: z.string(),
  deployment_id: z.string(),
  status: zServiceStatus,
  warnings: z.array(z.string()).meta({ description: 'What loading the compose text warned about' }),
  generated: z.array(z.string()).meta({ description: 'The template variables whose value was generated (their values are in the app\'s .env)' }),
});

export const zAppIdInput = z.object({ id: zAppId });

export const zAppOperationOutput = z.object({
  success: z.literal(true),
  deployment_id: z.string().meta({ description: 'The deployment that did it (202: that is still doing it)' }),
});

export const zAppDeleteInput = z.object({ id: zAppId, mode: z.enum(['soft', 'hard']).default('soft') });

export const zAppLogsQuery = z.object({
  id: zAppId,
  tail: z.number().int().min(0).max(MAX_TAIL).default(100),
  container: z.string().min(1).max(128).optional(),
  follow: z
    .enum(['0', '1', 'true', 'false'])
    .optional()
    .meta({ description: '1: a text/event-stream of log lines, live (each event\'s id resumes after it); 0 (default): JSON' }),
});

export const zAppEnvOutput = z.object({
  env: z.string().meta({ description: 'The app\'s .env text' }),
  environment: z.record(z.string(), z.record(z.string(), z.string())).meta({ description: 'The environment of each container, as deployed' }),
});

export const zAppEnvInput = z.object({
  id: zAppId,
  env: z.string().optional().meta({ description: 'The whole .env text' }),
  environment: z
    .record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)))
    .optional()
    .meta({ description: 'Per container: KEY → value (the compose file is edited, as PUT /api/services/{id}/env does)' }),
});

export const zAppComposeInput = z.object({ id: zAppId, compose: z.string() });

export const zAppSubmitted = zAppObject.extend({ deployment_id: z.string(), warnings: z.array(z.string()) });

export const zAppDeploymentsQuery = z.object({
  app_id: zAppId.optional(),
  limit: z.number().int().min(1).max(500).default(50),
});

export const zAppDeploymentList = z.object({ items: z.array(zDeploymentObject) });

export const zTemplateList = z.object({ items: z.array(zTemplateSummary) });

export const zTemplateImportOutput = z.object({
  imported: z.number().int(),
  ids: z.array(z.string()).meta({ description: 'The ids the imported templates got' }),
  skipped: z.array(zSkippedTemplate).meta({ description: 'Entries that do not map to compose (swarm stacks, Windows, no image) and why' }),
});
