import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CapstanError } from '../../src/server/errors.js';
import { checkTemplateRepository, fetchStackFile } from '../../src/server/services/template-repository.js';
import { freePort } from '../helpers/engine.js';
import { commitRepo, startGitDaemon } from '../helpers/git-server.js';

// A real git server on 127.0.0.1 (git daemon, the git:// protocol), serving a repository made here.
let base: string;
let scratch: string;
let daemon: Awaited<ReturnType<typeof startGitDaemon>>;
let repoUrl: string;
/** Each fetch clones into `scratch`, so the test can see that nothing is left behind. */
let fetchOpts: { tmpDir: string; timeoutMs: number };
const compose = 'services:\n  web:\n    image: capstan-test/busybox:latest\n';

beforeAll(async () => {
  base = mkdtempSync(path.join(tmpdir(), 'capstan-gitd-'));
  scratch = mkdtempSync(path.join(tmpdir(), 'capstan-gitd-tmp-'));
  fetchOpts = { tmpDir: scratch, timeoutMs: 30_000 };
  const repo = path.join(base, 'stacks');
  mkdirSync(path.join(repo, 'apps', 'web'), { recursive: true });
  writeFileSync(path.join(repo, 'apps', 'web', 'docker-compose.yml'), compose);
  writeFileSync(path.join(repo, 'big.yml'), `# ${'x'.repeat(600 * 1024)}\n`);
  writeFileSync(path.join(base, 'outside.yml'), 'services: {}\n');
  symlinkSync('/etc/hostname', path.join(repo, 'escape-absolute.yml'));
  // relative, climbing to / and down to a file that exists wherever the clone is made
  symlinkSync(`${'../'.repeat(12)}${base.slice(1)}/outside.yml`, path.join(repo, 'escape-relative.yml'));
  symlinkSync('apps/web/docker-compose.yml', path.join(repo, 'inside.yml'));
  commitRepo(repo);
  daemon = await startGitDaemon(base);
  repoUrl = daemon.url('stacks');
});

