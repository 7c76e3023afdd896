import { generateOpenApiDocument } from 'trpc-to-openapi';
import { z } from 'zod';
import { zErrorBody } from '../shared/schemas.js';
import { APP_LOG_STREAM, APPOS_ERROR_SCHEMA, BARE_TOKEN_SCHEME, eventsPath, execPath, hookPath } from './openapi-streams.js';
import type { AppRouter } from './routers/_app.js';
import type { Meta } from './trpc.js';

type Json = Record<string, unknown>;

/**
 * The OpenAPI document of the REST surface. trpc-to-openapi describes its own
 * error body; every error response is rewritten to the contract's Error schema.
 */
export function buildOpenApiDocument(router: AppRouter, version: string): Json {
  const doc = generateOpenApiDocument(router, {
    title: 'Capstan API',
    description:
      'REST surface of Capstan, generated from its tRPC router. Authenticate with `Authorization: Bearer <token>` from `POST /auth/login`, or with the session cookie it sets.',
    version,
    baseUrl: '/',
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' }, bareToken: BARE_TOKEN_SCHEME },
  }) as unknown as Json;

  const components = ((doc.components ??= {}) as Json);
  const schemas = ((components.schemas ??= {}) as Json);
  for (const key of Object.keys(schemas)) if (key.startsWith('error.')) delete schemas[key];
  const { $schema: _, ...errorSchema } = z.toJSONSchema(zErrorBody);
  schemas.Error = errorSchema;
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  schemas.AppsError = APPOS_ERROR_SCHEMA;
  const appsErrorContent = { 'application/json': { schema: { $ref: '#/components/schemas/AppsError' } } };

  // The definition body is checked in the service layer (the compose pipeline); describe its two forms here.
  schemas.ComposeText = {
    type: 'object',
    required: ['yaml'],
    properties: {
      name: BODY_FIELDS.name,
      yaml: { type: 'string', description: 'The compose file, verbatim (comments, order and anchors are kept)' },
      env: BODY_FIELDS.env,
      files: BODY_FIELDS.files,
    },
  };
  schemas.ServiceDefinition = COMPOSE_JSON;
  const definitionBody = {
    required: true,
    content: {
      'application/json': {
        schema: { oneOf: [{ $ref: '#/components/schemas/ComposeText' }, { $ref: '#/components/schemas/ServiceDefinition' }] },
      },
    },
  };

  const metas = new Map<string, Meta>();
  const procedures = (router._def as unknown as { procedures: Record<string, { _def: { meta?: Meta } }> }).procedures;
  for (const p of Object.values(procedures)) {
    const o = p._def.meta?.openapi;
    if (o) metas.set(`${o.method.toLowerCase()} ${o.path}`, p._def.meta!);
  }

  for (const [path, pathItem] of Object.entries((doc.paths ?? {}) as Record<string, Json>)) {
    for (const [method, op] of Object.entries(pathItem) as [string, Json][]) {
      const responses = op?.responses as Record<string, Json> | undefined;
      if (!responses) continue;
      const apps = path.startsWith('/api/appos/');
      const errors = apps ? appsErrorContent : errorContent;
      // Response objects may be shared between operations: give each its own.
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) responses[status] = { ...response, content: errors };
      }
      responses['500'] ??= { description: 'Internal server error', content: errors };
      if (apps) op.security = [{ bearerAuth: [] }, { bareToken: [] }];
      if (path === '/api/appos/apps/{id}/logs' && method === 'get' && responses['200']) {
        ((responses['200'].content ??= {}) as Json)['text/event-stream'] = APP_LOG_STREAM;
      }
      const meta = metas.get(`${method} ${path}`);
      if (meta?.successStatus && responses['200']) {
        responses[String(meta.successStatus)] = responses['200'];
        delete responses['200'];
      }
      if ((path === '/api/services' && method === 'post') || (path === '/api/services/{id}' && method === 'put')) {
        op.requestBody = definitionBody;
      }
      // Served beside trpc-to-openapi (src/server/logs-text.ts): format=text or Accept: text/plain.
      if (path === '/api/services/{id}/logs' && method === 'get' && responses['200']) {
        const content = (responses['200'].content ??= {}) as Json;
        content['text/plain'] = { schema: { type: 'string', description: '"container | message" per line, as compose prints it' } };
      }
    }
  }
  ((doc.paths ??= {}) as Json)['/api/audit/export'] = auditExportPath(errorContent);
  (doc.paths as Json)['/api/events'] = eventsPath(errorContent);
  (doc.paths as Json)['/api/services/{id}/exec'] = execPath(errorContent);
  (doc.paths as Json)['/api/hooks/{secret}'] = hookPath(errorContent);
  return doc;
}

