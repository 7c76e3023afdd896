import { z } from 'zod';

export const zWebhookAction = z.enum(['redeploy', 'update']).meta({ description: '`redeploy`: apply the definition again; `update`: pull what the registry changed, recreate what changed' });

export const zWebhookCreate = z.strictObject({
  id: z.string().min(1).max(64),
  action: zWebhookAction,
  name: z.string().trim().min(1).max(100).regex(/^[\w.@:+ -]+$/, 'letters, digits, spaces and . _ - @ : + only').optional(),
  signing_secret: z.string().min(8, 'at least 8 characters').max(256).optional().meta({ description: 'When set, a call must carry X-Hub-Signature-256 (as GitHub and Gitea send it)' }),
});

export const zWebhookRef = z.object({ id: z.string().min(1).max(64), hook_id: z.string().min(1).max(64) });

export const zWebhookObject = z.object({
  id: z.string(),
  service_id: z.string(),
  name: z.string(),
  action: zWebhookAction,
  /** A signature is required. */
  signed: z.boolean(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  last_deployment_id: z.string().nullable(),
});
export type WebhookObject = z.infer<typeof zWebhookObject>;

export const zWebhookCreated = zWebhookObject.extend({
  url: z.string().meta({ description: 'POST here to trigger; the secret in it is shown this once' }),
});
export type WebhookCreated = z.infer<typeof zWebhookCreated>;