afterAll(() => {
  daemon?.stop();
  rmSync(base, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  // every fetch, answered or refused, removes its clone
  expect(readdirSync(scratch)).toEqual([]);
});


async function refused(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => {
      throw new Error('the fetch succeeded');
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CapstanError);
  const err = e as CapstanError;
  expect(err.code).toBe('BAD_REQUEST');
  expect(err.message).toBe("Could not fetch the template's compose file");
  return err.details ?? '';
}

describe('fetchStackFile from a real git server', () => {
  it('returns the stackfile from a subfolder', async () => {
    expect(await fetchStackFile({ url: repoUrl, stackfile: 'apps/web/docker-compose.yml' }, fetchOpts)).toBe(compose);
    expect(await fetchStackFile({ url: repoUrl, stackfile: './apps//web/docker-compose.yml' }, fetchOpts)).toBe(compose);
  });

  it('follows a symlink that stays inside the clone', async () => {
    expect(await fetchStackFile({ url: repoUrl, stackfile: 'inside.yml' }, fetchOpts)).toBe(compose);
  });

  it('refuses a missing stackfile', async () => {
    expect(await refused(fetchStackFile({ url: repoUrl, stackfile: 'apps/nope.yml' }, fetchOpts))).toBe(
      'repository.stackfile: "apps/nope.yml" is not in the repository',
    );
    expect(await refused(fetchStackFile({ url: repoUrl, stackfile: 'apps' }, fetchOpts))).toBe(
      'repository.stackfile: "apps" is not a file',
    );
  });

  it('refuses a stackfile that climbs out with .. or is absolute', async () => {
    for (const stackfile of ['../outside.yml', 'apps/../../outside.yml', '/etc/hostname', '..', '']) {
      expect(await refused(fetchStackFile({ url: repoUrl, stackfile }, fetchOpts))).toMatch(/^repository\.stackfile: must be a relative path/);
    }
  });

  it('refuses a symlink that leads out of the clone, and git\'s own folder', async () => {
    for (const stackfile of ['escape-absolute.yml', 'escape-relative.yml', '.git/config']) {
      expect(await refused(fetchStackFile({ url: repoUrl, stackfile }, fetchOpts))).toBe(
        `repository.stackfile: "${stackfile}" leads outside the repository`,
      );
    }
  });

  it('refuses a file over the size limit', async () => {
    expect(await refused(fetchStackFile({ url: repoUrl, stackfile: 'big.yml' }, fetchOpts))).toBe(
      'repository.stackfile: "big.yml" is larger than 512 KiB',
    );
    // and takes it under a larger one
    const text = await fetchStackFile({ url: repoUrl, stackfile: 'big.yml' }, { ...fetchOpts, maxBytes: 1024 * 1024 });
    expect(text.length).toBeGreaterThan(600 * 1024);
  });

  it('refuses file:, ext::, ssh and option-like URLs before running git', async () => {
    const local = path.join(base, 'stacks');
    for (const url of [
      `file://${local}`,
      local,
      'ext::sh -c touch% /tmp/capstan-pwned',
      'ssh://git@127.0.0.1/stacks',
      'git@127.0.0.1:stacks.git',
      '--upload-pack=touch /tmp/capstan-pwned',
      `http::${repoUrl}`,
      'https://',
    ]) {
      expect(await refused(fetchStackFile({ url, stackfile: 'apps/web/docker-compose.yml' }, fetchOpts)), url).toBe(
        'repository.url: must be an https:, http: or git: URL',
      );
    }
  });

  it('says what git said for a repository the server does not have', async () => {
    const details = await refused(fetchStackFile({ url: `${repoUrl}-missing`, stackfile: 'a.yml' }, fetchOpts));
    expect(details).toMatch(/^git clone: .*(not exported|not found|does not appear)/i);
  });

  it('never shows the credentials of the URL', async () => {
    const port = await freePort(); // nothing listens there
    const details = await refused(
      fetchStackFile({ url: `http://alice:s3cr3t-pw@127.0.0.1:${port}/x.git`, stackfile: 'a.yml' }, fetchOpts),
    );
    expect(details).toMatch(/^git clone: /);
    expect(details).not.toContain('s3cr3t-pw');
    expect(details).not.toContain('alice');
  });

  describe('a server that never answers', () => {
    let silent: Server;
    let port: number;
    const sockets = new Set<import('node:net').Socket>();
    beforeAll(async () => {
      silent = createServer((s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });

    it('ends git at the timeout', async () => {
      const details = await refused(
        fetchStackFile({ url: `git://127.0.0.1:${port}/stacks`, stackfile: 'a.yml' }, { ...fetchOpts, timeoutMs: 1000 }),
      );
      expect(details).toBe('git clone: timed out after 1 s');
    });

    it('ends git when the caller aborts', async () => {
      const ac = new AbortController();
      const p = fetchStackFile({ url: `git://127.0.0.1:${port}/stacks`, stackfile: 'a.yml' }, { ...fetchOpts, signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      expect(await refused(p)).toBe('git clone: cancelled');
    });
  });
});

describe('checkTemplateRepository', () => {
  it('turns a web URL with /tree/<branch>/<folder> into the repository, the branch and the path', () => {
    expect(checkTemplateRepository({ url: 'https://github.com/o/r/tree/v3/stacks', stackfile: 'a/docker-compose.yml' })).toEqual({
      url: 'https://github.com/o/r',
      branch: 'v3',
      stackfile: 'stacks/a/docker-compose.yml',
    });
    expect(checkTemplateRepository({ url: 'https://gitlab.example.org/g/r/-/tree/main', stackfile: 'c.yml' })).toEqual({
      url: 'https://gitlab.example.org/g/r',
      branch: 'main',
      stackfile: 'c.yml',
    });
    expect(checkTemplateRepository({ url: 'https://github.com/pi-hosted/pi-hosted/', stackfile: 'x.yml' })).toEqual({
      url: 'https://github.com/pi-hosted/pi-hosted/',
      branch: null,
      stackfile: 'x.yml',
    });
    expect(() => checkTemplateRepository({ url: 'https://github.com/o/r/tree/-x', stackfile: 'a.yml' })).toThrow(CapstanError);
  });
});