/** What both body forms carry besides the compose document. */
const BODY_FIELDS = {
  name: { type: 'string', description: 'The service (compose project) name; required to create, must match to update' },
  env: { type: 'string', description: "The .env file the compose file interpolates; absent on update: the folder's .env is kept" },
  files: { type: 'object', additionalProperties: { type: 'string' }, description: 'Other project files, relative path → text' },
};

/** A top-level map of compose resources (networks, volumes, secrets, configs): name → its definition. */
const resources = (what: string): Json => ({
  type: 'object',
  additionalProperties: { type: ['object', 'null'], additionalProperties: true },
  description: `The project's ${what}, as the Compose Specification defines them`,
});

/**
 * The JSON body form: a compose document as JSON. Only its outline is given
 * here: the Compose Specification applies to every key, and the compose
 * pipeline checks them as it checks the YAML form (a zod-derived schema would
 * claim less than it accepts, since values are interpolated before they are checked).
 */
const COMPOSE_JSON: Json = {
  type: 'object',
  required: ['services'],
  description:
    'A compose document as JSON, with a name. The Compose Specification (https://compose-spec.io) applies: any key it defines may be given and is checked as in the YAML form, unknown keys are refused (x- extensions excepted), and string values are interpolated from env as compose interpolates a compose file. The document is saved as the project\'s compose.yaml.',
  properties: {
    name: BODY_FIELDS.name,
    services: {
      type: 'object',
      minProperties: 1,
      description: 'Service name → service, as in compose',
      additionalProperties: {
        type: 'object',
        properties: { image: { type: 'string', description: 'The image to run (required unless extends gives it; build is not supported)' } },
        additionalProperties: true,
      },
    },
    networks: resources('networks'),
    volumes: resources('named volumes (a volume a service names without declaring it is declared for it)'),
    secrets: resources('secrets'),
    configs: resources('configs'),
    env: BODY_FIELDS.env,
    files: BODY_FIELDS.files,
  },
  additionalProperties: true,
};

/** Served beside trpc-to-openapi (src/server/audit-export.ts): the answer is NDJSON or CSV, not JSON. */
function auditExportPath(errorContent: Json): Json {
  const text = (description: string) => ({ in: 'query', required: false, schema: { type: 'string' }, description });
  const error = (description: string) => ({ description, content: errorContent });
  return {
    get: {
      tags: ['audit'],
      summary: 'Every matching audit entry, oldest first, as NDJSON (one entry object per line) or CSV',
      security: [{ bearerAuth: [] }],
      parameters: [
        { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
        { name: 'action', ...text('Only this action') },
        { name: 'actor', ...text('Only entries by this actor') },
        { name: 'target', ...text('Only entries about this target') },
        { name: 'outcome', in: 'query', required: false, schema: { type: 'string', enum: ['success', 'failure'] } },
        { name: 'since', ...text('ISO 8601; only entries at or after this time') },
        { name: 'until', ...text('ISO 8601; only entries at or before this time') },
      ],
      responses: {
        '200': {
          description: 'The entries as a download',
          content: {
            'application/x-ndjson': { schema: { type: 'string', description: '{"id","at","actor","action","target","outcome","details"} per line' } },
            'text/csv': { schema: { type: 'string', description: 'Header id,at,actor,action,target,outcome,details; details as JSON' } },
          },
        },
        '400': error('Invalid filter'),
        '401': error('No or invalid session'),
        '500': error('Internal server error'),
      },
    },
  };
}
