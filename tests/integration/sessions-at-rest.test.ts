import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/db/migrate.js';
import { hashPassword } from '../../src/server/auth/passwords.js';
import { ADMIN, newDataDir, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Sessions at rest (issue 12, item 8): the database holds only the SHA-256 of
 * each session token, so a copy of the database file opens no session.
 */

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Every byte SQLite keeps for this database: the file and its write-ahead log. */
function databaseBytes(dataDir: string): Buffer {
  const file = path.join(dataDir, 'capstan.db');
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

/** A second connection straight to the file, as anyone who can read it would open it. */
async function sessionIds(dataDir: string): Promise<string[]> {
  const client = createClient({ url: `file:${path.join(dataDir, 'capstan.db')}` });
  try {
    return (await client.execute('SELECT id FROM session')).rows.map((r) => String(r.id));
  } finally {
    client.close();
  }
}

describe('sessions at rest', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(() => s?.dispose());

  it('the session table holds the sha256 of the token, never the token; the token works by bearer and cookie until logout', async () => {
    const token = await s.login();
    expect(token).toMatch(/^[a-z0-9]{32,}$/);
    const ids = await sessionIds(s.dataDir);
    expect(ids).not.toContain(token);
    expect(ids).toContain(sha256(token));
    expect(ids.every((id) => /^[0-9a-f]{64}$/.test(id))).toBe(true);
    expect(databaseBytes(s.dataDir).includes(token)).toBe(false);

    expect((await s.request('GET', '/auth/me', { token })).status).toBe(200);
    expect((await s.request('GET', '/auth/me', { headers: { cookie: `capstan_session=${token}` } })).status).toBe(200);
    // What is stored is not a credential: presenting the hash opens nothing.
    expect((await s.request('GET', '/auth/me', { token: sha256(token) })).status).toBe(401);

    expect((await s.request('POST', '/auth/logout', { token })).status).toBe(200);
    expect((await s.request('GET', '/auth/me', { token })).status).toBe(401);
    expect(await sessionIds(s.dataDir)).not.toContain(sha256(token));
    expect(databaseBytes(s.dataDir).includes(token)).toBe(false);
  });

  it('a new password and a removed user end that user\'s sessions', async () => {
    const user = { username: `rest-${randomBytes(4).toString('hex')}`, password: 'a-long-enough-password' };
    await s.app.users.add(user.username, user.password);
    const first = await s.login(user.username, user.password);
    expect((await s.request('GET', '/auth/me', { token: first })).status).toBe(200);
    await s.app.users.setPassword(user.username, 'another-long-password');
    expect((await s.request('GET', '/auth/me', { token: first })).status).toBe(401);

    const second = await s.login(user.username, 'another-long-password');
    expect((await s.request('GET', '/auth/me', { token: second })).status).toBe(200);
    await s.app.users.remove(user.username);
    expect((await s.request('GET', '/auth/me', { token: second })).status).toBe(401);
    expect(await sessionIds(s.dataDir)).not.toContain(sha256(second));
  });
});

describe('sessions stored before hashing', () => {
  it('are ended by the migration, and their tokens leave the database file', async () => {
    const dataDir = newDataDir();
    const olderMigrations = mkdtempSync(path.join(os.tmpdir(), 'capstan-migrations-'));
    try {
      // The database an older Capstan left: migrated up to just before the hashing migration,
      // with a user and a raw token as a session id. Later migrations then run as on an upgrade.
      const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
      const hashing = journal.entries.findIndex((e) => e.tag.endsWith('_hashed_sessions'));
      expect(hashing).toBeGreaterThan(0);
      cpSync(migrationsFolder, olderMigrations, { recursive: true });
      writeFileSync(path.join(olderMigrations, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, hashing) }));
      const client = createClient({ url: `file:${path.join(dataDir, 'capstan.db')}` });
      await migrate(drizzle(client), { migrationsFolder: olderMigrations });
      const userId = 'olduser1';
      await client.execute({ sql: 'INSERT INTO user (id, username, password_hash) VALUES (?, ?, ?)', args: [userId, ADMIN.username, await hashPassword(ADMIN.password)] });
      const raw = randomBytes(25).toString('hex').slice(0, 40);
      await client.execute({ sql: 'INSERT INTO session (id, user_id, expires_at) VALUES (?, ?, ?)', args: [raw, userId, Math.floor(Date.now() / 1000) + 86_400] });
      client.close();
      expect(databaseBytes(dataDir).includes(raw)).toBe(true);

      const server = await startTestServer({}, dataDir);
      try {
        expect(await sessionIds(dataDir)).not.toContain(raw);
        expect((await server.request('GET', '/auth/me', { token: raw })).status).toBe(401);
        expect((await server.request('GET', '/auth/me', { token: await server.login() })).status).toBe(200);
      } finally {
        await server.stop();
      }
      // Deleted, and overwritten (secure_delete): not left in free pages of the file either.
      expect(databaseBytes(dataDir).includes(raw)).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(olderMigrations, { recursive: true, force: true });
    }
  });
});
