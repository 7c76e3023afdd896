import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from './engine.js';

/** Commits everything in `dir` as a new repository on branch main. */
export function commitRepo(dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'test repository');
}

/** Writes files (relative path → text) into a new repository at base/name and commits them. */
export function makeRepo(base: string, name: string, files: Record<string, string>): void {
  const dir = path.join(base, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  commitRepo(dir);
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('git daemon did not listen');
}

/** A real git server on 127.0.0.1 (git daemon, the git:// protocol) serving every repository under `base`. */
export async function startGitDaemon(base: string): Promise<{ url: (repo: string) => string; stop: () => void }> {
  const port = await freePort();
  const daemon = spawn('git', ['daemon', '--reuseaddr', '--export-all', `--base-path=${base}`, '--listen=127.0.0.1', `--port=${port}`, base], { stdio: 'ignore' });
  await listening(port);
  return { url: (repo) => `git://127.0.0.1:${port}/${repo}`, stop: () => void daemon.kill('SIGTERM') };
}
