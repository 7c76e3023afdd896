import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTsx } from '../helpers/process.js';
import { httpRequest, newDataDir, startTestServer } from '../helpers/server.js';

const run = runTsx;

describe('start and stop', () => {
  it('a second start on the same data dir keeps users and sessions', async () => {
    const dataDir = newDataDir();
    const first = await startTestServer({}, dataDir);
    const token = await first.login();
    await first.stop();
    const second = await startTestServer({}, dataDir);
    try {
      expect(second.generatedAdmin).toBeUndefined();
      expect((await second.request('GET', '/auth/me', { token })).status).toBe(200);
    } finally {
      await second.dispose();
    }
  });

  it('without admin variables, generates a password once and it works', async () => {
    const dataDir = newDataDir();
    const s = await startTestServer({ CAPSTAN_ADMIN_USERNAME: undefined, CAPSTAN_ADMIN_PASSWORD: undefined }, dataDir);
    try {
      expect(s.generatedAdmin?.username).toBe('admin');
      expect(s.generatedAdmin!.password.length).toBeGreaterThanOrEqual(20);
      await s.login('admin', s.generatedAdmin!.password);
      const audit = await s.app.database.client.execute('SELECT * FROM audit_log');
      expect(JSON.stringify(audit.rows)).not.toContain(s.generatedAdmin!.password);
    } finally {
      await s.dispose();
    }
  });

  it('the real process prints the generated password once and stops cleanly on SIGTERM', async () => {
    const dataDir = newDataDir();
    try {
      const env = { CAPSTAN_DATA_DIR: dataDir, PORT: '0', DOCKER_HOST: 'unix:///tmp/capstan-unused.sock' };
      const first = await run(['src/server/main.ts'], env, { until: /Capstan is running at/ });
      expect(first.code).toBe(0);
      const password = /password: (\S+)/.exec(first.stdout)?.[1];
      expect(password).toBeTruthy();
      expect(first.stderr).not.toContain(password!);
      const second = await run(['src/server/main.ts'], env, { until: /Capstan is running at/ });
      expect(second.code).toBe(0);
      expect(second.stdout).not.toMatch(/password:/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('finishes an in-flight request before stopping', async () => {
    const s = await startTestServer();
    const inflight = httpRequest(s.url, 'POST', '/auth/login', { body: { username: 'admin', password: 'correct-horse-battery' } });
    await new Promise((r) => setTimeout(r, 20));
    const stopped = s.dispose();
    const res = await inflight;
    await stopped;
    expect(res.status).toBe(200);
  });

  it('a bad configuration value stops the server with a message naming the variable', async () => {
    const res = await run(['src/server/main.ts'], { PORT: 'eighty', CAPSTAN_DATA_DIR: newDataDir() });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/PORT: must be a number/);
  });
});

describe('the admin CLI', () => {
  it('adds, lists, changes the password of and removes users; removal ends their sessions', async () => {
    const s = await startTestServer();
    try {
      const env = { CAPSTAN_DATA_DIR: s.dataDir };
      const add = await run(['src/server/cli.ts', 'user', 'add', 'carol'], env, { input: 'carol-password-1\n' });
      expect(add.code, add.stderr).toBe(0);
      const token = await s.login('carol', 'carol-password-1');

      const list = await run(['src/server/cli.ts', 'user', 'list'], env);
      expect(list.stdout.split('\n').map((l) => l.split('\t')[0])).toEqual(expect.arrayContaining(['admin', 'carol']));

      const dup = await run(['src/server/cli.ts', 'user', 'add', 'carol'], env, { input: 'another-pass-1\n' });
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/already taken/);

      const passwd = await run(['src/server/cli.ts', 'user', 'passwd', 'carol'], env, { input: 'carol-password-2\n' });
      expect(passwd.code, passwd.stderr).toBe(0);
      expect((await s.request('GET', '/auth/me', { token })).status).toBe(401);
      const token2 = await s.login('carol', 'carol-password-2');

      const remove = await run(['src/server/cli.ts', 'user', 'remove', 'carol'], env);
      expect(remove.code, remove.stderr).toBe(0);
      expect((await s.request('GET', '/auth/me', { token: token2 })).status).toBe(401);
      expect((await s.request('POST', '/auth/login', { body: { username: 'carol', password: 'carol-password-2' } })).status).toBe(401);

      const audit = await s.app.database.client.execute("SELECT action, outcome FROM audit_log WHERE actor = 'cli' ORDER BY id");
      expect(audit.rows.map((r) => `${r.action} ${r.outcome}`)).toEqual(['user.create success', 'user.create failure', 'user.passwd success', 'user.remove success']);
      expect(JSON.stringify((await s.app.database.client.execute('SELECT * FROM audit_log')).rows)).not.toMatch(/carol-password/);
    } finally {
      await s.dispose();
    }
  });

  it('refuses a short password and unknown commands', async () => {
    const dataDir = newDataDir();
    try {
      const short = await run(['src/server/cli.ts', 'user', 'add', 'dave'], { CAPSTAN_DATA_DIR: dataDir }, { input: 'short\n' });
      expect(short.code).toBe(1);
      expect(short.stderr).toMatch(/at least 8 characters/);
      const usage = await run(['src/server/cli.ts', 'frobnicate'], { CAPSTAN_DATA_DIR: dataDir });
      expect(usage.code).toBe(64);
      expect(usage.stderr).toMatch(/usage:/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
