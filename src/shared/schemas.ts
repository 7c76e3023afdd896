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

export const zServiceStatus = z.enum(['running', 'stopped', 'partial', 'deploying', 'error']);

export const zHealthStatus = z.object({
  services: z.array(z.object({ id: z.string(), name: z.string(), status: zServiceStatus })),
});
export type HealthStatus = z.infer<typeof zHealthStatus>;
