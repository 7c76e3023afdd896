import { z } from 'zod';

/** A variable a template asks for; it becomes a line of the deployed service's .env. */
export const zTemplateVariable = z.object({
  name: z.string().meta({ description: 'The .env key the compose text interpolates', example: 'DB_PASSWORD' }),
  label: z.string().meta({ description: 'What a form shows' }),
  default: z.string().meta({ description: 'Used when a deploy gives no value; empty for a secret that is generated' }),
  description: z.string().optional(),
  secret: z.boolean().meta({ description: 'Generated (random) at deploy when no value is given; never shown back' }),
  options: z
    .array(z.object({ label: z.string(), value: z.string() }))
    .optional()
    .meta({ description: 'The allowed values, for a choice (Portainer "select")' }),
});
export type TemplateVariable = z.infer<typeof zTemplateVariable>;

/** Where a template's compose text comes from: written in the template, or a file in a git repository (fetched at deploy). */
export const zTemplateRepository = z.object({ url: z.string(), stackfile: z.string() });
export type TemplateRepository = z.infer<typeof zTemplateRepository>;

export const zTemplateSource = z.enum(['builtin', 'imported']);

/** A template as the catalogue lists it (GET /api/appos/templates). */
export const zTemplateSummary = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  categories: z.array(z.string()),
  logo: z.string().nullable(),
  note: z.string().nullable().meta({ description: 'Shown before deploying (from the template)' }),
  source: zTemplateSource,
  variables: z.array(zTemplateVariable),
});
export type TemplateSummary = z.infer<typeof zTemplateSummary>;

/** A template with what deploying it needs. */
export interface AppTemplate extends TemplateSummary {
  /** The compose text with ${VAR} for each variable; null when it comes from `repository`. */
  compose: string | null;
  repository: TemplateRepository | null;
}

/** What an import kept out, and why (a swarm stack, no image, …). */
export const zSkippedTemplate = z.object({ title: z.string(), reason: z.string() });
export type SkippedTemplate = z.infer<typeof zSkippedTemplate>;

/** Template ids are slugs: lowercase letters, digits and dashes, as a compose project name allows. */
export const TEMPLATE_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
