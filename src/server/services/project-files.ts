import { randomBytes } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { PROJECT_NAME_RE } from '../../shared/compose/names.js';
import { CapstanError } from '../errors.js';

/**
 * The one module that touches the project folders on disk: one folder per
 * service under CAPSTAN_PROJECTS_DIR, as compose has a project directory.
 * Every path a user gives is checked here: relative, no `..`, no NUL, and no
 * symbolic link that leads out of the folder (checked on the real path, so a
 * link planted on the host cannot be used to read or write elsewhere). Writes
 * go to a temporary file and are renamed over the target, so a reader (the
 * loader, `docker compose` on the host) never sees half a file.
 */

export const COMPOSE_FILE = 'compose.yaml';
export const ENV_FILE = '.env';
/**
 * Bound on one file read or written through Capstan: project files are
 * configuration, not data. Below the HTTP body limit (1 MiB), so a write
 * over it gets this answer, naming the bound, rather than a bare 413.
 */
export const MAX_FILE_BYTES = 512 * 1024;
/** Bound on the files of one folder that are listed (bind-mount data may hold many more). */
export const MAX_LISTED_FILES = 1000;
/**
 * Bound on the files one request writes. Not a bound on the folder: bind-mounted
 * data in it (a database's files) may be many, and must not block a config edit.
 */
export const MAX_FILES_PER_WRITE = 100;
const MAX_DEPTH = 16;
const TMP_MARK = '.capstan-tmp-';

export interface ProjectFileInfo {
  path: string;
  size: number;
  modified_at: string;
}

const bad = (details: string, message = 'Invalid path') => new CapstanError('BAD_REQUEST', message, { details });

const isInside = (root: string, p: string) => p === root || p.startsWith(root + path.sep);

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The clean relative form of a user's path ("./a//b" → "a/b"), or a 400 naming why it is refused. */
export function cleanRelativePath(rel: unknown, field = 'path'): string {
  if (typeof rel !== 'string' || rel.length === 0) throw bad(`${field}: required`);
  if (rel.length > 1024) throw bad(`${field}: longer than 1024 characters`);
  if (rel.includes('\0')) throw bad(`${field}: must not contain a NUL character`);
  if (rel.includes('\\')) throw bad(`${field}: use "/" to separate folders`);
  if (path.isAbsolute(rel) || rel.startsWith('~')) throw bad(`${field}: "${rel}" is absolute; give a path relative to the project folder`);
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw bad(`${field}: "${rel}" leaves the project folder ("..")`);
  if (parts.length === 0) throw bad(`${field}: "${rel}" names no file`);
  if (parts.some((p) => p.includes(TMP_MARK))) throw bad(`${field}: "${rel}" is a name Capstan uses for temporary files`);
  return parts.join('/');
}

/** The longest service (compose project) name a folder is made for. */
export const MAX_PROJECT_NAME = 128;

/** The folders of all services. */
export class ProjectFolders {
  /** `root` must be absolute (env.ts resolves CAPSTAN_PROJECTS_DIR). */
  constructor(readonly root: string) {}

  /** The folder of the service called `name`; the name is a compose project name, so it cannot climb out. */
  dir(name: string): string {
    // A file name has at most 255 bytes (ENAMETOOLONG past it); the cap leaves room for what compose appends.
    if (name.length > MAX_PROJECT_NAME) throw bad(`name: at most ${MAX_PROJECT_NAME} characters (got ${name.length})`, 'Invalid name');
    if (!PROJECT_NAME_RE.test(name)) throw bad(`name: "${name}" is not a valid project name`, 'Invalid name');
    return path.join(this.root, name);
  }

  exists(name: string): boolean {
    return lstatOrUndefined(this.dir(name))?.isDirectory() ?? false;
  }

  /**
   * The absolute path of `rel` inside `dir`, after checking that neither it
   * nor any existing folder on the way is a link leading out. Returns the real
   * path (a link inside the folder is followed to its target inside).
   */
  resolve(dir: string, rel: string, field = 'path'): string {
    const clean = cleanRelativePath(rel, field);
    const realRoot = lstatOrUndefined(dir) ? realpathSync(dir) : dir;
    const wanted = path.join(dir, clean);
    // The deepest part of the path that exists decides where it really leads.
    let existing = wanted;
    let rest = '';
    while (!lstatOrUndefined(existing) && existing !== dir && isInside(dir, existing)) {
      rest = rest ? path.join(path.basename(existing), rest) : path.basename(existing);
      existing = path.dirname(existing);
    }
    let real: string;
    try {
      real = lstatOrUndefined(existing) ? realpathSync(existing) : existing;
    } catch {
      throw bad(`${field}: "${clean}" is a symbolic link that leads nowhere`);
    }
    if (!isInside(realRoot, real)) throw bad(`${field}: "${clean}" leads out of the project folder (symbolic link)`);
    return rest ? path.join(real, rest) : real;
  }

