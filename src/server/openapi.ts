import { generateOpenApiDocument } from 'trpc-to-openapi';
import { z } from 'zod';
import { zErrorBody } from '../shared/schemas.js';
import type { AppRouter } from './routers/_app.js';

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

  for (const pathItem of Object.values((doc.paths ?? {}) as Record<string, Json>)) {
    for (const op of Object.values(pathItem) as Json[]) {
      const responses = op?.responses as Record<string, Json> | undefined;
      if (!responses) continue;
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) >= 400) response.content = errorContent;
      }
      responses['500'] ??= { description: 'Internal server error', content: errorContent };
    }
  }
  return doc;
}
