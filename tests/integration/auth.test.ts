import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, isContractError, startTestServer, type TestServer } from '../helpers/server.js';
import { sessionIdOf } from '../../src/server/auth/sessions.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s?.dispose());

/** Each test logs in as its own user so the per-username throttle of one test never touches another. */
let counter = 0;
async function freshUser(): Promise<{ username: string; password: string }> {
  const user = { username: `user${++counter}`, password: `pw-${counter}-long-enough` };
  await s.app.users.add(user.username, user.password);
  return user;
}

async function auditRows() {
  const rows = await s.app.database.client.execute('SELECT * FROM audit_log ORDER BY id');
  return rows.rows.map((r) => ({
    actor: String(r.actor),
    action: String(r.action),
    outcome: String(r.outcome),
    target: r.target === null ? null : String(r.target),
    details: r.details ? (JSON.parse(String(r.details)) as Record<string, unknown>) : null,
  }));
}

describe('POST /auth/login', () => {
  it('returns a token, its expiry and the user, and sets an HttpOnly SameSite=Strict cookie', async () => {
    const res = await s.request('POST', '/auth/login', { body: ADMIN });
    expect(res.status).toBe(200);
    expect(Object.keys(res.json).sort()).toEqual(['expires_at', 'token', 'user']);
    expect(res.json.user).toEqual({ id: expect.any(String), username: 'admin' });
    expect(new Date(res.json.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`capstan_session=${res.json.token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i);
  });

  it('marks the cookie Secure when the request came over HTTPS', async () => {
    const res = await s.request('POST', '/auth/login', { body: ADMIN, headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/i);
  });

  it('answers an unknown user and a wrong password with the same 401', async () => {
    const u = await freshUser();
    const wrong = await s.request('POST', '/auth/login', { body: { username: u.username, password: 'not-the-password' } });
    const unknown = await s.request('POST', '/auth/login', { body: { username: 'nobody-here', password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    expect(isContractError(wrong.json)).toBe(true);
  });

  it('rejects a body without a password, naming the field', async () => {
    const res = await s.request('POST', '/auth/login', { body: { username: 'admin' } });
    expect(res.status).toBe(400);
    expect(isContractError(res.json)).toBe(true);
    expect(res.json.details).toMatch(/^password: /);
  });
});

describe('sessions', () => {
  it('authenticate by bearer token and by cookie, and logout ends them', async () => {
    const u = await freshUser();
    const login = await s.request('POST', '/auth/login', { body: u });
    const token = login.json.token as string;
    const cookie = `capstan_session=${token}`;
    expect((await s.request('GET', '/auth/me', { token })).json.user.username).toBe(u.username);
    expect((await s.request('GET', '/auth/me', { headers: { cookie } })).json.user.username).toBe(u.username);

    const out = await s.request('POST', '/auth/logout', { token });
    expect(out.status).toBe(200);
    expect(out.json).toEqual({ success: true });
    expect(out.headers.get('set-cookie')).toMatch(/capstan_session=;.*Max-Age=0/i);
    expect((await s.request('GET', '/auth/me', { token })).status).toBe(401);
    expect((await s.request('GET', '/auth/me', { headers: { cookie } })).status).toBe(401);
  });

  it('refuse an invalid or malformed token with 401 in the contract shape', async () => {
    for (const token of ['a'.repeat(40), 'not a token', "x' OR 1=1 --"]) {
      const res = await s.request('GET', '/api/health/status', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(isContractError(res.json)).toBe(true);
    }
  });

  it('slide: a session past half its life gets a new expiry and cookie', async () => {
    const u = await freshUser();
    const token = (await s.request('POST', '/auth/login', { body: u })).json.token as string;
    // Age the session to two days before expiry, directly in the database.
    const twoDays = Math.floor(Date.now() / 1000) + 2 * 86_400;
    const updated = await s.app.database.client.execute({ sql: 'UPDATE session SET expires_at = ? WHERE id = ?', args: [twoDays, sessionIdOf(token)] });
    expect(updated.rowsAffected).toBe(1);
    const res = await s.request('GET', '/auth/me', { headers: { cookie: `capstan_session=${token}` } });
    expect(res.status).toBe(200);
    expect(new Date(res.json.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    expect(res.headers.get('set-cookie')).toContain(`capstan_session=${token}`);
  });

  it('refuse cookie-authenticated mutations from another origin, but not bearer ones', async () => {
    const u = await freshUser();
    const token = (await s.request('POST', '/auth/login', { body: u })).json.token as string;
    const cookie = `capstan_session=${token}`;
    const evilOrigin = await s.request('POST', '/auth/logout', { headers: { cookie, origin: 'http://evil.example' } });
    expect(evilOrigin.status).toBe(403);
    expect(isContractError(evilOrigin.json)).toBe(true);
    const evilSite = await s.request('POST', '/auth/logout', { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(evilSite.status).toBe(403);
    const trpcEvil = await s.request('POST', '/trpc/auth.logout', {
      headers: { cookie, 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
    });
    expect(trpcEvil.status).toBe(403);
    // The session survived all three attempts.
    expect((await s.request('GET', '/auth/me', { token })).status).toBe(200);
    // Cross-site reads are not mutations; a bearer token is not sent by browsers on their own.
    expect((await s.request('GET', '/auth/me', { headers: { cookie, 'sec-fetch-site': 'cross-site' } })).status).toBe(200);
    const host = new URL(s.url).host;
    const same = await s.request('POST', '/auth/logout', { headers: { cookie, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' } });
    expect(same.status).toBe(200);
  });
});

describe('login throttling', () => {
  it('after 5 failures for one username, answers 429 with Retry-After, even for the right password', async () => {
    const u = await freshUser();
    for (let i = 0; i < 5; i++) {
      expect((await s.request('POST', '/auth/login', { body: { username: u.username, password: `wrong-${i}` } })).status).toBe(401);
    }
    const blocked = await s.request('POST', '/auth/login', { body: u });
    expect(blocked.status).toBe(429);
    expect(isContractError(blocked.json)).toBe(true);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another username from the same address is not blocked.
    const other = await freshUser();
    expect((await s.request('POST', '/auth/login', { body: other })).status).toBe(200);
  });

  it('a success resets the count for that username', async () => {
    const u = await freshUser();
    for (let i = 0; i < 4; i++) await s.request('POST', '/auth/login', { body: { username: u.username, password: 'wrong-pw' } });
    expect((await s.request('POST', '/auth/login', { body: u })).status).toBe(200);
    for (let i = 0; i < 4; i++) await s.request('POST', '/auth/login', { body: { username: u.username, password: 'wrong-pw' } });
    expect((await s.request('POST', '/auth/login', { body: u })).status).toBe(200);
  });

  it('after 50 failures from one address, blocks every username from it', async () => {
    // A server of its own: this test exhausts the address budget of 127.0.0.1.
    const t = await startTestServer();
    try {
      for (let i = 0; i < 50; i++) {
        const r = await t.request('POST', '/auth/login', { body: { username: `ghost${i}`, password: 'whatever-pw' } });
        expect(r.status).toBe(401);
      }
      const res = await t.request('POST', '/auth/login', { body: ADMIN });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      await t.dispose();
    }
  });
});

describe('audit of authentication', () => {
  it('records login success, login failure with the address, and logout, never the password', async () => {
    const u = await freshUser();
    await s.request('POST', '/auth/login', { body: { username: u.username, password: 'Distinctive-Wrong-9931' } });
    const token = (await s.request('POST', '/auth/login', { body: u })).json.token as string;
    await s.request('POST', '/auth/logout', { token });
    const mine = (await auditRows()).filter((r) => r.actor === u.username);
    expect(mine.map((r) => [r.action, r.outcome])).toEqual([
      ['auth.login', 'failure'],
      ['auth.login', 'success'],
      ['auth.logout', 'success'],
    ]);
    expect(mine[0]!.details).toMatchObject({ address: '127.0.0.1', reason: 'bad_credentials' });
    const everything = JSON.stringify(await auditRows());
    expect(everything).not.toContain('Distinctive-Wrong-9931');
    expect(everything).not.toContain(u.password);
    expect(everything).not.toContain(ADMIN.password);
    expect(everything).not.toContain(token);
  });
});
