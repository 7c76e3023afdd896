import { z } from 'zod';

export const zTokenName = z
  .string()
  .trim()
  .min(1, 'a name is required')
  .max(100, 'at most 100 characters')
  .regex(/^[\w.@:+ -]+$/, 'letters, digits, spaces and . _ - @ : + only');

export const zTokenCreate = z.strictObject({
  name: zTokenName,
  expires_at: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the token stops working (ISO 8601, in the future); none: until revoked' }),
});

export const zTokenObject = z.object({
  id: z.string(),
  name: z.string(),
  /** The last four characters of the secret, to tell tokens apart; the secret itself is never shown again. */
  hint: z.string(),
  user: z.object({ id: z.string(), username: z.string() }).nullable(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  expired: z.boolean(),
});
export type TokenObject = z.infer<typeof zTokenObject>;

export const zTokenCreated = z.object({
  id: z.string(),
  name: z.string(),
  token: z.string().meta({ description: 'The secret, shown this once: send it as `Authorization: Bearer <token>`' }),
  created_at: z.string(),
  expires_at: z.string().nullable(),
});
export type TokenCreated = z.infer<typeof zTokenCreated>;
