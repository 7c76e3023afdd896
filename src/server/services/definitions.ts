import { definitionToYaml, parseComposeYaml, zServiceDefinition, type ServiceDefinition } from '../../shared/definition.js';
import { CapstanError } from '../errors.js';
import { formatIssues } from '../http-errors.js';
import type { ServiceRow } from './service-store.js';

/**
 * A request body to a definition: either compose YAML ({name, yaml}) or the
 * JSON definition itself; every problem becomes one 400 naming its path.
 */
export function definitionFromBody(body: Record<string, unknown> & { name: string; yaml?: string | undefined }): ServiceDefinition {
  const { yaml, ...rest } = body;
  if (typeof yaml === 'string') {
    if (Object.keys(rest).some((k) => k !== 'name')) {
      throw new CapstanError('BAD_REQUEST', 'Invalid definition', { details: 'body: give either yaml or services, not both' });
    }
    const parsed = parseComposeYaml(body.name, yaml);
    if (!parsed.ok) {
      const details = parsed.issues
        .slice(0, 20)
        .map((i) => `${i.line ? `line ${i.line}: ` : ''}${i.path.join('.') || 'yaml'}: ${i.message}`)
        .join('; ');
      throw new CapstanError('BAD_REQUEST', 'Invalid definition', { details });
    }
    return parsed.value;
  }
  const parsed = zServiceDefinition.safeParse(rest);
  if (!parsed.success) throw new CapstanError('BAD_REQUEST', 'Invalid definition', { details: formatIssues(parsed.error.issues) });
  return parsed.data;
}

export const definitionYaml = (row: ServiceRow): string => definitionToYaml(row.definition);
