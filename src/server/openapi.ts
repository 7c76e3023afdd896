import { generateOpenApiDocument } from 'trpc-to-openapi';
import { z } from 'zod';
import { zServiceDefinition } from '../shared/definition.js';
import { zErrorBody } from '../shared/schemas.js';
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
    securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
  }) as unknown as Json;

  const components = ((doc.components ??= {}) as Json);
  const schemas = ((components.schemas ??= {}) as Json);
  for (const key of Object.keys(schemas)) if (key.startsWith('error.')) delete schemas[key];
  const { $schema: _, ...errorSchema } = z.toJSONSchema(zErrorBody);
  schemas.Error = errorSchema;
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

  // The definition body is checked in the service layer; describe its real shape here.
  const { $schema: __, ...definitionSchema } = z.toJSONSchema(zServiceDefinition, { io: 'input', unrepresentable: 'any' });
  schemas.ServiceDefinition = definitionSchema;
  schemas.ComposeText = {
    type: 'object',
    required: ['yaml'],
    properties: {
      name: { type: 'string', description: 'The service (compose project) name; required to create, must match to update' },
      yaml: { type: 'string', description: 'The compose file, verbatim (comments, order and anchors are kept)' },
      env: { type: 'string', description: 'The .env file the compose file interpolates; absent on update: the folder\'s .env is kept' },
      files: { type: 'object', additionalProperties: { type: 'string' }, description: 'Other project files, relative path → text' },
    },
  };
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
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) response.content = errorContent;
      }
      responses['500'] ??= { description: 'Internal server error', content: errorContent };
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
  return doc;
}

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
