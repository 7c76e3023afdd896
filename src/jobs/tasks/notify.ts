import type { Task } from 'graphile-worker';
import { z } from 'zod';
import type { NotificationService } from '../../server/services/notifications.js';

export const NOTIFY_TASK = 'notify';
/** Deliveries are tried this often (graphile-worker's backoff between them: about 3 s, 7 s, 20 s, 55 s, 2.5 min…). */
export const NOTIFY_MAX_ATTEMPTS = 8;

export const zNotifyPayload = z.object({
  channel_id: z.string(),
  message: z.object({
    event: z.string(),
    title: z.string(),
    body: z.string(),
    severity: z.enum(['info', 'warning', 'error']),
    at: z.string(),
    service: z.object({ id: z.string(), name: z.string() }).optional(),
    deployment_id: z.string().optional(),
  }),
});

/** One message to one channel; a refusal throws, so the queue tries again later (and the channel shows its failures). */
export function notifyTask(notifications: NotificationService): Task {
  return async (payload) => {
    const { channel_id, message } = zNotifyPayload.parse(payload);
    await notifications.deliverQueued(channel_id, message);
  };
}
