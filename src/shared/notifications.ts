import { z } from 'zod';

/** What a channel may be told about; a channel chooses any of these. */
export const NOTIFY_EVENTS = [
  'deployment.failed',
  'deployment.succeeded',
  'update.updated',
  'update.unchanged',
  'update.rolled_back',
  'update.failed',
  'container.died',
  'container.unhealthy',
  'container.restarting',
  'engine.lost',
  'engine.back',
] as const;
export const zNotifyEvent = z.enum(NOTIFY_EVENTS);
export type NotifyEvent = z.infer<typeof zNotifyEvent>;

export const NOTIFY_EVENT_LABELS: Record<NotifyEvent, string> = {
  'deployment.failed': 'A deployment failed',
  'deployment.succeeded': 'A deployment succeeded',
  'update.updated': 'A scheduled update updated containers',
  'update.unchanged': 'A scheduled update found nothing new',
  'update.rolled_back': 'A scheduled update rolled back',
  'update.failed': 'A scheduled update failed',
  'container.died': 'A container died',
  'container.unhealthy': 'A container became unhealthy',
  'container.restarting': 'A container is restarting in a loop',
  'engine.lost': 'The Docker engine was lost',
  'engine.back': 'The Docker engine is back',
};

/** The URL schemes a channel may use (shoutrrr's and Apprise's style). */
export const zChannelUrl = z
  .string()
  .trim()
  .min(1, 'a channel URL is required')
  .max(2048)
  .meta({ description: '`generic+https://`, `generic+http://`, `ntfy://`, `gotify://`, `discord://`, `slack://` or `smtp://`; it holds credentials: sealed at rest, masked in answers' });

export const zChannelInput = z.strictObject({
  name: z.string().trim().min(1, 'a name is required').max(100),
  url: zChannelUrl,
  events: z.array(zNotifyEvent).min(1, 'choose at least one event').max(NOTIFY_EVENTS.length),
  enabled: z.boolean().default(true),
});

export const zChannelUpdate = z.strictObject({
  id: z.string().min(1).max(64),
  name: z.string().trim().min(1, 'a name is required').max(100).optional(),
  url: zChannelUrl.optional().meta({ description: 'Leave out (or send the masked URL back) to keep the stored one' }),
  events: z.array(zNotifyEvent).min(1, 'choose at least one event').max(NOTIFY_EVENTS.length).optional(),
  enabled: z.boolean().optional(),
});

export const zChannelObject = z.object({
  id: z.string(),
  name: z.string(),
  /** Masked: passwords, tokens and secrets replaced by •••• */
  url: z.string(),
  kind: z.string(),
  events: z.array(zNotifyEvent),
  enabled: z.boolean(),
  /** Set after several deliveries in a row failed; cleared by the next success. */
  failing: z.boolean(),
  consecutive_failures: z.number().int(),
  last_error: z.string().nullable(),
  last_sent_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type ChannelObject = z.infer<typeof zChannelObject>;
