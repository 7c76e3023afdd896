// The compose file of a "stack" template lives in a git repository (Portainer's
// `repository: {url, stackfile}`). It is fetched at deploy with Debian's git: a
// shallow clone into a temporary folder that is always removed. The URL and the
// path come from an imported document, so both are treated as hostile: only
// network transports, never a prompt or a credential helper, and a stackfile
// that cannot leave the clone (not by "..", not by a symlink).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TemplateRepository } from '../../shared/templates.js';
import { CapstanError } from '../errors.js';

export const STACKFILE_MAX_BYTES = 512 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;
const MESSAGE = "Could not fetch the template's compose file";

export interface FetchStackFileOptions {
  signal?: AbortSignal;
  /** Default 60 s, for the whole clone. */
  timeoutMs?: number;
  /** Default 512 KiB. */
  maxBytes?: number;
  /** Where the temporary clone is made (default: the OS temp folder). */
  tmpDir?: string;
}

const fail = (details: string, cause?: unknown) => new CapstanError('BAD_REQUEST', MESSAGE, { details, cause });

/** user:password@ in any URL of a text (git echoes the URL it was given). */
const stripCredentials = (s: string) => s.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1');

export interface CloneTarget {
  url: string;
  /** From a GitHub/GitLab-style ".../tree/<branch>" URL. */
  branch: string | null;
  stackfile: string;
}

/**
 * Checks a repository reference without touching the network: an https:, http: or git: URL (git's
 * "transport::" forms, file:, ssh and option-like strings are refused) and a clean relative stackfile.
 * A web URL ".../tree/<branch>[/<folder>]" (GitHub, GitLab's "/-/tree/") becomes the repository,
 * that branch, and the folder put before the stackfile; a branch with a "/" cannot be told from a
 * folder there, so only the first segment is the branch.
 */
export function checkTemplateRepository(repo: TemplateRepository): CloneTarget {
  const raw = repo.url.trim();
  let url: URL;
  try {
    if (!/^(https?|git):\/\/[^\s]+$/i.test(raw)) throw new Error('scheme');
    url = new URL(raw);
    if (!url.hostname) throw new Error('host');
  } catch {
    throw fail('repository.url: must be an https:, http: or git: URL');
  }
  let branch: string | null = null;
  let folder = '';
  const tree = /^(\/[^/]+\/[^/]+?)(?:\.git)?(?:\/-)?\/tree\/([^/]+)((?:\/[^/]+)*)\/?$/.exec(url.pathname);
  if (tree && url.protocol !== 'git:') {
    branch = decodeURIComponent(tree[2]!);
    if (!/^[A-Za-z0-9_.][A-Za-z0-9_./-]*$/.test(branch) || branch.includes('..')) {
      throw fail('repository.url: the branch in the URL is not a plain branch name');
    }
    folder = decodeURIComponent(tree[3]!.slice(1));
    url.pathname = tree[1]!;
    url.search = '';
    url.hash = '';
  }
  return { url: url.href, branch, stackfile: checkStackfile(folder ? `${folder}/${repo.stackfile}` : repo.stackfile) };
}

function checkStackfile(p: string): string {
  const bad = () => fail('repository.stackfile: must be a relative path to a file inside the repository');
  if (p === '' || p.length > 1024 || /[\\\u0000-\u001f]/.test(p) || p.startsWith('/') || /^[A-Za-z]:/.test(p)) throw bad();
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.includes('..') || parts[0]!.startsWith('-')) throw bad();
  return parts.join('/');
}

/** The environment git runs with: none of the server's, no prompt, no config or helper from the machine. */
function gitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ALLOW_PROTOCOL: 'https:http:git',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_SSH_COMMAND: 'false',
  };
}

/** Runs git in its own process group, so that a timeout also ends the helpers it started. */
function runGit(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(fail('git clone: cancelled'));
    const child = spawn('git', args, { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let stopped: string | null = null;
    const stop = (why: string) => {
      stopped ??= why;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => stop(`timed out after ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    const onAbort = () => stop('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-8192);
    });
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e) => {
      done();
      reject(fail(`git: ${e.message}`, e));
    });
    child.on('close', (code) => {
      done();
      if (stopped) return reject(fail(`git clone: ${stopped}`));
      if (code === 0) return resolve();
      reject(fail(`git clone: ${gitMessage(stderr) || `exit code ${code ?? 'none'}`}`));
    });
  });
}

/** git's own words, without its progress lines and without credentials. */
function gitMessage(stderr: string): string {
  const lines = stripCredentials(stderr)
    .split(/[\r\n]+/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Cloning into'));
  const first = lines.findIndex((l) => /^(fatal|error|remote):/i.test(l));
  const text = (first >= 0 ? lines.slice(first) : lines.slice(-2)).join(' ');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The text of the repository's stackfile (at the default branch, or the URL's /tree/<branch>). */
export async function fetchStackFile(repo: TemplateRepository, opts: FetchStackFileOptions = {}): Promise<string> {
  const target = checkTemplateRepository(repo);
  const maxBytes = opts.maxBytes ?? STACKFILE_MAX_BYTES;
  const work = await mkdtemp(path.join(opts.tmpDir ?? tmpdir(), 'capstan-stack-'));
  try {
    const emptyTemplates = path.join(work, 'templates');
    await mkdir(emptyTemplates);
    const clone = path.join(work, 'clone');
    const args = ['-c', 'credential.helper=', '-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];
    args.push('clone', '--quiet', '--depth', '1', '--no-tags', '--single-branch', `--template=${emptyTemplates}`);
    if (target.branch) args.push('--branch', target.branch);
    args.push('--', target.url, clone);
    await runGit(args, gitEnv(work), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.signal);
    return await readInside(clone, target.stackfile, maxBytes);
  } finally {
    await rm(work, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function readInside(root: string, stackfile: string, maxBytes: number): Promise<string> {
  const name = JSON.stringify(stackfile);
  const realRoot = await realpath(root);
  let real: string;
  try {
    real = await realpath(path.join(root, stackfile));
  } catch {
    throw fail(`repository.stackfile: ${name} is not in the repository`);
  }
  if (!real.startsWith(realRoot + path.sep) || real.startsWith(path.join(realRoot, '.git') + path.sep)) {
    throw fail(`repository.stackfile: ${name} leads outside the repository`);
  }
  const file = await open(real, 'r');
  try {
    const st = await file.stat();
    if (!st.isFile()) throw fail(`repository.stackfile: ${name} is not a file`);
    if (st.size > maxBytes) throw fail(`repository.stackfile: ${name} is larger than ${formatBytes(maxBytes)}`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    if (bytesRead > maxBytes) throw fail(`repository.stackfile: ${name} is larger than ${formatBytes(maxBytes)}`);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, bytesRead));
    } catch {
      throw fail(`repository.stackfile: ${name} is not UTF-8 text`);
    }
  } finally {
    await file.close();
  }
}

const formatBytes = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);
