import { CapstanError } from '../errors.js';
import { cleanRelativePath, COMPOSE_FILE, ENV_FILE, MAX_FILE_BYTES, type ProjectFileInfo } from './project-files.js';
import { invalidProject, type Overlay } from './project-loader.js';
import type { ServiceRow, ServiceStore } from './service-store.js';

/**
 * The project-file routes: list, read, write and delete one file of a
 * service's folder. A write or delete is checked against the whole project
 * first: compose.yaml and .env must load, as a PUT checks them; any other file
 * may not break a project that loads (an env_file target, say). Nothing is
 * deployed: the next apply picks the files up.
 */

const overlayFor = (rel: string, content: string | undefined): Overlay =>
  rel === COMPOSE_FILE ? { yaml: content ?? '' } : rel === ENV_FILE ? { env: content ?? '' } : { files: { [rel]: content } };

function checkChange(store: ServiceStore, row: ServiceRow, rel: string, content: string | undefined): void {
  const after = store.projects.check(row.name, overlayFor(rel, content));
  if (after.ok) return;
  if (rel === COMPOSE_FILE || rel === ENV_FILE || row.project.ok) {
    throw invalidProject(after.issues, content === undefined ? 'Deleting this file would break the project' : 'Invalid definition');
  }
}

export function listFiles(row: ServiceRow, store: ServiceStore): { files: ProjectFileInfo[]; truncated: boolean } {
  return store.projects.folders.list(row.dir);
}

export function readFile(row: ServiceRow, store: ServiceStore, rel: string): { path: string; content: string } {
  const clean = cleanRelativePath(rel);
  const content = store.projects.folders.read(row.dir, clean);
  if (content === undefined) throw new CapstanError('NOT_FOUND', 'File not found', { details: `path: no file "${clean}" in the project folder` });
  return { path: clean, content };
}

export function writeFile(row: ServiceRow, store: ServiceStore, rel: string, content: string): string {
  const clean = cleanRelativePath(rel);
  const size = Buffer.byteLength(content, 'utf8');
  if (size > MAX_FILE_BYTES) {
    throw new CapstanError('BAD_REQUEST', 'File too large', { details: `content: ${size} bytes; files up to ${MAX_FILE_BYTES} bytes can be written` });
  }
  store.projects.folders.resolve(row.dir, clean); // a path leading out is refused before anything is loaded
  checkChange(store, row, clean, content);
  store.projects.folders.writeFiles(row.dir, { [clean]: content });
  store.projects.forget(row.name);
  return clean;
}

export function deleteFile(row: ServiceRow, store: ServiceStore, rel: string): string {
  const clean = cleanRelativePath(rel);
  if (clean === COMPOSE_FILE) {
    throw new CapstanError('BAD_REQUEST', 'compose.yaml cannot be deleted', { details: 'path: it is the service\'s definition; delete the service instead' });
  }
  store.projects.folders.resolve(row.dir, clean);
  checkChange(store, row, clean, undefined);
  store.projects.folders.remove(row.dir, clean);
  store.projects.forget(row.name);
  return clean;
}
