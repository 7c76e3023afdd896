import type { Logger } from '../log.js';
import { composeYaml } from './definitions.js';
import { COMPOSE_FILE, ENV_FILE } from './project-files.js';
import type { ServiceStore } from './service-store.js';

/**
 * At start: a service created before project folders has its JSON definition
 * in the row. It is written out as its folder's compose.yaml (with an empty
 * .env: the old definition carried its values inline, and never interpolated
 * them, so they are written literally), then cleared from the row, so the
 * folder is the one definition from then on. A folder that already exists
 * wins (a start that was interrupted after writing it).
 */
export async function migrateLegacyDefinitions(store: ServiceStore, log: Logger): Promise<number> {
  const legacy = await store.listLegacy();
  for (const row of legacy) {
    const folders = store.projects.folders;
    const dir = store.projects.dir(row.name);
    if (!folders.exists(row.name) || folders.read(dir, COMPOSE_FILE) === undefined) {
      // The old format was a compose subset, so it carries over as it is; `name` stays out: the folder's name is the project name.
      const { name: _, ...document } = row.definition;
      folders.writeFiles(dir, {
        [COMPOSE_FILE]: composeYaml(document, { literal: true }),
        ...(folders.read(dir, ENV_FILE) === undefined ? { [ENV_FILE]: '' } : {}),
      });
      store.projects.forget(row.name);
    }
    await store.clearLegacy(row.id);
    log.info('service moved to its project folder', { service: row.id, name: row.name, dir });
  }
  return legacy.length;
}

