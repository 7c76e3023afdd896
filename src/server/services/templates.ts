import { desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { appTemplates } from '../../db/schema.js';
import type { AppTemplate, SkippedTemplate, TemplateSummary } from '../../shared/templates.js';
import { CapstanError } from '../errors.js';
import type { Submission } from './definitions.js';
import { importPortainerTemplates } from './portainer-import.js';
import { loadBuiltinTemplates } from './template-builtin.js';
import { renderTemplateEnv } from './template-render.js';
import { fetchStackFile } from './template-repository.js';

type TemplateRow = typeof appTemplates.$inferSelect;

const toTemplate = (r: TemplateRow): AppTemplate => ({
  id: r.id,
  title: r.title,
  description: r.description,
  categories: r.categories,
  logo: r.logo,
  note: r.note,
  source: 'imported',
  variables: r.variables,
  compose: r.compose,
  repository: r.repository ?? null,
});

export const summaryOf = ({ compose: _c, repository: _r, ...summary }: AppTemplate): TemplateSummary => summary;

/**
 * The app template catalogue: the built-in templates (files shipped with
 * Capstan) and those imported from Portainer App Templates documents (rows).
 * A built-in id wins: an import cannot shadow a shipped template.
 */
export class TemplateCatalog {
  constructor(
    private readonly db: Db,
    private readonly builtin: () => AppTemplate[] = loadBuiltinTemplates,
  ) {}

  async list(): Promise<AppTemplate[]> {
    const builtin = this.builtin();
    const taken = new Set(builtin.map((t) => t.id));
    const imported = (await this.db.select().from(appTemplates).orderBy(desc(appTemplates.importedAt))).map(toTemplate);
    return [...builtin, ...imported.filter((t) => !taken.has(t.id)).sort((a, b) => a.title.localeCompare(b.title))];
  }

  /** A template by id; an unknown one is bad input of the deploy that names it. */
  async get(id: string): Promise<AppTemplate> {
    const builtin = this.builtin().find((t) => t.id === id);
    if (builtin) return builtin;
    const [row] = await this.db.select().from(appTemplates).where(eq(appTemplates.id, id)).limit(1);
    if (!row) throw new CapstanError('BAD_REQUEST', 'Unknown template', { details: `template: no template "${id}"` });
    return toTemplate(row);
  }

  /** Imports a Portainer App Templates document: all of it or nothing; the entries that do not map to compose are reported. */
  async import(text: string): Promise<{ imported: number; skipped: SkippedTemplate[]; ids: string[] }> {
    const { templates, skipped } = importPortainerTemplates(text);
    const builtinIds = new Set(this.builtin().map((t) => t.id));
    const kept = templates.map((t) => (builtinIds.has(t.id) ? { ...t, id: `${t.id}-imported`.slice(0, 63) } : t));
    if (kept.length === 0) return { imported: 0, skipped, ids: [] };
    const now = new Date();
    // Every field of the template but its source (an imported row is imported by definition).
    const rows = kept.map(({ source: _source, ...fields }) => ({ ...fields, importedAt: now }));
    await this.db.transaction(async (tx) => {
      await tx.delete(appTemplates).where(inArray(appTemplates.id, rows.map((r) => r.id)));
      for (let i = 0; i < rows.length; i += 100) await tx.insert(appTemplates).values(rows.slice(i, i + 100));
    });
    return { imported: rows.length, skipped, ids: rows.map((r) => r.id) };
  }

  async remove(id: string): Promise<void> {
    if (this.builtin().some((t) => t.id === id)) throw new CapstanError('BAD_REQUEST', 'Built-in templates cannot be removed', { details: `template: "${id}" is built in` });
    const gone = await this.db.delete(appTemplates).where(eq(appTemplates.id, id)).returning({ id: appTemplates.id });
    if (gone.length === 0) throw new CapstanError('NOT_FOUND', 'Template not found', { details: `no template with id "${id}"` });
  }

  /**
   * What deploying a template submits: its compose text (fetched from its
   * repository when it has one) and a .env of its variables, secrets generated.
   */
  async submission(id: string, name: string, variables: Record<string, string>, signal?: AbortSignal): Promise<{ submission: Submission & { name: string }; template: AppTemplate; generated: string[] }> {
    const template = await this.get(id);
    const { env, generated } = renderTemplateEnv(template.variables, variables);
    const yaml = template.compose ?? (await fetchStackFile(template.repository!, { signal }));
    return { submission: { name, yaml, env, files: undefined }, template, generated };
  }
}