  /** A file's text, or undefined when it does not exist; a 400 for a directory or a file over the bound. */
  read(dir: string, rel: string): string | undefined {
    const abs = this.resolve(dir, rel);
    const st = lstatOrUndefined(abs);
    if (!st) return undefined;
    if (!st.isFile()) throw bad(`path: "${rel}" is not a regular file`);
    if (st.size > MAX_FILE_BYTES) throw bad(`path: "${rel}" is ${st.size} bytes; Capstan reads files up to ${MAX_FILE_BYTES} bytes`, 'File too large');
    try {
      return readFileSync(abs, 'utf8');
    } catch (err) {
      throw fsProblem(err, rel);
    }
  }

  /** The regular files of the folder, recursively, sorted; bounded (`truncated` says so). */
  list(dir: string): { files: ProjectFileInfo[]; truncated: boolean } {
    const files: ProjectFileInfo[] = [];
    let truncated = false;
    const walk = (abs: string, rel: string, depth: number) => {
      let entries: string[];
      try {
        entries = readdirSync(abs).sort();
      } catch {
        return; // a folder a container made unreadable (a database's data dir): not listed
      }
      for (const entry of entries) {
        if (entry.includes(TMP_MARK)) continue;
        if (files.length >= MAX_LISTED_FILES) {
          truncated = true;
          return;
        }
        const childRel = rel ? `${rel}/${entry}` : entry;
        const st = lstatOrUndefined(path.join(abs, entry));
        if (st?.isDirectory()) {
          if (depth < MAX_DEPTH) walk(path.join(abs, entry), childRel, depth + 1);
          else truncated = true;
        } else if (st?.isFile()) {
          files.push({ path: childRel, size: st.size, modified_at: st.mtime.toISOString() });
        }
      }
    };
    if (lstatOrUndefined(dir)?.isDirectory()) walk(dir, '', 0);
    return { files, truncated };
  }

  /**
   * Writes the files (relative path → text) into `dir`, creating it. Each is
   * checked before any is written, so a refused path writes nothing.
   */
  writeFiles(dir: string, files: Record<string, string>): void {
    if (Object.keys(files).length > MAX_FILES_PER_WRITE) {
      throw bad(`files: ${Object.keys(files).length} files; up to ${MAX_FILES_PER_WRITE} can be written at once`, 'Too many files');
    }
    const targets = Object.entries(files).map(([rel, content]) => {
      if (typeof content !== 'string') throw bad(`files.${rel}: must be text`, 'Invalid file');
      const size = Buffer.byteLength(content, 'utf8');
      if (size > MAX_FILE_BYTES) throw bad(`${rel}: ${size} bytes; files up to ${MAX_FILE_BYTES} bytes can be written`, 'File too large');
      const abs = this.resolve(dir, rel);
      const st = lstatOrUndefined(abs);
      if (st && !st.isFile()) throw bad(`path: "${rel}" is not a regular file`);
      return { rel, abs, content };
    });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const t of targets) {
      try {
        writeAtomically(t.abs, t.content, path.basename(t.rel) === ENV_FILE);
      } catch (err) {
        throw fsProblem(err, t.rel);
      }
    }
  }

  /** Removes one file (not a folder); a missing file is a 404. */
  remove(dir: string, rel: string): void {
    const abs = this.resolve(dir, rel);
    const st = lstatOrUndefined(abs);
    if (!st) throw new CapstanError('NOT_FOUND', 'File not found', { details: `path: no file "${rel}" in the project folder` });
    if (!st.isFile()) throw bad(`path: "${rel}" is not a regular file`);
    try {
      unlinkSync(abs);
    } catch (err) {
      throw fsProblem(err, rel);
    }
  }

  /** A soft delete keeps the folder (it may hold bind-mounted data) under a name no service can have. */
  retire(name: string, suffix: string): string | undefined {
    const dir = this.dir(name);
    if (!lstatOrUndefined(dir)) return undefined;
    const to = path.join(this.root, `${name}.deleted-${suffix}`);
    renameSync(dir, to);
    return to;
  }

  /** A hard delete removes the folder; what cannot be removed (files a container owns) is named in the error. */
  removeFolder(name: string): void {
    rmSync(this.dir(name), { recursive: true, force: true });
  }
}

/** What the file system refused, for the user: a folder where a file is wanted, a file a container owns. */
function fsProblem(err: unknown, rel: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') return bad(`path: a part of "${rel}" is a file, not a folder (or the other way round)`);
  if (code === 'EACCES' || code === 'EPERM') {
    return new CapstanError('CONFLICT', 'Permission denied', { details: `path: "${rel}" cannot be changed by Capstan's user (it may belong to a container)` });
  }
  if (code === 'ENOSPC') return new CapstanError('CONFLICT', 'No space left', { details: `path: "${rel}" cannot be written: the disk is full` });
  return err;
}

/** temp file beside the target, then rename: readers see the old or the new text, never a part. */
function writeAtomically(abs: string, content: string, secret: boolean): void {
  mkdirSync(path.dirname(abs), { recursive: true, mode: 0o755 });
  let mode = secret ? 0o600 : 0o644;
  if (!secret) {
    try {
      mode = statSync(abs).mode & 0o777; // an edit keeps the file's permissions
    } catch {
      /* a new file */
    }
  }
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}${TMP_MARK}${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(tmp, content, { mode, flag: 'wx' });
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
