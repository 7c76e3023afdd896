import { z } from 'zod';

/** One image that services use on one engine, as the last update check saw it (GET /api/updates): one entry per (engine, image). */
export const zImageUpdate = z.object({
  engine_id: z.string().meta({ description: 'The engine whose copy of the image was compared: each engine holds its own (`local`: DOCKER_HOST)', example: 'local' }),
  image: z.string().meta({ description: 'The reference the services name, tag included', example: 'registry.example.com:5000/app:1' }),
  service_ids: z.array(z.string()).meta({ description: 'The services on this engine whose containers use this image' }),
  local_digest: z.string().nullable().meta({ description: 'The registry digest the engine recorded for its local image; null when it has none' }),
  remote_digest: z.string().nullable().meta({ description: 'The registry\'s digest for the tag now; null when the registry could not be asked' }),
  update_available: z.boolean().meta({ description: 'The registry has another image under this tag than the local one' }),
  checked_at: z.iso.datetime(),
  error: z.string().nullable().meta({ description: 'Why the registry (or the engine) could not be asked; null when it answered' }),
});
export type ImageUpdate = z.infer<typeof zImageUpdate>;

export const zUpdatesList = z.object({ images: z.array(zImageUpdate) });
export type UpdatesList = z.infer<typeof zUpdatesList>;
